package pipeline_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/csv"
	"github.com/aeoledger/aeoledger/internal/shareddata"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/node"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/alerts"
	"github.com/aeoledger/aeoledger/workers/anomaly"
	"github.com/aeoledger/aeoledger/workers/listener"
	"github.com/aeoledger/aeoledger/workers/pipeline"
	"github.com/aeoledger/aeoledger/workers/readmodel"
)

// dataDir is ../shared/data beside the repository.
func dataDir(t testing.TB) string {
	t.Helper()
	return shareddata.Path(t)
}

// ledgerNet is a real embedded peer on a dev network with the partners the
// scenario needs: a customs authority (whose user1 runs the workers), a
// carrier with its signing key and an exporter.
type ledgerNet struct {
	node       *node.Node
	customs    *client.Client // CustomsMSP admin: governance, officer
	worker     *client.Client // CustomsMSP user1: the workers' identity
	carrier    *client.Client
	carrierKey *ecdsa.PrivateKey
}

func startLedger(t *testing.T) *ledgerNet {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	network, err := devnet.Init(filepath.Join(t.TempDir(), "net"), devnet.Options{})
	require.NoError(t, err)
	nd, err := node.Start(ctx, node.Config{Dir: network.Dir, Listen: "127.0.0.1:0", BatchTimeout: 5 * time.Millisecond,
		NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		stop, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = nd.Stop(stop)
	})
	prof, err := network.Profile()
	require.NoError(t, err)
	prof.Gateway.Address = nd.Addr()
	connect := func(msp, name string) *client.Client {
		c, err := client.ConnectProfile(prof, msp, name)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	n := &ledgerNet{node: nd, customs: connect("CustomsMSP", "admin"), worker: connect("CustomsMSP", "user1"),
		carrier: connect("CarrierMSP", "user1")}
	n.carrierKey, err = crypto.GenerateKey()
	require.NoError(t, err)
	customsKey, err := crypto.GenerateKey()
	require.NoError(t, err)
	exporterKey, err := crypto.GenerateKey()
	require.NoError(t, err)
	for _, p := range []schemas.Partner{
		{ID: "customs-nl", MSPID: "CustomsMSP", LegalName: "Douane Rotterdam", Country: "NL", Roles: []string{schemas.RoleCustoms},
			Keys: []schemas.SigningKey{schemas.NewSigningKey(customsKey, "main")}},
		{ID: "nordic-lines", MSPID: "CarrierMSP", LegalName: "Nordic Lines", Country: "DK", Roles: []string{schemas.RoleCarrier},
			Keys: []schemas.SigningKey{schemas.NewSigningKey(n.carrierKey, "main")}},
		{ID: "acme-export", MSPID: "ExporterMSP", LegalName: "Acme Flowers", Country: "NL", Roles: []string{schemas.RoleExporter},
			Keys: []schemas.SigningKey{schemas.NewSigningKey(exporterKey, "main")}},
	} {
		_, err := n.customs.RegisterPartner(context.Background(), p)
		require.NoError(t, err)
	}
	return n
}

func (n *ledgerNet) lastBlock() uint64 { return n.node.Ledger().Height() - 1 }

// shipment creates a reefer shipment (2-8 °C) carried by nordic-lines.
func (n *ledgerNet) shipment(t *testing.T, id string, consignee schemas.Party) {
	t.Helper()
	now := time.Now().UTC()
	_, err := n.customs.CreateShipment(context.Background(), schemas.Shipment{
		ID:        id,
		Consignor: schemas.Party{PartnerID: "acme-export", Name: "Acme Flowers", Country: "NL"},
		Consignee: consignee, Parties: []string{"nordic-lines"},
		Origin: "NLRTM", Destination: "USNYC", HSCodes: []string{"060311"},
		TemperatureRange: &schemas.TemperatureRange{Min: 2, Max: 8},
		PlannedDeparture: now.Format(time.RFC3339), PlannedArrival: now.Add(240 * time.Hour).Format(time.RFC3339),
	})
	require.NoError(t, err)
}

// worker is the listener and pipeline over a SQLite read model.
type worker struct {
	store    *readmodel.Store
	pipeline *pipeline.Pipeline
	run      *pipeline.Worker
}

func newWorker(t *testing.T, n *ledgerNet, dbPath string, cfg pipeline.Config) *worker {
	t.Helper()
	ctx := context.Background()
	store, err := readmodel.Open(ctx, dbPath)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	p, err := pipeline.New(ctx, store, n.worker, cfg)
	require.NoError(t, err)
	w := &pipeline.Worker{Pipeline: p, Source: listener.GatewaySource{Network: n.worker.Network()},
		ListenerOptions: []listener.Option{listener.WithRetry(10*time.Millisecond, 100*time.Millisecond)}}
	return &worker{store: store, pipeline: p, run: w}
}

// start runs the worker until the returned stop is called.
func (w *worker) start(t *testing.T) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.run.Run(ctx) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Fatal("worker did not stop")
		}
	}
}

// webhook is a local receiver that checks every signature.
type webhook struct {
	srv    *httptest.Server
	secret []byte
	mu     sync.Mutex
	ids    []string
	bad    int
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{secret: []byte("a-secret-of-32-bytes-for-testing")}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := alerts.VerifySignature(w.secret, r.Header.Get(alerts.SignatureHeader), r.Header.Get(alerts.TimestampHeader), body, time.Now(), time.Minute)
		w.mu.Lock()
		defer w.mu.Unlock()
		if err != nil {
			w.bad++
			rw.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.ids = append(w.ids, r.Header.Get(alerts.DeliveryHeader))
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhook) deliveries() (ids []string, bad int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.ids), w.bad
}

func (w *webhook) notifier(t *testing.T) *alerts.Notifier {
	n, err := alerts.NewNotifier(w.srv.URL, w.secret, alerts.WithRetry(3, 10*time.Millisecond, 50*time.Millisecond))
	require.NoError(t, err)
	return n
}

// plantedDeclaration returns a declaration of valid.csv whose HS6 code is
// the most common one in the training file, with its price cut to a
// thirtieth of that code's median unit value: the first planted
// anomaly (10x below the median), made stronger so that the test checks
// the wiring, not how sensitive the model is on a slice of the history.
func plantedDeclaration(t *testing.T, train []anomaly.Declaration) schemas.Declaration {
	t.Helper()
	values := map[string][]float64{}
	for _, d := range train {
		if d.NetMass > 0 && d.ItemPrice > 0 {
			values[d.HS6] = append(values[d.HS6], d.ItemPrice/d.NetMass)
		}
	}
	var best string
	for hs, v := range values {
		if len(v) > len(values[best]) || (len(v) == len(values[best]) && hs < best) {
			best = hs
		}
	}
	sort.Float64s(values[best])
	median := values[best][len(values[best])/2]
	f, err := os.Open(filepath.Join(dataDir(t), "customs", "valid.csv"))
	require.NoError(t, err)
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	require.NoError(t, err)
	for {
		row, err := r.Read()
		require.NoError(t, err, "valid.csv has no usable row of HS6 %s", best)
		d, err := schemas.DeclarationFromCSV(header, row)
		require.NoError(t, err)
		if d.HSCode == best && d.NetMass >= 1 {
			d.ItemPrice = float64(int64(d.NetMass*median/30*100)) / 100
			return *d
		}
	}
}
