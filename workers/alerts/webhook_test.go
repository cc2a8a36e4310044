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
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var testSecret = []byte("s3cr3t-webhook-key-0123456789")

// receiver is a local webhook endpoint on 127.0.0.1 that answers with the
// scripted statuses in turn and records what it received.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	got      []received
}

type received struct {
	body                          []byte
	signature, timestamp, deliver string
	validSignature                bool
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts := r.Header.Get(TimestampHeader)
	// Verify independently of Sign: HMAC-SHA256 over "timestamp.body".
	mac := hmac.New(sha256.New, testSecret)
	fmt.Fprintf(mac, "%s.%s", ts, body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.got = append(rc.got, received{body: body, signature: r.Header.Get(SignatureHeader), timestamp: ts,
		deliver: r.Header.Get(DeliveryHeader), validSignature: r.Header.Get(SignatureHeader) == want})
	status := http.StatusOK
	if i := len(rc.got) - 1; i < len(rc.statuses) {
		status = rc.statuses[i]
	}
	w.WriteHeader(status)
}

func startReceiver(t *testing.T, statuses ...int) (*receiver, *httptest.Server) {
	t.Helper()
	rc := &receiver{statuses: statuses}
	srv := httptest.NewUnstartedServer(rc)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return rc, srv
}

func sampleAlert() Alert {
	return Alert{Kind: TemperatureHigh, ShipmentID: "SHP-1", Start: t0, End: t0.Add(40 * time.Minute),
		Duration: Duration(40 * time.Minute), Value: 11.5, Rule: "above-8C-30min", Message: "Temperature above 8 °C for 40 min."}
}

func TestNotifyDeliversSignedAlerts(t *testing.T) {
	cases := []struct {
		name         string
		statuses     []int
		wantAttempts int
		wantErr      bool
		wantStatus   int
		wantRetry    bool
	}{
		{"A 200 on the first attempt delivers at once.", nil, 1, false, 0, false},
		{"Two 5xx answers are retried until the 200.", []int{500, 503, 200}, 3, false, 0, false},
		{"A 4xx answer is not retried.", []int{400}, 1, true, 400, false},
		{"A 404 answer is not retried either.", []int{404}, 1, true, 404, false},
		{"Persistent 5xx answers give up after the last attempt.", []int{502, 502, 502, 502}, 4, true, 502, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc, srv := startReceiver(t, c.statuses...)
			var logs bytes.Buffer
			n, err := NewNotifier(srv.URL+"/hook", testSecret, WithRetry(4, time.Millisecond, 5*time.Millisecond),
				WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			if err != nil {
				t.Fatal(err)
			}
			a := sampleAlert()
			err = n.Notify(context.Background(), a)
			if (err != nil) != c.wantErr {
				t.Fatalf("Notify error = %v, want error %v", err, c.wantErr)
			}
			if c.wantErr {
				var de *DeliveryError
				if !errors.As(err, &de) || de.StatusCode != c.wantStatus || de.Attempts != c.wantAttempts || de.Retryable != c.wantRetry {
					t.Errorf("error = %#v, want DeliveryError status %d after %d attempts, retryable %v", err, c.wantStatus, c.wantAttempts, c.wantRetry)
				}
			}
			rc.mu.Lock()
			defer rc.mu.Unlock()
			if len(rc.got) != c.wantAttempts {
				t.Fatalf("receiver saw %d requests, want %d", len(rc.got), c.wantAttempts)
			}
			for i, r := range rc.got {
				if !r.validSignature {
					t.Errorf("request %d: signature %q does not verify", i, r.signature)
				}
				if err := VerifySignature(testSecret, r.signature, r.timestamp, r.body, time.Now(), time.Minute); err != nil {
					t.Errorf("request %d: VerifySignature: %v", i, err)
				}
				if r.deliver != a.Key() {
					t.Errorf("request %d: delivery ID %q, want %q", i, r.deliver, a.Key())
				}
				var p Payload
				if err := json.Unmarshal(r.body, &p); err != nil {
					t.Fatalf("request %d: body %s: %v", i, r.body, err)
				}
				if p.ID != a.Key() || p.Alert.Kind != a.Kind || !p.Alert.Start.Equal(a.Start) || p.Alert.Duration != a.Duration {
					t.Errorf("request %d: payload %+v, want alert %+v", i, p, a)
				}
			}
			if strings.Contains(logs.String(), string(testSecret)) {
				t.Errorf("logs contain the secret: %s", logs.String())
			}
		})
	}
}

func TestNotifyRetriesNetworkErrors(t *testing.T) {
	// A port that was just listening and is now closed refuses connections.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logs bytes.Buffer
	n, err := NewNotifier("http://"+addr+"/hook", testSecret, WithRetry(3, time.Millisecond, 2*time.Millisecond),
		WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), sampleAlert())
	var de *DeliveryError
	if !errors.As(err, &de) || de.Attempts != 3 || de.StatusCode != 0 || !de.Retryable {
		t.Fatalf("error = %v, want a retryable DeliveryError after 3 attempts without status", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("error %v does not wrap the network error", err)
	}
	if got := strings.Count(logs.String(), "retrying"); got != 2 {
		t.Errorf("logged %d retries, want 2:\n%s", got, logs.String())
	}
	if strings.Contains(logs.String(), string(testSecret)) || strings.Contains(logs.String(), hex.EncodeToString(testSecret)) {
		t.Errorf("logs contain the secret")
	}
}

func TestNotifyStopsWhenTheContextEnds(t *testing.T) {
	rc, srv := startReceiver(t, 503, 503, 503)
	n, err := NewNotifier(srv.URL, testSecret, WithRetry(3, time.Hour, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = n.Notify(ctx, sampleAlert())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want the context deadline", err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) != 1 {
		t.Errorf("receiver saw %d requests, want 1 before the hour-long backoff", len(rc.got))
	}
}

func TestNotifierNeverShowsTheSecret(t *testing.T) {
	n, err := NewNotifier("https://hooks.example.test/a", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, n); strings.Contains(s, string(testSecret)) || strings.Contains(s, fmt.Sprint([]byte(testSecret))) {
			t.Errorf("%s shows the secret: %s", verb, s)
		}
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"id":"x"}`)
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	good := Sign(testSecret, ts, body)
	cases := []struct {
		name      string
		signature string
		timestamp string
		body      []byte
		now       time.Time
		want      error
	}{
		{"A fresh correct signature verifies.", good, ts, body, now, nil},
		{"A changed body fails.", good, ts, []byte(`{"id":"y"}`), now, ErrBadSignature},
		{"Another secret's signature fails.", Sign([]byte("another-secret-0123456789"), ts, body), ts, body, now, ErrBadSignature},
		{"A request replayed ten minutes later fails.", good, ts, body, now.Add(10 * time.Minute), ErrStaleTimestamp},
		{"A timestamp that is not a number fails.", good, "yesterday", body, now, ErrStaleTimestamp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := VerifySignature(testSecret, c.signature, c.timestamp, c.body, c.now, 5*time.Minute)
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Errorf("VerifySignature = %v, want %v", err, c.want)
			}
		})
	}
}

func TestNewNotifierRejectsBadInput(t *testing.T) {
	cases := []struct {
		name   string
		url    string
		secret []byte
		opts   []NotifierOption
		want   string
	}{
		{"A relative URL is refused.", "/hook", testSecret, nil,
			`creating webhook notifier: field url: value "/hook": must be an absolute http or https URL`},
		{"Another scheme is refused, and the query is not shown.", "ftp://h/x?token=abc", testSecret, nil,
			`creating webhook notifier: field url: value "ftp://h/x?…": must be an absolute http or https URL`},
		{"A short secret is refused without showing it.", "https://h/x", []byte("short"), nil,
			`creating webhook notifier: field secret: value "(5 bytes, not shown)": must be at least 16 bytes`},
		{"Zero attempts are refused.", "https://h/x", testSecret, []NotifierOption{WithRetry(0, time.Second, time.Second)},
			`creating webhook notifier: field attempts: value "0": must be at least 1`},
		{"A cap below the base delay is refused.", "https://h/x", testSecret, []NotifierOption{WithRetry(3, time.Second, time.Millisecond)},
			`creating webhook notifier: field max_delay: value "1ms": must be at least the base delay 1s`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := NewNotifier(c.url, c.secret, c.opts...)
			if err == nil || err.Error() != c.want {
				t.Fatalf("error = %v\nwant    %s", err, c.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) || n != nil {
				t.Errorf("got %v, %T; want no notifier and an *InputError", n, err)
			}
		})
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	n, err := NewNotifier("https://h/x", testSecret, WithRetry(10, 100*time.Millisecond, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		attempt  int
		min, max time.Duration
	}{
		{"The first wait is between half and all of the base.", 1, 50 * time.Millisecond, 100 * time.Millisecond},
		{"The third wait is between half and all of four times the base.", 3, 200 * time.Millisecond, 400 * time.Millisecond},
		{"Later waits stay under the cap.", 9, 500 * time.Millisecond, time.Second},
		{"Very late waits do not overflow.", 80, 500 * time.Millisecond, time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for range 50 {
				if d := n.backoff(c.attempt); d < c.min || d > c.max {
					t.Fatalf("backoff(%d) = %s, want in [%s, %s]", c.attempt, d, c.min, c.max)
				}
			}
		})
	}
}
