package listener_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/workers/blocks"
	"github.com/aeoledger/aeoledger/workers/blocks/blockstest"
	"github.com/aeoledger/aeoledger/workers/listener"
	"github.com/aeoledger/aeoledger/workers/readmodel"
	"github.com/aeoledger/aeoledger/workers/readmodel/pgtest"
	rmt "github.com/aeoledger/aeoledger/workers/readmodel/readmodeltest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.RunMain(m)) }

var backends = []struct {
	name string
	dsn  func(t testing.TB) string
}{
	{"SQLite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "readmodel.db") }},
	{"PostgreSQL", pgtest.DSN},
}

// chainSource is a ledger at the boundary: it serves the blocks appended so
// far and waits for more, like a peer's Deliver. It can misbehave the way
// networks do: break the stream every few blocks, and re-deliver blocks
// from before the requested start.
type chainSource struct {
	mu         sync.Mutex
	blocks     []*common.Block
	grew       chan struct{}
	breakEvery int
	rewind     uint64
	starts     []uint64
	open       sync.WaitGroup
}

func newChainSource() *chainSource { return &chainSource{grew: make(chan struct{})} }

func (c *chainSource) add(bs ...*common.Block) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.blocks = append(c.blocks, bs...)
	close(c.grew)
	c.grew = make(chan struct{})
}

func (c *chainSource) Blocks(ctx context.Context, start uint64) (<-chan *common.Block, error) {
	c.mu.Lock()
	c.starts = append(c.starts, start)
	from := start - min(start, c.rewind)
	c.mu.Unlock()
	ch := make(chan *common.Block)
	c.open.Add(1)
	go func() {
		defer c.open.Done()
		defer close(ch)
		sent := 0
		for i := from; ; i++ {
			var b *common.Block
			for b == nil {
				c.mu.Lock()
				grew := c.grew
				if uint64(len(c.blocks)) > i {
					b = c.blocks[i]
				}
				c.mu.Unlock()
				if b == nil {
					select {
					case <-grew:
					case <-ctx.Done():
						return
					}
				}
			}
			select {
			case ch <- b:
			case <-ctx.Done():
				return
			}
			sent++
			if c.breakEvery > 0 && sent == c.breakEvery {
				return
			}
		}
	}()
	return ch, nil
}

func (c *chainSource) startsSoFar() []uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]uint64(nil), c.starts...)
}

func open(t testing.TB, dsn string) *readmodel.Store {
	t.Helper()
	s, err := readmodel.Open(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func dump(t testing.TB, s *readmodel.Store) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, s.Dump(context.Background(), &buf))
	return buf.String()
}

func journey(t testing.TB) []*common.Block {
	t.Helper()
	bs, err := rmt.Build(blockstest.NewChain(), rmt.Journey())
	require.NoError(t, err)
	return bs
}

func fast() listener.Option { return listener.WithRetry(time.Millisecond, 5*time.Millisecond) }

func waitFor(t *testing.T, s *readmodel.Store, block uint64) {
	t.Helper()
	require.Eventually(t, func() bool {
		cp, err := s.Checkpoint(context.Background())
		return err == nil && cp.Applied && cp.Block >= block
	}, 60*time.Second, 5*time.Millisecond)
}

func TestFollowingLiveEqualsRebuildingFromBlockZero(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			bs := journey(t)
			last := uint64(len(bs) - 1)

			// Live: blocks arrive while the listener runs, the stream breaks
			// every 3 blocks and reconnections re-deliver 2 old blocks.
			src := newChainSource()
			src.breakEvery, src.rewind = 3, 2
			live := open(t, be.dsn(t))
			l, err := listener.New(live, src, fast())
			require.NoError(t, err)
			done := make(chan error, 1)
			go func() { done <- l.Run(ctx) }()
			for _, b := range bs {
				src.add(b)
				time.Sleep(time.Millisecond)
			}
			waitFor(t, live, last)
			cancel()
			select {
			case err := <-done:
				require.NoError(t, err, "cancelling is a clean stop")
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
			src.open.Wait()
			assert.Greater(t, len(src.startsSoFar()), 2, "the stream must have broken and been resumed")

			// Rebuild: a fresh source holding the whole chain.
			full := newChainSource()
			full.add(bs...)
			rebuilt := open(t, be.dsn(t))
			// Something stale to be wiped by the rebuild.
			stale, err := blocks.Parse(bs[0])
			require.NoError(t, err)
			_, err = rebuilt.Apply(context.Background(), stale)
			require.NoError(t, err)
			r, err := listener.New(rebuilt, full, fast())
			require.NoError(t, err)
			require.NoError(t, r.Rebuild(context.Background(), last))

			liveDump, rebuiltDump := dump(t, live), dump(t, rebuilt)
			assert.Equal(t, liveDump, rebuiltDump)
			assert.Contains(t, liveDump, "declarations\tid=\""+rmt.Declaration1+"\"")
		})
	}
}

