package peer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
)

// rpcError builds a status error with gateway.ErrorDetail attachments.
func rpcError(code codes.Code, msg string, details ...*gateway.ErrorDetail) error {
	st := status.New(code, msg)
	if len(details) > 0 {
		ds := make([]protoadapt.MessageV1, len(details))
		for i, d := range details {
			ds[i] = protoadapt.MessageV1Of(d)
		}
		if withDetails, err := st.WithDetails(ds...); err == nil {
			return withDetails.Err()
		}
	}
	return st.Err()
}

func (s *Server) detail(msg string) *gateway.ErrorDetail {
	return &gateway.ErrorDetail{Address: s.cfg.Address, MspId: s.cfg.Endorser.MSPID(), Message: msg}
}

// outcome classifies an endorser result as Fabric's gateway does
// (responseStatus): the code, the message and whether another peer could
// be tried.
func outcome(p *processed, err error) (codes.Code, string, bool) {
	var ee *endorserError
	switch {
	case errors.As(err, &ee):
		return codes.FailedPrecondition, ee.msg, false
	case err != nil:
		return codes.Aborted, err.Error(), true
	}
	r := p.response.GetResponse()
	if r.GetStatus() < 200 || r.GetStatus() >= 400 {
		if p.response.GetPayload() == nil && r.GetStatus() == 500 {
			return codes.Aborted, r.GetMessage(), true
		}
		return codes.Unknown, fmt.Sprintf("chaincode response %d, %s", r.GetStatus(), r.GetMessage()), false
	}
	return codes.OK, "", false
}

// route checks that the proposal targets this node's channel and a known
// chaincode, and that any requested organisations are the peer's own.
func (s *Server) route(up *unpackedProposal, orgs []string) (codes.Code, error) {
	if up.channelHeader.GetChannelId() != s.cfg.ChannelID || s.cfg.Chaincodes[up.chaincode] == nil {
		return codes.FailedPrecondition, fmt.Errorf("no peers available to evaluate chaincode %s in channel %s", up.chaincode, up.channelHeader.GetChannelId())
	}
	var missing []string
	for _, o := range orgs {
		if o != s.cfg.Endorser.MSPID() {
			missing = append(missing, o)
		}
	}
	if len(missing) > 0 {
		return codes.Unavailable, fmt.Errorf("failed to find any endorsing peers for org(s): %v", missing)
	}
	return codes.OK, nil
}

// Evaluate runs a transaction function without ordering it and returns its
// result. Errors, as from a Fabric gateway:
//   - InvalidArgument: missing or undecodable proposal;
//   - FailedPrecondition: unknown channel or chaincode, or a proposal the
//     endorser refused (bad creator, bad signature, ACL), with ErrorDetail;
//   - Unknown: the chaincode returned an error ("chaincode response 500, ..."),
//     with ErrorDetail;
//   - Aborted: the simulation failed, with ErrorDetail.
func (s *Server) Evaluate(ctx context.Context, req *gateway.EvaluateRequest) (*gateway.EvaluateResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "an evaluate request is required")
	}
	up, err := unpackProposal(req.GetProposedTransaction())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "failed to unpack transaction proposal: %s", err)
	}
	if code, err := s.route(up, req.GetTargetOrganizations()); err != nil {
		if code == codes.Unavailable {
			code = codes.FailedPrecondition
		}
		return nil, status.Error(code, err.Error())
	}
	p, err := s.process(ctx, up)
	code, msg, retry := outcome(p, err)
	if code != codes.OK {
		if retry { // no other peer to retry on
			return nil, rpcError(code, "failed to evaluate transaction, see attached details for more info", s.detail(msg))
		}
		return nil, rpcError(code, "evaluate call to endorser returned error: "+msg, s.detail(msg))
	}
	// The response in the signed payload's ChaincodeAction is this same
	// chaincode response, so it is returned as is, not decoded again.
	return &gateway.EvaluateResponse{Result: p.response.GetResponse()}, nil
}

