package bundle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/schemas"
)

// TrustAnchor is what the auditor trusts without the bundle's word for it:
// a block header hash they obtained independently (from their own peer,
// from a published checkpoint, the channel's genesis block) and, optionally,
// the SHA-256 fingerprints of the CA certificates they accept.
type TrustAnchor struct {
	// Block and Hash name a trusted header; HasBlock says they are set.
	HasBlock bool
	Block    uint64
	Hash     []byte
	// CAFingerprints, if not empty, lists the only root CA certificates
	// (hex SHA-256 of the DER bytes) the bundle may rely on.
	CAFingerprints []string
}

// ParseTrustAnchor reads "NUMBER:HEXHASH", the form Verdict prints and
// `aeoledger audit verify --trust-anchor` takes.
// Errors are *schemas.FieldError naming the field "trust-anchor".
func ParseTrustAnchor(s string) (TrustAnchor, error) {
	num, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return TrustAnchor{}, &schemas.FieldError{Field: "trust-anchor", Value: s, Rule: "must be BLOCK:HEADERHASH (block number, colon, 64 hex digits)"}
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return TrustAnchor{}, &schemas.FieldError{Field: "trust-anchor", Value: s, Rule: "block number must be a decimal integer"}
	}
	h, err := hex.DecodeString(hash)
	if err != nil || len(h) != sha256.Size {
		return TrustAnchor{}, &schemas.FieldError{Field: "trust-anchor", Value: s, Rule: "header hash must be 64 hex digits"}
	}
	return TrustAnchor{HasBlock: true, Block: n, Hash: h}, nil
}

// String renders the anchor as ParseTrustAnchor reads it.
func (t TrustAnchor) String() string {
	if !t.HasBlock {
		return "none"
	}
	return fmt.Sprintf("%d:%x", t.Block, t.Hash)
}

// CertFingerprint is the fingerprint TrustAnchor.CAFingerprints holds: hex
// SHA-256 of a certificate's DER bytes.
func CertFingerprint(der []byte) string { return sha256Hex(der) }

// String renders the checkpoint as ParseTrustAnchor reads it.
func (c Checkpoint) String() string { return fmt.Sprintf("%d:%s", c.Block, c.Hash) }

// WithHash returns a copy with another hash (tests, tools).
func (c Checkpoint) WithHash(h string) Checkpoint { c.Hash = h; return c }

// WithBlock returns a copy with another block number (tests, tools).
func (c Checkpoint) WithBlock(n uint64) Checkpoint { c.Block = n; return c }

// AnchorOf is the trust anchor naming a block header, e.g. the chain head
// read from the auditor's own peer.
func AnchorOf(h *common.BlockHeader) TrustAnchor {
	return TrustAnchor{HasBlock: true, Block: h.GetNumber(), Hash: ledger.BlockHeaderHash(h)}
}

// HeadAnchor streams src from block from and returns the anchor of the last
// block: the chain head now. Pass a recent block number as from to avoid
// reading the whole chain.
func HeadAnchor(ctx context.Context, src Source, from uint64) (TrustAnchor, error) {
	var last *common.BlockHeader
	for blk, err := range src.Blocks(ctx, from) {
		if err != nil {
			return TrustAnchor{}, fmt.Errorf("reading chain head: %w", err)
		}
		last = blk.GetHeader()
	}
	if last == nil {
		return TrustAnchor{}, fmt.Errorf("reading chain head: %w: no block at or after %d", ErrNotFound, from)
	}
	return AnchorOf(last), nil
}
