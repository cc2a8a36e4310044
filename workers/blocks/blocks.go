// Package blocks parses committed Hyperledger Fabric blocks (common.Block, as
// delivered by a peer's Deliver service or fabric-gateway's BlockEvents) into
// plain Go values: per transaction its ID, channel, timestamp, creator,
// validation code, chaincode invocation, chaincode event and write set.
//
// The same code reads blocks from the embedded peer and from a real Fabric
// network, since both emit the same protobuf messages. Only transactions
// whose validation code is VALID changed the world state; callers that
// project the ledger must ignore the others (see Transaction.Valid).
package blocks

import (
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/aeoledger/aeoledger/network/ledger"
)

// ErrMalformed is wrapped by every error about a block whose bytes do not
// form the messages Fabric defines.
var ErrMalformed = errors.New("malformed block")

// Block is a parsed committed block.
type Block struct {
	Number uint64
	// Hash is ledger.BlockHeaderHash of this block's header; the next block's
	// PreviousHash must equal it.
	Hash         []byte
	PreviousHash []byte
	DataHash     []byte
	Transactions []Transaction
}

// Transaction is one entry of a block's data, in block order.
type Transaction struct {
	// Index is the position of the transaction in the block (0-based).
	Index int
	ID    string
	// Channel is the channel ID from the channel header.
	Channel string
	// Type is the channel header type: ENDORSER_TRANSACTION for chaincode
	// invocations, CONFIG for channel configuration.
	Type common.HeaderType
	// Timestamp is the client-chosen proposal time from the channel header.
	Timestamp time.Time
	Creator   Identity
	// ValidationCode comes from the block's TRANSACTIONS_FILTER metadata.
	// A block without that metadata (not validated by a peer) yields
	// NOT_VALIDATED for every transaction.
	ValidationCode peer.TxValidationCode
	// Chaincode is the name of the invoked chaincode; empty for
	// non-endorser transactions.
	Chaincode string
	// Args are the invocation arguments (function name first), as kept in
	// the committed transaction.
	Args [][]byte
	// Event is the chaincode event the transaction set, or nil.
	Event *Event
	// Writes is the public write set across all namespaces, in rwset order.
	Writes []Write
}

// Valid reports whether the peer validated the transaction, so that its
// writes and event are part of the ledger's state.
func (t *Transaction) Valid() bool {
	return t.ValidationCode == peer.TxValidationCode_VALID
}

// Function returns the invoked function name (the first argument), or "".
func (t *Transaction) Function() string {
	if len(t.Args) == 0 {
		return ""
	}
	return string(t.Args[0])
}

// Identity is a Fabric serialized identity: the MSP ID and the PEM bytes of
// the X.509 certificate.
type Identity struct {
	MSPID string
	Cert  []byte
}

// Event is a chaincode event.
type Event struct {
	Chaincode string
	Name      string
	Payload   []byte
}

// Write is one key written (or deleted) by a transaction.
type Write struct {
	Namespace string
	Key       string
	Value     []byte
	IsDelete  bool
}

// ParseBytes unmarshals a serialized common.Block and parses it.
func ParseBytes(raw []byte) (*Block, error) {
	var b common.Block
	if err := proto.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("unmarshalling block: %w: %w", ErrMalformed, err)
	}
	return Parse(&b)
}

// Parse parses a committed block. It fails on a block without a header, on
// a TRANSACTIONS_FILTER whose length differs from the number of
// transactions, and on a transaction marked VALID whose bytes cannot be
// parsed. Transactions marked invalid whose bytes cannot be parsed are
// returned with what could be read, since Fabric commits such envelopes
// with codes like BAD_PAYLOAD.
func Parse(b *common.Block) (*Block, error) {
	if b.GetHeader() == nil {
		return nil, fmt.Errorf("parsing block: header is missing: %w", ErrMalformed)
	}
	number := b.GetHeader().GetNumber()
	envelopes := b.GetData().GetData()
	flags, err := validationFlags(b, len(envelopes))
	if err != nil {
		return nil, fmt.Errorf("parsing block %d: %w", number, err)
	}
	out := &Block{
		Number:       number,
		Hash:         ledger.BlockHeaderHash(b.GetHeader()),
		PreviousHash: b.GetHeader().GetPreviousHash(),
		DataHash:     b.GetHeader().GetDataHash(),
		Transactions: make([]Transaction, len(envelopes)),
	}
	for i, raw := range envelopes {
		tx := &out.Transactions[i]
		tx.Index = i
		tx.ValidationCode = flags[i]
		if err := parseEnvelope(raw, tx); err != nil && tx.Valid() {
			return nil, fmt.Errorf("parsing block %d tx %d: %w: %w", number, i, ErrMalformed, err)
		}
	}
	return out, nil
}

// validationFlags reads the TRANSACTIONS_FILTER metadata: one byte per
// transaction holding a peer.TxValidationCode.
func validationFlags(b *common.Block, txCount int) ([]peer.TxValidationCode, error) {
	flags := make([]peer.TxValidationCode, txCount)
	meta := b.GetMetadata().GetMetadata()
	idx := int(common.BlockMetadataIndex_TRANSACTIONS_FILTER)
	if len(meta) <= idx || len(meta[idx]) == 0 {
		for i := range flags {
			flags[i] = peer.TxValidationCode_NOT_VALIDATED
		}
		return flags, nil
	}
	filter := meta[idx]
	if len(filter) != txCount {
		return nil, fmt.Errorf("reading TRANSACTIONS_FILTER: it has %d entries for %d transactions: %w", len(filter), txCount, ErrMalformed)
	}
	for i, f := range filter {
		flags[i] = peer.TxValidationCode(f)
	}
	return flags, nil
}

