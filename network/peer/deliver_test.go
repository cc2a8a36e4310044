package peer_test

import (
	"context"
	"testing"

	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func specified(n uint64) *orderer.SeekPosition {
	return &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: n}}}
}

var (
	oldest = &orderer.SeekPosition{Type: &orderer.SeekPosition_Oldest{Oldest: &orderer.SeekOldest{}}}
	newest = &orderer.SeekPosition{Type: &orderer.SeekPosition_Newest{Newest: &orderer.SeekNewest{}}}
)

// seekEnvelope builds a signed DELIVER_SEEK_INFO envelope by hand.
func seekEnvelope(t *testing.T, signer *msp.SigningIdentity, channel string, seek *orderer.SeekInfo) *common.Envelope {
	t.Helper()
	chdr, err := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_DELIVER_SEEK_INFO), ChannelId: channel, Timestamp: timestamppb.Now()})
	require.NoError(t, err)
	creator, err := signer.Serialize()
	require.NoError(t, err)
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: creator, Nonce: []byte("nonce")})
	require.NoError(t, err)
	data, err := proto.Marshal(seek)
	require.NoError(t, err)
	payload, err := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr}, Data: data})
	require.NoError(t, err)
	sig, err := signer.Sign(payload)
	require.NoError(t, err)
	return &common.Envelope{Payload: payload, Signature: sig}
}

func TestDeliverFollowsSeekInfoSemantics(t *testing.T) {
	h := startPeer(t)
	contract := h.contract(h.connect(t, "ExporterMSP", "user1"))
	for _, v := range []string{"1", "2"} {
		_, err := contract.SubmitTransaction("put", "k", v)
		require.NoError(t, err)
	}
	height := h.ledger.Height()
	user, err := msp.LoadSigningIdentity("ExporterMSP", h.net.Dir+"/organizations/ExporterMSP/users/user1/msp")
	require.NoError(t, err)
	conn, err := grpc.NewClient(h.addr, grpc.WithTransportCredentials(credentials.NewTLS(h.tls)))
	require.NoError(t, err)
	defer conn.Close()
	deliver := pb.NewDeliverClient(conn)

	cases := []struct {
		name       string
		channel    string
		seek       *orderer.SeekInfo
		wantBlocks []uint64
		wantStatus common.Status
	}{
		{"oldest to newest replays the whole chain", "aeo", &orderer.SeekInfo{Start: oldest, Stop: newest},
			seq(0, height-1), common.Status_SUCCESS},
		{"newest to newest sends the last block", "aeo", &orderer.SeekInfo{Start: newest, Stop: newest},
			[]uint64{height - 1}, common.Status_SUCCESS},
		{"a specified range sends exactly that range", "aeo", &orderer.SeekInfo{Start: specified(1), Stop: specified(2)},
			[]uint64{1, 2}, common.Status_SUCCESS},
		{"a stop before the start is a bad request", "aeo", &orderer.SeekInfo{Start: specified(2), Stop: specified(1)},
			nil, common.Status_BAD_REQUEST},
		{"a missing stop is a bad request", "aeo", &orderer.SeekInfo{Start: oldest},
			nil, common.Status_BAD_REQUEST},
		{"a future block with FAIL_IF_NOT_READY is not found", "aeo",
			&orderer.SeekInfo{Start: specified(height + 5), Stop: specified(height + 5), Behavior: orderer.SeekInfo_FAIL_IF_NOT_READY},
			nil, common.Status_NOT_FOUND},
		{"an unknown channel is not found", "other", &orderer.SeekInfo{Start: oldest, Stop: newest},
			nil, common.Status_NOT_FOUND},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stream, err := deliver.Deliver(ctx)
			require.NoError(t, err)
			require.NoError(t, stream.Send(seekEnvelope(t, user, tc.channel, tc.seek)))
			var got []uint64
			for {
				resp, err := stream.Recv()
				require.NoError(t, err)
				if st, ok := resp.GetType().(*pb.DeliverResponse_Status); ok {
					require.Equal(t, tc.wantStatus, st.Status)
					break
				}
				got = append(got, resp.GetBlock().GetHeader().GetNumber())
			}
			require.Equal(t, tc.wantBlocks, got)
		})
	}
}

