// Package devnet generates and reads the folder of a development network for
// the embedded peer: a CA and a TLS CA per organisation (ECDSA P-256), admin
// and user identities in Fabric's MSP layout with NodeOUs, the peer's
// endorsing identity and TLS server certificate (127.0.0.1 and localhost),
// the orderer identity that signs blocks, the node description devnet.yaml
// and the client connection profile connection.yaml (package profile).
//
// Layout written by Init (paths relative to the network folder; private keys
// are mode 0600):
//
//	connection.yaml                          client connection profile
//	devnet.yaml                              what the node trusts and signs with
//	organizations/<MSPID>/ca/ca-cert.pem     the org's identity CA (key: ca/priv_sk)
//	organizations/<MSPID>/tlsca/tlsca-cert.pem  the org's TLS CA (key: tlsca/priv_sk)
//	organizations/<MSPID>/msp/               the org MSP the node trusts:
//	    cacerts/ca-cert.pem  tlscacerts/tlsca-cert.pem  config.yaml (NodeOUs)
//	organizations/<MSPID>/users/<name>/msp/  one per identity (admin, user1, ...):
//	    cacerts/ tlscacerts/ config.yaml signcerts/cert.pem keystore/priv_sk
//	organizations/<PeerOrg>/peers/peer0/msp/ the peer's endorsing identity (OU peer)
//	organizations/<PeerOrg>/peers/peer0/tls/ ca.crt server.crt server.key
//	organizations/OrdererMSP/orderers/orderer0/msp/  the block-signing identity (OU orderer)
//
// Every identity certificate carries Fabric CA style attributes
// (hf.EnrollmentID, hf.Type, hf.Affiliation, plus Options.Attributes) in the
// extension that cid.GetAttributeValue reads.
package devnet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/aeoledger/aeoledger/network/profile"
	"gopkg.in/yaml.v3"
)

// Defaults of a generated network.
const (
	DefaultChannel     = "aeo"
	DefaultChaincode   = "aeoledger"
	DefaultAddress     = "127.0.0.1:7051"
	DefaultPeerOrg     = "ExporterMSP"
	OrdererMSPID       = "OrdererMSP"
	ProfileFile        = "connection.yaml"
	NodeFile           = "devnet.yaml"
	TLSServerName      = "localhost"
	defaultValidity    = 10 * 365 * 24 * time.Hour
	orgsDir            = "organizations"
	keyFileName        = "priv_sk"
	certFileName       = "cert.pem"
	caCertFileName     = "ca-cert.pem"
	tlsCACertFileName  = "tlsca-cert.pem"
	peerName           = "peer0"
	ordererName        = "orderer0"
	defaultAdminName   = "admin"
	defaultUserName    = "user1"
	privateFileMode    = 0o600
	publicFileMode     = 0o644
	directoryFileMode  = 0o755
	tlsServerCertFile  = "server.crt"
	tlsServerKeyFile   = "server.key"
	tlsCACertCopyFile  = "ca.crt"
	configFileRelative = "config.yaml"
)

// DefaultOrgs are the application organisations of a dev network.
var DefaultOrgs = []string{"ExporterMSP", "CarrierMSP", "IssuerMSP", "CustomsMSP"}

// ErrInvalid is wrapped by every bad-input error of Init and Load.
var ErrInvalid = errors.New("invalid dev network")

// Options tune Init. The zero value gives the default network.
type Options struct {
	Orgs      []string // application orgs; default DefaultOrgs
	PeerOrg   string   // org of the peer identity; default DefaultPeerOrg
	Users     []string // client identities per org besides "admin"; default ["user1"]
	Channel   string   // default DefaultChannel
	Chaincode string   // default DefaultChaincode
	Address   string   // gateway listen address; default DefaultAddress
	// Validity of every certificate from Now; default 10 years.
	Validity time.Duration
	// Now is the start of validity (minus one hour); default time.Now.
	Now func() time.Time
	// Attributes are extra Fabric CA attributes per "MSPID/name"
	// (e.g. "CarrierMSP/user1": {"aeo.role": "carrier"}).
	Attributes map[string]map[string]string
}

// Network is the node's view of a dev network folder (devnet.yaml), with
// absolute paths after Load.
type Network struct {
	Channel   string   `yaml:"channel"`
	Chaincode string   `yaml:"chaincode"`
	Address   string   `yaml:"address"`
	Orgs      []OrgMSP `yaml:"orgs"`
	Orderers  []OrgMSP `yaml:"ordererOrgs"`
	Peer      NodeID   `yaml:"peer"`
	Orderer   NodeID   `yaml:"orderer"`
	// Dir is the network folder (set by Load).
	Dir string `yaml:"-"`
}

// OrgMSP names a trusted organisation and its MSP folder.
type OrgMSP struct {
	MSPID string `yaml:"mspID"`
	MSP   string `yaml:"msp"`
}

// NodeID is a node identity: its MSP folder (signcerts + keystore) and, for
// the peer, its TLS server pair.
type NodeID struct {
	MSPID   string `yaml:"mspID"`
	MSP     string `yaml:"msp"`
	TLSCert string `yaml:"tlsCert,omitempty"`
	TLSKey  string `yaml:"tlsKey,omitempty"`
	TLSCA   string `yaml:"tlsCA,omitempty"`
}

var mspIDPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9.-]*$`)
var userPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

func (o *Options) withDefaults() Options {
	out := *o
	if len(out.Orgs) == 0 {
		out.Orgs = DefaultOrgs
	}
	if out.PeerOrg == "" {
		out.PeerOrg = DefaultPeerOrg
		if !slices.Contains(out.Orgs, out.PeerOrg) {
			out.PeerOrg = out.Orgs[0]
		}
	}
	if len(out.Users) == 0 {
		out.Users = []string{defaultUserName}
	}
	if out.Channel == "" {
		out.Channel = DefaultChannel
	}
	if out.Chaincode == "" {
		out.Chaincode = DefaultChaincode
	}
	if out.Address == "" {
		out.Address = DefaultAddress
	}
	if out.Validity == 0 {
		out.Validity = defaultValidity
	}
	if out.Now == nil {
		out.Now = time.Now
	}
	return out
}

func (o *Options) validate() error {
	bad := func(field, value, rule string) error {
		return fmt.Errorf("field=%s value=%q rule=%s: %w", field, value, rule, ErrInvalid)
	}
	seen := map[string]bool{OrdererMSPID: true}
	for _, org := range o.Orgs {
		if !mspIDPattern.MatchString(org) {
			return bad("orgs", org, "must be an MSP ID (letter, then letters, digits, '.', '-')")
		}
		if seen[org] {
			return bad("orgs", org, "must be unique and not "+OrdererMSPID)
		}
		seen[org] = true
	}
	if !slices.Contains(o.Orgs, o.PeerOrg) {
		return bad("peerOrg", o.PeerOrg, "must be one of the orgs")
	}
	for _, u := range o.Users {
		if !userPattern.MatchString(u) || u == defaultAdminName {
			return bad("users", u, "must be a lower-case name other than admin")
		}
	}
	if o.Validity < 0 {
		return bad("validity", o.Validity.String(), "must be positive")
	}
	return nil
}

// Init generates a dev network in dir, which must not exist or be empty.
// It builds everything in a temporary sibling folder and renames it into
// place, so on error nothing is left at dir.
func Init(dir string, opts Options) (*Network, error) {
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("initialising dev network: %w", err)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("initialising dev network: field=dir value=%q rule=must be empty or absent: %w", dir, ErrInvalid)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("initialising dev network: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("initialising dev network: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), directoryFileMode); err != nil {
		return nil, fmt.Errorf("initialising dev network: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(abs), ".devnet-*")
	if err != nil {
		return nil, fmt.Errorf("initialising dev network: %w", err)
	}
	defer os.RemoveAll(tmp) // no-op after a successful rename
	if err := os.Chmod(tmp, directoryFileMode); err != nil {
		return nil, fmt.Errorf("initialising dev network: %w", err)
	}
	g := &generator{root: tmp, opts: o}
	if err := g.generate(); err != nil {
		return nil, fmt.Errorf("initialising dev network: %w", err)
	}
	if err := os.Remove(abs); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("initialising dev network: %w", err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		return nil, fmt.Errorf("initialising dev network: %w", err)
	}
	return Load(abs)
}

// Load reads devnet.yaml from a network folder and makes its paths absolute.
func Load(dir string) (*Network, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("loading dev network: %w", err)
	}
	raw, err := os.ReadFile(filepath.Join(abs, NodeFile))
	if err != nil {
		return nil, fmt.Errorf("loading dev network: %w", err)
	}
	var n Network
	if err := yaml.Unmarshal(raw, &n); err != nil {
		return nil, fmt.Errorf("loading dev network %s: %v: %w", abs, err, ErrInvalid)
	}
	if n.Channel == "" || n.Chaincode == "" || len(n.Orgs) == 0 || n.Peer.MSP == "" || n.Orderer.MSP == "" {
		return nil, fmt.Errorf("loading dev network %s: field=%s rule=channel, chaincode, orgs, peer and orderer are required: %w", abs, NodeFile, ErrInvalid)
	}
	n.Dir = abs
	res := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(abs, filepath.FromSlash(p))
	}
	for i := range n.Orgs {
		n.Orgs[i].MSP = res(n.Orgs[i].MSP)
	}
	for i := range n.Orderers {
		n.Orderers[i].MSP = res(n.Orderers[i].MSP)
	}
	for _, id := range []*NodeID{&n.Peer, &n.Orderer} {
		id.MSP, id.TLSCert, id.TLSKey, id.TLSCA = res(id.MSP), res(id.TLSCert), res(id.TLSKey), res(id.TLSCA)
	}
	return &n, nil
}

// ProfilePath is the path of the network's connection profile.
func (n *Network) ProfilePath() string { return filepath.Join(n.Dir, ProfileFile) }

// LoadMSPs loads every trusted MSP (application and orderer orgs) into a
// manager.
func (n *Network) LoadMSPs() (*msp.Manager, error) {
	var all []*msp.MSP
	for _, o := range append(slices.Clone(n.Orgs), n.Orderers...) {
		m, err := msp.Load(o.MSPID, o.MSP)
		if err != nil {
			return nil, fmt.Errorf("loading trusted orgs: %w", err)
		}
		all = append(all, m)
	}
	return msp.NewManager(all...)
}

// AppOrgIDs lists the application organisations' MSP IDs.
func (n *Network) AppOrgIDs() []string {
	ids := make([]string, len(n.Orgs))
	for i, o := range n.Orgs {
		ids[i] = o.MSPID
	}
	return ids
}

// PeerSigner loads the peer's endorsing identity.
func (n *Network) PeerSigner() (*msp.SigningIdentity, error) {
	return msp.LoadSigningIdentity(n.Peer.MSPID, n.Peer.MSP)
}

// OrdererSigner loads the orderer's block-signing identity.
func (n *Network) OrdererSigner() (*msp.SigningIdentity, error) {
	return msp.LoadSigningIdentity(n.Orderer.MSPID, n.Orderer.MSP)
}

// Profile loads the network's connection profile.
func (n *Network) Profile() (*profile.Profile, error) {
	return profile.Load(n.ProfilePath())
}
