package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// Defaults applied by Open to zero Options fields.
const (
	DefaultBatchSize    = 500
	DefaultBatchTimeout = 2 * time.Millisecond
	// DBFileName is the bbolt file inside the ledger directory.
	DBFileName = "ledger.db"
)

// BlockSigner is the orderer identity that signs blocks. network/msp's
// SigningIdentity satisfies it.
type BlockSigner interface {
	// Serialize returns the marshalled msp.SerializedIdentity of the signer.
	Serialize() ([]byte, error)
	// Sign returns an ASN.1 DER ECDSA signature (low-S, as Fabric's BCCSP
	// produces) over SHA-256(msg).
	Sign(msg []byte) ([]byte, error)
}

// Options configure Open.
type Options struct {
	// ChannelID is the channel every block and transaction belongs to
	// (required; it is stored on first open and must match afterwards).
	ChannelID string
	// BatchSize is the number of transactions that cuts a block at once
	// (default DefaultBatchSize).
	BatchSize int
	// BatchTimeout cuts a block this long after its first transaction
	// arrived (default DefaultBatchTimeout).
	BatchTimeout time.Duration
	// Signer signs every block, the genesis block included (required).
	Signer BlockSigner
	// QueueSize bounds the envelopes waiting to be ordered; Order blocks
	// when it is full (default 4*BatchSize).
	QueueSize int
	// NoSync skips the fsync of each block commit. A killed process loses
	// nothing, but a power failure may lose the last acknowledged blocks.
	// Use it only for benchmarks and tests.
	NoSync bool
	// Validate, if set, is called for every endorser transaction of a block
	// before the block is validated against state; a code other than
	// peer.TxValidationCode_VALID marks the transaction invalid with that
	// code (unless it already has BAD_PROPOSAL_TXID or DUPLICATE_TXID) and
	// its writes are not applied. The node uses it to check endorsements.
	// Calls for one block run in parallel (GOMAXPROCS goroutines), so it must
	// be safe for concurrent use and must not depend on state.
	Validate func(tx *Tx) peer.TxValidationCode
	// Genesis, if set, is the channel configuration put in block 0 when the
	// ledger is created. If nil a minimal configuration is used (see
	// GenesisConfig).
	Genesis *common.Config
	// Now is the clock used for the genesis timestamp (default time.Now).
	Now func() time.Time
}

// Ledger is the embedded peer's ledger: world state, history, blocks and the
// orderer that cuts them. All methods are safe for concurrent use.
type Ledger struct {
	opts     Options
	db       *bbolt.DB
	signerID []byte

	queue    chan *orderedTx
	closing  chan struct{} // closed first by Close: Order stops waiting
	stop     chan struct{} // closed after no more Order can enqueue
	finished chan struct{} // closed when the orderer goroutine exits
	broken   chan struct{} // closed when a commit failed

	sendMu    sync.RWMutex // Order holds it shared while enqueueing
	closed    bool
	closeOnce sync.Once
	closeErr  error

	mu       sync.Mutex
	height   uint64
	lastHash []byte
	commitCh chan struct{} // closed and replaced after every commit
	waiters  map[string][]chan txResult
	failure  error // a commit failed; the ledger accepts nothing more
}

type txResult struct {
	blockNum uint64
	code     peer.TxValidationCode
	err      error
}

