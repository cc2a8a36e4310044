// Package profile reads and writes the connection profile that every
// aeoledger client uses to reach a ledger: the embedded peer of a dev network
// or a gateway peer of a real Hyperledger Fabric network. It says where the
// gateway listens and how to trust its TLS certificate, which channel and
// chaincode to use, and where each organisation's identities (certificate and
// private key) are kept. Relative paths are resolved against the profile's
// own directory, so a network folder can be moved as a whole.
//
// Format (YAML):
//
//	name: aeoledger-devnet
//	channel: aeo
//	chaincode: aeoledger
//	gateway:
//	  address: 127.0.0.1:7051
//	  tlsCACert: organizations/ExporterMSP/tlsca/tlsca-cert.pem
//	  serverName: localhost
//	orgs:
//	  ExporterMSP:
//	    identities:
//	      admin: {cert: organizations/ExporterMSP/users/admin/msp/signcerts/cert.pem,
//	              key: organizations/ExporterMSP/users/admin/msp/keystore/priv_sk}
//	      user1: {cert: ..., key: ...}
//	orderers:            # optional: for verifying blocks from a Fabric network
//	  - {mspID: OrdererMSP, address: 127.0.0.1:7050, tlsCACert: ..., serverName: ..., msp: ...}
//	peers:               # optional
//	  - {mspID: ExporterMSP, address: ..., tlsCACert: ..., serverName: ..., msp: ...}
package profile

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/aeoledger/aeoledger/network/msp"
	"gopkg.in/yaml.v3"
)

// ErrInvalid is wrapped by every validation error of a profile.
var ErrInvalid = errors.New("invalid connection profile")

// ErrUnknownIdentity is returned by Identity for a missing org or name.
var ErrUnknownIdentity = errors.New("unknown identity")

// Profile is a connection profile.
type Profile struct {
	Name      string         `yaml:"name"`
	Channel   string         `yaml:"channel"`
	Chaincode string         `yaml:"chaincode"`
	Gateway   Endpoint       `yaml:"gateway"`
	Orgs      map[string]Org `yaml:"orgs"`
	Orderers  []Node         `yaml:"orderers,omitempty"`
	Peers     []Node         `yaml:"peers,omitempty"`

	// dir is the directory relative paths are resolved against.
	dir string
}

// Endpoint is a TLS gRPC endpoint.
type Endpoint struct {
	Address    string `yaml:"address"`
	TLSCACert  string `yaml:"tlsCACert"`
	ServerName string `yaml:"serverName,omitempty"`
}

// Node is a peer or orderer of the network, for ledger verification.
type Node struct {
	MSPID    string `yaml:"mspID"`
	Endpoint `yaml:",inline"`
	// MSP is the node organisation's MSP folder (cacerts/...), used to
	// check the signatures the node puts on blocks or endorsements.
	MSP string `yaml:"msp,omitempty"`
}

// Org lists an organisation's identities by name.
type Org struct {
	// MSP is the organisation's MSP folder, optional.
	MSP        string                  `yaml:"msp,omitempty"`
	Identities map[string]IdentityPath `yaml:"identities"`
}

// IdentityPath locates one identity's certificate and private key.
type IdentityPath struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Identity is an identity resolved by (*Profile).Identity.
type Identity struct {
	MSPID    string
	Name     string
	CertPath string // absolute
	KeyPath  string // absolute
}

var (
	namePattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	channelPattern = regexp.MustCompile(`^[a-z][a-z0-9.-]*$`) // Fabric's channel name rule
)

// Load reads and validates the profile at path.
func Load(path string) (*Profile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading profile: %w", err)
	}
	var p Profile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("loading profile %s: %v: %w", path, err, ErrInvalid)
	}
	abs, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("loading profile: %w", err)
	}
	p.dir = abs
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("loading profile %s: %w", path, err)
	}
	return &p, nil
}

