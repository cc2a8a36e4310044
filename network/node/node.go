// Package node runs aeoledger's embedded peer: one process that is the peer
// and the orderer of a one-node, Fabric-compatible network. Start reads a dev
// network folder (network/devnet), opens the ledger (network/ledger) with the
// orderer identity as block signer and the endorsement check as commit-time
// validator, and serves the Fabric Gateway and Deliver services (network/peer)
// over TLS, running the aeoledger contract (package chaincode) as chaincode
// "aeoledger" on channel "aeo" (names from devnet.yaml).
package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/aeoledger/aeoledger/chaincode"
	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/network/peer"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// Config configures Start.
type Config struct {
	// Dir is the dev network folder written by devnet.Init (required).
	Dir string
	// DataDir holds the ledger (default Dir/data).
	DataDir string
	// Listen is the gateway address; it must be a loopback address
	// (default: the address in devnet.yaml, 127.0.0.1:7051). Port 0 picks
	// a free port; see (*Node).Addr.
	Listen string
	// BatchSize and BatchTimeout cut blocks (ledger defaults when zero).
	BatchSize    int
	BatchTimeout time.Duration
	// NoSync skips fsync on commit: only for benchmarks, never for data
	// that matters.
	NoSync bool
	// GCPercent, when positive, sets the process's garbage collection
	// target (runtime/debug.SetGCPercent) while the node runs; Stop puts
	// the previous value back. Zero leaves it alone. The node's live heap
	// is small (about 10 MB) and nearly all it allocates is per-transaction
	// garbage (about 400 KB per touchpoint, client included), so with the
	// default of 100 it collects several times a second under load: see
	// RecommendedGCPercent.
	GCPercent int
	// Chaincode replaces the aeoledger contract (tests and tools only).
	Chaincode shim.Chaincode
	// Logger receives the node's log (default: slog.Default()).
	Logger *slog.Logger
}

// RecommendedGCPercent is the GCPercent for a process whose main job is the
// node (aeoledger node). In BenchmarkCommittedTouchpoints (32 submitters)
// it made a quarter of the collections (13 instead of 55 in one run), cut
// the collector's share of the CPU profile from about 9% to about 3%, and
// raised the peak heap from about 20 MB to about 60 MB.
const RecommendedGCPercent = 400

// ErrConfig is wrapped by Start's configuration errors.
var ErrConfig = errors.New("invalid node configuration")

// Node is a running embedded peer.
type Node struct {
	network *devnet.Network
	ledger  *ledger.Ledger
	grpc    *grpc.Server
	lis     net.Listener
	log     *slog.Logger
	prevGC  int // GC percent to restore on Stop; -2 if Start left it alone

	serveErr chan error
	stopOnce sync.Once
	stopErr  error
	stopped  chan struct{}
}

// Start opens the ledger and serves the gateway until ctx ends or Stop is
// called.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("starting node: field=Dir value=\"\" rule=must name a dev network folder: %w", ErrConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	network, err := devnet.Load(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	if cfg.Listen == "" {
		cfg.Listen = network.Address
	}
	if err := checkLoopback(cfg.Listen); err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(network.Dir, "data")
	}
	if cfg.GCPercent < 0 {
		return nil, fmt.Errorf("starting node: field=GCPercent value=%d rule=must not be negative: %w", cfg.GCPercent, ErrConfig)
	}
	if cfg.Chaincode == nil {
		cc, err := chaincode.New()
		if err != nil {
			return nil, fmt.Errorf("starting node: building chaincode: %w", err)
		}
		cfg.Chaincode = cc
	}
	mgr, err := network.LoadMSPs()
	if err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	endorser, err := network.PeerSigner()
	if err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	ordererID, err := network.OrdererSigner()
	if err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	serverTLS, err := serverTLSConfig(network, mgr.MSPIDs, func(id string) []*x509.Certificate {
		m, _ := mgr.MSP(id)
		return m.TLSRootCerts()
	})
	if err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	issued := peer.NewIssuedEndorsements(0)
	led, err := ledger.Open(cfg.DataDir, ledger.Options{
		ChannelID:    network.Channel,
		BatchSize:    cfg.BatchSize,
		BatchTimeout: cfg.BatchTimeout,
		Signer:       ordererID,
		NoSync:       cfg.NoSync,
		Validate:     peer.EndorsementValidator(mgr, network.AppOrgIDs(), issued),
	})
	if err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		_ = led.Close()
		return nil, fmt.Errorf("starting node: %w", err)
	}
	srv, err := peer.New(peer.Config{
		ChannelID:  network.Channel,
		Chaincodes: map[string]shim.Chaincode{network.Chaincode: cfg.Chaincode},
		Ledger:     led,
		MSPs:       mgr,
		AppOrgs:    network.AppOrgIDs(),
		Endorser:   endorser,
		Issued:     issued,
		Address:    lis.Addr().String(),
		Logger:     cfg.Logger,
	})
	if err != nil {
		_ = lis.Close()
		_ = led.Close()
		return nil, fmt.Errorf("starting node: %w", err)
	}
	prevGC := -2 // not changed
	if cfg.GCPercent > 0 {
		prevGC = debug.SetGCPercent(cfg.GCPercent)
	}
	g := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(serverTLS)),
		grpc.MaxRecvMsgSize(100<<20),
		grpc.MaxSendMsgSize(100<<20),
		// A pool of long-lived goroutines serves the calls: a fresh goroutine
		// per call grows its stack through the contract's deep call chain
		// every time (runtime.morestack was ~3% of the CPU per transaction;
		// a pooled worker regrows only after a collection shrank its stack).
		// Calls beyond the pool still get their own goroutine.
		grpc.NumStreamWorkers(streamWorkers),
		// Fixed flow-control windows turn off the server's
		// bandwidth-delay-product pings, which gRPC otherwise sends on busy
		// connections, one extra write and read each.
		grpc.InitialWindowSize(flowWindow),
		grpc.InitialConnWindowSize(flowWindow),
	)
	srv.Register(g)
	n := &Node{network: network, ledger: led, grpc: g, lis: lis, log: cfg.Logger, prevGC: prevGC,
		serveErr: make(chan error, 1), stopped: make(chan struct{})}
	go func() { n.serveErr <- g.Serve(lis) }()
	go func() {
		select {
		case <-ctx.Done():
			stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = n.Stop(stopCtx)
		case <-n.stopped:
		}
	}()
	n.log.Info("embedded peer listening", "address", lis.Addr().String(), "channel", network.Channel,
		"chaincode", network.Chaincode, "height", led.Height())
	return n, nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("field=Listen value=%q rule=must be host:port: %w", addr, ErrConfig)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("field=Listen value=%q rule=must be a loopback address (127.0.0.1): %w", addr, ErrConfig)
	}
	return nil
}