// Open opens (creating if needed) the ledger in dir and starts its orderer.
// A new ledger gets a genesis block (block 0) holding one CONFIG transaction,
// signed by opts.Signer. Errors for bad options are *FieldError.
func Open(dir string, opts Options) (*Ledger, error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("opening ledger: %w", err)
	}
	signerID, err := opts.Signer.Serialize()
	if err != nil {
		return nil, fmt.Errorf("opening ledger: serializing signer: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("opening ledger: %w", err)
	}
	db, err := bbolt.Open(filepath.Join(dir, DBFileName), 0o600, &bbolt.Options{
		Timeout:        2 * time.Second,
		NoSync:         opts.NoSync,
		NoFreelistSync: true,
		FreelistType:   bbolt.FreelistMapType,
		// Address space only: a large first mapping means the file rarely
		// needs remapping, which would wait for every open snapshot
		// (simulations, Verify) to finish.
		InitialMmapSize: 1 << 30,
	})
	if err != nil {
		return nil, fmt.Errorf("opening ledger database: %w", err)
	}
	l := &Ledger{
		opts:     opts,
		db:       db,
		signerID: signerID,
		queue:    make(chan *orderedTx, opts.QueueSize),
		closing:  make(chan struct{}),
		stop:     make(chan struct{}),
		finished: make(chan struct{}),
		broken:   make(chan struct{}),
		commitCh: make(chan struct{}),
		waiters:  make(map[string][]chan txResult),
	}
	if err := l.load(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening ledger: %w", err)
	}
	go l.runOrderer()
	return l, nil
}

func (o *Options) check() error {
	if o.ChannelID == "" {
		return invalid("ChannelID", o.ChannelID, "must not be empty")
	}
	if o.Signer == nil {
		return invalid("Signer", "<nil>", "must not be nil")
	}
	if o.BatchSize < 0 {
		return invalid("BatchSize", fmt.Sprint(o.BatchSize), "must not be negative")
	}
	if o.BatchTimeout < 0 {
		return invalid("BatchTimeout", o.BatchTimeout.String(), "must not be negative")
	}
	if o.QueueSize < 0 {
		return invalid("QueueSize", fmt.Sprint(o.QueueSize), "must not be negative")
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.BatchTimeout == 0 {
		o.BatchTimeout = DefaultBatchTimeout
	}
	if o.QueueSize == 0 {
		o.QueueSize = 4 * o.BatchSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// load reads height and last hash, creating the buckets and the genesis
// block for a new ledger.
func (l *Ledger) load() error {
	var fresh bool
	err := l.db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil || meta.Get(metaHeight) == nil {
			fresh = true
			return nil
		}
		if ch := string(meta.Get(metaChannel)); ch != l.opts.ChannelID {
			return invalid("ChannelID", l.opts.ChannelID, "must match the ledger's channel "+ch)
		}
		l.height = decodeU64(meta.Get(metaHeight))
		l.lastHash = append([]byte(nil), meta.Get(metaLastHash)...)
		return nil
	})
	if err != nil || !fresh {
		return err
	}
	genesis, err := l.genesisEnvelope()
	if err != nil {
		return err
	}
	return l.commitBlock([]*orderedTx{genesis})
}

func decodeU64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

// ChannelID returns the ledger's channel.
func (l *Ledger) ChannelID() string { return l.opts.ChannelID }

// Height returns the number of committed blocks (the next block number).
func (l *Ledger) Height() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.height
}

// LastBlockHash returns the header hash of the last committed block.
func (l *Ledger) LastBlockHash() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.lastHash...)
}

// Block returns committed block n, or an error wrapping ErrNotFound.
func (l *Ledger) Block(n uint64) (*common.Block, error) {
	var blk *common.Block
	err := l.db.View(func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bucketBlocks).Get(u64(n))
		if raw == nil {
			return fmt.Errorf("block %d: %w", n, ErrNotFound)
		}
		blk = &common.Block{}
		if err := proto.Unmarshal(raw, blk); err != nil {
			return fmt.Errorf("decoding block %d: %w", n, err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading block: %w", err)
	}
	return blk, nil
}

// TxStatus reports where a transaction ID was first committed and its
// validation code. found is false if it has not been committed (yet).
func (l *Ledger) TxStatus(txID string) (blockNum uint64, code peer.TxValidationCode, found bool, err error) {
	err = l.db.View(func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bucketTxIndex).Get([]byte(txID))
		if raw == nil {
			return nil
		}
		e, derr := decodeTxIndex(raw)
		if derr != nil {
			return derr
		}
		blockNum, code, found = e.BlockNum, peer.TxValidationCode(e.Code), true
		return nil
	})
	if err != nil {
		return 0, 0, false, fmt.Errorf("reading status of tx %s: %w", txID, err)
	}
	return blockNum, code, found, nil
}

