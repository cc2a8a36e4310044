package peer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"
)

// blockForm says what a Deliver stream sends for each block.
type blockForm int

const (
	formFull blockForm = iota
	formFiltered
	formPrivate
)

type deliverStream = grpc.BidiStreamingServer[common.Envelope, pb.DeliverResponse]

// Deliver streams full blocks for each DELIVER_SEEK_INFO envelope received,
// with Fabric's SeekInfo semantics: start and stop at oldest, newest, a
// number, or (start only) the next commit; BLOCK_UNTIL_READY waits for
// blocks not yet committed, FAIL_IF_NOT_READY answers NOT_FOUND. Each
// request ends with a SUCCESS status once its stop block is sent; refused
// requests get BAD_REQUEST, FORBIDDEN or NOT_FOUND.
func (s *Server) Deliver(stream deliverStream) error { return s.deliver(stream, formFull) }

// DeliverFiltered is Deliver with peer.FilteredBlock responses: transaction
// IDs, types, validation codes and chaincode events without payloads.
func (s *Server) DeliverFiltered(stream deliverStream) error {
	return s.deliver(stream, formFiltered)
}

// DeliverWithPrivateData is Deliver with BlockAndPrivateData responses; the
// embedded peer has no private data collections, so the map is empty.
func (s *Server) DeliverWithPrivateData(stream deliverStream) error {
	return s.deliver(stream, formPrivate)
}

func (s *Server) deliver(stream deliverStream, form blockForm) error {
	for {
		env, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		st, err := s.deliverOne(stream, env, form)
		if err != nil {
			return err
		}
		if err := stream.Send(&pb.DeliverResponse{Type: &pb.DeliverResponse_Status{Status: st}}); err != nil {
			return err
		}
	}
}

// deliverOne serves one seek request and returns the closing status; an
// error means the stream itself failed.
func (s *Server) deliverOne(stream deliverStream, env *common.Envelope, form blockForm) (common.Status, error) {
	payload := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), payload); err != nil || payload.GetHeader() == nil {
		return common.Status_BAD_REQUEST, nil
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), chdr); err != nil {
		return common.Status_BAD_REQUEST, nil
	}
	shdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(payload.GetHeader().GetSignatureHeader(), shdr); err != nil {
		return common.Status_BAD_REQUEST, nil
	}
	if chdr.GetChannelId() != s.cfg.ChannelID {
		return common.Status_NOT_FOUND, nil
	}
	if _, err := s.checkSigned(readers, shdr.GetCreator(), env.GetPayload(), env.GetSignature()); err != nil {
		s.log.Warn("refusing deliver request", "channel", chdr.GetChannelId(), "error", err)
		return common.Status_FORBIDDEN, nil
	}
	if !tlsBindingOK(stream.Context(), chdr.GetTlsCertHash()) {
		s.log.Warn("refusing deliver request: TLS certificate hash mismatch", "channel", chdr.GetChannelId())
		return common.Status_FORBIDDEN, nil
	}
	seek := &orderer.SeekInfo{}
	if err := proto.Unmarshal(payload.GetData(), seek); err != nil || seek.GetStart() == nil || seek.GetStop() == nil {
		return common.Status_BAD_REQUEST, nil
	}
	height := s.cfg.Ledger.Height()
	var start, stop uint64
	switch p := seek.GetStart().GetType().(type) {
	case *orderer.SeekPosition_Oldest:
		start = 0
	case *orderer.SeekPosition_Newest:
		start = height - 1
	case *orderer.SeekPosition_Specified:
		start = p.Specified.GetNumber()
	case *orderer.SeekPosition_NextCommit:
		start = height
	default:
		return common.Status_BAD_REQUEST, nil
	}
	switch p := seek.GetStop().GetType().(type) {
	case *orderer.SeekPosition_Oldest:
		stop = 0
	case *orderer.SeekPosition_Newest:
		stop = height - 1
		if _, ok := seek.GetStart().GetType().(*orderer.SeekPosition_Newest); ok {
			stop = start
		}
	case *orderer.SeekPosition_Specified:
		stop = p.Specified.GetNumber()
	default:
		return common.Status_BAD_REQUEST, nil
	}
	if stop < start {
		return common.Status_BAD_REQUEST, nil
	}
	failIfNotReady := seek.GetBehavior() == orderer.SeekInfo_FAIL_IF_NOT_READY
	if failIfNotReady && start >= height {
		return common.Status_NOT_FOUND, nil
	}

	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	blocks, err := s.cfg.Ledger.SubscribeBlocks(ctx, start)
	if err != nil {
		return common.Status_SERVICE_UNAVAILABLE, nil
	}
	for blk := range blocks {
		num := blk.GetHeader().GetNumber()
		resp, err := s.deliverResponse(blk, form)
		if err != nil {
			return common.Status_INTERNAL_SERVER_ERROR, nil
		}
		if err := stream.Send(resp); err != nil {
			return 0, err
		}
		if num >= stop {
			return common.Status_SUCCESS, nil
		}
		if failIfNotReady && num+1 >= s.cfg.Ledger.Height() {
			return common.Status_NOT_FOUND, nil
		}
	}
	if err := stream.Context().Err(); err != nil {
		return 0, err
	}
	return common.Status_SERVICE_UNAVAILABLE, nil
}

