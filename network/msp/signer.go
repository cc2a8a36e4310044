package msp

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"

	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// SigningIdentity is an identity with its private key: the peer's endorsing
// identity or the orderer's block-signing identity.
type SigningIdentity struct {
	mspID      string
	cert       *x509.Certificate
	certPEM    []byte
	key        *ecdsa.PrivateKey
	serialized []byte
}

// NewSigningIdentity builds a signing identity from a PEM certificate and its
// ECDSA key.
func NewSigningIdentity(mspID string, certPEM []byte, key *ecdsa.PrivateKey) (*SigningIdentity, error) {
	certs, err := ParseCertificatesPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("building signing identity: %w", err)
	}
	pub, ok := certs[0].PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("building signing identity: field=keystore value=%q rule=key must match the certificate: %w", certs[0].Subject.CommonName, ErrMalformed)
	}
	ser, err := proto.Marshal(&mspproto.SerializedIdentity{Mspid: mspID, IdBytes: certPEM})
	if err != nil {
		return nil, fmt.Errorf("serializing identity: %w", err)
	}
	return &SigningIdentity{mspID: mspID, cert: certs[0], certPEM: certPEM, key: key, serialized: ser}, nil
}

// LoadSigningIdentity reads signcerts/ and keystore/ of an MSP folder.
func LoadSigningIdentity(mspID, dir string) (*SigningIdentity, error) {
	certPath, err := onlyFile(filepath.Join(dir, "signcerts"))
	if err != nil {
		return nil, fmt.Errorf("loading signing identity %s: %w", mspID, err)
	}
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("loading signing identity %s: %w", mspID, err)
	}
	keyPath, err := onlyFile(filepath.Join(dir, "keystore"))
	if err != nil {
		return nil, fmt.Errorf("loading signing identity %s: %w", mspID, err)
	}
	key, err := ReadPrivateKey(keyPath)
	if err != nil {
		return nil, fmt.Errorf("loading signing identity %s: %w", mspID, err)
	}
	return NewSigningIdentity(mspID, certPEM, key)
}

// ReadPrivateKey reads a PEM ECDSA private key (PKCS#8 or SEC 1).
func ReadPrivateKey(path string) (*ecdsa.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading private key: %w", err)
	}
	return ParsePrivateKeyPEM(raw)
}

// ParsePrivateKeyPEM parses a PEM ECDSA private key (PKCS#8 or SEC 1).
func ParsePrivateKeyPEM(raw []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("parsing private key: field=pem rule=must hold a PRIVATE KEY block: %w", ErrMalformed)
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("parsing private key: field=key value=%T rule=must be ECDSA: %w", k, ErrMalformed)
		}
		return ek, nil
	}
	k, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing private key: %v: %w", err, ErrMalformed)
	}
	return k, nil
}

func onlyFile(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) != 1 {
		return "", fmt.Errorf("field=%s value=%d files rule=must hold exactly one file: %w", filepath.Base(dir), len(names), ErrInvalidMSPPath)
	}
	return filepath.Join(dir, names[0]), nil
}

// MSPID is the identity's MSP ID.
func (s *SigningIdentity) MSPID() string { return s.mspID }

// Certificate is the identity's X.509 certificate.
func (s *SigningIdentity) Certificate() *x509.Certificate { return s.cert }

// CertificatePEM is the identity's certificate in PEM form.
func (s *SigningIdentity) CertificatePEM() []byte { return s.certPEM }

// PrivateKey is the identity's key.
func (s *SigningIdentity) PrivateKey() *ecdsa.PrivateKey { return s.key }

// Serialize returns the marshalled msp.SerializedIdentity.
func (s *SigningIdentity) Serialize() ([]byte, error) { return s.serialized, nil }

// Sign signs SHA-256(msg) with a low-S ECDSA signature in DER form.
func (s *SigningIdentity) Sign(msg []byte) ([]byte, error) {
	digest := sha256.Sum256(msg)
	return SignDigest(s.key, digest[:])
}

// SignDigest signs a digest with a low-S ECDSA signature in DER form.
func SignDigest(key *ecdsa.PrivateKey, digest []byte) ([]byte, error) {
	r, sv, err := ecdsa.Sign(rand.Reader, key, digest)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	n := key.Curve.Params().N
	if sv.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		sv = new(big.Int).Sub(n, sv)
	}
	sig, err := asn1.Marshal(struct{ R, S *big.Int }{r, sv})
	if err != nil {
		return nil, errors.Join(errors.New("encoding signature"), err)
	}
	return sig, nil
}