// WaitForTx blocks until txID is committed and returns its block number and
// validation code. It returns ctx.Err() if ctx ends first and an error
// wrapping ErrClosed if the ledger closes first.
func (l *Ledger) WaitForTx(ctx context.Context, txID string) (uint64, peer.TxValidationCode, error) {
	ch := make(chan txResult, 1)
	l.mu.Lock()
	blk, code, found, err := l.TxStatus(txID)
	// The block store commits before the height is published under l.mu: a
	// transaction found in a block beyond the published height is still
	// being committed, so wait for the commit's notification rather than
	// answering before Height, Block subscribers and Deliver can see it.
	if err != nil || (found && blk < l.height) {
		l.mu.Unlock()
		return blk, code, err
	}
	if l.failure != nil {
		l.mu.Unlock()
		return 0, 0, l.failure
	}
	if l.closed {
		l.mu.Unlock()
		return 0, 0, fmt.Errorf("waiting for tx %s: %w", txID, ErrClosed)
	}
	l.waiters[txID] = append(l.waiters[txID], ch)
	l.mu.Unlock()

	select {
	case r := <-ch:
		return r.blockNum, r.code, r.err
	case <-ctx.Done():
		l.mu.Lock()
		list := l.waiters[txID]
		for i, c := range list {
			if c == ch {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(l.waiters, txID)
		} else {
			l.waiters[txID] = list
		}
		l.mu.Unlock()
		return 0, 0, ctx.Err()
	}
}

// SubscribeBlocks delivers every block from number from onwards, first the
// committed ones and then each new one as it commits, in order and without
// gaps. The channel is closed when ctx ends or the ledger closes. A slow
// reader slows only its own subscription.
func (l *Ledger) SubscribeBlocks(ctx context.Context, from uint64) (<-chan *common.Block, error) {
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("subscribing to blocks: %w", ErrClosed)
	}
	out := make(chan *common.Block, 16)
	go func() {
		defer close(out)
		next := from
		for {
			l.mu.Lock()
			height, wake := l.height, l.commitCh
			l.mu.Unlock()
			for ; next < height; next++ {
				blk, err := l.Block(next)
				if err != nil {
					return
				}
				select {
				case out <- blk:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-wake:
			case <-ctx.Done():
				return
			case <-l.finished:
				if next >= l.Height() {
					return
				}
			}
		}
	}()
	return out, nil
}

// Close stops accepting transactions, commits the ones already accepted,
// stops the orderer and closes the database. Pending WaitForTx calls for
// transactions that were never ordered return an error wrapping ErrClosed.
func (l *Ledger) Close() error {
	l.closeOnce.Do(func() {
		close(l.closing)
		l.sendMu.Lock() // wait for Order calls that are enqueueing
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		l.sendMu.Unlock()
		close(l.stop)
		<-l.finished

		l.mu.Lock()
		for txID, list := range l.waiters {
			for _, ch := range list {
				ch <- txResult{err: fmt.Errorf("waiting for tx %s: %w", txID, ErrClosed)}
			}
			delete(l.waiters, txID)
		}
		close(l.commitCh)
		l.commitCh = make(chan struct{})
		l.mu.Unlock()
		if err := l.db.Close(); err != nil {
			l.closeErr = fmt.Errorf("closing ledger database: %w", err)
		}
	})
	return l.closeErr
}

// failed records a fatal commit error; nothing more is accepted.
func (l *Ledger) failed(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failure == nil {
		l.failure = err
		close(l.broken)
	}
	for txID, list := range l.waiters {
		for _, ch := range list {
			ch <- txResult{err: err}
		}
		delete(l.waiters, txID)
	}
}

var errBroken = errors.New("ledger stopped after a failed commit")
