package peer

import (
	"crypto/sha256"
	"path/filepath"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/ledger"
)

func TestIssuedEndorsementsAcceptOnlyTheExactSignedBytesOnce(t *testing.T) {
	e := NewIssuedEndorsements(0)
	e.add([]byte("sig-1"), []byte("payload||endorser"))
	require.False(t, e.take([]byte("sig-2"), []byte("payload||endorser")), "another signature")
	require.True(t, e.take([]byte("sig-1"), []byte("payload||endorser")))
	require.False(t, e.take([]byte("sig-1"), []byte("payload||endorser")), "a second commit of the same endorsement")

	e.add([]byte("sig-3"), []byte("payload||endorser"))
	require.False(t, e.take([]byte("sig-3"), []byte("payload changed||endorser")))
	require.Zero(t, e.Len())

	var none *IssuedEndorsements
	none.add([]byte("sig"), []byte("x"))
	require.False(t, none.take([]byte("sig"), []byte("x")), "a nil memo accepts nothing")
}

func TestIssuedEndorsementsStayBounded(t *testing.T) {
	e := NewIssuedEndorsements(3)
	for i := range 10 {
		e.add([]byte{byte(i)}, []byte{byte(i)})
		require.LessOrEqual(t, e.Len(), 6)
	}
	require.False(t, e.take([]byte{0}, []byte{0}), "the oldest generation was dropped")
	require.True(t, e.take([]byte{9}, []byte{9}))
	require.True(t, e.take([]byte{7}, []byte{7}), "the previous generation is still consulted")
}

// TestValidatorTrustsOnlyItsOwnIssuedBytes builds transactions by hand: an
// endorsement with a garbage signature passes only when the memo holds that
// signature over exactly the signed bytes (showing the memo is what
// accepted it), and the same memo does not help a changed payload.
func TestValidatorTrustsOnlyItsOwnIssuedBytes(t *testing.T) {
	n, err := devnet.Init(filepath.Join(t.TempDir(), "net"), devnet.Options{})
	require.NoError(t, err)
	mgr, err := n.LoadMSPs()
	require.NoError(t, err)
	endorser, err := n.PeerSigner()
	require.NoError(t, err)
	endorserID, err := endorser.Serialize()
	require.NoError(t, err)

	tx := func(payload string, sig []byte) *ledger.Tx {
		hdr := &common.Header{ChannelHeader: []byte("channel header"), SignatureHeader: []byte("signature header")}
		h := sha256.New()
		h.Write(hdr.ChannelHeader)
		h.Write(hdr.SignatureHeader)
		h.Write([]byte("proposal payload"))
		return &ledger.Tx{
			Payload:                  &common.Payload{Header: hdr},
			ChaincodeProposalPayload: []byte("proposal payload"),
			ProposalHash:             h.Sum(nil),
			ProposalResponsePayload:  []byte(payload),
			Endorsements:             []*pb.Endorsement{{Endorser: endorserID, Signature: sig}},
		}
	}
	signed := func(payload string) []byte { return append([]byte(payload), endorserID...) }
	garbage := []byte("not an ECDSA signature")

	issued := NewIssuedEndorsements(0)
	validate := EndorsementValidator(mgr, n.AppOrgIDs(), issued)
	require.Equal(t, pb.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, validate(tx("result", garbage)), "not issued: verified, and fails")

	issued.add(garbage, signed("result"))
	require.Equal(t, pb.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, validate(tx("changed result", garbage)))
	issued.add(garbage, signed("result"))
	require.Equal(t, pb.TxValidationCode_VALID, validate(tx("result", garbage)))

	good, err := endorser.Sign(signed("result"))
	require.NoError(t, err)
	require.Equal(t, pb.TxValidationCode_VALID, EndorsementValidator(mgr, n.AppOrgIDs(), nil)(tx("result", good)), "without a memo every signature is verified")
	require.Equal(t, pb.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, EndorsementValidator(mgr, n.AppOrgIDs(), nil)(tx("changed", good)))
}