// Endorse simulates the proposal, endorses it with the peer identity and
// returns the prepared transaction for the client to sign. Errors:
//   - InvalidArgument: missing or undecodable proposal;
//   - FailedPrecondition: unknown channel or chaincode;
//   - Unavailable: EndorsingOrganizations names an org without a peer here;
//   - Aborted "failed to endorse transaction, see attached details for more
//     info" with an ErrorDetail carrying the endorser's message: refused
//     creator or signature, ACL, duplicate, chaincode error
//     ("chaincode response 500, ...") or simulation failure.
func (s *Server) Endorse(ctx context.Context, req *gateway.EndorseRequest) (*gateway.EndorseResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "an endorse request is required")
	}
	if len(req.GetProposedTransaction().GetProposalBytes()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "the proposed transaction must contain a signed proposal")
	}
	up, err := unpackProposal(req.GetProposedTransaction())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if code, err := s.route(up, req.GetEndorsingOrganizations()); err != nil {
		return nil, status.Error(code, err.Error())
	}
	p, err := s.process(ctx, up)
	if code, msg, _ := outcome(p, err); code != codes.OK {
		return nil, rpcError(codes.Aborted, "failed to endorse transaction, see attached details for more info", s.detail(msg))
	}
	// Only endorsements handed out for a transaction are remembered for the
	// commit-time check: Evaluate's signed responses never come back.
	s.cfg.Issued.add(p.response.GetEndorsement().GetSignature(), p.signed)
	action := &pb.ChaincodeEndorsedAction{ProposalResponsePayload: p.prpBytes, Endorsements: []*pb.Endorsement{p.response.GetEndorsement()}}
	env, err := prepareTransaction(up, action)
	if err != nil {
		return nil, status.Errorf(codes.Aborted, "failed to assemble transaction: %s", err)
	}
	return &gateway.EndorseResponse{PreparedTransaction: env}, nil
}

// broadcastError is how Fabric's gateway reports an orderer's refusal.
func broadcastError(st common.Status, info string) error {
	return rpcError(codes.Aborted, fmt.Sprintf("received unsuccessful response from orderer: status=%s, info=%s", st, info))
}

// Submit checks the signed transaction as Fabric's orderer does (well
// formed, signed by a Writer of the channel) and hands it to the ledger's
// orderer. Errors:
//   - InvalidArgument: no request, no prepared transaction or no signature;
//   - FailedPrecondition: unknown channel;
//   - Aborted "received unsuccessful response from orderer: status=BAD_REQUEST|FORBIDDEN, ...";
//   - Unavailable "no orderers could successfully process transaction" when
//     the ledger is closed;
//   - DeadlineExceeded when the context ends while the queue is full.
func (s *Server) Submit(ctx context.Context, req *gateway.SubmitRequest) (*gateway.SubmitResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "a submit request is required")
	}
	env := req.GetPreparedTransaction()
	if env == nil {
		return nil, status.Error(codes.InvalidArgument, "a prepared transaction is required")
	}
	if len(env.GetSignature()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "prepared transaction must be signed")
	}
	if req.GetChannelId() != s.cfg.ChannelID {
		return nil, status.Errorf(codes.FailedPrecondition, "channel '%s' not found", req.GetChannelId())
	}
	tx, err := ledger.ParseEnvelope(env)
	if err != nil {
		return nil, broadcastError(common.Status_BAD_REQUEST, err.Error())
	}
	if tx.ChannelID != s.cfg.ChannelID {
		return nil, broadcastError(common.Status_BAD_REQUEST, fmt.Sprintf("channel '%s' not found", tx.ChannelID))
	}
	if _, err := s.checkSigned(channelWriters, tx.Creator, env.GetPayload(), env.GetSignature()); err != nil {
		s.log.Warn("refusing transaction", "txID", tx.TxID, "error", err)
		return nil, broadcastError(common.Status_FORBIDDEN, errPolicy(channelWriters).Error()+": permission denied")
	}
	if err := s.cfg.Ledger.OrderParsed(ctx, tx); err != nil {
		switch {
		case errors.Is(err, ledger.ErrInvalid):
			return nil, broadcastError(common.Status_BAD_REQUEST, err.Error())
		case ctx.Err() != nil:
			return nil, status.Error(codes.DeadlineExceeded, "submit timeout expired while broadcasting to ordering service")
		default:
			return nil, rpcError(codes.Unavailable, "no orderers could successfully process transaction", s.detail(err.Error()))
		}
	}
	return &gateway.SubmitResponse{}, nil
}

// channelWriters is the orderer's /Channel/Writers policy: the Writers of
// every application org (orderer orgs have no clients in this network).
var channelWriters = policy{path: "/Channel/Writers", name: "Writers", roles: writers.roles}

