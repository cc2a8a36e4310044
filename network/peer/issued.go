package peer

import (
	"crypto/sha256"

	"github.com/aeoledger/aeoledger/internal/genmap"
)

// IssuedEndorsements remembers the endorsements this node handed out for
// transactions (Endorse, not Evaluate) until the validator meets them at
// commit. An endorsement whose signature bytes this
// node produced over exactly the bytes the validator is about to check is
// valid by construction, so the validator accepts it after a SHA-256 and a
// map lookup instead of an ECDSA verification (about 100 µs of CPU per
// transaction on the development machine). Anything else (another
// endorser's signature, changed bytes, an endorsement issued before a
// restart or evicted) is verified in full.
//
// It holds at most twice its capacity: when the current generation is full
// it becomes the previous one and the older generation is dropped, so
// endorsements a client never submitted cannot accumulate.
type IssuedEndorsements struct {
	sigs *genmap.Map[string, [sha256.Size]byte] // signature -> SHA-256 of the signed bytes
}

// DefaultIssuedCapacity is the generation size NewIssuedEndorsements uses
// for a non-positive capacity: far more endorsements than a node has in
// flight between endorsement and commit.
const DefaultIssuedCapacity = 1 << 16

// NewIssuedEndorsements returns an empty memo whose generations hold
// capacity signatures each.
func NewIssuedEndorsements(capacity int) *IssuedEndorsements {
	if capacity <= 0 {
		capacity = DefaultIssuedCapacity
	}
	return &IssuedEndorsements{sigs: genmap.New[string, [sha256.Size]byte](capacity)}
}

// add records that this node signed signed, producing sig.
func (e *IssuedEndorsements) add(sig, signed []byte) {
	if e == nil {
		return
	}
	e.sigs.Add(string(sig), sha256.Sum256(signed))
}

// take reports whether this node signed exactly signed with sig, and
// forgets the entry (a transaction commits once).
func (e *IssuedEndorsements) take(sig, signed []byte) bool {
	if e == nil {
		return false
	}
	sum, ok := e.sigs.Take(string(sig))
	return ok && sum == sha256.Sum256(signed)
}

// Len returns how many endorsements are remembered.
func (e *IssuedEndorsements) Len() int { return e.sigs.Len() }
