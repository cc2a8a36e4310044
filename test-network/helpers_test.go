package testnetwork

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/node"
	"github.com/aeoledger/aeoledger/network/profile"
	"github.com/aeoledger/aeoledger/schemas"
)

// fabricNet is the running test network, found through the profile that
// `network.sh up` wrote.
type fabricNet struct {
	runDir string
	prof   *profile.Profile
}

// requireNetwork skips the test unless AEOLEDGER_FABRIC=1 and loads the
// connection profile of the running network.
func requireNetwork(t testing.TB) *fabricNet {
	t.Helper()
	if os.Getenv("AEOLEDGER_FABRIC") != "1" {
		t.Skip("needs the native Fabric network: run test-network/network.sh up && test-network/network.sh deploy, then set AEOLEDGER_FABRIC=1")
	}
	runDir := os.Getenv("AEO_FABRIC_RUN")
	if runDir == "" {
		wd, err := os.Getwd()
		require.NoError(t, err)
		runDir = filepath.Join(wd, ".run")
	}
	prof, err := profile.Load(filepath.Join(runDir, "connection.yaml"))
	require.NoError(t, err, "AEOLEDGER_FABRIC=1 but the network's profile cannot be read; did network.sh up run?")
	return &fabricNet{runDir: runDir, prof: prof}
}

// fabricOrgs are the application organisations of the Fabric test network.
// The embedded peer's dev network gets the same ones, so that a scenario
// names the same MSPs on both ledgers.
var fabricOrgs = []string{"ExporterMSP", "CarrierMSP", "CustomsMSP"}

// startEmbedded generates a dev network with the Fabric network's
// organisations in a temporary folder, starts the embedded peer on a free
// port and returns it with its profile.
func startEmbedded(t testing.TB) *fabricNet {
	t.Helper()
	network, err := devnet.Init(filepath.Join(t.TempDir(), "net"), devnet.Options{Orgs: fabricOrgs})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	nd, err := node.Start(ctx, node.Config{Dir: network.Dir, Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.NoError(t, nd.Stop(context.Background()))
		cancel()
	})
	prof, err := network.Profile()
	require.NoError(t, err)
	prof.Gateway.Address = nd.Addr()
	return &fabricNet{runDir: network.Dir, prof: prof}
}

// gateway connects to the profile's gateway peer as identity name of msp.
func (n *fabricNet) gateway(t testing.TB, msp, name string) *client.Gateway {
	t.Helper()
	id, err := n.prof.Identity(msp, name)
	require.NoError(t, err)
	certPEM, err := os.ReadFile(id.CertPath)
	require.NoError(t, err)
	cert, err := identity.CertificateFromPEM(certPEM)
	require.NoError(t, err)
	x509ID, err := identity.NewX509Identity(msp, cert)
	require.NoError(t, err)
	keyPEM, err := os.ReadFile(id.KeyPath)
	require.NoError(t, err)
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	require.NoError(t, err)
	sign, err := identity.NewPrivateKeySign(key)
	require.NoError(t, err)

	tlsCfg, err := n.prof.GatewayTLS()
	require.NoError(t, err)
	conn, err := grpc.NewClient(n.prof.Gateway.Address, grpc.WithTransportCredentials(credentials.NewTLS(tlsCfg)))
	require.NoError(t, err)
	gw, err := client.Connect(x509ID, client.WithSign(sign), client.WithHash(hash.SHA256), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(30*time.Second), client.WithEndorseTimeout(30*time.Second),
		client.WithSubmitTimeout(30*time.Second), client.WithCommitStatusTimeout(20*time.Second))
	require.NoError(t, err)
	t.Cleanup(func() {
		gw.Close()
		conn.Close()
	})
	return gw
}

func (n *fabricNet) contract(t testing.TB, msp, name string) *client.Contract {
	t.Helper()
	return n.gateway(t, msp, name).GetNetwork(n.prof.Channel).GetContract(n.prof.Chaincode)
}

