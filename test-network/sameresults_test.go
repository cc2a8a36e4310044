package testnetwork

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/chaincode"
	sdk "github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/network/profile"
)

// The scenario of TestSameScenarioSameResultsOnBothLedgers is built in
// scenario_test.go; this file holds the machinery that plays it on one
// ledger and normalises what it returns.

// ledger is one of the two ledgers under comparison, reached through the
// aeoledger SDK exactly as an application would reach it.
type ledger struct {
	name    string
	prof    *profile.Profile
	clients map[string]*sdk.Client
	// lastBlock is the block of the scenario's latest committed
	// transaction: a refusal must leave it the newest block.
	lastBlock uint64
	// ids maps names of values the ledger chooses itself (amendment IDs
	// hash the transaction ID) to this ledger's value.
	ids map[string]string
	// results keeps each named step's result, for later arguments.
	results map[string]json.RawMessage
}

func newLedger(name string, n *fabricNet) *ledger {
	return &ledger{name: name, prof: n.prof, clients: map[string]*sdk.Client{},
		ids: map[string]string{}, results: map[string]json.RawMessage{}}
}

// as returns the SDK client of identity who ("ExporterMSP/user1"). Local
// validation is off: the contract alone must refuse bad input.
func (l *ledger) as(t *testing.T, who string) *sdk.Client {
	t.Helper()
	if c, ok := l.clients[who]; ok {
		return c
	}
	msp, name, ok := strings.Cut(who, "/")
	require.True(t, ok, "identity %q is not MSP/name", who)
	c, err := sdk.ConnectProfile(l.prof, msp, name, sdk.WithLocalValidation(false),
		sdk.WithTimeouts(30*time.Second, 30*time.Second, 30*time.Second, 30*time.Second))
	require.NoError(t, err, "connecting to the %s ledger as %s", l.name, who)
	t.Cleanup(func() { assert.NoError(t, c.Close()) })
	l.clients[who] = c
	return c
}

// id is this ledger's value of a named ledger-chosen ID.
func (l *ledger) id(name string) string { return l.ids[name] }

// result decodes the result of an earlier named step.
func (l *ledger) result(name string, v any) error {
	raw, ok := l.results[name]
	if !ok {
		return fmt.Errorf("no result of step %q", name)
	}
	return json.Unmarshal(raw, v)
}

// scenarioStep is one call of the scenario, by one identity.
type scenarioStep struct {
	name string // a sentence: what the step shows
	who  string // "ExporterMSP/user1"
	fn   string
	args func(l *ledger) []string
	// want is "" when the call must succeed; otherwise the normalised
	// error message must start with it.
	want string
	// keep names the step's result (and, with idAs, the "id" field of
	// the result) for later steps.
	keep, idAs string
	// unordered compares the items of a page as a set: the ledger orders
	// them by IDs that differ between ledgers.
	unordered bool
	// check, if set, asserts what a successful step returned (both ledgers
	// could otherwise agree on a wrong answer).
	check func(t *testing.T, raw []byte)
}

