// Package msp reads Hyperledger Fabric MSP folders and checks the identities
// that clients present to the embedded peer the way a Fabric peer does: the
// serialized identity must name a trusted MSP, its X.509 certificate must
// chain to that MSP's CA and be current, and, with NodeOUs enabled, it must
// carry exactly one role OU (client, peer, admin or orderer). Signatures are
// ECDSA over a SHA-256 digest and must be in low-S form, as Fabric demands.
//
// A folder has the layout Fabric's tools write:
//
//	cacerts/*.pem            root CA certificates (required)
//	intermediatecerts/*.pem  intermediate CA certificates (optional)
//	tlscacerts/*.pem         TLS root CAs (optional)
//	admincerts/*.pem         explicit admin certificates (optional, pre-NodeOUs style)
//	signcerts/*.pem          the holder's certificate (signing identities only)
//	keystore/*               the holder's PKCS#8 private key (signing identities only)
//	config.yaml              NodeOUs configuration (optional)
package msp

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Role is the role an identity has inside its organisation, taken from its
// NodeOU (or from admincerts).
type Role string

// Roles known to Fabric's NodeOUs.
const (
	RoleMember  Role = "member" // NodeOUs disabled: any identity of the org
	RoleClient  Role = "client"
	RolePeer    Role = "peer"
	RoleAdmin   Role = "admin"
	RoleOrderer Role = "orderer"
)

// Sentinel errors; every error returned by this package wraps one of them.
var (
	ErrUnknownMSP     = errors.New("unknown MSP")
	ErrUntrusted      = errors.New("certificate does not chain to a trusted CA")
	ErrExpired        = errors.New("certificate is not valid at this time")
	ErrNoRole         = errors.New("identity has no valid role OU")
	ErrBadSignature   = errors.New("signature is not valid")
	ErrMalformed      = errors.New("malformed identity")
	ErrInvalidMSPPath = errors.New("invalid MSP folder")
)

// OUIdentifier names an organisational unit, optionally bound to one CA
// certificate (path relative to the MSP folder), as in config.yaml.
type OUIdentifier struct {
	Certificate                  string `yaml:"Certificate,omitempty"`
	OrganizationalUnitIdentifier string `yaml:"OrganizationalUnitIdentifier"`
}

// NodeOUs is the NodeOUs block of an MSP config.yaml.
type NodeOUs struct {
	Enable              bool          `yaml:"Enable"`
	ClientOUIdentifier  *OUIdentifier `yaml:"ClientOUIdentifier,omitempty"`
	PeerOUIdentifier    *OUIdentifier `yaml:"PeerOUIdentifier,omitempty"`
	AdminOUIdentifier   *OUIdentifier `yaml:"AdminOUIdentifier,omitempty"`
	OrdererOUIdentifier *OUIdentifier `yaml:"OrdererOUIdentifier,omitempty"`
}

// Config is the content of an MSP folder's config.yaml.
type Config struct {
	NodeOUs *NodeOUs `yaml:"NodeOUs,omitempty"`
}

// ConfigFile is the name of the NodeOUs configuration inside an MSP folder.
const ConfigFile = "config.yaml"

// roleOU is one resolved NodeOU rule.
type roleOU struct {
	role Role
	ou   string
	ca   *x509.Certificate // nil: any CA of the MSP
}

// MSP is the verifying half of one organisation's MSP folder.
type MSP struct {
	id            string
	roots         *x509.CertPool
	intermediates *x509.CertPool
	rootCerts     []*x509.Certificate
	interCerts    []*x509.Certificate
	tlsRootCerts  []*x509.Certificate
	admins        []*x509.Certificate
	nodeOUs       bool
	roleOUs       []roleOU
}

