package peer_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestSubmitEvaluateAndCommitStatusThroughTheGatewayClient(t *testing.T) {
	h := startPeer(t)
	contract := h.contract(h.connect(t, "ExporterMSP", "user1"))

	result, err := contract.SubmitTransaction("put", "colour", "blue")
	require.NoError(t, err)
	require.Equal(t, "blue", string(result))

	got, err := contract.EvaluateTransaction("get", "colour")
	require.NoError(t, err)
	require.Equal(t, "blue", string(got))

	result, commit, err := contract.SubmitAsync("put", client.WithArguments("colour", "green"))
	require.NoError(t, err)
	require.Equal(t, "green", string(result))
	st, err := commit.Status()
	require.NoError(t, err)
	require.True(t, st.Successful)
	require.Equal(t, pb.TxValidationCode_VALID, st.Code)
	blk, code, found, err := h.ledger.TxStatus(commit.TransactionID())
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, pb.TxValidationCode_VALID, code)
	require.Equal(t, blk, st.BlockNumber)

	got, err = contract.EvaluateTransaction("get", "colour")
	require.NoError(t, err)
	require.Equal(t, "green", string(got))
	report, err := h.ledger.Verify(ledger.VerifyOptions{})
	require.NoError(t, err)
	require.Equal(t, h.ledger.Height(), report.Blocks)
	require.True(t, report.StateChecked)
}

// TestOnlyEndorsementsForTransactionsAreRemembered follows the memo of
// issued endorsements through the gateway: an evaluation adds nothing, an
// endorsement adds its signature, and the commit consumes it.
func TestOnlyEndorsementsForTransactionsAreRemembered(t *testing.T) {
	h := startPeer(t)
	contract := h.contract(h.connect(t, "ExporterMSP", "user1"))

	_, err := contract.EvaluateTransaction("get", "colour")
	require.NoError(t, err)
	require.Zero(t, h.issued.Len(), "an evaluation is never submitted")

	tx, err := contract.NewProposal("put", client.WithArguments("colour", "red"))
	require.NoError(t, err)
	endorsed, err := tx.Endorse()
	require.NoError(t, err)
	require.Equal(t, 1, h.issued.Len())

	commit, err := endorsed.Submit()
	require.NoError(t, err)
	st, err := commit.Status()
	require.NoError(t, err)
	require.Equal(t, pb.TxValidationCode_VALID, st.Code)
	require.Zero(t, h.issued.Len(), "the commit used the remembered endorsement")
}

func TestChaincodeSeesTheCallerAsOnFabric(t *testing.T) {
	h := startPeer(t)
	cases := []struct {
		name, org, user string
		client          bool
	}{
		{"a carrier's user is a client of CarrierMSP", "CarrierMSP", "user1", true},
		{"a customs admin is not a client", "CustomsMSP", "admin", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := h.contract(h.connect(t, tc.org, tc.user)).EvaluateTransaction("whoami")
			require.NoError(t, err)
			var who map[string]any
			require.NoError(t, json.Unmarshal(out, &who))
			require.Equal(t, tc.org, who["mspID"])
			require.Equal(t, tc.user, who["enrollmentID"])
			require.Equal(t, tc.client, who["client"])
			rawID, err := base64.StdEncoding.DecodeString(who["id"].(string))
			require.NoError(t, err)
			require.Contains(t, string(rawID), "x509::CN="+tc.user+",OU=")
		})
	}
}

func TestChaincodeEventsResumeFromACheckpoint(t *testing.T) {
	h := startPeer(t)
	gw := h.connect(t, "ExporterMSP", "user1")
	contract := h.contract(gw)
	start := h.ledger.Height()
	var txIDs []string
	for i := range 4 {
		_, commit, err := contract.SubmitAsync("put", client.WithArguments(fmt.Sprint("k", i), fmt.Sprint("v", i)))
		require.NoError(t, err)
		st, err := commit.Status()
		require.NoError(t, err)
		require.True(t, st.Successful)
		txIDs = append(txIDs, commit.TransactionID())
	}
	// A failed transaction emits nothing.
	_, err := contract.SubmitTransaction("fail")
	require.Error(t, err)

	checkpointPath := filepath.Join(t.TempDir(), "checkpoint.json")
	read := func(n int) []*client.ChaincodeEvent {
		checkpointer, err := client.NewFileCheckpointer(checkpointPath)
		require.NoError(t, err)
		defer checkpointer.Close()
		ctx, cancel := testContextCancel(t)
		defer cancel()
		events, err := gw.GetNetwork(h.net.Channel).ChaincodeEvents(ctx, h.net.Chaincode,
			client.WithStartBlock(start), client.WithCheckpoint(checkpointer))
		require.NoError(t, err)
		var got []*client.ChaincodeEvent
		for ev := range events {
			got = append(got, ev)
			require.NoError(t, checkpointer.CheckpointChaincodeEvent(ev))
			if len(got) == n {
				break
			}
		}
		return got
	}
	first := read(2)
	second := read(2)
	var seen []string
	for _, ev := range append(first, second...) {
		require.Equal(t, "put", ev.EventName)
		require.Equal(t, h.net.Chaincode, ev.ChaincodeName)
		seen = append(seen, ev.TransactionID)
	}
	require.Equal(t, txIDs, seen, "every event exactly once, in commit order, across the restart")
	require.Equal(t, "k3=v3", string(second[1].Payload))
}