func seq(from, to uint64) []uint64 {
	var out []uint64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestATransactionWithAForgedEndorsementIsMarkedInvalid(t *testing.T) {
	h := startPeer(t)
	gw := h.connect(t, "ExporterMSP", "user1")
	contract := h.contract(gw)
	proposal, err := contract.NewProposal("put", client.WithArguments("forged", "yes"))
	require.NoError(t, err)
	tx, err := proposal.Endorse()
	require.NoError(t, err)
	raw, err := tx.Bytes()
	require.NoError(t, err)

	// Change the endorsed write set after endorsement: the endorsement no
	// longer matches what it signed.
	prepared := &gateway.PreparedTransaction{}
	require.NoError(t, proto.Unmarshal(raw, prepared))
	payload := &common.Payload{}
	require.NoError(t, proto.Unmarshal(prepared.GetEnvelope().GetPayload(), payload))
	trans := &pb.Transaction{}
	require.NoError(t, proto.Unmarshal(payload.GetData(), trans))
	cap := &pb.ChaincodeActionPayload{}
	require.NoError(t, proto.Unmarshal(trans.GetActions()[0].GetPayload(), cap))
	sig := cap.GetAction().GetEndorsements()[0].GetSignature()
	sig[len(sig)-1] ^= 0xff
	trans.GetActions()[0].Payload, err = proto.Marshal(cap)
	require.NoError(t, err)
	payload.Data, err = proto.Marshal(trans)
	require.NoError(t, err)
	prepared.Envelope.Payload, err = proto.Marshal(payload)
	require.NoError(t, err)
	raw, err = proto.Marshal(prepared)
	require.NoError(t, err)

	forged, err := gw.NewTransaction(raw)
	require.NoError(t, err)
	commit, err := forged.Submit()
	require.NoError(t, err, "the orderer accepts it: the client's own signature is good")
	st, err := commit.Status()
	require.NoError(t, err)
	require.Equal(t, pb.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, st.Code)

	got, err := contract.EvaluateTransaction("get", "forged")
	require.NoError(t, err)
	require.Empty(t, got, "the invalid transaction's write was not applied")
}

func TestAnEndorsedResultReplayedUnderAnotherCreatorIsMarkedInvalid(t *testing.T) {
	h := startPeer(t)
	victim := h.connect(t, "ExporterMSP", "user1")
	attacker := h.connect(t, "ExporterMSP", "admin")
	proposal, err := h.contract(victim).NewProposal("put", client.WithArguments("stolen", "yes"))
	require.NoError(t, err)
	tx, err := proposal.Endorse()
	require.NoError(t, err)
	raw, err := tx.Bytes()
	require.NoError(t, err)

	// The attacker keeps the endorsed action but puts its own, correctly
	// formed headers (new nonce, own creator, matching txID) around it.
	prepared := &gateway.PreparedTransaction{}
	require.NoError(t, proto.Unmarshal(raw, prepared))
	payload := &common.Payload{}
	require.NoError(t, proto.Unmarshal(prepared.GetEnvelope().GetPayload(), payload))
	chdr := &common.ChannelHeader{}
	require.NoError(t, proto.Unmarshal(payload.GetHeader().GetChannelHeader(), chdr))
	admin, err := msp.LoadSigningIdentity("ExporterMSP", h.net.Dir+"/organizations/ExporterMSP/users/admin/msp")
	require.NoError(t, err)
	adminID, err := admin.Serialize()
	require.NoError(t, err)
	nonce := []byte("attacker-nonce-0123456789")
	chdr.TxId = ledger.ComputeTxID(nonce, adminID)
	payload.GetHeader().ChannelHeader, err = proto.Marshal(chdr)
	require.NoError(t, err)
	payload.GetHeader().SignatureHeader, err = proto.Marshal(&common.SignatureHeader{Creator: adminID, Nonce: nonce})
	require.NoError(t, err)
	prepared.TransactionId = chdr.TxId
	prepared.Envelope.Payload, err = proto.Marshal(payload)
	require.NoError(t, err)
	raw, err = proto.Marshal(prepared)
	require.NoError(t, err)

	replayed, err := attacker.NewTransaction(raw)
	require.NoError(t, err)
	commit, err := replayed.Submit()
	require.NoError(t, err)
	st, err := commit.Status()
	require.NoError(t, err)
	require.Equal(t, pb.TxValidationCode_INVALID_ENDORSER_TRANSACTION, st.Code)
}