// script runs network.sh with args against the same runtime folder.
func (n *fabricNet) script(t testing.TB, args ...string) {
	t.Helper()
	out, err := n.run(args...)
	require.NoError(t, err, "network.sh %s: %s", strings.Join(args, " "), out)
}

// statusOutput is the output of network.sh status.
func (n *fabricNet) statusOutput(t testing.TB) string {
	t.Helper()
	out, err := n.run("status")
	require.NoError(t, err, "network.sh status: %s", out)
	return out
}

func (n *fabricNet) run(args ...string) (string, error) {
	cmd := exec.Command("./network.sh", args...)
	cmd.Env = append(os.Environ(), "AEO_FABRIC_RUN="+n.runDir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// transient reports errors a client should retry: the gateway cannot yet
// find endorsers (gossip still converging), a node is unreachable or
// restarting, or the transaction lost an MVCC race. A refusal by the
// contract itself is never transient.
func transient(err error) bool {
	switch status.Code(err) {
	case codes.FailedPrecondition, codes.Unavailable, codes.DeadlineExceeded:
		return true
	case codes.Aborted:
		return !refusedByContract(err)
	}
	var failed *commitFailure
	return errors.As(err, &failed) && failed.code == peer.TxValidationCode_MVCC_READ_CONFLICT
}

// chaincodeResponse prefixes the messages of chaincode error responses in
// the gateway's error details.
var chaincodeResponse = regexp.MustCompile(`^chaincode response \d+, `)

// refusedByContract reports whether an endorser's chaincode answered with an
// error (as opposed to the peer failing to reach the chaincode).
func refusedByContract(err error) bool {
	var endorseErr *client.EndorseError
	if !errors.As(err, &endorseErr) {
		return false
	}
	for _, d := range endorseErr.Details() {
		if chaincodeResponse.MatchString(d.Message) {
			return true
		}
	}
	return false
}

// commitFailure is a transaction that was ordered but marked invalid.
type commitFailure struct {
	txID string
	code peer.TxValidationCode
}

func (e *commitFailure) Error() string {
	return fmt.Sprintf("transaction %s committed as invalid: %s", e.txID, e.code)
}

// committed is a successful submission.
type committed struct {
	result   []byte
	txID     string
	block    uint64
	attempts int // 1 when the first attempt succeeded
	// how long the last attempt spent in each step: endorsement, handing
	// the transaction to the orderer, and waiting for its commit status.
	endorse, order, commitWait time.Duration
}

// submit submits a transaction, retrying transient failures for up to a
// minute.
func submit(ctx context.Context, c *client.Contract, fn string, args ...string) (committed, error) {
	deadline := time.Now().Add(time.Minute)
	for attempt := 1; ; attempt++ {
		res, err := submitOnce(ctx, c, fn, args...)
		res.attempts = attempt
		if err == nil || !transient(err) || time.Now().After(deadline) {
			return res, err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// commitStatusWait bounds the wait for one transaction's commit status.
const commitStatusWait = 15 * time.Second

func submitOnce(ctx context.Context, c *client.Contract, fn string, args ...string) (committed, error) {
	proposal, err := c.NewProposal(fn, client.WithArguments(args...))
	if err != nil {
		return committed{}, err
	}
	endorseCtx, cancelEndorse := context.WithTimeout(ctx, 30*time.Second)
	defer cancelEndorse()
	t0 := time.Now()
	tx, err := proposal.EndorseWithContext(endorseCtx)
	if err != nil {
		return committed{}, err
	}
	submitCtx, cancelSubmit := context.WithTimeout(ctx, 30*time.Second)
	defer cancelSubmit()
	t1 := time.Now()
	commit, err := tx.SubmitWithContext(submitCtx)
	if err != nil {
		return committed{}, err
	}
	t2 := time.Now()
	// A transaction the orderer accepted can still be lost if the orderer
	// stops before ordering it; its status then never arrives. Waiting a
	// bounded time and submitting again is the client's recovery.
	statusCtx, cancel := context.WithTimeout(ctx, commitStatusWait)
	defer cancel()
	st, err := commit.StatusWithContext(statusCtx)
	if err != nil {
		return committed{}, err
	}
	if !st.Successful {
		return committed{}, &commitFailure{txID: st.TransactionID, code: st.Code}
	}
	return committed{result: tx.Result(), txID: st.TransactionID, block: st.BlockNumber,
		endorse: t1.Sub(t0), order: t2.Sub(t1), commitWait: time.Since(t2)}, nil
}

// evaluate evaluates a query, retrying transient failures.
func evaluate(ctx context.Context, c *client.Contract, fn string, args ...string) ([]byte, error) {
	return evaluateOn(ctx, c, "", fn, args...)
}

// evaluateOn evaluates a query on the peers of one organisation (any when
// msp is empty), retrying transient failures.
func evaluateOn(ctx context.Context, c *client.Contract, msp, fn string, args ...string) ([]byte, error) {
	opts := []client.ProposalOption{client.WithArguments(args...)}
	if msp != "" {
		opts = append(opts, client.WithEndorsingOrganizations(msp))
	}
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := c.EvaluateWithContext(ctx, fn, opts...)
		if err == nil || !transient(err) || time.Now().After(deadline) {
			return res, err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// chaincodeMessage digs the contract's message out of an endorsement error.
func chaincodeMessage(err error) string {
	var endorseErr *client.EndorseError
	if errors.As(err, &endorseErr) {
		for _, d := range endorseErr.Details() {
			if chaincodeResponse.MatchString(d.Message) {
				return chaincodeResponse.ReplaceAllString(d.Message, "")
			}
		}
	}
	if st, ok := status.FromError(err); ok {
		return st.Message()
	}
	return err.Error()
}

// party is a partner of the scenario with its signing key.
type party struct {
	partner schemas.Partner
	key     *ecdsa.PrivateKey
}

func newParty(t testing.TB, id, msp, role string) party {
	t.Helper()
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	return party{
		key: key,
		partner: schemas.Partner{
			ID: id, MSPID: msp, LegalName: "Test " + role + " " + id, Country: "DE",
			Roles: []string{role}, Keys: []schemas.SigningKey{schemas.NewSigningKey(key, "test")},
		},
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}

// runID makes IDs unique per test run, so the tests can run again on the
// same network.
func runID(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
}

// containerNumber builds a valid ISO 6346 number (owner code + serial).
func containerNumber(t testing.TB, serial int) string {
	t.Helper()
	number, err := validContainerNumber(serial)
	require.NoError(t, err)
	return number
}

func validContainerNumber(serial int) (string, error) {
	first := fmt.Sprintf("AEOU%06d", serial%1000000)
	d, err := schemas.ContainerCheckDigit(first)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%d", first, d), nil
}

// containerTouchpoint is a signed container event of the shipment.
func containerTouchpoint(t testing.TB, signer party, shipmentID, number, action string, at time.Time) schemas.Touchpoint {
	t.Helper()
	tp, err := signedContainerTouchpoint(signer, shipmentID, number, action, at)
	require.NoError(t, err)
	return tp
}

// signedContainerTouchpoint is containerTouchpoint for goroutines other than
// the test's own (which must not call t.FailNow).
func signedContainerTouchpoint(signer party, shipmentID, number, action string, at time.Time) (schemas.Touchpoint, error) {
	tp := schemas.Touchpoint{
		Type: schemas.TypeContainer, ShipmentID: shipmentID, EventTime: at.UTC().Format(time.RFC3339Nano),
		Location:  schemas.Location{UNLocode: "DEHAM", Name: "Hamburg"},
		Container: &schemas.ContainerEvent{Number: number, Action: action},
	}
	err := schemas.SignRecord(signer.key, &tp)
	return tp, err
}
