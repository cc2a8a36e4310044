package chaincode

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/aeoledger/aeoledger/internal/genmap"
	"github.com/aeoledger/aeoledger/schemas"
)

// verifiedGeneration bounds the memo of checked touchpoints: it holds at most
// two generations of this many entries (about 100 bytes each).
const verifiedGeneration = 4096

// newVerified returns the memo of checked touchpoints: by the SHA-256 of the
// submitted JSON, the signer recovered from touchpoints that passed the
// checks that depend on those bytes alone (schema validation, the type's
// own rules, signature recovery). On Fabric every endorsing peer runs the
// contract on the same proposal, one after the other, and a chaincode
// server usually serves several peers; the second run then decodes the JSON
// and skips the schema walk and the secp256k1 recovery, whose results
// cannot differ. Nothing that reads the ledger is remembered, and failures
// are not remembered.
func newVerified() *genmap.Map[[sha256.Size]byte, string] {
	return genmap.New[[sha256.Size]byte, string](verifiedGeneration)
}

// checkTouchpoint runs checks 1 and 2 of RecordTouchpoint (the record
// validates; its ID and signature are good) and returns the record and its
// recovered signer. Bytes that passed before are only decoded.
func (c *Contract) checkTouchpoint(recordJSON string) (*schemas.Touchpoint, string, error) {
	raw := []byte(recordJSON)
	d := sha256.Sum256(raw)
	if signer, ok := c.verified.Get(d); ok {
		tp := new(schemas.Touchpoint)
		if err := json.Unmarshal(raw, tp); err != nil {
			return nil, "", fmt.Errorf("decoding a checked touchpoint: %w", err)
		}
		return tp, signer, nil
	}
	tp, signer, err := checkTouchpointBytes(raw)
	if err != nil {
		return nil, "", err
	}
	c.verified.Add(d, signer)
	return tp, signer, nil
}

// checkTouchpointBytes is checkTouchpoint without the memo.
func checkTouchpointBytes(raw []byte) (*schemas.Touchpoint, string, error) {
	tp, err := schemas.ParseTouchpoint(raw)
	if err != nil {
		return nil, "", err
	}
	if tp.Incident != nil && tp.Incident.Generated {
		return nil, "", invalid("incident.generated", "true", "only the contract creates generated incidents")
	}
	if tp.Signature == "" {
		return nil, "", fail(ErrBadSignature, "field=signature is missing")
	}
	signer, err := schemas.RecoverSigner(tp)
	if err != nil {
		return nil, "", err
	}
	return tp, signer, nil
}