// Load reads the MSP folder dir for the organisation mspID.
func Load(mspID, dir string) (*MSP, error) {
	if mspID == "" {
		return nil, fmt.Errorf("loading msp %q: field=mspID value=%q rule=must not be empty: %w", dir, mspID, ErrInvalidMSPPath)
	}
	roots, err := readCertDir(filepath.Join(dir, "cacerts"))
	if err != nil {
		return nil, fmt.Errorf("loading msp %s: %w", mspID, err)
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("loading msp %s: field=cacerts value=%q rule=must hold at least one CA certificate: %w",
			mspID, filepath.Join(dir, "cacerts"), ErrInvalidMSPPath)
	}
	inters, err := readCertDir(filepath.Join(dir, "intermediatecerts"))
	if err != nil {
		return nil, fmt.Errorf("loading msp %s: %w", mspID, err)
	}
	tlsRoots, err := readCertDir(filepath.Join(dir, "tlscacerts"))
	if err != nil {
		return nil, fmt.Errorf("loading msp %s: %w", mspID, err)
	}
	admins, err := readCertDir(filepath.Join(dir, "admincerts"))
	if err != nil {
		return nil, fmt.Errorf("loading msp %s: %w", mspID, err)
	}
	m := &MSP{
		id:            mspID,
		roots:         x509.NewCertPool(),
		intermediates: x509.NewCertPool(),
		rootCerts:     roots,
		interCerts:    inters,
		tlsRootCerts:  tlsRoots,
		admins:        admins,
	}
	for _, c := range roots {
		m.roots.AddCert(c)
	}
	for _, c := range inters {
		m.intermediates.AddCert(c)
	}
	if err := m.loadConfig(dir); err != nil {
		return nil, fmt.Errorf("loading msp %s: %w", mspID, err)
	}
	return m, nil
}

func (m *MSP) loadConfig(dir string) error {
	raw, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", ConfigFile, err)
	}
	var cfg Config
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("parsing %s: %w", ConfigFile, err)
	}
	if cfg.NodeOUs == nil || !cfg.NodeOUs.Enable {
		return nil
	}
	m.nodeOUs = true
	rules := []struct {
		role Role
		id   *OUIdentifier
	}{
		{RoleClient, cfg.NodeOUs.ClientOUIdentifier},
		{RolePeer, cfg.NodeOUs.PeerOUIdentifier},
		{RoleAdmin, cfg.NodeOUs.AdminOUIdentifier},
		{RoleOrderer, cfg.NodeOUs.OrdererOUIdentifier},
	}
	for _, r := range rules {
		if r.id == nil || r.id.OrganizationalUnitIdentifier == "" {
			continue
		}
		rule := roleOU{role: r.role, ou: r.id.OrganizationalUnitIdentifier}
		if r.id.Certificate != "" {
			certs, err := readCertFile(filepath.Join(dir, r.id.Certificate))
			if err != nil {
				return fmt.Errorf("reading %s OU certificate: %w", r.role, err)
			}
			rule.ca = certs[0]
		}
		m.roleOUs = append(m.roleOUs, rule)
	}
	return nil
}

// ID is the MSP identifier, e.g. "ExporterMSP".
func (m *MSP) ID() string { return m.id }

// NodeOUsEnabled reports whether config.yaml enables NodeOUs.
func (m *MSP) NodeOUsEnabled() bool { return m.nodeOUs }

// RootCerts returns the MSP's root CA certificates.
func (m *MSP) RootCerts() []*x509.Certificate { return m.rootCerts }

// TLSRootCerts returns the MSP's TLS root CA certificates.
func (m *MSP) TLSRootCerts() []*x509.Certificate { return m.tlsRootCerts }

func readCertDir(dir string) ([]*x509.Certificate, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out []*x509.Certificate
	for _, n := range names {
		certs, err := readCertFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		out = append(out, certs...)
	}
	return out, nil
}

func readCertFile(path string) ([]*x509.Certificate, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading certificate: %w", err)
	}
	certs, err := ParseCertificatesPEM(raw)
	if err != nil {
		return nil, fmt.Errorf("parsing certificate %s: %w", path, err)
	}
	return certs, nil
}

// ParseCertificatesPEM parses every CERTIFICATE block in raw; it fails when
// there is none.
func ParseCertificatesPEM(raw []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, raw = pem.Decode(raw)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing x509: %w", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("field=pem value=%q rule=must hold a CERTIFICATE block: %w", strings.TrimSpace(firstLine(raw)), ErrMalformed)
	}
	return out, nil
}

func firstLine(b []byte) string {
	s := string(b)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}