// stepOutcome is what a step returned, normalised for comparison.
type stepOutcome struct {
	Step   string `json:"step"`
	Result any    `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// evaluateOnly lists the contract's queries (as the contract itself
// declares them); every other function is submitted.
var evaluateOnly = map[string]bool{}

func init() {
	for _, fn := range (&chaincode.Contract{}).GetEvaluateTransactions() {
		evaluateOnly[fn] = true
	}
}

// call runs one step, retrying what a client must retry (gossip not yet
// converged, a node restarting); a refusal by the contract is returned at
// once.
func (l *ledger) call(ctx context.Context, t *testing.T, st scenarioStep, args []string) ([]byte, error) {
	c := l.as(t, st.who)
	deadline := time.Now().Add(time.Minute)
	for {
		var raw []byte
		var err error
		if evaluateOnly[st.fn] {
			raw, err = c.Evaluate(ctx, st.fn, args...)
		} else {
			var res *sdk.Result
			if res, err = c.Submit(ctx, st.fn, args...); err == nil {
				raw = res.Payload
				l.lastBlock = res.BlockNumber
			}
		}
		var ce *sdk.ContractError
		if err == nil || errors.As(err, &ce) || !transient(err) || time.Now().After(deadline) {
			return raw, err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// play runs the steps in order on one ledger and returns their outcomes.
// After every refusal it checks that nothing was written: the block of the
// last committed transaction is still the newest block of the chain.
func (l *ledger) play(ctx context.Context, t *testing.T, steps []scenarioStep) []stepOutcome {
	t.Helper()
	var out []stepOutcome
	for i, st := range steps {
		var args []string
		if st.args != nil {
			args = st.args(l)
		}
		raw, err := l.call(ctx, t, st, args)
		o := stepOutcome{Step: fmt.Sprintf("%d %s (%s as %s)", i, st.name, st.fn, st.who)}
		if err != nil {
			o.Error = l.normaliseText(contractMessage(err))
			if st.want == "" {
				t.Errorf("%s ledger, step %s: refused: %s", l.name, o.Step, o.Error)
			} else {
				assert.True(t, strings.HasPrefix(o.Error, st.want), "%s ledger, step %s:\n got %q\nwant %q...", l.name, o.Step, o.Error, st.want)
			}
			l.requireNothingWritten(ctx, t, o.Step)
			out = append(out, o)
			continue
		}
		if st.want != "" {
			t.Errorf("%s ledger, step %s: succeeded, want refusal %q", l.name, o.Step, st.want)
		}
		if st.keep != "" {
			l.results[st.keep] = raw
		}
		if st.check != nil {
			t.Run(fmt.Sprintf("%s ledger: %s", l.name, st.name), func(t *testing.T) { st.check(t, raw) })
		}
		var v any
		require.NoError(t, json.Unmarshal(raw, &v), "%s ledger, step %s returned %q", l.name, o.Step, raw)
		if st.idAs != "" {
			obj, _ := v.(map[string]any)
			id, _ := obj["id"].(string)
			require.NotEmpty(t, id, "%s ledger, step %s returned no id", l.name, o.Step)
			l.ids[st.idAs] = id
		}
		o.Result = l.normalise(v)
		if st.unordered {
			o.Result = sortItems(o.Result)
		}
		out = append(out, o)
	}
	return out
}

// requireNothingWritten asserts that the newest block is still the block
// of the last committed transaction of the scenario.
func (l *ledger) requireNothingWritten(ctx context.Context, t *testing.T, step string) {
	t.Helper()
	c := l.as(t, "ExporterMSP/admin")
	var numbers []uint64
	for block, err := range c.BlockRange(ctx, l.lastBlock) {
		require.NoError(t, err, "%s ledger, step %s: reading blocks from %d", l.name, step, l.lastBlock)
		numbers = append(numbers, block.GetHeader().GetNumber())
	}
	assert.Equal(t, []uint64{l.lastBlock}, numbers, "%s ledger, step %s: a refused call must write nothing, but blocks followed the last commit", l.name, step)
}

// chaincodeResponseText is how peers quote a chaincode's error message.
var chaincodeResponseText = regexp.MustCompile(`chaincode response \d+, ([^\n]*)`)

// contractMessage is the contract's own message in an error: the
// SDK's *ContractError for coded refusals, else the text of the chaincode
// response (contractapi's argument-conversion errors carry no code word).
func contractMessage(err error) string {
	var ce *sdk.ContractError
	if errors.As(err, &ce) {
		return ce.Error()
	}
	msg := chaincodeMessage(err)
	if m := chaincodeResponseText.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	if m := chaincodeResponseText.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	return msg
}

// volatileKeys hold values that differ between two ledgers for the same
// scenario: transaction IDs and the peer's history timestamps.
var volatileKeys = map[string]bool{"txId": true, "timestamp": true}

// ledgerTime matches the transaction timestamps the contract writes
// (RFC 3339 with nine fraction digits). The scenario's own times are whole
// seconds, so they stay comparable.
var ledgerTime = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z`)

