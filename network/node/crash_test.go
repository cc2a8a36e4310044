package node_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/network/node"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

// Environment of the child process the crash test starts and kills: the
// test binary re-executes itself and TestMain runs a node instead of tests.
const (
	envCrashDir  = "AEOLEDGER_CRASHNODE_DIR"
	envCrashData = "AEOLEDGER_CRASHNODE_DATA"
	readyPrefix  = "CRASHNODE READY "
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envCrashDir); dir != "" {
		runCrashNode(dir, os.Getenv(envCrashData))
		return
	}
	os.Exit(m.Run())
}

// runCrashNode serves until the process is killed.
func runCrashNode(dir, data string) {
	nd, err := node.Start(context.Background(), node.Config{
		Dir: dir, DataDir: data, Listen: "127.0.0.1:0",
		BatchSize: 20, BatchTimeout: 5 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash node:", err)
		os.Exit(2)
	}
	fmt.Println(readyPrefix + nd.Addr())
	select {}
}

// startChild starts the node as a child process and returns its address.
func startChild(t *testing.T, n *devnet.Network, data string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCrashDir+"="+n.Dir, envCrashData+"="+data)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if addr, ok := strings.CutPrefix(lines.Text(), readyPrefix); ok {
			go func() {
				for lines.Scan() { // keep draining so the child never blocks on stdout
				}
			}()
			return cmd, addr
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	t.Fatalf("crash node exited before it was ready: %v", lines.Err())
	return nil, ""
}

// TestKill9LosesNoAcknowledgedTransaction runs the node (with the aeoledger
// contract) as a child process, loads it with concurrent submitters of
// signed touchpoints, kills it with SIGKILL at random
// moments, restarts it, and finally checks that every transaction whose
// commit status came back VALID is in the ledger and the chain verifies.
func TestKill9LosesNoAcknowledgedTransaction(t *testing.T) {
	kills := 6
	if testing.Short() {
		kills = 2
	}
	const submitters = 8
	n := newNetwork(t)
	data := filepath.Join(t.TempDir(), "data")

	var fixture *touchpointFixture
	var (
		mu       sync.Mutex
		acked    []string
		accepted atomic.Int64 // Submit returned OK
	)
	for range kills {
		cmd, addr := startChild(t, n, data)
		if fixture == nil {
			fixture = newTouchpointFixture(t, n, addr)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range submitters {
			c := dial(t, n, addr, "CarrierMSP", "user1")
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				contract := c.gw.GetNetwork(n.Channel).GetContract(n.Chaincode)
				for i := 0; ctx.Err() == nil; i++ {
					record, err := fixture.touchpoint(fixture.shipments[w])
					if err != nil {
						t.Error(err)
						return
					}
					_, commit, err := contract.SubmitAsync("RecordTouchpoint", client.WithArguments(record))
					if err != nil {
						continue
					}
					accepted.Add(1)
					st, err := commit.StatusWithContext(ctx)
					if err == nil && st.Code == pb.TxValidationCode_VALID {
						mu.Lock()
						acked = append(acked, commit.TransactionID())
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(1200+rand.IntN(1500)) * time.Millisecond)
		require.NoError(t, cmd.Process.Kill()) // SIGKILL: no chance to flush or close
		_ = cmd.Wait()
		cancel()
		wg.Wait()
	}

	nd, err := node.Start(context.Background(), node.Config{Dir: n.Dir, DataDir: data, Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer func() { require.NoError(t, nd.Stop(context.Background())) }()
	lost := 0
	for _, txID := range acked {
		_, code, found, err := nd.Ledger().TxStatus(txID)
		require.NoError(t, err)
		if !found || code != pb.TxValidationCode_VALID {
			lost++
		}
	}
	report, err := nd.Ledger().Verify(ledger.VerifyOptions{})
	require.NoError(t, err, "the chain verifies after the kills")
	t.Logf("kill -9 test: kills=%d accepted-by-submit=%d acknowledged-valid=%d lost=%d blocks=%d valid-txs-in-ledger=%d",
		kills, accepted.Load(), len(acked), lost, report.Blocks, report.ValidTransactions)
	require.NotEmpty(t, acked, "the load must get transactions acknowledged")
	require.Zero(t, lost, "no acknowledged transaction may be lost")
}
