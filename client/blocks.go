package client

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ErrDeliver is wrapped when the Deliver service ends a block stream with a
// status other than SUCCESS.
var ErrDeliver = errors.New("block delivery failed")

// BlockRange streams the channel's blocks from start up to the newest block
// at the time of the call, through the peer's Deliver service (seek from
// start to newest, FAIL_IF_NOT_READY), and then ends. Unlike
// Network().BlockEvents it does not wait for future blocks, which is what
// chain verification needs. It works against the embedded peer and Fabric
// peers alike; the request is signed by the client's identity.
func (c *Client) BlockRange(ctx context.Context, start uint64) iter.Seq2[*common.Block, error] {
	return func(yield func(*common.Block, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		received := 0
		status, err := c.deliver(ctx, specified(start), newest(), func(b *common.Block) bool {
			received++
			return yield(b, nil)
		})
		if err != nil {
			yield(nil, err)
			return
		}
		if status == common.Status_SUCCESS || status == stopped {
			return
		}
		// A peer refuses a start beyond the newest block (BAD_REQUEST on
		// Fabric). For a caller that is up to date that is an empty range,
		// not an error: check the newest block before reporting it.
		if received == 0 && status == common.Status_BAD_REQUEST {
			if top, err := c.newestBlockNumber(ctx); err == nil && start > top {
				return
			}
		}
		yield(nil, fmt.Errorf("receiving blocks from %d: status %s: %w", start, status, ErrDeliver))
	}
}

// stopped is the status deliver reports when the consumer stopped early.
const stopped = common.Status_UNKNOWN

func specified(n uint64) *orderer.SeekPosition {
	return &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: n}}}
}

func newest() *orderer.SeekPosition {
	return &orderer.SeekPosition{Type: &orderer.SeekPosition_Newest{Newest: &orderer.SeekNewest{}}}
}

// newestBlockNumber asks the peer for its newest block and returns its number.
func (c *Client) newestBlockNumber(ctx context.Context) (uint64, error) {
	var top *common.Block
	status, err := c.deliver(ctx, newest(), newest(), func(b *common.Block) bool {
		top = b
		return true
	})
	if err != nil {
		return 0, err
	}
	if status != common.Status_SUCCESS || top == nil || top.Header == nil {
		return 0, fmt.Errorf("reading the newest block: status %s: %w", status, ErrDeliver)
	}
	return top.Header.Number, nil
}

// deliver runs one signed Deliver request from start to stop, handing each
// block to onBlock until it returns false, and returns the final status
// (stopped when onBlock ended it).
func (c *Client) deliver(ctx context.Context, start, stop *orderer.SeekPosition, onBlock func(*common.Block) bool) (common.Status, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	env, err := c.seekEnvelope(start, stop)
	if err != nil {
		return 0, err
	}
	stream, err := peer.NewDeliverClient(c.cc).Deliver(ctx)
	if err != nil {
		return 0, wrapGatewayError("opening block delivery", err)
	}
	if err := stream.Send(env); err != nil {
		return 0, wrapGatewayError("requesting blocks", err)
	}
	_ = stream.CloseSend()
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return common.Status_SUCCESS, nil
		}
		if err != nil {
			return 0, wrapGatewayError("receiving blocks", err)
		}
		switch r := resp.Type.(type) {
		case *peer.DeliverResponse_Block:
			if !onBlock(r.Block) {
				return stopped, nil
			}
		case *peer.DeliverResponse_Status:
			return r.Status, nil
		}
	}
}

func (c *Client) seekEnvelope(start, stop *orderer.SeekPosition) (*common.Envelope, error) {
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: c.id.MspID(), IdBytes: c.id.Credentials()})
	if err != nil {
		return nil, fmt.Errorf("serialising identity: %w", err)
	}
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("generating nonce: %w", err)
	}
	txID := sha256.Sum256(append(append([]byte{}, nonce...), creator...))
	chdr, err := proto.Marshal(&common.ChannelHeader{
		Type:      int32(common.HeaderType_DELIVER_SEEK_INFO),
		ChannelId: c.profile.Channel,
		TxId:      hex.EncodeToString(txID[:]),
		Timestamp: timestamppb.Now(),
	})
	if err != nil {
		return nil, fmt.Errorf("building seek request: %w", err)
	}
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: creator, Nonce: nonce})
	if err != nil {
		return nil, fmt.Errorf("building seek request: %w", err)
	}
	seek, err := proto.Marshal(&orderer.SeekInfo{
		Start:    start,
		Stop:     stop,
		Behavior: orderer.SeekInfo_FAIL_IF_NOT_READY,
	})
	if err != nil {
		return nil, fmt.Errorf("building seek request: %w", err)
	}
	payload, err := proto.Marshal(&common.Payload{
		Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr},
		Data:   seek,
	})
	if err != nil {
		return nil, fmt.Errorf("building seek request: %w", err)
	}
	digest := sha256.Sum256(payload)
	sig, err := c.sign(digest[:])
	if err != nil {
		return nil, fmt.Errorf("signing seek request: %w", err)
	}
	return &common.Envelope{Payload: payload, Signature: sig}, nil
}
