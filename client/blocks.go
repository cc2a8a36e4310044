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
		env, err := c.seekEnvelope(start)
		if err != nil {
			yield(nil, err)
			return
		}
		stream, err := peer.NewDeliverClient(c.cc).Deliver(ctx)
		if err != nil {
			yield(nil, wrapGatewayError("opening block delivery", err))
			return
		}
		if err := stream.Send(env); err != nil {
			yield(nil, wrapGatewayError("requesting blocks", err))
			return
		}
		_ = stream.CloseSend()
		for {
			resp, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(nil, wrapGatewayError("receiving blocks", err))
				return
			}
			switch r := resp.Type.(type) {
			case *peer.DeliverResponse_Block:
				if !yield(r.Block, nil) {
					return
				}
			case *peer.DeliverResponse_Status:
				if r.Status != common.Status_SUCCESS {
					yield(nil, fmt.Errorf("receiving blocks from %d: status %s: %w", start, r.Status, ErrDeliver))
				}
				return
			}
		}
	}
}

func (c *Client) seekEnvelope(start uint64) (*common.Envelope, error) {
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
		Start:    &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: start}}},
		Stop:     &orderer.SeekPosition{Type: &orderer.SeekPosition_Newest{Newest: &orderer.SeekNewest{}}},
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
