package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// Result is the outcome of a committed transaction.
type Result struct {
	TransactionID string
	BlockNumber   uint64
	Payload       []byte // the contract's return value (JSON)
	Attempts      int    // 1 unless MVCC read conflicts forced retries
}

// Submit endorses, orders and waits for the commit of the named transaction.
// A transaction invalidated by an MVCC read conflict (or phantom read) is
// endorsed again as a new transaction, with backoff, up to the retry policy.
//
// Errors: *ContractError when the contract refuses (wrapping
// *client.EndorseError); *client.SubmitError or *client.CommitStatusError
// when ordering or the status call fails; *client.CommitError when the
// transaction commits invalid (errors.Is(err, ErrConflict) after the last MVCC
// retry); errors.Is(err, ErrUnavailable) when the gateway is unreachable.
func (c *Client) Submit(ctx context.Context, name string, args ...string) (*Result, error) {
	op := "submitting " + name
	var lastErr error
	for attempt := 1; attempt <= c.cfg.retry.MaxAttempts; attempt++ {
		if attempt > 1 {
			if err := sleep(ctx, c.cfg.retry.delay(attempt-1)); err != nil {
				return nil, fmt.Errorf("%s: %w (after %v)", op, err, lastErr)
			}
		}
		res, err := c.submitOnce(ctx, name, args)
		if err == nil {
			res.Attempts = attempt
			return res, nil
		}
		var commitErr *client.CommitError
		if !errors.As(err, &commitErr) || !isReadConflict(commitErr.Code) {
			return nil, wrapGatewayError(op, err)
		}
		lastErr = err
	}
	return nil, wrapGatewayError(fmt.Sprintf("%s: %d attempts", op, c.cfg.retry.MaxAttempts), lastErr)
}

func (c *Client) submitOnce(ctx context.Context, name string, args []string) (*Result, error) {
	proposal, err := c.contract.NewProposal(name, client.WithArguments(args...))
	if err != nil {
		return nil, err
	}
	endorseCtx, cancel := context.WithTimeout(ctx, c.cfg.endorseTimeout)
	txn, err := proposal.EndorseWithContext(endorseCtx)
	cancel()
	if err != nil {
		return nil, err
	}
	submitCtx, cancel := context.WithTimeout(ctx, c.cfg.submitTimeout)
	commit, err := txn.SubmitWithContext(submitCtx)
	cancel()
	if err != nil {
		return nil, err
	}
	statusCtx, cancel := context.WithTimeout(ctx, c.cfg.commitTimeout)
	st, err := commit.StatusWithContext(statusCtx)
	cancel()
	if err != nil {
		return nil, err
	}
	if !st.Successful {
		return nil, &commitFailed{&client.CommitError{TransactionID: st.TransactionID, Code: st.Code}}
	}
	return &Result{TransactionID: st.TransactionID, BlockNumber: st.BlockNumber, Payload: txn.Result()}, nil
}

// Evaluate runs the named transaction as a query on one peer; nothing is
// ordered. Errors: *ContractError when the contract refuses (wrapping the
// gRPC status error), errors.Is(err, ErrUnavailable) when the gateway is
// unreachable.
func (c *Client) Evaluate(ctx context.Context, name string, args ...string) ([]byte, error) {
	evalCtx, cancel := context.WithTimeout(ctx, c.cfg.evaluateTimeout)
	defer cancel()
	out, err := c.contract.EvaluateWithContext(evalCtx, name, client.WithArguments(args...))
	if err != nil {
		return nil, wrapGatewayError("evaluating "+name, err)
	}
	return out, nil
}

// submitJSON submits and decodes the JSON result into out.
func (c *Client) submitJSON(ctx context.Context, out any, name string, args ...string) error {
	res, err := c.Submit(ctx, name, args...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(res.Payload, out); err != nil {
		return fmt.Errorf("decoding result of %s (tx %s): %w", name, res.TransactionID, err)
	}
	return nil
}

// evaluateJSON evaluates and decodes the JSON result into out.
func (c *Client) evaluateJSON(ctx context.Context, out any, name string, args ...string) error {
	raw, err := c.Evaluate(ctx, name, args...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decoding result of %s: %w", name, err)
	}
	return nil
}

// commitFailed gives a *client.CommitError built by the SDK its message
// (fabric-gateway only fills the message of the ones it builds itself).
type commitFailed struct{ *client.CommitError }

func (e *commitFailed) Error() string {
	return fmt.Sprintf("transaction %s failed to commit with status code %d (%s)",
		e.TransactionID, int32(e.Code), e.Code.String())
}

func (e *commitFailed) Unwrap() error { return e.CommitError }

func marshalArg(what string, v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding %s: %w", what, err)
	}
	return string(raw), nil
}

func (p RetryPolicy) delay(retry int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < retry && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	if d <= 0 {
		return 0
	}
	return d + time.Duration(rand.Int64N(int64(d)/2+1))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
