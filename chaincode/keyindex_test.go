package chaincode_test

import (
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/schemas"
)

// stateOf returns the value stored under a composite key.
func (e *env) stateOf(obj string, attrs ...string) []byte {
	e.t.Helper()
	k, err := shim.CreateCompositeKey(obj, attrs)
	require.NoError(e.t, err)
	e.l.mu.Lock()
	defer e.l.mu.Unlock()
	return append([]byte(nil), e.l.state[k]...)
}

// requireKeyIndexMatches checks that every key of the partner indexes
// exactly the stored partner.
func (e *env) requireKeyIndexMatches(partnerID string) {
	e.t.Helper()
	stored := e.stateOf("aeo.partner", partnerID)
	var p schemas.Partner
	require.NoError(e.t, json.Unmarshal(stored, &p))
	require.NotEmpty(e.t, p.Keys)
	for _, k := range p.Keys {
		require.JSONEq(e.t, string(stored), string(e.stateOf("aeo.key", k.Address)), "index of key %s", k.Address)
	}
}

// TestKeyIndexHoldsThePartnerThroughEveryChange: a touchpoint reads its
// signer's partner from the key index, so the index must follow every
// partner change, and a change must take effect for touchpoints at once.
func TestKeyIndexHoldsThePartnerThroughEveryChange(t *testing.T) {
	e := newEnv(t)
	e.requireKeyIndexMatches("carrier")
	oldKey := e.keys["carrier"]
	oldAddr := crypto.PubkeyToAddress(oldKey.PublicKey).Hex()

	spare, _ := crypto.GenerateKey()
	e.ok("Carrier/admin", "AddKey", "carrier", mustJSON(t, schemas.NewSigningKey(spare, "spare")))
	e.requireKeyIndexMatches("carrier")

	next, _ := crypto.GenerateKey()
	e.ok("Carrier/admin", "RotateKey", "carrier", oldAddr, mustJSON(t, schemas.NewSigningKey(next, "next")))
	e.requireKeyIndexMatches("carrier")
	var p schemas.Partner
	require.NoError(t, json.Unmarshal(e.stateOf("aeo.partner", "carrier"), &p))
	revoked := p.Key(oldAddr)
	require.NotEmpty(t, revoked.RevokedAt)
	e.refused(`FORBIDDEN: recording touchpoint: key `+schemas.NormalizeAddress(oldAddr)+` of partner "carrier" was revoked at `+revoked.RevokedAt,
		"Carrier/user1", "RecordTouchpoint", mustJSON(t, e.touchpoint("carrier", container("gate-in"), nil)))

	e.keys["carrier"] = next
	e.ok("Carrier/user1", "RecordTouchpoint", mustJSON(t, e.touchpoint("carrier", container("gate-in"), nil)))
	e.ok("Carrier/admin", "SetPartnerStatus", "carrier", "suspended", "audit")
	e.requireKeyIndexMatches("carrier")
	e.refused(`FORBIDDEN: recording touchpoint: partner "carrier" is suspended`,
		"Carrier/user1", "RecordTouchpoint", mustJSON(t, e.touchpoint("carrier", container("loaded"), nil)))
	e.ok("Carrier/admin", "SetPartnerStatus", "carrier", "active", "audit done")
	e.requireKeyIndexMatches("carrier")
	e.ok("Carrier/user1", "RecordTouchpoint", mustJSON(t, e.touchpoint("carrier", container("loaded"), nil)))
}

// TestKeyIndexEntriesHoldingOnlyThePartnerIDStillWork: entries written
// before the index held the partner are read by loading the partner.
func TestKeyIndexEntriesHoldingOnlyThePartnerIDStillWork(t *testing.T) {
	e := newEnv(t)
	addr := schemas.NormalizeAddress(crypto.PubkeyToAddress(e.keys["carrier"].PublicKey).Hex())
	k, err := shim.CreateCompositeKey("aeo.key", []string{addr})
	require.NoError(t, err)
	e.l.mu.Lock()
	e.l.state[k] = []byte("carrier")
	e.l.mu.Unlock()

	var p schemas.Partner
	e.okInto(&p, "Customs/user1", "GetPartnerByKey", addr)
	require.Equal(t, "carrier", p.ID)
	e.ok("Carrier/user1", "RecordTouchpoint", mustJSON(t, e.touchpoint("carrier", container("gate-in"), nil)))
	e.refused(`DUPLICATE: adding key: key `+addr+` is already registered to partner "carrier"`,
		"Carrier/admin", "AddKey", "carrier", mustJSON(t, schemas.NewSigningKey(e.keys["carrier"], "again")))
}