func TestBlockEventsDeliverTheChainFromAGivenHeight(t *testing.T) {
	h := startPeer(t)
	gw := h.connect(t, "IssuerMSP", "user1")
	_, err := h.contract(gw).SubmitTransaction("put", "a", "1")
	require.NoError(t, err)
	height := h.ledger.Height()
	network := gw.GetNetwork(h.net.Channel)

	ctx, cancel := testContextCancel(t)
	defer cancel()
	blocks, err := network.BlockEvents(ctx, client.WithStartBlock(0))
	require.NoError(t, err)
	var prev []byte
	for want := uint64(0); want < height; want++ {
		blk := <-blocks
		require.Equal(t, want, blk.GetHeader().GetNumber())
		if want > 0 {
			require.Equal(t, prev, blk.GetHeader().GetPreviousHash())
		}
		prev = ledger.BlockHeaderHash(blk.GetHeader())
	}

	filtered, err := network.FilteredBlockEvents(ctx, client.WithStartBlock(height-1))
	require.NoError(t, err)
	fb := <-filtered
	require.Equal(t, height-1, fb.GetNumber())
	require.Len(t, fb.GetFilteredTransactions(), 1)
	ftx := fb.GetFilteredTransactions()[0]
	require.Equal(t, pb.TxValidationCode_VALID, ftx.GetTxValidationCode())
	ev := ftx.GetTransactionActions().GetChaincodeActions()[0].GetChaincodeEvent()
	require.Equal(t, "put", ev.GetEventName())
	require.Empty(t, ev.GetPayload(), "filtered blocks carry no event payloads")

	// A new block reaches a subscriber that waits at the next commit.
	next, err := network.BlockEvents(ctx)
	require.NoError(t, err)
	_, err = h.contract(gw).SubmitTransaction("put", "b", "2")
	require.NoError(t, err)
	blk := <-next
	require.Equal(t, height, blk.GetHeader().GetNumber())

	private, err := network.BlockAndPrivateDataEvents(ctx, client.WithStartBlock(0))
	require.NoError(t, err)
	bpd := <-private
	require.Equal(t, uint64(0), bpd.GetBlock().GetHeader().GetNumber())
}

// foreignIdentity is a client certificate from a CA no org trusts, claiming mspID.
func foreignIdentity(t *testing.T) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rogue-ca"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "user1", OrganizationalUnit: []string{"client"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key
}

func TestRefusalsCarryTheStatusAFabricGatewayGives(t *testing.T) {
	h := startPeer(t)
	prof, err := h.net.Profile()
	require.NoError(t, err)
	user, err := prof.Identity("ExporterMSP", "user1")
	require.NoError(t, err)
	userCert, err := os.ReadFile(user.CertPath)
	require.NoError(t, err)
	admin, err := prof.Identity("ExporterMSP", "admin")
	require.NoError(t, err)
	adminKey, err := msp.ReadPrivateKey(admin.KeyPath)
	require.NoError(t, err)
	rogueCert, rogueKey := foreignIdentity(t)
	peerID, err := h.net.PeerSigner()
	require.NoError(t, err)

	cases := []struct {
		name        string
		gateway     func(t *testing.T) *client.Gateway
		fn          string
		wantEndorse codes.Code
		wantEval    codes.Code
		wantDetail  string
	}{
		{"a certificate from an unknown CA is refused", func(t *testing.T) *client.Gateway {
			return h.connectWith(t, "ExporterMSP", rogueCert, rogueKey)
		}, "put", codes.Aborted, codes.FailedPrecondition, "error validating proposal: access denied: channel [aeo] creator org [ExporterMSP]"},
		{"an unknown MSP ID is refused", func(t *testing.T) *client.Gateway {
			return h.connectWith(t, "NobodyMSP", rogueCert, rogueKey)
		}, "put", codes.Aborted, codes.FailedPrecondition, "error validating proposal: access denied: channel [aeo] creator org unknown, creator is malformed"},
		{"a signature by another key is refused", func(t *testing.T) *client.Gateway {
			return h.connectWith(t, "ExporterMSP", userCert, adminKey)
		}, "put", codes.Aborted, codes.FailedPrecondition, "error validating proposal: access denied: channel [aeo] creator org [ExporterMSP]"},
		{"a peer identity is not a channel writer", func(t *testing.T) *client.Gateway {
			return h.connectWith(t, peerID.MSPID(), peerID.CertificatePEM(), peerID.PrivateKey())
		}, "put", codes.Aborted, codes.FailedPrecondition, "failed evaluating policy on signed data during check policy on channel [aeo] with policy [/Channel/Application/Writers]: [implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to be satisfied]"},
		{"a chaincode error is reported with its message", func(t *testing.T) *client.Gateway {
			return h.connect(t, "ExporterMSP", "user1")
		}, "fail", codes.Aborted, codes.Unknown, "chaincode response 500, CONFLICT: asked to fail"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			contract := h.contract(tc.gateway(t))
			heightBefore := h.ledger.Height()

			_, err := contract.SubmitTransaction(tc.fn, "k", "v")
			var endorseErr *client.EndorseError
			require.True(t, errors.As(err, &endorseErr), "got %v", err)
			st := status.Convert(err)
			require.Equal(t, tc.wantEndorse, st.Code())
			require.Equal(t, "failed to endorse transaction, see attached details for more info", st.Message())
			requireDetail(t, endorseErr.Details(), tc.wantDetail)

			_, err = contract.EvaluateTransaction(tc.fn, "k", "v")
			require.Equal(t, tc.wantEval, status.Code(err), "got %v", err)
			require.Equal(t, "evaluate call to endorser returned error: "+tc.wantDetail, status.Convert(err).Message())

			time.Sleep(20 * time.Millisecond) // longer than the batch timeout
			require.Equal(t, heightBefore, h.ledger.Height(), "a refused request writes nothing")
		})
	}
}

