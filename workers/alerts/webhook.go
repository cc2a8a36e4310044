package alerts

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook headers. The signature is "sha256=" followed by the hex
// HMAC-SHA256, keyed with the shared secret, of the timestamp header, a dot
// and the request body. Receivers check it with VerifySignature.
const (
	SignatureHeader = "X-Aeoledger-Signature"
	TimestampHeader = "X-Aeoledger-Timestamp" // Unix seconds
	DeliveryHeader  = "X-Aeoledger-Delivery"  // Alert.Key, the same on every retry
)

// MinSecretLen is the shortest webhook secret accepted, in bytes.
const MinSecretLen = 16

// Sentinel errors of VerifySignature.
var (
	ErrBadSignature   = errors.New("webhook signature does not match")
	ErrStaleTimestamp = errors.New("webhook timestamp outside the accepted window")
)

// DeliveryError reports a webhook delivery that did not succeed.
type DeliveryError struct {
	Host       string // the webhook's host; the full URL may carry a token
	Delivery   string // Alert.Key
	Attempts   int
	StatusCode int  // last HTTP status, 0 when no response came back
	Retryable  bool // false when the receiver refused the alert (4xx)
	Err        error
}

func (e *DeliveryError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("delivering alert %s to %s: HTTP %d after %d attempt(s)", e.Delivery, e.Host, e.StatusCode, e.Attempts)
	}
	return fmt.Sprintf("delivering alert %s to %s after %d attempt(s): %v", e.Delivery, e.Host, e.Attempts, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Notifier posts alerts as JSON to one webhook. It is safe for concurrent
// use. It never logs or prints the secret.
type Notifier struct {
	endpoint *url.URL
	secret   []byte
	client   *http.Client
	attempts int
	base     time.Duration
	maxDelay time.Duration
	now      func() time.Time
	log      *slog.Logger
}

// NotifierOption configures NewNotifier.
type NotifierOption func(*Notifier) error

// WithHTTPClient sets the HTTP client (default: 10 s timeout).
func WithHTTPClient(c *http.Client) NotifierOption {
	return func(n *Notifier) error {
		if c == nil {
			return bad("http_client", "nil", "must not be nil")
		}
		n.client = c
		return nil
	}
}

// WithRetry sets the number of attempts (at least 1) and the backoff: the
// wait before retry k is base·2^(k-1), capped at maxDelay, of which a random
// half is jitter. Defaults: 5 attempts, 500 ms, 30 s.
func WithRetry(attempts int, base, maxDelay time.Duration) NotifierOption {
	return func(n *Notifier) error {
		switch {
		case attempts < 1:
			return bad("attempts", attempts, "must be at least 1")
		case base <= 0:
			return bad("base", base, "must be positive")
		case maxDelay < base:
			return bad("max_delay", maxDelay, "must be at least the base delay "+base.String())
		}
		n.attempts, n.base, n.maxDelay = attempts, base, maxDelay
		return nil
	}
}

// WithLogger sets where retries are logged (default: discarded).
func WithLogger(l *slog.Logger) NotifierOption {
	return func(n *Notifier) error {
		if l == nil {
			return bad("logger", "nil", "must not be nil")
		}
		n.log = l
		return nil
	}
}

// WithClock sets the clock used for the timestamp header.
func WithClock(now func() time.Time) NotifierOption {
	return func(n *Notifier) error {
		if now == nil {
			return bad("clock", "nil", "must not be nil")
		}
		n.now = now
		return nil
	}
}

// NewNotifier returns a notifier for an http or https webhook URL and a
// shared secret of at least MinSecretLen bytes.
//
// Errors: *InputError naming the bad argument; the secret's value is never
// shown, only its length.
func NewNotifier(webhookURL string, secret []byte, opts ...NotifierOption) (*Notifier, error) {
	u, err := url.Parse(webhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("creating webhook notifier: %w", bad("url", redactURL(webhookURL), "must be an absolute http or https URL"))
	}
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("creating webhook notifier: %w",
			bad("secret", fmt.Sprintf("(%d bytes, not shown)", len(secret)), fmt.Sprintf("must be at least %d bytes", MinSecretLen)))
	}
	n := &Notifier{
		endpoint: u,
		secret:   bytes.Clone(secret),
		client:   &http.Client{Timeout: 10 * time.Second},
		attempts: 5,
		base:     500 * time.Millisecond,
		maxDelay: 30 * time.Second,
		now:      time.Now,
		log:      slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		if err := opt(n); err != nil {
			return nil, fmt.Errorf("creating webhook notifier: %w", err)
		}
	}
	return n, nil
}