// Validate checks the fields a client needs; errors name field, value and rule.
func (p *Profile) Validate() error {
	bad := func(field, value, rule string) error {
		return fmt.Errorf("field=%s value=%q rule=%s: %w", field, value, rule, ErrInvalid)
	}
	if !channelPattern.MatchString(p.Channel) {
		return bad("channel", p.Channel, "must be a Fabric channel name (lower case letters, digits, '.', '-')")
	}
	if !namePattern.MatchString(p.Chaincode) {
		return bad("chaincode", p.Chaincode, "must be a chaincode name")
	}
	if _, port, ok := strings.Cut(p.Gateway.Address, ":"); !ok || port == "" || strings.HasPrefix(p.Gateway.Address, ":") {
		return bad("gateway.address", p.Gateway.Address, "must be host:port")
	}
	if p.Gateway.TLSCACert == "" {
		return bad("gateway.tlsCACert", "", "must name the TLS CA certificate of the gateway")
	}
	if len(p.Orgs) == 0 {
		return bad("orgs", "", "must list at least one organisation")
	}
	for _, msp := range p.OrgIDs() {
		org := p.Orgs[msp]
		if !namePattern.MatchString(msp) {
			return bad("orgs", msp, "must be an MSP ID")
		}
		for _, name := range sortedKeys(org.Identities) {
			id := org.Identities[name]
			if !namePattern.MatchString(name) {
				return bad("orgs."+msp+".identities", name, "must be an identity name")
			}
			if id.Cert == "" {
				return bad("orgs."+msp+".identities."+name+".cert", "", "must not be empty")
			}
			if id.Key == "" {
				return bad("orgs."+msp+".identities."+name+".key", "", "must not be empty")
			}
		}
	}
	return nil
}

// Save writes the profile to path. Paths stay as they are in the struct
// (write them relative to path's directory to keep the folder movable).
// The file is written to a temporary name and renamed, so a failed Save
// leaves any previous file untouched.
func (p *Profile) Save(path string) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("saving profile: %w", err)
	}
	raw, err := yaml.Marshal(p)
	if err != nil {
		return fmt.Errorf("saving profile: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".profile-*.yaml")
	if err != nil {
		return fmt.Errorf("saving profile: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("saving profile: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("saving profile: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving profile: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving profile: %w", err)
	}
	return nil
}

// Dir is the directory relative paths are resolved against ("" until the
// profile is loaded or SetDir is called).
func (p *Profile) Dir() string { return p.dir }

// SetDir sets the directory relative paths are resolved against.
func (p *Profile) SetDir(dir string) { p.dir = dir }

// Resolve turns a path from the profile into an absolute one.
func (p *Profile) Resolve(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.dir, filepath.FromSlash(path))
}

// OrgIDs lists the organisations' MSP IDs in sorted order.
func (p *Profile) OrgIDs() []string { return sortedKeys(p.Orgs) }

// Identity looks up an identity by MSP ID and name, with absolute paths.
func (p *Profile) Identity(mspID, name string) (Identity, error) {
	org, ok := p.Orgs[mspID]
	if !ok {
		return Identity{}, fmt.Errorf("looking up identity: field=mspID value=%q rule=must be one of %v: %w", mspID, p.OrgIDs(), ErrUnknownIdentity)
	}
	id, ok := org.Identities[name]
	if !ok {
		return Identity{}, fmt.Errorf("looking up identity: field=name value=%q rule=must be one of %v: %w", name, sortedKeys(org.Identities), ErrUnknownIdentity)
	}
	return Identity{MSPID: mspID, Name: name, CertPath: p.Resolve(id.Cert), KeyPath: p.Resolve(id.Key)}, nil
}

// Credentials reads the identity's PEM certificate and ECDSA private key,
// ready for fabric-gateway's identity.NewX509Identity and
// identity.NewPrivateKeySign.
func (id Identity) Credentials() (certPEM []byte, key *ecdsa.PrivateKey, err error) {
	certPEM, err = os.ReadFile(id.CertPath)
	if err != nil {
		return nil, nil, fmt.Errorf("reading certificate of %s/%s: %w", id.MSPID, id.Name, err)
	}
	if _, err := msp.ParseCertificatesPEM(certPEM); err != nil {
		return nil, nil, fmt.Errorf("reading certificate of %s/%s: %w", id.MSPID, id.Name, err)
	}
	key, err = msp.ReadPrivateKey(id.KeyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("reading key of %s/%s: %w", id.MSPID, id.Name, err)
	}
	return certPEM, key, nil
}

// GatewayTLS returns the client TLS configuration for the gateway endpoint:
// its CA as the only root and its server name.
func (p *Profile) GatewayTLS() (*tls.Config, error) {
	return p.TLSConfig(p.Gateway)
}

// TLSConfig returns the client TLS configuration for an endpoint.
func (p *Profile) TLSConfig(e Endpoint) (*tls.Config, error) {
	raw, err := os.ReadFile(p.Resolve(e.TLSCACert))
	if err != nil {
		return nil, fmt.Errorf("reading TLS CA of %s: %w", e.Address, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(raw) {
		return nil, fmt.Errorf("reading TLS CA of %s: field=tlsCACert value=%q rule=must hold a PEM certificate: %w", e.Address, e.TLSCACert, ErrInvalid)
	}
	return &tls.Config{RootCAs: pool, ServerName: e.ServerName, MinVersion: tls.VersionTLS12}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