// CommitStatus waits until the transaction commits and returns its
// validation code and block. Errors:
//   - InvalidArgument: malformed request, no identity, channel or txID;
//   - PermissionDenied: identity or signature refused, or not a Reader;
//   - FailedPrecondition: unknown channel;
//   - DeadlineExceeded / Canceled: the call's context ended first;
//   - Unavailable: the node is shutting down.
func (s *Server) CommitStatus(ctx context.Context, signed *gateway.SignedCommitStatusRequest) (*gateway.CommitStatusResponse, error) {
	if len(signed.GetRequest()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "a commit status request is required")
	}
	req := &gateway.CommitStatusRequest{}
	if err := proto.Unmarshal(signed.GetRequest(), req); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "invalid status request: %v", err)
	}
	switch {
	case req.GetIdentity() == nil:
		return nil, status.Error(codes.InvalidArgument, "no identity provided")
	case req.GetChannelId() == "":
		return nil, status.Error(codes.InvalidArgument, "no channel ID provided")
	case req.GetTransactionId() == "":
		return nil, status.Error(codes.InvalidArgument, "transaction ID should not be empty")
	}
	if _, err := s.checkSigned(readers, req.GetIdentity(), signed.GetRequest(), signed.GetSignature()); err != nil {
		return nil, status.Error(codes.PermissionDenied, aclError(readers, req.GetChannelId(), err).Error())
	}
	if req.GetChannelId() != s.cfg.ChannelID {
		return nil, status.Errorf(codes.FailedPrecondition, "channel '%s' not found", req.GetChannelId())
	}
	block, code, err := s.cfg.Ledger.WaitForTx(ctx, req.GetTransactionId())
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, status.FromContextError(ctxErr).Err()
		}
		return nil, status.Errorf(codes.Unavailable, "waiting for transaction %s: %v", req.GetTransactionId(), err)
	}
	return &gateway.CommitStatusResponse{Result: code, BlockNumber: block}, nil
}

// ChaincodeEvents streams, block by block, the events the chaincode emitted
// in valid transactions, starting at the request's start position (next
// commit or a block number) or just after AfterTransactionId. Errors:
//   - InvalidArgument: malformed request or a start position other than
//     NextCommit or Specified;
//   - PermissionDenied: identity or signature refused, or not a Reader;
//   - NotFound: unknown channel;
//   - Aborted: the ledger stopped.
func (s *Server) ChaincodeEvents(signed *gateway.SignedChaincodeEventsRequest, stream gateway.Gateway_ChaincodeEventsServer) error {
	if len(signed.GetRequest()) == 0 {
		return status.Error(codes.InvalidArgument, "a chaincode events request is required")
	}
	req := &gateway.ChaincodeEventsRequest{}
	if err := proto.Unmarshal(signed.GetRequest(), req); err != nil {
		return status.Errorf(codes.InvalidArgument, "invalid chaincode events request: %v", err)
	}
	if _, err := s.checkSigned(readers, req.GetIdentity(), signed.GetRequest(), signed.GetSignature()); err != nil {
		return status.Error(codes.PermissionDenied, aclError(readers, req.GetChannelId(), err).Error())
	}
	if req.GetChannelId() != s.cfg.ChannelID {
		return status.Errorf(codes.NotFound, "channel %s not found", req.GetChannelId())
	}
	start, err := s.eventsStart(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	blocks, err := s.cfg.Ledger.SubscribeBlocks(ctx, start)
	if err != nil {
		return status.Error(codes.Aborted, err.Error())
	}
	after := req.GetAfterTransactionId()
	passed := after == ""
	for blk := range blocks {
		var matching []*pb.ChaincodeEvent
		for _, ev := range blockEvents(blk) {
			if !passed {
				passed = ev.GetTxId() == after
				continue
			}
			if ev.GetChaincodeId() == req.GetChaincodeId() {
				matching = append(matching, ev)
			}
		}
		if len(matching) == 0 {
			continue
		}
		if err := stream.Send(&gateway.ChaincodeEventsResponse{Events: matching, BlockNumber: blk.GetHeader().GetNumber()}); err != nil {
			if errors.Is(err, io.EOF) {
				return status.Error(codes.Canceled, err.Error())
			}
			return err
		}
	}
	if err := stream.Context().Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	return status.Error(codes.Aborted, "ledger closed")
}

func (s *Server) eventsStart(req *gateway.ChaincodeEventsRequest) (uint64, error) {
	if after := req.GetAfterTransactionId(); after != "" {
		if blk, _, found, err := s.cfg.Ledger.TxStatus(after); err == nil && found {
			return blk, nil
		}
	}
	switch seek := req.GetStartPosition().GetType().(type) {
	case nil, *orderer.SeekPosition_NextCommit:
		return s.cfg.Ledger.Height(), nil
	case *orderer.SeekPosition_Specified:
		return seek.Specified.GetNumber(), nil
	default:
		return 0, status.Errorf(codes.InvalidArgument, "invalid start position type: %T", seek)
	}
}

// blockEvents returns the chaincode events of the block's valid endorser
// transactions, in block order.
func blockEvents(blk *common.Block) []*pb.ChaincodeEvent {
	flags := ledger.TxValidationFlags(blk)
	var out []*pb.ChaincodeEvent
	for i, raw := range blk.GetData().GetData() {
		if i >= len(flags) || flags[i] != pb.TxValidationCode_VALID {
			continue
		}
		tx, err := ledger.ParseEnvelopeBytes(raw)
		if err != nil || tx.Type != common.HeaderType_ENDORSER_TRANSACTION || tx.Event == nil || tx.Event.GetEventName() == "" {
			continue
		}
		out = append(out, tx.Event)
	}
	return out
}
