package pipeline

import (
	"context"
	"fmt"
	"iter"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"github.com/aeoledger/aeoledger/workers/blocks"
	"github.com/aeoledger/aeoledger/workers/listener"
)

// Worker is the listener with the pipeline behind it: what `aeoledger
// worker run` runs.
type Worker struct {
	Pipeline *Pipeline
	Source   listener.BlockSource
	// ListenerOptions are passed to listener.New (logger, retry); the
	// pipeline adds its own WithOnBlock.
	ListenerOptions []listener.Option
}

// Resume hands the pipeline the blocks the read model applied but the
// pipeline did not finish (after a crash between the two checkpoints),
// reading them again from the source.
func (w *Worker) Resume(ctx context.Context) error {
	rm, err := w.Pipeline.store.Checkpoint(ctx)
	if err != nil {
		return fmt.Errorf("resuming pipeline: %w", err)
	}
	if !rm.Applied {
		return nil
	}
	done, started, err := w.Pipeline.Checkpoint(ctx)
	if err != nil {
		return fmt.Errorf("resuming pipeline: %w", err)
	}
	next := uint64(0)
	if started {
		next = done + 1
	}
	if next > rm.Block {
		return nil
	}
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := w.Source.Blocks(subCtx, next)
	if err != nil {
		return fmt.Errorf("resuming pipeline at block %d: %w", next, err)
	}
	defer func() {
		cancel()
		go func() { // let the source see the cancellation and close
			for range ch {
			}
		}()
	}()
	for n := next; n <= rm.Block; n++ {
		var raw *common.Block
		var ok bool
		select {
		case <-ctx.Done():
			return ctx.Err()
		case raw, ok = <-ch:
		}
		if !ok {
			return fmt.Errorf("resuming pipeline: block stream ended before block %d", n)
		}
		b, err := blocks.Parse(raw)
		if err != nil {
			return fmt.Errorf("resuming pipeline: %w", err)
		}
		if b.Number != n {
			return fmt.Errorf("resuming pipeline: expected block %d, got %d", n, b.Number)
		}
		if err := w.Pipeline.HandleBlock(ctx, b); err != nil {
			return fmt.Errorf("resuming pipeline: %w", err)
		}
	}
	return nil
}

func (w *Worker) listener() (*listener.Listener, error) {
	opts := append(append([]listener.Option{}, w.ListenerOptions...), listener.WithOnBlock(w.Pipeline.HandleBlock))
	return listener.New(w.Pipeline.store, w.Source, opts...)
}

// Run resumes the pipeline, then follows the chain until ctx ends (and
// returns nil) or a block cannot be applied or handled.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.Resume(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	l, err := w.listener()
	if err != nil {
		return err
	}
	if err := l.Run(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// CatchUp resumes the pipeline, then follows the chain until block last is
// applied and handled.
func (w *Worker) CatchUp(ctx context.Context, last uint64) error {
	if err := w.Resume(ctx); err != nil {
		return err
	}
	l, err := w.listener()
	if err != nil {
		return err
	}
	return l.CatchUp(ctx, last)
}

// BlockRange streams committed blocks from start up to the newest one and
// then ends, as client.Client.BlockRange does.
type BlockRange func(ctx context.Context, start uint64) iter.Seq2[*common.Block, error]

// Drain resumes the pipeline, then applies and handles every block from the
// read model's checkpoint up to the newest block, and returns: one pass of
// the worker, for cron jobs and tests (`aeoledger worker run --once`).
// Blocks committed while it runs (its own conclusions among them) are left
// for the next pass.
func (w *Worker) Drain(ctx context.Context, blocksFrom BlockRange) error {
	if err := w.Resume(ctx); err != nil {
		return err
	}
	store := w.Pipeline.store
	cp, err := store.Checkpoint(ctx)
	if err != nil {
		return fmt.Errorf("draining blocks: %w", err)
	}
	for raw, err := range blocksFrom(ctx, cp.NextBlock()) {
		if err != nil {
			return fmt.Errorf("draining blocks: %w", err)
		}
		b, err := blocks.Parse(raw)
		if err != nil {
			return fmt.Errorf("draining blocks: %w", err)
		}
		applied, err := store.Apply(ctx, b)
		if err != nil {
			return fmt.Errorf("draining blocks: %w", err)
		}
		if !applied {
			continue
		}
		if err := w.Pipeline.HandleBlock(ctx, b); err != nil {
			return fmt.Errorf("draining blocks: %w", err)
		}
	}
	return nil
}