// parseEnvelope fills tx from one envelope. It fills as much as it can read
// before returning an error.
func parseEnvelope(raw []byte, tx *Transaction) error {
	var env common.Envelope
	if err := proto.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("unmarshalling envelope: %w", err)
	}
	var payload common.Payload
	if err := proto.Unmarshal(env.GetPayload(), &payload); err != nil {
		return fmt.Errorf("unmarshalling payload: %w", err)
	}
	if payload.GetHeader() == nil {
		return errors.New("reading payload: header is missing")
	}
	var chdr common.ChannelHeader
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &chdr); err != nil {
		return fmt.Errorf("unmarshalling channel header: %w", err)
	}
	tx.ID = chdr.GetTxId()
	tx.Channel = chdr.GetChannelId()
	tx.Type = common.HeaderType(chdr.GetType())
	if ts := chdr.GetTimestamp(); ts != nil {
		tx.Timestamp = ts.AsTime().UTC()
	}
	var shdr common.SignatureHeader
	if err := proto.Unmarshal(payload.GetHeader().GetSignatureHeader(), &shdr); err != nil {
		return fmt.Errorf("unmarshalling signature header: %w", err)
	}
	var id msp.SerializedIdentity
	if err := proto.Unmarshal(shdr.GetCreator(), &id); err != nil {
		return fmt.Errorf("unmarshalling creator: %w", err)
	}
	tx.Creator = Identity{MSPID: id.GetMspid(), Cert: id.GetIdBytes()}
	if tx.Type != common.HeaderType_ENDORSER_TRANSACTION {
		return nil
	}
	return parseEndorserTransaction(payload.GetData(), tx)
}

func parseEndorserTransaction(data []byte, tx *Transaction) error {
	var etx peer.Transaction
	if err := proto.Unmarshal(data, &etx); err != nil {
		return fmt.Errorf("unmarshalling transaction: %w", err)
	}
	// Fabric's validator rejects endorser transactions that do not carry
	// exactly one action, so a VALID one always has a single action.
	if n := len(etx.GetActions()); n != 1 {
		return fmt.Errorf("reading transaction: it has %d actions, want 1", n)
	}
	var actionPayload peer.ChaincodeActionPayload
	if err := proto.Unmarshal(etx.GetActions()[0].GetPayload(), &actionPayload); err != nil {
		return fmt.Errorf("unmarshalling chaincode action payload: %w", err)
	}
	var cpp peer.ChaincodeProposalPayload
	if err := proto.Unmarshal(actionPayload.GetChaincodeProposalPayload(), &cpp); err != nil {
		return fmt.Errorf("unmarshalling chaincode proposal payload: %w", err)
	}
	var cis peer.ChaincodeInvocationSpec
	if err := proto.Unmarshal(cpp.GetInput(), &cis); err != nil {
		return fmt.Errorf("unmarshalling chaincode invocation spec: %w", err)
	}
	tx.Chaincode = cis.GetChaincodeSpec().GetChaincodeId().GetName()
	tx.Args = cis.GetChaincodeSpec().GetInput().GetArgs()

	var prp peer.ProposalResponsePayload
	if err := proto.Unmarshal(actionPayload.GetAction().GetProposalResponsePayload(), &prp); err != nil {
		return fmt.Errorf("unmarshalling proposal response payload: %w", err)
	}
	var action peer.ChaincodeAction
	if err := proto.Unmarshal(prp.GetExtension(), &action); err != nil {
		return fmt.Errorf("unmarshalling chaincode action: %w", err)
	}
	if tx.Chaincode == "" {
		tx.Chaincode = action.GetChaincodeId().GetName()
	}
	if len(action.GetEvents()) > 0 {
		var ev peer.ChaincodeEvent
		if err := proto.Unmarshal(action.GetEvents(), &ev); err != nil {
			return fmt.Errorf("unmarshalling chaincode event: %w", err)
		}
		if ev.GetEventName() != "" {
			tx.Event = &Event{Chaincode: ev.GetChaincodeId(), Name: ev.GetEventName(), Payload: ev.GetPayload()}
		}
	}
	writes, err := parseWrites(action.GetResults())
	if err != nil {
		return err
	}
	tx.Writes = writes
	return nil
}

func parseWrites(results []byte) ([]Write, error) {
	if len(results) == 0 {
		return nil, nil
	}
	var txrw rwset.TxReadWriteSet
	if err := proto.Unmarshal(results, &txrw); err != nil {
		return nil, fmt.Errorf("unmarshalling read-write set: %w", err)
	}
	var writes []Write
	for _, ns := range txrw.GetNsRwset() {
		var kv kvrwset.KVRWSet
		if err := proto.Unmarshal(ns.GetRwset(), &kv); err != nil {
			return nil, fmt.Errorf("unmarshalling read-write set of namespace %q: %w", ns.GetNamespace(), err)
		}
		for _, w := range kv.GetWrites() {
			writes = append(writes, Write{
				Namespace: ns.GetNamespace(),
				Key:       w.GetKey(),
				Value:     w.GetValue(),
				IsDelete:  w.GetIsDelete(),
			})
		}
	}
	return writes, nil
}
