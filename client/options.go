package client

import (
	"fmt"
	"time"

	"google.golang.org/grpc"
)

// Option configures a Client; options are checked by Connect.
type Option func(*config) error

type config struct {
	conn            grpc.ClientConnInterface // caller-owned connection, if set
	evaluateTimeout time.Duration
	endorseTimeout  time.Duration
	submitTimeout   time.Duration
	commitTimeout   time.Duration
	retry           RetryPolicy
	localValidation bool
}

func defaultConfig() config {
	return config{
		evaluateTimeout: 10 * time.Second,
		endorseTimeout:  15 * time.Second,
		submitTimeout:   10 * time.Second,
		commitTimeout:   60 * time.Second,
		retry:           DefaultRetryPolicy,
		localValidation: true,
	}
}

// RetryPolicy says how often and how patiently a transaction invalidated by
// an MVCC read conflict is endorsed and submitted again. The delay before
// attempt n+1 is min(BaseDelay*2^(n-1), MaxDelay) plus up to 50% jitter.
type RetryPolicy struct {
	MaxAttempts int // total attempts, >= 1 (1 = no retry)
	BaseDelay   time.Duration
	MaxDelay    time.Duration
}

// DefaultRetryPolicy makes 5 attempts with delays from 25 ms up to 1 s.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 5, BaseDelay: 25 * time.Millisecond, MaxDelay: time.Second}

// WithRetry replaces the MVCC retry policy.
func WithRetry(p RetryPolicy) Option {
	return func(c *config) error {
		if p.MaxAttempts < 1 {
			return fmt.Errorf("field=retry.maxAttempts value=%d rule=must be at least 1", p.MaxAttempts)
		}
		if p.BaseDelay < 0 || p.MaxDelay < p.BaseDelay {
			return fmt.Errorf("field=retry.maxDelay value=%s rule=delays must be >= 0 and maxDelay >= baseDelay (%s)", p.MaxDelay, p.BaseDelay)
		}
		c.retry = p
		return nil
	}
}

// WithTimeouts sets the per-call timeouts of evaluate, endorse, submit and
// commit status; a zero value keeps the default. A deadline on the caller's
// context still applies.
func WithTimeouts(evaluate, endorse, submit, commitStatus time.Duration) Option {
	return func(c *config) error {
		for name, d := range map[string]time.Duration{"evaluate": evaluate, "endorse": endorse, "submit": submit, "commitStatus": commitStatus} {
			if d < 0 {
				return fmt.Errorf("field=timeouts.%s value=%s rule=must not be negative", name, d)
			}
		}
		set := func(dst *time.Duration, v time.Duration) {
			if v > 0 {
				*dst = v
			}
		}
		set(&c.evaluateTimeout, evaluate)
		set(&c.endorseTimeout, endorse)
		set(&c.submitTimeout, submit)
		set(&c.commitTimeout, commitStatus)
		return nil
	}
}

// WithClientConnection uses an existing gRPC connection (for example one
// shared by several identities) instead of dialling the profile's gateway.
// The caller keeps ownership: Close does not close it.
func WithClientConnection(conn grpc.ClientConnInterface) Option {
	return func(c *config) error {
		if conn == nil {
			return fmt.Errorf("field=clientConnection value=nil rule=must not be nil")
		}
		c.conn = conn
		return nil
	}
}

// WithLocalValidation turns the SDK's own schema and identifier checks before
// signing and submitting on (default) or off. With it off the contract alone
// refuses bad records, which is what a conformance test of the contract wants.
func WithLocalValidation(on bool) Option {
	return func(c *config) error {
		c.localValidation = on
		return nil
	}
}