func TestRestartResumesAtTheCheckpoint(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := be.dsn(t)
			bs := journey(t)
			src := newChainSource()
			src.add(bs...)

			first, err := readmodel.Open(ctx, dsn)
			require.NoError(t, err)
			l, err := listener.New(first, src, fast())
			require.NoError(t, err)
			require.NoError(t, l.CatchUp(ctx, 4))
			require.NoError(t, first.Close())

			second := open(t, dsn)
			var hooked []uint64
			l, err = listener.New(second, src, fast(), listener.WithOnBlock(func(_ context.Context, b *blocks.Block) error {
				hooked = append(hooked, b.Number)
				return nil
			}))
			require.NoError(t, err)
			require.NoError(t, l.CatchUp(ctx, uint64(len(bs)-1)))

			assert.Equal(t, []uint64{0, 5}, src.startsSoFar(), "the restart asks for the block after the checkpoint")
			assert.Equal(t, []uint64{5, 6, 7, 8, 9}, hooked, "the hook sees each new block once")
			straight := open(t, be.dsn(t))
			for _, b := range bs {
				p, err := blocks.Parse(b)
				require.NoError(t, err)
				_, err = straight.Apply(ctx, p)
				require.NoError(t, err)
			}
			assert.Equal(t, dump(t, straight), dump(t, second))
		})
	}
}

func TestListenerStops(t *testing.T) {
	tests := []struct {
		name    string
		blocks  func(t *testing.T) []*common.Block
		hook    func(context.Context, *blocks.Block) error
		wantErr string
		wantIs  error
		wantCP  readmodel.Checkpoint
	}{
		{
			name: "A block that cannot be parsed stops the listener before it is applied.",
			blocks: func(t *testing.T) []*common.Block {
				bs := journey(t)[:3]
				bs[2].Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = []byte{0}
				return bs
			},
			wantErr: "following blocks: parsing block 2: reading TRANSACTIONS_FILTER: it has 1 entries for 2 transactions: malformed block",
			wantIs:  blocks.ErrMalformed,
			wantCP:  readmodel.Checkpoint{Applied: true, Block: 1, TxIndex: 1},
		},
		{
			name: "A block from another chain stops the listener.",
			blocks: func(t *testing.T) []*common.Block {
				other := blockstest.NewChain()
				other.MustAdd(blockstest.Tx{Config: true})
				return append(journey(t)[:1], other.MustAdd(blockstest.Tx{Args: []string{"x"}}))
			},
			wantErr: "following blocks: applying block 1: field=previousHash",
			wantIs:  readmodel.ErrChainBroken,
			wantCP:  readmodel.Checkpoint{Applied: true, Block: 0, TxIndex: 0},
		},
		{
			name:    "An error from the hook stops the listener after the block is applied.",
			blocks:  func(t *testing.T) []*common.Block { return journey(t)[:2] },
			hook:    func(_ context.Context, b *blocks.Block) error { return errors.New("alerting failed") },
			wantErr: "following blocks: after block 0: alerting failed",
			wantCP:  readmodel.Checkpoint{Applied: true, Block: 0, TxIndex: 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, filepath.Join(t.TempDir(), "rm.db"))
			src := newChainSource()
			src.add(tc.blocks(t)...)
			opts := []listener.Option{fast()}
			if tc.hook != nil {
				opts = append(opts, listener.WithOnBlock(tc.hook))
			}
			l, err := listener.New(s, src, opts...)
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err = l.Run(ctx)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
			if tc.wantIs != nil {
				assert.ErrorIs(t, err, tc.wantIs)
			}
			cp, err := s.Checkpoint(context.Background())
			require.NoError(t, err)
			cp.Hash = ""
			assert.Equal(t, tc.wantCP, cp)
			cancel()
			src.open.Wait()
		})
	}
}

func TestCancellingAnIdleListenerReturnsNil(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "rm.db"))
	src := newChainSource()
	l, err := listener.New(s, src, fast())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	require.Eventually(t, func() bool { return len(src.startsSoFar()) == 1 }, 10*time.Second, time.Millisecond)
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	src.open.Wait() // the source saw the cancellation and closed its stream

	err = l.CatchUp(ctx, 3)
	assert.ErrorIs(t, err, context.Canceled, "CatchUp reports that it did not reach its block")
}

func TestNewRejectsBadOptions(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "rm.db"))
	tests := []struct {
		name    string
		opt     listener.Option
		wantErr string
	}{
		{"A zero minimum retry is refused.", listener.WithRetry(0, time.Second),
			`creating listener: field=retry value="0s..1s" rule=need 0 < min <= max`},
		{"A maximum below the minimum is refused.", listener.WithRetry(time.Second, time.Millisecond),
			`creating listener: field=retry value="1s..1ms" rule=need 0 < min <= max`},
		{"A nil logger is refused.", listener.WithLogger(nil), `creating listener: field=logger value=nil rule=must not be nil`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := listener.New(s, newChainSource(), tc.opt)
			assert.Nil(t, l)
			require.Error(t, err)
			assert.Equal(t, tc.wantErr, err.Error())
		})
	}
}
