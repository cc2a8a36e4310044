package msp

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"time"

	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// Identity is a validated client, peer, admin or orderer identity.
type Identity struct {
	MSPID       string
	Certificate *x509.Certificate
	Role        Role
	// Serialized is the msp.SerializedIdentity the identity was read from.
	Serialized []byte
}

// Verify checks an ECDSA signature over the SHA-256 digest of msg made by the
// identity's key. High-S signatures are refused, as Fabric's BCCSP does.
func (id *Identity) Verify(msg, sig []byte) error {
	return VerifySignature(id.Certificate, msg, sig)
}

// VerifySignature checks that sig is a low-S ECDSA signature by cert's key
// over SHA-256(msg).
func VerifySignature(cert *x509.Certificate, msg, sig []byte) error {
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("verifying signature: field=publicKey value=%T rule=must be ECDSA: %w", cert.PublicKey, ErrBadSignature)
	}
	var parsed struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(sig, &parsed)
	if err != nil || len(rest) != 0 || parsed.R == nil || parsed.S == nil || parsed.R.Sign() <= 0 || parsed.S.Sign() <= 0 {
		return fmt.Errorf("verifying signature: field=signature value=%d bytes rule=must be a DER ECDSA signature: %w", len(sig), ErrBadSignature)
	}
	halfOrder := new(big.Int).Rsh(pub.Curve.Params().N, 1)
	if parsed.S.Cmp(halfOrder) > 0 {
		return fmt.Errorf("verifying signature: field=signature.S value=high rule=must be at most half the curve order: %w", ErrBadSignature)
	}
	digest := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		return fmt.Errorf("verifying signature: %w", ErrBadSignature)
	}
	return nil
}

// Manager holds the MSPs a node trusts and checks identities against them.
// Validated identities are cached by their serialized bytes (the expiry is
// still checked on every use), because chain building dominates the cost of
// a request otherwise.
type Manager struct {
	msps map[string]*MSP
	now  func() time.Time

	mu    sync.RWMutex
	cache map[string]*Identity
}

// maxCachedIdentities bounds the identity cache; it is cleared when full.
const maxCachedIdentities = 4096

// NewManager trusts the given MSPs. Two MSPs with one ID are refused.
func NewManager(msps ...*MSP) (*Manager, error) {
	m := &Manager{msps: make(map[string]*MSP, len(msps)), now: time.Now, cache: map[string]*Identity{}}
	for _, x := range msps {
		if _, dup := m.msps[x.id]; dup {
			return nil, fmt.Errorf("building msp manager: field=mspID value=%q rule=must be unique: %w", x.id, ErrInvalidMSPPath)
		}
		m.msps[x.id] = x
	}
	return m, nil
}

// SetClock replaces the clock used for expiry checks (tests).
func (m *Manager) SetClock(now func() time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = now
	clear(m.cache)
}

// MSPIDs lists the trusted MSP IDs in sorted order.
func (m *Manager) MSPIDs() []string {
	ids := make([]string, 0, len(m.msps))
	for id := range m.msps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// MSP returns the trusted MSP with the given ID.
func (m *Manager) MSP(id string) (*MSP, bool) {
	x, ok := m.msps[id]
	return x, ok
}

// Deserialize reads a marshalled msp.SerializedIdentity and validates it:
// known MSP ID (ErrUnknownMSP), PEM certificate (ErrMalformed), chain to the
// MSP's CAs (ErrUntrusted), validity period (ErrExpired) and role OU
// (ErrNoRole).
func (m *Manager) Deserialize(serialized []byte) (*Identity, error) {
	m.mu.RLock()
	cached, ok := m.cache[string(serialized)]
	now := m.now()
	m.mu.RUnlock()
	if ok {
		if now.Before(cached.Certificate.NotBefore) || now.After(cached.Certificate.NotAfter) {
			return nil, fmt.Errorf("validating identity of %s: %w", cached.MSPID, ErrExpired)
		}
		return cached, nil
	}
	var sid mspproto.SerializedIdentity
	if err := proto.Unmarshal(serialized, &sid); err != nil {
		return nil, fmt.Errorf("deserializing identity: %v: %w", err, ErrMalformed)
	}
	x, ok := m.msps[sid.GetMspid()]
	if !ok {
		return nil, fmt.Errorf("deserializing identity: field=mspid value=%q rule=must be a trusted MSP: %w", sid.GetMspid(), ErrUnknownMSP)
	}
	certs, err := ParseCertificatesPEM(sid.GetIdBytes())
	if err != nil {
		return nil, fmt.Errorf("deserializing identity of %s: %w", x.id, err)
	}
	role, err := x.Validate(certs[0], now)
	if err != nil {
		return nil, err
	}
	id := &Identity{MSPID: x.id, Certificate: certs[0], Role: role, Serialized: bytes.Clone(serialized)}
	m.mu.Lock()
	if len(m.cache) >= maxCachedIdentities {
		clear(m.cache)
	}
	m.cache[string(serialized)] = id
	m.mu.Unlock()
	return id, nil
}

// Validate checks that cert chains to one of the MSP's CAs, is valid at now
// and, with NodeOUs enabled, carries exactly one role OU. It returns the role.
func (m *MSP) Validate(cert *x509.Certificate, now time.Time) (Role, error) {
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return "", fmt.Errorf("validating identity of %s: field=certificate value=%q rule=must be valid from %s to %s: %w",
			m.id, cert.Subject.CommonName, cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339), ErrExpired)
	}
	if cert.IsCA {
		return "", fmt.Errorf("validating identity of %s: field=certificate value=%q rule=must not be a CA certificate: %w", m.id, cert.Subject.CommonName, ErrUntrusted)
	}
	chains, err := cert.Verify(x509.VerifyOptions{
		Roots:         m.roots,
		Intermediates: m.intermediates,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return "", fmt.Errorf("validating identity of %s: field=certificate value=%q rule=must chain to the MSP's CA (%v): %w", m.id, cert.Subject.CommonName, err, ErrUntrusted)
	}
	for _, a := range m.admins {
		if bytes.Equal(a.Raw, cert.Raw) {
			return RoleAdmin, nil
		}
	}
	if !m.nodeOUs {
		return RoleMember, nil
	}
	var found []Role
	for _, rule := range m.roleOUs {
		if !slices.Contains(cert.Subject.OrganizationalUnit, rule.ou) {
			continue
		}
		if rule.ca != nil && !chainsContain(chains, rule.ca) {
			continue
		}
		found = append(found, rule.role)
	}
	if len(found) != 1 {
		return "", fmt.Errorf("validating identity of %s: field=certificate.OU value=%q rule=must name exactly one of client, peer, admin, orderer: %w",
			m.id, cert.Subject.OrganizationalUnit, ErrNoRole)
	}
	return found[0], nil
}

func chainsContain(chains [][]*x509.Certificate, ca *x509.Certificate) bool {
	for _, chain := range chains {
		for _, c := range chain[1:] {
			if bytes.Equal(c.Raw, ca.Raw) {
				return true
			}
		}
	}
	return false
}
