package peer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// unpackedProposal holds the parts of a signed proposal the peer uses.
type unpackedProposal struct {
	signed        *pb.SignedProposal
	header        *common.Header
	channelHeader *common.ChannelHeader
	sigHeader     *common.SignatureHeader
	payload       *pb.ChaincodeProposalPayload
	input         *pb.ChaincodeInput
	chaincode     string
	// cppNoTransient is the marshalled payload without transient data: it
	// goes into the transaction and into the proposal hash.
	cppNoTransient []byte
	proposalHash   []byte
}

// unpackProposal takes a signed proposal apart as Fabric's endorser does.
func unpackProposal(signed *pb.SignedProposal) (*unpackedProposal, error) {
	if len(signed.GetProposalBytes()) == 0 {
		return nil, errors.New("a signed proposal is required")
	}
	prop := &pb.Proposal{}
	if err := proto.Unmarshal(signed.GetProposalBytes(), prop); err != nil {
		return nil, fmt.Errorf("error unmarshalling Proposal: %w", err)
	}
	up := &unpackedProposal{signed: signed, header: &common.Header{}, channelHeader: &common.ChannelHeader{},
		sigHeader: &common.SignatureHeader{}, payload: &pb.ChaincodeProposalPayload{}}
	if err := proto.Unmarshal(prop.GetHeader(), up.header); err != nil {
		return nil, fmt.Errorf("error unmarshalling Header: %w", err)
	}
	if err := proto.Unmarshal(up.header.GetChannelHeader(), up.channelHeader); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChannelHeader: %w", err)
	}
	if err := proto.Unmarshal(up.header.GetSignatureHeader(), up.sigHeader); err != nil {
		return nil, fmt.Errorf("error unmarshalling SignatureHeader: %w", err)
	}
	ext := &pb.ChaincodeHeaderExtension{}
	if err := proto.Unmarshal(up.channelHeader.GetExtension(), ext); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChaincodeHeaderExtension: %w", err)
	}
	if err := proto.Unmarshal(prop.GetPayload(), up.payload); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChaincodeProposalPayload: %w", err)
	}
	cis := &pb.ChaincodeInvocationSpec{}
	if err := proto.Unmarshal(up.payload.GetInput(), cis); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChaincodeInvocationSpec: %w", err)
	}
	if up.channelHeader.GetChannelId() == "" {
		return nil, errors.New("no channel id provided")
	}
	if cis.GetChaincodeSpec() == nil {
		return nil, fmt.Errorf("no chaincode spec is provided, channel id [%s]", up.channelHeader.GetChannelId())
	}
	up.chaincode = cis.GetChaincodeSpec().GetChaincodeId().GetName()
	if up.chaincode == "" {
		return nil, fmt.Errorf("no chaincode name is provided, channel id [%s]", up.channelHeader.GetChannelId())
	}
	if ext.GetChaincodeId().GetName() == "" {
		return nil, errors.New("ChaincodeHeaderExtension.ChaincodeId.Name is empty")
	}
	up.input = cis.GetChaincodeSpec().GetInput()
	if up.input == nil {
		return nil, errors.New("chaincode input did not contain any input")
	}
	var err error
	up.cppNoTransient, err = proto.Marshal(&pb.ChaincodeProposalPayload{Input: up.payload.GetInput()})
	if err != nil {
		return nil, fmt.Errorf("could not marshal non-transient portion of payload: %w", err)
	}
	h := sha256.New()
	h.Write(up.header.GetChannelHeader())
	h.Write(up.header.GetSignatureHeader())
	h.Write(up.cppNoTransient)
	up.proposalHash = h.Sum(nil)
	return up, nil
}

// endorserError is a proposal the endorser refused before running the
// chaincode; Fabric returns it as an error next to a 500 response.
type endorserError struct{ msg string }

func (e *endorserError) Error() string { return e.msg }

