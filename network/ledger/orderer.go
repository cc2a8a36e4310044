package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// orderedTx is an accepted envelope waiting for its block.
type orderedTx struct {
	raw     []byte
	tx      *Tx
	arrived time.Time
}

func newOrderedTx(env *common.Envelope) (*orderedTx, error) {
	tx, err := ParseEnvelope(env)
	if err != nil {
		return nil, err
	}
	return orderedFromParsed(tx)
}

func orderedFromParsed(tx *Tx) (*orderedTx, error) {
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(tx.Envelope)
	if err != nil {
		return nil, fmt.Errorf("marshalling envelope: %w", err)
	}
	return &orderedTx{raw: raw, tx: tx}, nil
}

// Order accepts an endorsed transaction envelope (Fabric format, as the
// Gateway's Submit receives it) for the next block. It checks only what an
// orderer checks: the envelope parses, it is an ENDORSER_TRANSACTION of this
// channel and has a transaction ID. Signature, endorsement, duplicate and
// MVCC checks happen at commit and show in the validation code (see
// WaitForTx). Order blocks while the queue is full. Errors: *FieldError
// (ErrInvalid) for a bad envelope, ErrClosed, ctx.Err().
func (l *Ledger) Order(ctx context.Context, env *common.Envelope) error {
	otx, err := newOrderedTx(env)
	if err != nil {
		return fmt.Errorf("ordering transaction: %w", err)
	}
	return l.order(ctx, otx)
}

// OrderParsed is Order for an envelope the caller has already taken apart
// with ParseEnvelope (the gateway's Submit does, to check the creator's
// signature), so that it is not parsed twice. tx must not be changed
// afterwards. Errors as for Order.
func (l *Ledger) OrderParsed(ctx context.Context, tx *Tx) error {
	if tx == nil || tx.Envelope == nil {
		return fmt.Errorf("ordering transaction: %w", invalid("envelope", "<nil>", "must not be nil"))
	}
	otx, err := orderedFromParsed(tx)
	if err != nil {
		return fmt.Errorf("ordering transaction: %w", err)
	}
	return l.order(ctx, otx)
}

func (l *Ledger) order(ctx context.Context, otx *orderedTx) error {
	switch {
	case otx.tx.Type != common.HeaderType_ENDORSER_TRANSACTION:
		return fmt.Errorf("ordering transaction: %w", invalid("channel_header.type", otx.tx.Type.String(), "must be ENDORSER_TRANSACTION"))
	case otx.tx.ChannelID != l.opts.ChannelID:
		return fmt.Errorf("ordering transaction: %w", invalid("channel_header.channel_id", otx.tx.ChannelID, "must be "+l.opts.ChannelID))
	case otx.tx.TxID == "":
		return fmt.Errorf("ordering transaction: %w", invalid("channel_header.tx_id", "", "must not be empty"))
	}
	return l.enqueue(ctx, otx)
}

func (l *Ledger) enqueue(ctx context.Context, otx *orderedTx) error {
	l.sendMu.RLock()
	defer l.sendMu.RUnlock()
	l.mu.Lock()
	closed, failure := l.closed, l.failure
	l.mu.Unlock()
	if failure != nil {
		return fmt.Errorf("ordering tx %s: %w", otx.tx.TxID, failure)
	}
	if closed {
		return fmt.Errorf("ordering tx %s: %w", otx.tx.TxID, ErrClosed)
	}
	otx.arrived = time.Now()
	select {
	case l.queue <- otx:
		return nil
	case <-l.closing:
		return fmt.Errorf("ordering tx %s: %w", otx.tx.TxID, ErrClosed)
	case <-l.broken:
		l.mu.Lock()
		failure := l.failure
		l.mu.Unlock()
		return fmt.Errorf("ordering tx %s: %w", otx.tx.TxID, failure)
	case <-ctx.Done():
		return fmt.Errorf("ordering tx %s: %w", otx.tx.TxID, ctx.Err())
	}
}

// runOrderer cuts a block when BatchSize transactions are waiting or
// BatchTimeout after the first one of the batch arrived, and commits it.
// On stop it drains the queue into final blocks.
func (l *Ledger) runOrderer() {
	defer close(l.finished)
	batch := make([]*orderedTx, 0, l.opts.BatchSize)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case otx := <-l.queue:
			batch = append(batch[:0], otx)
		case <-l.stop:
			l.drain(batch[:0])
			return
		}
		// The timeout runs from the arrival of the batch's first transaction,
		// which may have queued while the previous block was committing.
		timer.Reset(time.Until(batch[0].arrived.Add(l.opts.BatchTimeout)))
	fill:
		for len(batch) < l.opts.BatchSize {
			select {
			case otx := <-l.queue:
				batch = append(batch, otx)
			case <-timer.C:
				// take what is already queued, without waiting
				for len(batch) < l.opts.BatchSize {
					select {
					case otx := <-l.queue:
						batch = append(batch, otx)
						continue
					default:
					}
					break
				}
				break fill
			case <-l.stop:
				timer.Stop()
				l.drain(batch)
				return
			}
		}
		timer.Stop()
		if !l.cut(batch) {
			return
		}
	}
}

// drain commits what is in batch and in the queue, in blocks of BatchSize.
func (l *Ledger) drain(batch []*orderedTx) {
	for {
		select {
		case otx := <-l.queue:
			batch = append(batch, otx)
			if len(batch) < l.opts.BatchSize {
				continue
			}
		default:
		}
		if len(batch) == 0 {
			return
		}
		if !l.cut(batch) {
			return
		}
		batch = batch[:0]
	}
}

// cut commits one block; false means the ledger failed and must stop.
func (l *Ledger) cut(batch []*orderedTx) bool {
	if err := l.commitBlock(batch); err != nil {
		l.failed(fmt.Errorf("%w: %w", errBroken, err))
		return false
	}
	return true
}
