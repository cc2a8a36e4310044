package ledger

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// SimulationInput is one chaincode invocation to simulate. ProposalInput
// fills it from a signed proposal; only Chaincode is left to the caller.
type SimulationInput struct {
	TxID      string
	ChannelID string
	// Namespace is the chaincode name; its state is what the stub reads and
	// writes.
	Namespace   string
	Chaincode   shim.Chaincode
	Args        [][]byte // function name first
	Decorations map[string][]byte
	Transient   map[string][]byte
	Creator     []byte // marshalled msp.SerializedIdentity
	Nonce       []byte
	Epoch       uint64
	Timestamp   *timestamppb.Timestamp
	// SignedProposal is returned by the stub's GetSignedProposal.
	SignedProposal *peer.SignedProposal
}

// SimulationResult is what the endorser needs for its proposal response.
type SimulationResult struct {
	// Response is the chaincode's response. Like a Fabric endorser, the
	// caller must not endorse when Response.Status >= 400 (shim.ERRORTHRESHOLD).
	Response *peer.Response
	// RWSet is the marshalled rwset.TxReadWriteSet (Fabric format).
	RWSet []byte
	// Event is the chaincode event, nil if none was set.
	Event *peer.ChaincodeEvent
}

// ChaincodeAction returns the peer.ChaincodeAction an endorser puts in
// ProposalResponsePayload.Extension for this result.
func (r *SimulationResult) ChaincodeAction(id *peer.ChaincodeID) (*peer.ChaincodeAction, error) {
	act := &peer.ChaincodeAction{Results: r.RWSet, Response: r.Response, ChaincodeId: id}
	if r.Event != nil {
		ev, err := proto.MarshalOptions{Deterministic: true}.Marshal(r.Event)
		if err != nil {
			return nil, fmt.Errorf("marshalling chaincode event: %w", err)
		}
		act.Events = ev
	}
	return act, nil
}

// ProposalInput takes a signed proposal apart the way the shim does: tx ID,
// channel, timestamp and epoch from the channel header, creator and nonce
// from the signature header, chaincode name, arguments and decorations from
// the invocation spec, and the transient map. It does not verify the
// signature; that is the caller's job.
func ProposalInput(sp *peer.SignedProposal) (SimulationInput, error) {
	var in SimulationInput
	if sp == nil {
		return in, invalid("signed_proposal", "<nil>", "must not be nil")
	}
	prop := &peer.Proposal{}
	if err := proto.Unmarshal(sp.GetProposalBytes(), prop); err != nil {
		return in, fmt.Errorf("parsing proposal: %w: %w", ErrInvalid, err)
	}
	hdr := &common.Header{}
	if err := proto.Unmarshal(prop.GetHeader(), hdr); err != nil {
		return in, fmt.Errorf("parsing proposal header: %w: %w", ErrInvalid, err)
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(hdr.GetChannelHeader(), chdr); err != nil {
		return in, fmt.Errorf("parsing proposal channel header: %w: %w", ErrInvalid, err)
	}
	if common.HeaderType(chdr.GetType()) != common.HeaderType_ENDORSER_TRANSACTION {
		return in, invalid("channel_header.type", common.HeaderType(chdr.GetType()).String(), "must be ENDORSER_TRANSACTION")
	}
	shdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(hdr.GetSignatureHeader(), shdr); err != nil {
		return in, fmt.Errorf("parsing proposal signature header: %w: %w", ErrInvalid, err)
	}
	payload := &peer.ChaincodeProposalPayload{}
	if err := proto.Unmarshal(prop.GetPayload(), payload); err != nil {
		return in, fmt.Errorf("parsing proposal payload: %w: %w", ErrInvalid, err)
	}
	cis := &peer.ChaincodeInvocationSpec{}
	if err := proto.Unmarshal(payload.GetInput(), cis); err != nil {
		return in, fmt.Errorf("parsing chaincode invocation spec: %w: %w", ErrInvalid, err)
	}
	spec := cis.GetChaincodeSpec()
	in = SimulationInput{
		TxID:           chdr.GetTxId(),
		ChannelID:      chdr.GetChannelId(),
		Namespace:      spec.GetChaincodeId().GetName(),
		Args:           spec.GetInput().GetArgs(),
		Decorations:    spec.GetInput().GetDecorations(),
		Transient:      payload.GetTransientMap(),
		Creator:        shdr.GetCreator(),
		Nonce:          shdr.GetNonce(),
		Epoch:          chdr.GetEpoch(),
		Timestamp:      chdr.GetTimestamp(),
		SignedProposal: sp,
	}
	return in, nil
}

func (in *SimulationInput) check(channel string) error {
	switch {
	case in.Chaincode == nil:
		return invalid("Chaincode", "<nil>", "must not be nil")
	case in.Namespace == "":
		return invalid("Namespace", "", "must not be empty")
	case in.TxID == "":
		return invalid("TxID", "", "must not be empty")
	case in.ChannelID != channel:
		return invalid("ChannelID", in.ChannelID, "must be "+channel)
	}
	return nil
}

// Simulate runs the chaincode's Invoke against a consistent snapshot of the
// committed state and returns its response, read/write set and event.
// Nothing is written. A chaincode panic is returned as an error. Errors:
// *FieldError for bad input, ErrClosed, ctx.Err().
func (l *Ledger) Simulate(ctx context.Context, in SimulationInput) (res *SimulationResult, err error) {
	if err := in.check(l.opts.ChannelID); err != nil {
		return nil, fmt.Errorf("simulating: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("simulating tx %s: %w", in.TxID, err)
	}
	snap, err := l.db.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("simulating tx %s: opening snapshot: %w: %w", in.TxID, ErrClosed, err)
	}
	defer func() { _ = snap.Rollback() }()

	s := &stub{
		snap:    snap,
		in:      &in,
		ns:      in.Namespace,
		rw:      newRWSetBuilder(),
		binding: computeBinding(in.Nonce, in.Creator, in.Epoch),
	}
	resp, err := invoke(in.Chaincode, s)
	if err != nil {
		return nil, fmt.Errorf("simulating tx %s: %w", in.TxID, err)
	}
	for _, it := range s.iters {
		if it.err != nil {
			return nil, fmt.Errorf("simulating tx %s: %w", in.TxID, it.err)
		}
		if rq := it.rangeQueryInfo(); rq != nil {
			s.rw.addRange(s.ns, rq)
		}
	}
	rw, err := s.rw.build()
	if err != nil {
		return nil, fmt.Errorf("simulating tx %s: %w", in.TxID, err)
	}
	return &SimulationResult{Response: resp, RWSet: rw, Event: s.event}, nil
}

func invoke(cc shim.Chaincode, s *stub) (resp *peer.Response, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("chaincode panicked: %v\n%s", r, debug.Stack())
		}
	}()
	resp = cc.Invoke(s)
	if resp == nil {
		return nil, fmt.Errorf("chaincode returned a nil response")
	}
	return resp, nil
}