// validate checks the proposal as Fabric's endorser does before simulating:
// header, transaction ID, creator, signature, duplicate, channel ACL.
func (s *Server) validate(up *unpackedProposal) error {
	fail := func(format string, args ...any) error {
		return &endorserError{msg: "error validating proposal: " + fmt.Sprintf(format, args...)}
	}
	chdr, shdr := up.channelHeader, up.sigHeader
	switch common.HeaderType(chdr.GetType()) {
	case common.HeaderType_ENDORSER_TRANSACTION:
	default:
		return fail("invalid header type %s", common.HeaderType(chdr.GetType()))
	}
	if chdr.GetEpoch() != 0 {
		return fail("epoch is non-zero")
	}
	if len(shdr.GetNonce()) == 0 {
		return fail("nonce is empty")
	}
	if len(shdr.GetCreator()) == 0 {
		return fail("creator is empty")
	}
	if want := ledger.ComputeTxID(shdr.GetNonce(), shdr.GetCreator()); chdr.GetTxId() != want {
		return fail("incorrectly computed txid '%s' -- expected '%s'", chdr.GetTxId(), want)
	}
	if len(up.signed.GetSignature()) == 0 {
		return fail("empty signature bytes")
	}
	channel := chdr.GetChannelId()
	id, err := s.cfg.MSPs.Deserialize(shdr.GetCreator())
	if err != nil {
		s.log.Warn("access denied", "channel", channel, "txID", chdr.GetTxId(), "error", err)
		// Fabric's deserializer fails for an unknown MSP or malformed bytes;
		// certificate checks fail later, naming the org.
		if errors.Is(err, msp.ErrUnknownMSP) || errors.Is(err, msp.ErrMalformed) {
			return fail("access denied: channel [%s] creator org unknown, creator is malformed", channel)
		}
		return fail("access denied: channel [%s] creator org [%s]", channel, creatorMSPID(shdr.GetCreator()))
	}
	if err := id.Verify(up.signed.GetProposalBytes(), up.signed.GetSignature()); err != nil {
		s.log.Warn("access denied: creator's signature over the proposal is not valid", "channel", channel, "txID", chdr.GetTxId(), "mspID", id.MSPID, "error", err)
		return fail("access denied: channel [%s] creator org [%s]", channel, id.MSPID)
	}
	if channel != s.cfg.ChannelID {
		return &endorserError{msg: fmt.Sprintf("channel '%s' not found", channel)}
	}
	if _, _, found, err := s.cfg.Ledger.TxStatus(chdr.GetTxId()); err != nil {
		return &endorserError{msg: fmt.Sprintf("error checking for duplicate transaction: %v", err)}
	} else if found {
		return &endorserError{msg: fmt.Sprintf("duplicate transaction found [%s]. Creator [%s]", chdr.GetTxId(), hex.EncodeToString(shdr.GetCreator()))}
	}
	if !s.satisfies(writers, id) {
		return &endorserError{msg: aclError(writers, channel, errPolicy(writers)).Error()}
	}
	return nil
}

// processed is the outcome of running a proposal on the endorser: either a
// proposal response (possibly a chaincode error) or an endorser error.
type processed struct {
	response *pb.ProposalResponse
	// prpBytes is the marshalled ProposalResponsePayload the peer signed.
	prpBytes []byte
	// signed is what the endorsement signature covers (prpBytes followed by
	// the endorser's identity); nil when the peer did not endorse.
	signed []byte
}

