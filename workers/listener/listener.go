// Package listener follows the committed blocks of a ledger (the embedded
// peer or a Fabric network, through fabric-gateway's BlockEvents) and
// projects each one into the read model, resuming from the read model's
// checkpoint: after a restart it neither skips a block nor applies one
// twice, and rebuilding from block 0 gives the same tables as following the
// chain live.
package listener

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"github.com/aeoledger/aeoledger/workers/blocks"
	"github.com/aeoledger/aeoledger/workers/readmodel"
)

// BlockSource delivers committed blocks in order, starting at a block
// number, until ctx ends or the stream breaks; either way it closes the
// channel. A source may wait for blocks that do not exist yet.
type BlockSource interface {
	Blocks(ctx context.Context, start uint64) (<-chan *common.Block, error)
}

// SourceFunc adapts a function to BlockSource, for example the embedded
// ledger's SubscribeBlocks.
type SourceFunc func(ctx context.Context, start uint64) (<-chan *common.Block, error)

// Blocks calls f.
func (f SourceFunc) Blocks(ctx context.Context, start uint64) (<-chan *common.Block, error) {
	return f(ctx, start)
}

// GatewaySource reads full blocks through fabric-gateway's
// Network.BlockEvents, on the embedded peer or a Fabric network alike. The
// gateway identity needs block-event access on the channel.
type GatewaySource struct {
	Network *client.Network
}

// Blocks opens a block event stream at start.
func (g GatewaySource) Blocks(ctx context.Context, start uint64) (<-chan *common.Block, error) {
	ch, err := g.Network.BlockEvents(ctx, client.WithStartBlock(start))
	if err != nil {
		return nil, fmt.Errorf("opening block events of channel %s at block %d: %w", g.Network.Name(), start, err)
	}
	return ch, nil
}

// Listener projects a block source into a read model.
type Listener struct {
	store    *readmodel.Store
	source   BlockSource
	log      *slog.Logger
	minRetry time.Duration
	maxRetry time.Duration
	onBlock  func(context.Context, *blocks.Block) error
}

// Option configures New.
type Option func(*Listener) error

// WithLogger logs reconnections and progress (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(li *Listener) error {
		if l == nil {
			return errors.New("field=logger value=nil rule=must not be nil")
		}
		li.log = l
		return nil
	}
}

// WithRetry sets the backoff between reconnections when the stream breaks
// or cannot be opened: it starts at min and doubles up to max (defaults
// 500ms and 30s).
func WithRetry(minWait, maxWait time.Duration) Option {
	return func(li *Listener) error {
		if minWait <= 0 || maxWait < minWait {
			return fmt.Errorf("field=retry value=%q rule=need 0 < min <= max", fmt.Sprintf("%s..%s", minWait, maxWait))
		}
		li.minRetry, li.maxRetry = minWait, maxWait
		return nil
	}
}

// WithOnBlock calls fn after each block's projection is committed, for
// workers that react to new records (alerts, screening, scores). An error
// from fn stops the listener; the block stays applied.
func WithOnBlock(fn func(ctx context.Context, b *blocks.Block) error) Option {
	return func(li *Listener) error {
		li.onBlock = fn
		return nil
	}
}

// New returns a listener that applies blocks from source to store.
func New(store *readmodel.Store, source BlockSource, opts ...Option) (*Listener, error) {
	if store == nil || source == nil {
		return nil, errors.New("creating listener: store and source must not be nil")
	}
	l := &Listener{
		store: store, source: source, log: slog.New(slog.DiscardHandler),
		minRetry: 500 * time.Millisecond, maxRetry: 30 * time.Second,
	}
	for _, opt := range opts {
		if err := opt(l); err != nil {
			return nil, fmt.Errorf("creating listener: %w", err)
		}
	}
	return l, nil
}

// Run follows the chain from the checkpoint until ctx ends, then returns
// nil. It reconnects with backoff when the stream breaks. It returns an
// error for a block it cannot parse or apply (other than a gap, after
// which it reconnects at the checkpoint), and for an error from the
// OnBlock hook.
func (l *Listener) Run(ctx context.Context) error {
	return l.follow(ctx, nil)
}

// CatchUp follows the chain from the checkpoint until block last is
// applied, then returns nil. It returns ctx's error if ctx ends first.
func (l *Listener) CatchUp(ctx context.Context, last uint64) error {
	if err := l.follow(ctx, &last); err != nil {
		return err
	}
	return ctx.Err()
}

// Rebuild empties the read model and projects the chain again from block 0
// up to block last.
func (l *Listener) Rebuild(ctx context.Context, last uint64) error {
	if err := l.store.Reset(ctx); err != nil {
		return fmt.Errorf("rebuilding read model: %w", err)
	}
	if err := l.CatchUp(ctx, last); err != nil {
		return fmt.Errorf("rebuilding read model: %w", err)
	}
	return nil
}

// follow is Run (last == nil) and CatchUp.
func (l *Listener) follow(ctx context.Context, last *uint64) error {
	wait := l.minRetry
	for {
		cp, err := l.store.Checkpoint(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("following blocks: %w", err)
		}
		if last != nil && cp.Applied && cp.Block >= *last {
			return nil
		}
		progressed, done, err := l.stream(ctx, cp.NextBlock(), last)
		if err != nil || done || ctx.Err() != nil {
			return err
		}
		if progressed {
			wait = l.minRetry
		}
		l.log.Info("block stream ended, reconnecting", "from", cp.NextBlock(), "wait", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, l.maxRetry)
	}
}

// stream applies one subscription's blocks. It reports whether any block
// was applied, whether block last was reached, and a fatal error.
func (l *Listener) stream(ctx context.Context, start uint64, last *uint64) (progressed, done bool, err error) {
	subCtx, cancel := context.WithCancel(ctx)
	ch, err := l.source.Blocks(subCtx, start)
	if err != nil {
		cancel()
		l.log.Warn("opening block stream failed", "from", start, "err", err)
		return false, false, nil
	}
	defer func() {
		cancel()
		// A source goroutine may be blocked sending the next block; let it
		// finish so it can see the cancellation and close the channel.
		go func() {
			for range ch {
			}
		}()
	}()
	for {
		var raw *common.Block
		var ok bool
		select {
		case <-ctx.Done():
			return progressed, false, nil
		case raw, ok = <-ch:
		}
		if !ok {
			return progressed, false, nil
		}
		b, err := blocks.Parse(raw)
		if err != nil {
			return progressed, false, fmt.Errorf("following blocks: %w", err)
		}
		applied, err := l.store.Apply(ctx, b)
		switch {
		case errors.Is(err, readmodel.ErrGap):
			l.log.Warn("block stream skipped ahead, resubscribing at the checkpoint", "err", err)
			return progressed, false, nil
		case err != nil && ctx.Err() != nil:
			// Cancelled mid-block: the block's transaction rolled back.
			return progressed, false, nil
		case err != nil:
			return progressed, false, fmt.Errorf("following blocks: %w", err)
		}
		if applied {
			progressed = true
			l.log.Debug("applied block", "block", b.Number, "txs", len(b.Transactions))
			if l.onBlock != nil {
				if err := l.onBlock(ctx, b); err != nil {
					return progressed, false, fmt.Errorf("following blocks: after block %d: %w", b.Number, err)
				}
			}
		}
		if last != nil && b.Number >= *last {
			return progressed, true, nil
		}
	}
}
