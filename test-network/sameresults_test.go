package testnetwork

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/schemas"
)

// step is one call of the journey, by an org's identity.
type step struct {
	msp, user string
	submit    bool
	fn        string
	args      []string
}

// outcome is what a step returned, normalised for comparison.
type outcome struct {
	Step   string `json:"step"`
	Result any    `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// volatileKeys differ between two ledgers for the same journey: transaction
// IDs and the times the ledger assigns.
var volatileKeys = map[string]bool{
	"txId": true, "recordedAt": true, "createdAt": true, "updatedAt": true,
	"addedAt": true, "revokedAt": true, "timestamp": true,
}

// ledgerTime matches the transaction timestamps the contract writes
// (RFC 3339 with fractional seconds) inside messages. The journey's own
// event times are whole seconds, so they stay comparable.
var ledgerTime = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z`)

// normalise drops volatile values, replaces ledger times inside messages,
// and drops the certificate subject of client
// identities ({"mspId","id"}): the two networks issue their own
// certificates, so only the MSP is comparable.
func normalise(v any) any {
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
				out[k] = normalise(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = normalise(val)
		}
		return out
	case string:
		return ledgerTime.ReplaceAllString(x, "<ledger time>")
	}
	return v
}

// play runs the steps in order on one ledger and returns their outcomes.
func play(ctx context.Context, t *testing.T, n *fabricNet, steps []step) []outcome {
	t.Helper()
	var out []outcome
	for i, st := range steps {
		c := n.contract(t, st.msp, st.user)
		var raw []byte
		var err error
		if st.submit {
			var res committed
			res, err = submit(ctx, c, st.fn, st.args...)
			raw = res.result
		} else {
			raw, err = evaluate(ctx, c, st.fn, st.args...)
		}
		o := outcome{Step: st.fn + " by " + st.msp + "/" + st.user}
		if err != nil {
			o.Error = ledgerTime.ReplaceAllString(chaincodeMessage(err), "<ledger time>")
		} else {
			var v any
			require.NoError(t, json.Unmarshal(raw, &v), "step %d %s returned %q", i, st.fn, raw)
			o.Result = normalise(v)
		}
		out = append(out, o)
	}
	return out
}

// TestSameJourneySameResultsOnBothLedgers plays one journey, with the same
// partners, keys and records, on the Fabric network and on a fresh embedded
// peer, and requires identical results apart from transaction IDs, ledger
// timestamps and certificate subjects: registrations, a shipment, a signed
// touchpoint, bad input of several kinds, the trace and history queries, and
// a key revocation after which the revoked key is refused but the earlier
// record stays verified.
func TestSameJourneySameResultsOnBothLedgers(t *testing.T) {
	fabric := requireNetwork(t)
	embedded := startEmbedded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	exporter := newParty(t, runID("exp"), "ExporterMSP", "exporter")
	carrier := newParty(t, runID("car"), "CarrierMSP", "carrier")
	shipmentID := runID("shp")
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	shipment := schemas.Shipment{
		ID:        shipmentID,
		Consignor: schemas.Party{PartnerID: exporter.partner.ID, Name: "Exporter GmbH", Country: "DE"},
		Consignee: schemas.Party{Name: "Importer BV", Country: "NL"},
		Parties:   []string{carrier.partner.ID},
		Origin:    "DEHAM", Destination: "NLRTM", HSCodes: []string{"090111"},
		PlannedDeparture: at.Format(time.RFC3339),
		PlannedArrival:   at.Add(72 * time.Hour).Format(time.RFC3339),
	}
	gateIn := containerTouchpoint(t, carrier, shipmentID, containerNumber(t, 4242), schemas.ContainerGateIn, at)
	loaded := containerTouchpoint(t, carrier, shipmentID, containerNumber(t, 4242), schemas.ContainerLoaded, at.Add(time.Minute))
	badDigit := containerTouchpoint(t, carrier, shipmentID, containerNumber(t, 4242)[:10]+"0", schemas.ContainerLoaded, at.Add(time.Minute))
	if strings.HasSuffix(containerNumber(t, 4242), "0") {
		badDigit = containerTouchpoint(t, carrier, shipmentID, containerNumber(t, 4242)[:10]+"1", schemas.ContainerLoaded, at.Add(time.Minute))
	}
	afterRevocation := containerTouchpoint(t, carrier, shipmentID, containerNumber(t, 4242), schemas.ContainerDeparted, at.Add(2*time.Minute))
	key := carrier.partner.Keys[0].Address

	steps := []step{
		{"ExporterMSP", "admin", true, "RegisterPartner", []string{mustJSON(t, exporter.partner)}},
		{"CarrierMSP", "admin", true, "RegisterPartner", []string{mustJSON(t, carrier.partner)}},
		{"CarrierMSP", "admin", true, "RegisterPartner", []string{mustJSON(t, carrier.partner)}},
		{"ExporterMSP", "admin", true, "CreateShipment", []string{mustJSON(t, shipment)}},
		{"ExporterMSP", "user1", true, "RecordTouchpoint", []string{mustJSON(t, gateIn)}},
		{"ExporterMSP", "user1", true, "RecordTouchpoint", []string{mustJSON(t, gateIn)}},
		{"ExporterMSP", "user1", true, "RecordTouchpoint", []string{mustJSON(t, badDigit)}},
		{"ExporterMSP", "user1", true, "RecordTouchpoint", []string{mustJSON(t, loaded)}},
		{"CustomsMSP", "admin", false, "GetShipment", []string{shipmentID}},
		{"CustomsMSP", "admin", false, "Trace", []string{shipmentID, "0", ""}},
		{"CarrierMSP", "admin", true, "RevokeKey", []string{carrier.partner.ID, key, "handheld lost"}},
		{"ExporterMSP", "user1", true, "RecordTouchpoint", []string{mustJSON(t, afterRevocation)}},
		{"CustomsMSP", "admin", false, "Trace", []string{shipmentID, "0", ""}},
		{"CustomsMSP", "admin", false, "History", []string{"partner", carrier.partner.ID, "0", ""}},
		{"CustomsMSP", "admin", false, "GetPartnerByKey", []string{key}},
	}

	onFabric := play(ctx, t, fabric, steps)
	onEmbedded := play(ctx, t, embedded, steps)

	require.Len(t, onEmbedded, len(onFabric))
	for i := range onFabric {
		assert.Equal(t, onFabric[i], onEmbedded[i], "step %d: %s", i, onFabric[i].Step)
	}
	// The journey must have exercised both successes and refusals.
	var refused int
	for _, o := range onFabric {
		if o.Error != "" {
			refused++
		}
	}
	assert.Equal(t, 4, refused, "duplicate partner, duplicate record, bad check digit and revoked key must be refused: %+v", onFabric)
}
