package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Tx is a transaction envelope taken apart, as found in a block's data.
type Tx struct {
	Envelope        *common.Envelope
	Payload         *common.Payload
	ChannelHeader   *common.ChannelHeader
	SignatureHeader *common.SignatureHeader

	TxID      string
	ChannelID string
	Type      common.HeaderType
	Timestamp *timestamppb.Timestamp
	Creator   []byte // marshalled msp.SerializedIdentity of the submitter
	Nonce     []byte

	// The fields below are set for ENDORSER_TRANSACTION only.

	// ChaincodeProposalPayload is the proposal payload the transaction
	// carries (the endorsed proposal hash covers it and the headers).
	ChaincodeProposalPayload []byte
	// ProposalResponsePayload is what every endorser signed.
	ProposalResponsePayload []byte
	// ProposalHash is the proposal hash inside ProposalResponsePayload.
	ProposalHash []byte
	Endorsements []*peer.Endorsement
	ChaincodeID  *peer.ChaincodeID
	Response     *peer.Response
	Event        *peer.ChaincodeEvent // nil if none was set
	RWSet        *rwset.TxReadWriteSet
	NsRWSets     []NsRWSet
}

// NsRWSet is one namespace's decoded read/write set.
type NsRWSet struct {
	Namespace string
	KV        *kvrwset.KVRWSet
}

// ComputeTxID returns Fabric's transaction ID: hex(SHA-256(nonce ++ creator)).
func ComputeTxID(nonce, creator []byte) string {
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	return hex.EncodeToString(h.Sum(nil))
}

// ParseEnvelopeBytes unmarshals and parses a block data entry.
func ParseEnvelopeBytes(raw []byte) (*Tx, error) {
	env := &common.Envelope{}
	if err := proto.Unmarshal(raw, env); err != nil {
		return nil, fmt.Errorf("parsing envelope: %w", err)
	}
	return ParseEnvelope(env)
}

// ParseEnvelope takes apart a CONFIG or ENDORSER_TRANSACTION envelope. For
// endorser transactions it decodes the single action's chaincode action:
// response, event and read/write set. Errors wrap ErrInvalid and name the
// part that failed.
func ParseEnvelope(env *common.Envelope) (*Tx, error) {
	if env == nil {
		return nil, invalid("envelope", "<nil>", "must not be nil")
	}
	tx := &Tx{Envelope: env, Payload: &common.Payload{}}
	if err := proto.Unmarshal(env.GetPayload(), tx.Payload); err != nil {
		return nil, fmt.Errorf("parsing envelope payload: %w: %w", ErrInvalid, err)
	}
	hdr := tx.Payload.GetHeader()
	if hdr == nil {
		return nil, invalid("payload.header", "<nil>", "must be present")
	}
	tx.ChannelHeader = &common.ChannelHeader{}
	if err := proto.Unmarshal(hdr.GetChannelHeader(), tx.ChannelHeader); err != nil {
		return nil, fmt.Errorf("parsing channel header: %w: %w", ErrInvalid, err)
	}
	tx.SignatureHeader = &common.SignatureHeader{}
	if err := proto.Unmarshal(hdr.GetSignatureHeader(), tx.SignatureHeader); err != nil {
		return nil, fmt.Errorf("parsing signature header: %w: %w", ErrInvalid, err)
	}
	ch := tx.ChannelHeader
	tx.TxID, tx.ChannelID, tx.Type = ch.GetTxId(), ch.GetChannelId(), common.HeaderType(ch.GetType())
	tx.Timestamp = ch.GetTimestamp()
	tx.Creator, tx.Nonce = tx.SignatureHeader.GetCreator(), tx.SignatureHeader.GetNonce()

	switch tx.Type {
	case common.HeaderType_CONFIG:
		return tx, nil
	case common.HeaderType_ENDORSER_TRANSACTION:
	default:
		return nil, invalid("channel_header.type", tx.Type.String(), "must be ENDORSER_TRANSACTION or CONFIG")
	}
	if err := tx.parseEndorserTx(); err != nil {
		return nil, err
	}
	return tx, nil
}

func (tx *Tx) parseEndorserTx() error {
	trans := &peer.Transaction{}
	if err := proto.Unmarshal(tx.Payload.GetData(), trans); err != nil {
		return fmt.Errorf("parsing transaction: %w: %w", ErrInvalid, err)
	}
	if n := len(trans.GetActions()); n != 1 {
		return invalid("transaction.actions", fmt.Sprint(n), "must hold exactly one action")
	}
	cap := &peer.ChaincodeActionPayload{}
	if err := proto.Unmarshal(trans.GetActions()[0].GetPayload(), cap); err != nil {
		return fmt.Errorf("parsing chaincode action payload: %w: %w", ErrInvalid, err)
	}
	if cap.GetAction() == nil {
		return invalid("chaincode_action_payload.action", "<nil>", "must be present")
	}
	tx.ChaincodeProposalPayload = cap.GetChaincodeProposalPayload()
	tx.ProposalResponsePayload = cap.GetAction().GetProposalResponsePayload()
	tx.Endorsements = cap.GetAction().GetEndorsements()
	prp := &peer.ProposalResponsePayload{}
	if err := proto.Unmarshal(tx.ProposalResponsePayload, prp); err != nil {
		return fmt.Errorf("parsing proposal response payload: %w: %w", ErrInvalid, err)
	}
	tx.ProposalHash = prp.GetProposalHash()
	act := &peer.ChaincodeAction{}
	if err := proto.Unmarshal(prp.GetExtension(), act); err != nil {
		return fmt.Errorf("parsing chaincode action: %w: %w", ErrInvalid, err)
	}
	tx.ChaincodeID, tx.Response = act.GetChaincodeId(), act.GetResponse()
	if len(act.GetEvents()) > 0 {
		ev := &peer.ChaincodeEvent{}
		if err := proto.Unmarshal(act.GetEvents(), ev); err != nil {
			return fmt.Errorf("parsing chaincode event: %w: %w", ErrInvalid, err)
		}
		tx.Event = ev
	}
	set, nsSets, err := ParseRWSet(act.GetResults())
	if err != nil {
		return err
	}
	tx.RWSet, tx.NsRWSets = set, nsSets
	return nil
}

// ParseRWSet decodes a marshalled rwset.TxReadWriteSet with its KV sets.
func ParseRWSet(raw []byte) (*rwset.TxReadWriteSet, []NsRWSet, error) {
	set := &rwset.TxReadWriteSet{}
	if err := proto.Unmarshal(raw, set); err != nil {
		return nil, nil, fmt.Errorf("parsing read/write set: %w: %w", ErrInvalid, err)
	}
	out := make([]NsRWSet, 0, len(set.GetNsRwset()))
	for _, ns := range set.GetNsRwset() {
		kv := &kvrwset.KVRWSet{}
		if err := proto.Unmarshal(ns.GetRwset(), kv); err != nil {
			return nil, nil, fmt.Errorf("parsing read/write set of %q: %w: %w", ns.GetNamespace(), ErrInvalid, err)
		}
		if len(ns.GetCollectionHashedRwset()) > 0 {
			return nil, nil, invalid("ns_rwset.collection_hashed_rwset", ns.GetNamespace(), "private data is not supported")
		}
		out = append(out, NsRWSet{Namespace: ns.GetNamespace(), KV: kv})
	}
	return set, out, nil
}
