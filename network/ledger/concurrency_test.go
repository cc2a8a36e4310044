package ledger

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// TestConcurrentUse runs submitters, readers, a block subscriber and
// verification at the same time (for the race detector) and checks that
// every transaction committed once, in a chain that verifies.
func TestConcurrentUse(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.BatchSize = 7; o.BatchTimeout = 3 * time.Millisecond })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	blocks, err := h.l.SubscribeBlocks(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	const submitters, perSubmitter = 6, 10
	var wg sync.WaitGroup
	ids := make(chan string, 2*submitters*perSubmitter)
	for w := 0; w < submitters; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perSubmitter; i++ {
				// everyone bumps the shared counter (conflicts) and writes its own key
				id, _, _ := h.submit("readput", "shared", itoa(w))
				ids <- id
				id, _, code := h.submit("put", "own-"+itoa(w)+"-"+itoa(i), "v")
				if code != peer.TxValidationCode_VALID {
					t.Errorf("blind write got %v", code)
				}
				ids <- id
				_ = h.query("range", "own-", "own.")
			}
		}(w)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 5; i++ {
			if _, err := h.l.Verify(VerifyOptions{}); err != nil {
				t.Errorf("Verify during load: %v", err)
			}
		}
	}()
	wg.Wait()
	close(ids)
	seen := 0
	for id := range ids {
		if _, _, found, err := h.l.TxStatus(id); err != nil || !found {
			t.Fatalf("tx %s not found: %v", id, err)
		}
		seen++
	}
	// the subscription saw every block in order
	height := h.l.Height()
	for want := uint64(0); want < height; want++ {
		select {
		case blk := <-blocks:
			if blk.GetHeader().GetNumber() != want {
				t.Fatalf("subscription got block %d, want %d", blk.GetHeader().GetNumber(), want)
			}
		case <-ctx.Done():
			t.Fatalf("subscription stopped before block %d", want)
		}
	}
	rep, err := h.l.Verify(VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Transactions != seen+1 || rep.StateKeys != submitters*perSubmitter+1 {
		t.Fatalf("report %+v, want %d txs and %d keys", rep, seen+1, submitters*perSubmitter+1)
	}
}