// process runs the endorser's ProcessProposal: validate, simulate and, for
// a chaincode response below 400, sign the proposal response payload.
func (s *Server) process(ctx context.Context, up *unpackedProposal) (*processed, error) {
	if err := s.validate(up); err != nil {
		return nil, err
	}
	cc, ok := s.cfg.Chaincodes[up.chaincode]
	if !ok {
		return nil, &endorserError{msg: fmt.Sprintf("make sure the chaincode %s has been successfully defined on channel %s and try again: chaincode definition for '%s' not found", up.chaincode, s.cfg.ChannelID, up.chaincode)}
	}
	res, err := s.cfg.Ledger.Simulate(ctx, ledger.SimulationInput{
		TxID:           up.channelHeader.GetTxId(),
		ChannelID:      up.channelHeader.GetChannelId(),
		Namespace:      up.chaincode,
		Chaincode:      cc,
		Args:           up.input.GetArgs(),
		Decorations:    up.input.GetDecorations(),
		Transient:      up.payload.GetTransientMap(),
		Creator:        up.sigHeader.GetCreator(),
		Nonce:          up.sigHeader.GetNonce(),
		Epoch:          up.channelHeader.GetEpoch(),
		Timestamp:      up.channelHeader.GetTimestamp(),
		SignedProposal: up.signed,
	})
	if err != nil {
		// A simulation failure is a 500 response without payload.
		return &processed{response: &pb.ProposalResponse{Response: &pb.Response{Status: 500, Message: "error in simulation: " + err.Error()}}}, nil
	}
	// The simulation's event already names this chaincode and transaction.
	action, err := res.ChaincodeAction(&pb.ChaincodeID{Name: up.chaincode, Version: s.cfg.ChaincodeVersion})
	if err != nil {
		return nil, err
	}
	actionBytes, err := proto.Marshal(action)
	if err != nil {
		return nil, fmt.Errorf("marshalling chaincode action: %w", err)
	}
	prpBytes, err := proto.Marshal(&pb.ProposalResponsePayload{ProposalHash: up.proposalHash, Extension: actionBytes})
	if err != nil {
		return nil, fmt.Errorf("marshalling proposal response payload: %w", err)
	}
	if res.Response.GetStatus() >= shimErrorThreshold {
		// Chaincode error: the peer returns the payload but does not endorse.
		return &processed{response: &pb.ProposalResponse{Version: 1, Response: res.Response, Payload: prpBytes}, prpBytes: prpBytes}, nil
	}
	signed := append(append(make([]byte, 0, len(prpBytes)+len(s.endorserID)), prpBytes...), s.endorserID...)
	sig, err := s.cfg.Endorser.Sign(signed)
	if err != nil {
		return nil, fmt.Errorf("signing endorsement: %w", err)
	}
	return &processed{
		response: &pb.ProposalResponse{
			Version:     1,
			Response:    res.Response,
			Payload:     prpBytes,
			Endorsement: &pb.Endorsement{Endorser: s.endorserID, Signature: sig},
		},
		prpBytes: prpBytes,
		signed:   signed,
	}, nil
}

// shimErrorThreshold is shim.ERRORTHRESHOLD: statuses from 400 are errors.
const shimErrorThreshold = 400

// prepareTransaction assembles the unsigned transaction envelope from the
// proposal and the endorsed action, as Fabric's gateway does.
func prepareTransaction(up *unpackedProposal, action *pb.ChaincodeEndorsedAction) (*common.Envelope, error) {
	capBytes, err := proto.Marshal(&pb.ChaincodeActionPayload{ChaincodeProposalPayload: up.cppNoTransient, Action: action})
	if err != nil {
		return nil, err
	}
	txBytes, err := proto.Marshal(&pb.Transaction{Actions: []*pb.TransactionAction{{Header: up.header.GetSignatureHeader(), Payload: capBytes}}})
	if err != nil {
		return nil, err
	}
	payload, err := proto.Marshal(&common.Payload{Header: up.header, Data: txBytes})
	if err != nil {
		return nil, err
	}
	return &common.Envelope{Payload: payload}, nil
}

// creatorMSPID reads the MSP ID of a serialized identity ("" if unreadable).
func creatorMSPID(serialized []byte) string {
	var sid mspproto.SerializedIdentity
	if proto.Unmarshal(serialized, &sid) != nil {
		return ""
	}
	return sid.GetMspid()
}