// tlsBindingOK checks a seek request's TLS certificate hash against the
// client certificate of the connection, as Fabric does: a request that names
// no hash passes; one that names a hash must match the presented certificate.
func tlsBindingOK(ctx context.Context, want []byte) bool {
	if len(want) == 0 {
		return true
	}
	p, ok := peer.FromContext(ctx)
	if !ok {
		return false
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.PeerCertificates) == 0 {
		return false
	}
	sum := sha256.Sum256(info.State.PeerCertificates[0].Raw)
	return bytes.Equal(sum[:], want)
}

func (s *Server) deliverResponse(blk *common.Block, form blockForm) (*pb.DeliverResponse, error) {
	switch form {
	case formFiltered:
		fb, err := filterBlock(s.cfg.ChannelID, blk)
		if err != nil {
			return nil, err
		}
		return &pb.DeliverResponse{Type: &pb.DeliverResponse_FilteredBlock{FilteredBlock: fb}}, nil
	case formPrivate:
		return &pb.DeliverResponse{Type: &pb.DeliverResponse_BlockAndPrivateData{BlockAndPrivateData: &pb.BlockAndPrivateData{Block: blk}}}, nil
	default:
		return &pb.DeliverResponse{Type: &pb.DeliverResponse_Block{Block: blk}}, nil
	}
}

// filterBlock builds Fabric's filtered view of a block.
func filterBlock(channel string, blk *common.Block) (*pb.FilteredBlock, error) {
	flags := ledger.TxValidationFlags(blk)
	fb := &pb.FilteredBlock{ChannelId: channel, Number: blk.GetHeader().GetNumber()}
	for i, raw := range blk.GetData().GetData() {
		tx, err := ledger.ParseEnvelopeBytes(raw)
		if err != nil {
			return nil, fmt.Errorf("filtering block %d tx %d: %w", fb.Number, i, err)
		}
		code := pb.TxValidationCode_INVALID_OTHER_REASON
		if i < len(flags) {
			code = flags[i]
		}
		ft := &pb.FilteredTransaction{Txid: tx.TxID, Type: tx.Type, TxValidationCode: code}
		if tx.Type == common.HeaderType_ENDORSER_TRANSACTION {
			action := &pb.FilteredChaincodeAction{}
			if ev := tx.Event; ev != nil {
				action.ChaincodeEvent = &pb.ChaincodeEvent{ChaincodeId: ev.GetChaincodeId(), TxId: ev.GetTxId(), EventName: ev.GetEventName()}
			}
			ft.Data = &pb.FilteredTransaction_TransactionActions{TransactionActions: &pb.FilteredTransactionActions{
				ChaincodeActions: []*pb.FilteredChaincodeAction{action},
			}}
		}
		fb.FilteredTransactions = append(fb.FilteredTransactions, ft)
	}
	return fb, nil
}