func requireDetail(t *testing.T, details []*gateway.ErrorDetail, want string) {
	t.Helper()
	require.Len(t, details, 1)
	require.Equal(t, want, details[0].GetMessage())
	require.Equal(t, "ExporterMSP", details[0].GetMspId())
}

func TestSubmitAndStatusRefuseBadSignatures(t *testing.T) {
	h := startPeer(t)
	gw := h.connect(t, "ExporterMSP", "user1")
	contract := h.contract(gw)
	prof, err := h.net.Profile()
	require.NoError(t, err)
	admin, err := prof.Identity("ExporterMSP", "admin")
	require.NoError(t, err)
	adminKey, err := msp.ReadPrivateKey(admin.KeyPath)
	require.NoError(t, err)
	wrongSign := func(digest []byte) []byte {
		sig, err := msp.SignDigest(adminKey, digest)
		require.NoError(t, err)
		return sig
	}

	proposal, err := contract.NewProposal("put", client.WithArguments("x", "1"))
	require.NoError(t, err)
	tx, err := proposal.Endorse()
	require.NoError(t, err)
	txBytes, err := tx.Bytes()
	require.NoError(t, err)
	forged, err := gw.NewSignedTransaction(txBytes, wrongSign(tx.Digest()))
	require.NoError(t, err)
	_, err = forged.Submit()
	var submitErr *client.SubmitError
	require.True(t, errors.As(err, &submitErr), "got %v", err)
	require.Equal(t, codes.Aborted, status.Code(err))
	require.Equal(t, "received unsuccessful response from orderer: status=FORBIDDEN, info=implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to be satisfied: permission denied",
		status.Convert(err).Message())

	// The honest signature still goes through: nothing was recorded for the forged one.
	commit, err := tx.Submit()
	require.NoError(t, err)
	commitBytes, err := commit.Bytes()
	require.NoError(t, err)
	forgedCommit, err := gw.NewSignedCommit(commitBytes, wrongSign(commit.Digest()))
	require.NoError(t, err)
	_, err = forgedCommit.Status()
	var statusErr *client.CommitStatusError
	require.True(t, errors.As(err, &statusErr), "got %v", err)
	require.Equal(t, codes.PermissionDenied, status.Code(err))

	st, err := commit.Status()
	require.NoError(t, err)
	require.True(t, st.Successful)
}

func TestBlockEventsRefuseAnUnknownCA(t *testing.T) {
	h := startPeer(t)
	cert, key := foreignIdentity(t)
	gw := h.connectWith(t, "ExporterMSP", cert, key)
	ctx, cancel := testContextCancel(t)
	defer cancel()
	blocks, err := gw.GetNetwork(h.net.Channel).BlockEvents(ctx, client.WithStartBlock(0))
	require.NoError(t, err)
	_, open := <-blocks
	require.False(t, open, "a FORBIDDEN deliver status closes the stream without blocks")

	events, err := gw.GetNetwork(h.net.Channel).ChaincodeEvents(ctx, h.net.Chaincode, client.WithStartBlock(0))
	require.NoError(t, err)
	_, open = <-events
	require.False(t, open)
}