func serverTLSConfig(n *devnet.Network, ids func() []string, roots func(string) []*x509.Certificate) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(n.Peer.TLSCert, n.Peer.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("loading TLS server pair: %w", err)
	}
	clientCAs := x509.NewCertPool()
	for _, id := range ids() {
		for _, c := range roots(id) {
			clientCAs.AddCert(c)
		}
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		// Like a Fabric peer without clientAuthRequired: a client certificate
		// is optional, but one that is presented must chain to an org's TLS CA.
		ClientAuth: tls.VerifyClientCertIfGiven,
		ClientCAs:  clientCAs,
		MinVersion: tls.VersionTLS12,
	}, nil
}

// streamWorkers is the size of the gRPC server's goroutine pool. Every
// submitter holds one worker while its CommitStatus waits for the block, so
// the pool is sized for tens of concurrent calls, not for the cores. It is
// not larger because idle workers are handed calls in turn and a collection
// shrinks the stack of every idle one: with 256 workers runtime.morestack
// took about twice the profile share it takes with 48.
const streamWorkers = 64

// flowWindow is the HTTP/2 stream and connection window: 64 times gRPC's
// 64 KiB default. Larger messages (a full block of 500 touchpoints) still
// flow, with window updates on the way.
const flowWindow = 4 << 20

// unaryGrace is how long Stop lets running calls finish before it closes
// the ledger under the remaining streams.
const unaryGrace = time.Second

// Addr is the address the gateway listens on.
func (n *Node) Addr() string { return n.lis.Addr().String() }

// Network is the dev network the node serves.
func (n *Node) Network() *devnet.Network { return n.network }

// Ledger is the node's ledger (for verification and inspection).
func (n *Node) Ledger() *ledger.Ledger { return n.ledger }

// Stop stops accepting calls, lets running calls finish, commits the
// transactions already accepted and closes the ledger. Calls still running
// when ctx ends are cut off.
func (n *Node) Stop(ctx context.Context) error {
	n.stopOnce.Do(func() {
		close(n.stopped)
		graceful := make(chan struct{})
		go func() {
			n.grpc.GracefulStop()
			close(graceful)
		}()
		// Give unary calls a moment to finish; then closing the ledger commits
		// what was accepted and ends the event streams and commit-status
		// waits, which GracefulStop would otherwise wait for forever.
		grace := time.NewTimer(unaryGrace)
		select {
		case <-graceful:
		case <-grace.C:
		case <-ctx.Done():
		}
		grace.Stop()
		if err := n.ledger.Close(); err != nil {
			n.stopErr = fmt.Errorf("stopping node: %w", err)
		}
		select {
		case <-graceful:
		case <-ctx.Done():
			n.grpc.Stop()
			<-graceful
		}
		if err := <-n.serveErr; err != nil && !errors.Is(err, grpc.ErrServerStopped) && n.stopErr == nil {
			n.stopErr = fmt.Errorf("stopping node: serving: %w", err)
		}
		if n.prevGC != -2 {
			debug.SetGCPercent(n.prevGC)
		}
		n.log.Info("embedded peer stopped")
	})
	return n.stopErr
}

// Done is closed once Stop has begun.
func (n *Node) Done() <-chan struct{} { return n.stopped }