// x509Identity matches a client identity as the contract quotes it
// (x509::<subject>::<issuer>); each network issues its own certificates.
var x509Identity = regexp.MustCompile(`x509::.+?::.+?( of | proposed )`)

// normaliseText replaces ledger times, certificate subjects and this
// ledger's own IDs by placeholders.
func (l *ledger) normaliseText(s string) string {
	s = ledgerTime.ReplaceAllString(s, "<ledger time>")
	s = x509Identity.ReplaceAllString(s, "<identity>$1")
	for name, id := range l.ids {
		s = strings.ReplaceAll(s, id, "<"+name+">")
	}
	return s
}

// normalise drops volatile values, normalises strings, and reduces client
// identities ({"mspId","id"}) to their MSP.
func (l *ledger) normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["mspId"]; ok && len(x) == 2 {
			if _, ok := x["id"]; ok {
				return map[string]any{"mspId": x["mspId"]}
			}
		}
		out := map[string]any{}
		for k, val := range x {
			if !volatileKeys[k] {
				out[k] = l.normalise(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = l.normalise(val)
		}
		return out
	case string:
		return l.normaliseText(x)
	}
	return v
}

// sortItems sorts the "items" of a page by their JSON form.
func sortItems(v any) any {
	page, ok := v.(map[string]any)
	if !ok {
		return v
	}
	items, ok := page["items"].([]any)
	if !ok {
		return v
	}
	key := func(a any) string { b, _ := json.Marshal(a); return string(b) }
	slices.SortFunc(items, func(a, b any) int { return strings.Compare(key(a), key(b)) })
	return page
}

// TestSameScenarioSameResultsOnBothLedgers plays one scenario, with the same
// partners, keys and signed records, on the Fabric network and on a fresh
// embedded peer with the same three organisations, through the aeoledger
// SDK, and requires identical results apart from transaction IDs, ledger
// timestamps, certificate subjects and the amendment IDs each ledger
// derives from its transaction IDs. The scenario is the demo's journey,
// every bad-input case of the contract (each refusal checked for its
// message and for writing nothing), the trace and history queries, key
// rotation and revocation, and the declaration amendment approved by a
// second identity.
func TestSameScenarioSameResultsOnBothLedgers(t *testing.T) {
	fabric := requireNetwork(t)
	embedded := startEmbedded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	sc := newScenario(t)
	steps := sc.steps(t)

	began := time.Now()
	onFabric := newLedger("fabric", fabric).play(ctx, t, steps)
	fabricTook := time.Since(began)
	began = time.Now()
	onEmbedded := newLedger("embedded", embedded).play(ctx, t, steps)
	t.Logf("%d steps: %s on Fabric, %s on the embedded peer", len(steps), fabricTook.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))

	if path := os.Getenv("AEO_SCENARIO_DUMP"); path != "" {
		raw, err := json.MarshalIndent(map[string]any{"fabric": onFabric, "embedded": onEmbedded}, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, raw, 0o600))
	}
	require.Len(t, onEmbedded, len(onFabric))
	for i := range onFabric {
		assert.Equal(t, onFabric[i], onEmbedded[i], "step %s differs between the ledgers", onFabric[i].Step)
	}
	var refused, succeeded int
	for _, o := range onFabric {
		if o.Error != "" {
			refused++
		} else {
			succeeded++
		}
	}
	t.Logf("%d calls succeeded and %d were refused identically on both ledgers", succeeded, refused)
}

// TestScenarioOnEmbeddedPeer plays the same scenario on the embedded peer
// alone, checking every step's expected outcome and that refusals write
// nothing, so the scenario runs where the Fabric network is not up. With
// AEOLEDGER_FABRIC=1 the two-ledger test covers it.
func TestScenarioOnEmbeddedPeer(t *testing.T) {
	if os.Getenv("AEOLEDGER_FABRIC") == "1" {
		t.Skip("covered by TestSameScenarioSameResultsOnBothLedgers")
	}
	embedded := startEmbedded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	sc := newScenario(t)
	outcomes := newLedger("embedded", embedded).play(ctx, t, sc.steps(t))
	require.NotEmpty(t, outcomes)
}
