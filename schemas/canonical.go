package schemas

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/gowebpki/jcs"
)

// HashAlgorithm names the one hash used for record IDs, signatures and
// document anchors.
const HashAlgorithm = "SHA-256"

// Canonical returns the RFC 8785 (JCS) form of v as encoding/json marshals it.
func Canonical(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshalling for canonical form: %w", err)
	}
	out, err := jcs.Transform(raw)
	if err != nil {
		return nil, fmt.Errorf("canonicalizing: %w", err)
	}
	return out, nil
}

// CanonicalJSON returns the RFC 8785 form of raw JSON bytes.
func CanonicalJSON(raw []byte) ([]byte, error) {
	out, err := jcs.Transform(raw)
	if err != nil {
		return nil, fmt.Errorf("canonicalizing: %w", err)
	}
	return out, nil
}

// Digest is SHA-256 of the canonical form of v.
func Digest(v any) ([32]byte, error) {
	c, err := Canonical(v)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(c), nil
}

// touchpointDigest hashes the record without its id and signature.
func touchpointDigest(tp *Touchpoint) ([32]byte, error) {
	c := *tp
	c.ID, c.Signature = "", ""
	return Digest(&c)
}

// RecordID returns hex(SHA-256(JCS(record without "id" and "signature"))).
func RecordID(tp *Touchpoint) (string, error) {
	d, err := touchpointDigest(tp)
	if err != nil {
		return "", fmt.Errorf("computing record id: %w", err)
	}
	return hex.EncodeToString(d[:]), nil
}

// ComplianceID returns the ID of a compliance record: the SHA-256 of its
// canonical form without id, recordedBy, recordedAt and txId.
func ComplianceID(r *ComplianceRecord) (string, error) {
	c := *r
	c.ID, c.RecordedBy, c.RecordedAt, c.TxID = "", nil, "", ""
	d, err := Digest(&c)
	if err != nil {
		return "", fmt.Errorf("computing compliance id: %w", err)
	}
	return hex.EncodeToString(d[:]), nil
}

// SignDigest signs a 32-byte digest with a secp256k1 key and returns the
// 65-byte [R || S || V] signature as 0x-prefixed hex.
func SignDigest(key *ecdsa.PrivateKey, digest []byte) (string, error) {
	sig, err := crypto.Sign(digest, key)
	if err != nil {
		return "", fmt.Errorf("signing digest: %w", err)
	}
	return "0x" + hex.EncodeToString(sig), nil
}

// RecoverAddress returns the EIP-55 address whose key made sigHex over digest.
func RecoverAddress(digest []byte, sigHex string) (string, error) {
	sig, err := decodeSignature(sigHex)
	if err != nil {
		return "", err
	}
	pub, err := crypto.SigToPub(digest, sig)
	if err != nil {
		return "", fmt.Errorf("recovering public key: %w: %v", ErrBadSignature, err)
	}
	return crypto.PubkeyToAddress(*pub).Hex(), nil
}

func decodeSignature(sigHex string) ([]byte, error) {
	if !strings.HasPrefix(sigHex, "0x") || len(sigHex) != 2+2*crypto.SignatureLength {
		return nil, fmt.Errorf("%w: field=signature must be 0x followed by %d hex digits", ErrBadSignature, 2*crypto.SignatureLength)
	}
	sig, err := hex.DecodeString(sigHex[2:])
	if err != nil {
		return nil, fmt.Errorf("%w: field=signature is not hex", ErrBadSignature)
	}
	if sig[64] > 1 {
		return nil, fmt.Errorf("%w: field=signature recovery byte must be 0 or 1, got %d", ErrBadSignature, sig[64])
	}
	return sig, nil
}

// SignRecord sets the record's Signer to the key's address, computes its ID
// and signs the ID's digest (the SHA-256 of the canonical form).
func SignRecord(key *ecdsa.PrivateKey, tp *Touchpoint) error {
	tp.Signer = crypto.PubkeyToAddress(key.PublicKey).Hex()
	d, err := touchpointDigest(tp)
	if err != nil {
		return fmt.Errorf("signing record: %w", err)
	}
	sig, err := SignDigest(key, d[:])
	if err != nil {
		return fmt.Errorf("signing record: %w", err)
	}
	tp.ID = hex.EncodeToString(d[:])
	tp.Signature = sig
	return nil
}

// RecoverSigner checks the record's ID against its canonical form, recovers
// the signing address from the signature and checks it equals the record's
// Signer. It returns the EIP-55 address; failures wrap ErrBadSignature.
func RecoverSigner(tp *Touchpoint) (string, error) {
	d, err := touchpointDigest(tp)
	if err != nil {
		return "", fmt.Errorf("recovering signer: %w", err)
	}
	if want := hex.EncodeToString(d[:]); tp.ID != want {
		return "", fmt.Errorf("%w: id %q is not the hash of the record's canonical form (%s)", ErrBadSignature, tp.ID, want)
	}
	addr, err := RecoverAddress(d[:], tp.Signature)
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(addr, tp.Signer) {
		return "", fmt.Errorf("%w: signature recovers to %s, not signer %s", ErrBadSignature, addr, tp.Signer)
	}
	return addr, nil
}

// PublicKeyAddress parses a 0x-hex secp256k1 public key (65-byte uncompressed
// or 33-byte compressed) and returns its EIP-55 address.
func PublicKeyAddress(field, pubHex string) (string, error) {
	if !strings.HasPrefix(pubHex, "0x") {
		return "", fieldErr(field, pubHex, "public key must be 0x-prefixed hex")
	}
	b, err := hex.DecodeString(pubHex[2:])
	if err != nil {
		return "", fieldErr(field, pubHex, "public key must be 0x-prefixed hex")
	}
	var pub *ecdsa.PublicKey
	switch len(b) {
	case 65:
		pub, err = crypto.UnmarshalPubkey(b)
	case 33:
		pub, err = crypto.DecompressPubkey(b)
	default:
		return "", fieldErr(field, pubHex, "secp256k1 public key must be 33 or 65 bytes, got %d", len(b))
	}
	if err != nil {
		return "", fieldErr(field, pubHex, "not a point on secp256k1")
	}
	return crypto.PubkeyToAddress(*pub).Hex(), nil
}

// PublicKeyHex returns the uncompressed 0x-hex form of a public key, as
// SigningKey.PublicKey expects.
func PublicKeyHex(pub *ecdsa.PublicKey) string {
	return "0x" + hex.EncodeToString(crypto.FromECDSAPub(pub))
}

// NewSigningKey describes key as a SigningKey (address and public key) for
// registration.
func NewSigningKey(key *ecdsa.PrivateKey, label string) SigningKey {
	return SigningKey{
		Address:   crypto.PubkeyToAddress(key.PublicKey).Hex(),
		PublicKey: PublicKeyHex(&key.PublicKey),
		Label:     label,
	}
}