// redactURL keeps a bad URL readable in an error without any userinfo or
// query, which may hold credentials.
func redactURL(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i] + "?…"
	}
	if at := strings.LastIndex(s, "@"); at >= 0 {
		if scheme := strings.Index(s, "://"); scheme >= 0 && scheme < at {
			s = s[:scheme+3] + "…@" + s[at+1:]
		}
	}
	return s
}

// String describes the notifier without its secret.
func (n *Notifier) String() string {
	return fmt.Sprintf("webhook notifier for %s (secret not shown)", n.endpoint.Host)
}

// GoString keeps %#v from printing the secret.
func (n *Notifier) GoString() string { return n.String() }

// Format keeps %v and %+v from printing the secret.
func (n *Notifier) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, n.String()) }

// Payload is the JSON body of a webhook request.
type Payload struct {
	ID    string `json:"id"` // Alert.Key
	Alert Alert  `json:"alert"`
}

// Sign returns the signature header value for a body sent at timestamp
// (Unix seconds, as sent in TimestampHeader).
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks a received webhook: the signature header must
// match the body and timestamp, and the timestamp must lie within tolerance
// of now (a replayed old request is refused).
//
// Errors: ErrBadSignature, ErrStaleTimestamp.
func VerifySignature(secret []byte, signature, timestamp string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("verifying webhook: timestamp %q: %w", timestamp, ErrStaleTimestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("verifying webhook: timestamp %s is %s from now: %w", timestamp, d.Round(time.Second), ErrStaleTimestamp)
	}
	if !hmac.Equal([]byte(signature), []byte(Sign(secret, timestamp, body))) {
		return fmt.Errorf("verifying webhook: %w", ErrBadSignature)
	}
	return nil
}

// Notify posts the alert. It retries with exponential backoff on network
// errors and 5xx responses, and gives up at once on a 4xx response (the
// receiver refused the alert; retrying would not help). Every attempt is
// signed afresh with the current timestamp; the delivery ID stays the same,
// so the receiver can drop duplicates.
//
// Errors: *DeliveryError when no attempt succeeded; it wraps the context's
// error when ctx ended first.
func (n *Notifier) Notify(ctx context.Context, a Alert) error {
	key := a.Key()
	body, err := json.Marshal(Payload{ID: key, Alert: a})
	if err != nil {
		return fmt.Errorf("encoding alert %s: %w", key, err)
	}
	derr := &DeliveryError{Host: n.endpoint.Host, Delivery: key}
	for attempt := 1; ; attempt++ {
		derr.Attempts = attempt
		status, err := n.post(ctx, key, body)
		derr.StatusCode, derr.Err = status, err
		switch {
		case err == nil && status >= 200 && status < 300:
			return nil
		case err == nil && status >= 400 && status < 500:
			derr.Retryable = false
			derr.Err = fmt.Errorf("receiver refused the alert with HTTP %d", status)
			return derr
		case err == nil:
			derr.Err = fmt.Errorf("receiver answered HTTP %d", status)
		}
		derr.Retryable = true
		if ctx.Err() != nil {
			derr.Err = ctx.Err()
			return derr
		}
		if attempt >= n.attempts {
			return derr
		}
		delay := n.backoff(attempt)
		n.log.Warn("webhook delivery failed, retrying", "host", n.endpoint.Host, "delivery", key,
			"attempt", attempt, "status", status, "error", errString(err), "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			derr.Err = ctx.Err()
			return derr
		case <-t.C:
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// backoff is the wait after a failed attempt: base·2^(attempt-1) capped at
// maxDelay, half fixed and half random so that many senders spread out.
func (n *Notifier) backoff(attempt int) time.Duration {
	d := n.maxDelay
	if attempt-1 < 32 {
		if e := n.base << (attempt - 1); e > 0 && e < d {
			d = e
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// post sends one signed attempt and returns the HTTP status.
func (n *Notifier) post(ctx context.Context, key string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.endpoint.String(), bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("building webhook request: %w", err)
	}
	ts := strconv.FormatInt(n.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "aeoledger-alerts/1")
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, Sign(n.secret, ts, body))
	req.Header.Set(DeliveryHeader, key)
	resp, err := n.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("posting webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	return resp.StatusCode, nil
}
