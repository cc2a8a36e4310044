package peer

import (
	"bytes"
	"crypto/sha256"

	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/network/msp"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// EndorsementValidator returns the commit-time check for
// ledger.Options.Validate that plays the part of Fabric's transaction
// validation and validation system chaincode:
//   - the endorsed proposal hash must match the transaction's own headers
//     and chaincode proposal payload (so an endorsed result cannot be
//     replayed under another creator or input), else
//     INVALID_ENDORSER_TRANSACTION;
//   - at least one endorsement must come from a peer of an application org
//     and verify over ProposalResponsePayload||endorser (the embedded
//     network's endorsement policy), else ENDORSEMENT_POLICY_FAILURE.
//
// issued, when not nil, holds the endorsements this node signed; one of
// them over exactly the bytes checked here is accepted without a second
// ECDSA verification (see IssuedEndorsements).
//
// The transaction ID (SHA-256(nonce||creator), else BAD_PROPOSAL_TXID) is
// checked by the ledger itself before this code is looked at, so it is not
// checked again here. The creator's signature over the envelope was checked
// by Submit, the only way in. Invalid transactions stay in the block and
// their writes are dropped, as on Fabric.
func EndorsementValidator(mgr *msp.Manager, appOrgs []string, issued *IssuedEndorsements) func(*ledger.Tx) pb.TxValidationCode {
	apps := map[string]bool{}
	for _, id := range appOrgs {
		apps[id] = true
	}
	return func(tx *ledger.Tx) pb.TxValidationCode {
		if !proposalHashMatches(tx) {
			return pb.TxValidationCode_INVALID_ENDORSER_TRANSACTION
		}
		for _, e := range tx.Endorsements {
			id, err := mgr.Deserialize(e.GetEndorser())
			if err != nil || !apps[id.MSPID] || (id.Role != msp.RolePeer && id.Role != msp.RoleMember) {
				continue
			}
			signed := make([]byte, 0, len(tx.ProposalResponsePayload)+len(e.GetEndorser()))
			signed = append(append(signed, tx.ProposalResponsePayload...), e.GetEndorser()...)
			if issued.take(e.GetSignature(), signed) || id.Verify(signed, e.GetSignature()) == nil {
				return pb.TxValidationCode_VALID
			}
		}
		return pb.TxValidationCode_ENDORSEMENT_POLICY_FAILURE
	}
}

// proposalHashMatches recomputes the proposal hash the endorser signed:
// SHA-256(channel header || signature header || chaincode proposal payload).
// ledger.ParseEnvelope has already checked that the transaction has exactly
// one action and decoded its payload and proposal response payload.
func proposalHashMatches(tx *ledger.Tx) bool {
	h := sha256.New()
	h.Write(tx.Payload.GetHeader().GetChannelHeader())
	h.Write(tx.Payload.GetHeader().GetSignatureHeader())
	h.Write(tx.ChaincodeProposalPayload)
	return bytes.Equal(h.Sum(nil), tx.ProposalHash)
}
