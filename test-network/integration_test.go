package testnetwork

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/aeoledger/aeoledger/schemas"
)

// scenario is a small journey on the Fabric network: two partners of two
// organisations, a shipment, a signed touchpoint.
type scenario struct {
	exporter, carrier party
	shipmentID        string
}

// setUpScenario registers an exporter (ExporterMSP) and a carrier
// (CarrierMSP), each by its own org admin, and books a shipment.
func setUpScenario(ctx context.Context, t testing.TB, n *fabricNet) scenario {
	t.Helper()
	s := scenario{
		exporter:   newParty(t, runID("exp"), "ExporterMSP", "exporter"),
		carrier:    newParty(t, runID("car"), "CarrierMSP", "carrier"),
		shipmentID: runID("shp"),
	}
	exporterAdmin := n.contract(t, "ExporterMSP", "admin")
	carrierAdmin := n.contract(t, "CarrierMSP", "admin")

	_, err := submit(ctx, exporterAdmin, "RegisterPartner", mustJSON(t, s.exporter.partner))
	require.NoError(t, err, "registering the exporter: %s", errMessage(err))
	_, err = submit(ctx, carrierAdmin, "RegisterPartner", mustJSON(t, s.carrier.partner))
	require.NoError(t, err, "registering the carrier: %s", errMessage(err))

	now := time.Now().UTC()
	shipment := schemas.Shipment{
		ID:               s.shipmentID,
		Consignor:        schemas.Party{PartnerID: s.exporter.partner.ID, Name: "Exporter GmbH", Country: "DE"},
		Consignee:        schemas.Party{Name: "Importer BV", Country: "NL"},
		Parties:          []string{s.carrier.partner.ID},
		Origin:           "DEHAM",
		Destination:      "NLRTM",
		HSCodes:          []string{"090111"},
		PlannedDeparture: now.Format(time.RFC3339),
		PlannedArrival:   now.Add(72 * time.Hour).Format(time.RFC3339),
	}
	_, err = submit(ctx, exporterAdmin, "CreateShipment", mustJSON(t, shipment))
	require.NoError(t, err, "creating the shipment: %s", errMessage(err))
	return s
}

func errMessage(err error) string {
	if err == nil {
		return ""
	}
	return chaincodeMessage(err)
}

// TestContractRunsEndToEndOnFabric proves the deployed network works for
// the aeoledger client path: org admins register partners, a shipment is
// booked, a touchpoint signed by the carrier's key is submitted by an
// exporter user, endorsed by a majority of the orgs, committed, emitted as
// a chaincode event and found by the trace query; bad and unauthorised
// input is refused with the contract's error codes and writes nothing.
func TestContractRunsEndToEndOnFabric(t *testing.T) {
	n := requireNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	txID := runEndToEnd(ctx, t, n)

	t.Run("the transaction carries endorsements of a majority of the three orgs", func(t *testing.T) {
		msps := endorsingMSPs(ctx, t, n, txID)
		assert.GreaterOrEqual(t, len(msps), 2, "endorsed by %v", msps)
	})
}

// TestContractRunsEndToEndOnEmbeddedPeer runs the same journey through the
// same client code against the embedded peer (network/node) of a fresh dev
// network, which needs no Fabric binaries.
func TestContractRunsEndToEndOnEmbeddedPeer(t *testing.T) {
	n := startEmbedded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	runEndToEnd(ctx, t, n)
}

// runEndToEnd is the journey both ledgers must pass; it returns the ID of
// the touchpoint's transaction.
func runEndToEnd(ctx context.Context, t *testing.T, n *fabricNet) string {
	t.Helper()
	s := setUpScenario(ctx, t, n)
	exporterUser := n.contract(t, "ExporterMSP", "user1")
	customsAdmin := n.contract(t, "CustomsMSP", "admin")

	// A partner registered by one org is readable by another.
	raw, err := evaluate(ctx, customsAdmin, "GetPartner", s.carrier.partner.ID)
	require.NoError(t, err, errMessage(err))
	var got schemas.Partner
	require.NoError(t, json.Unmarshal(raw, &got))
	assert.Equal(t, "CarrierMSP", got.MSPID)
	assert.Equal(t, "active", got.Status)
	require.Len(t, got.Keys, 1)
	assert.Equal(t, s.carrier.partner.Keys[0].Address, got.Keys[0].Address)

	// The carrier's key signs; an exporter user submits.
	tp := containerTouchpoint(t, s.carrier, s.shipmentID, containerNumber(t, 305438), schemas.ContainerGateIn, time.Now().Add(-time.Minute))
	res, err := submit(ctx, exporterUser, "RecordTouchpoint", mustJSON(t, tp))
	require.NoError(t, err, errMessage(err))
	var recorded schemas.RecordResult
	require.NoError(t, json.Unmarshal(res.result, &recorded))
	require.NotEmpty(t, recorded.Records)
	assert.Equal(t, tp.ID, recorded.Records[0].Record.ID)
	assert.Equal(t, res.txID, recorded.Records[0].TxID)
	assert.Equal(t, s.carrier.partner.ID, recorded.Records[0].SignerPartner)
	assert.Equal(t, "ExporterMSP", recorded.Records[0].Submitter.MSPID)

	t.Run("the touchpoint is emitted as a chaincode event", func(t *testing.T) {
		evCtx, evCancel := context.WithTimeout(ctx, 30*time.Second)
		defer evCancel()
		events, err := n.gateway(t, "ExporterMSP", "user1").GetNetwork(n.prof.Channel).
			ChaincodeEvents(evCtx, n.prof.Chaincode, client.WithStartBlock(res.block))
		require.NoError(t, err)
		for ev := range events {
			if ev.TransactionID != res.txID {
				continue
			}
			assert.Equal(t, "touchpoint", ev.EventName)
			var payload schemas.RecordResult
			require.NoError(t, json.Unmarshal(ev.Payload, &payload))
			require.NotEmpty(t, payload.Records)
			assert.Equal(t, tp.ID, payload.Records[0].Record.ID)
			return
		}
		t.Fatalf("no chaincode event for transaction %s", res.txID)
	})

	t.Run("the trace lists the touchpoint as verified", func(t *testing.T) {
		trace := traceOf(ctx, t, exporterUser, s.shipmentID)
		require.Len(t, trace.Items, 1)
		assert.Equal(t, tp.ID, trace.Items[0].Record.Record.ID)
		assert.Equal(t, schemas.StatusVerified, trace.Items[0].Status)
		assert.Equal(t, "CarrierMSP", trace.Items[0].SignerMSP)
	})

	refusals := []struct {
		name     string
		contract *client.Contract
		fn       string
		args     func() []string
		prefix   string
		contains string
	}{
		{
			name:     "a container number with a wrong check digit is refused as INVALID",
			contract: exporterUser,
			fn:       "RecordTouchpoint",
			args: func() []string {
				bad := containerNumber(t, 305438)
				bad = bad[:10] + string(rune('0'+(int(bad[10]-'0')+1)%10))
				return []string{mustJSON(t, containerTouchpoint(t, s.carrier, s.shipmentID, bad, schemas.ContainerLoaded, time.Now()))}
			},
			prefix:   "INVALID: ",
			contains: "field=container.number",
		},
		{
			name:     "the same touchpoint twice is refused as DUPLICATE",
			contract: exporterUser,
			fn:       "RecordTouchpoint",
			args:     func() []string { return []string{mustJSON(t, tp)} },
			prefix:   "DUPLICATE: ",
		},
		{
			name:     "a record whose signature does not match is refused as BAD_SIGNATURE",
			contract: exporterUser,
			fn:       "RecordTouchpoint",
			args: func() []string {
				forged := containerTouchpoint(t, s.carrier, s.shipmentID, containerNumber(t, 305438), schemas.ContainerLoaded, time.Now())
				forged.Signature = tp.Signature
				return []string{mustJSON(t, forged)}
			},
			prefix: "BAD_SIGNATURE: ",
		},
		{
			name:     "an org admin cannot register a partner for another org",
			contract: n.contract(t, "CarrierMSP", "admin"),
			fn:       "RegisterPartner",
			args: func() []string {
				return []string{mustJSON(t, newParty(t, runID("intruder"), "ExporterMSP", "exporter").partner)}
			},
			prefix: "FORBIDDEN: ",
		},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := submit(ctx, tt.contract, tt.fn, tt.args()...)
			require.Error(t, err)
			msg := chaincodeMessage(err)
			assert.True(t, strings.HasPrefix(msg, tt.prefix), "message %q should start with %q", msg, tt.prefix)
			assert.Contains(t, msg, tt.contains)
			trace := traceOf(ctx, t, exporterUser, s.shipmentID)
			assert.Len(t, trace.Items, 1, "a refused transaction must write nothing")
		})
	}
	return res.txID
}

func traceOf(ctx context.Context, t *testing.T, c *client.Contract, shipmentID string) schemas.Page[schemas.TraceItem] {
	t.Helper()
	raw, err := evaluate(ctx, c, "Trace", shipmentID, "0", "")
	require.NoError(t, err, errMessage(err))
	var page schemas.Page[schemas.TraceItem]
	require.NoError(t, json.Unmarshal(raw, &page))
	return page
}

// traceAll reads every page of a shipment's trace.
func traceAll(ctx context.Context, t *testing.T, c *client.Contract, shipmentID string) []schemas.TraceItem {
	t.Helper()
	var items []schemas.TraceItem
	bookmark := ""
	for range 1000 {
		raw, err := evaluate(ctx, c, "Trace", shipmentID, "1000", bookmark)
		require.NoError(t, err, errMessage(err))
		var page schemas.Page[schemas.TraceItem]
		require.NoError(t, json.Unmarshal(raw, &page))
		items = append(items, page.Items...)
		if page.Bookmark == "" {
			return items
		}
		bookmark = page.Bookmark
	}
	t.Fatalf("the trace of %s does not end", shipmentID)
	return nil
}

// endorsingMSPs reads the committed transaction back through the peer's
// query system chaincode and lists the MSP IDs of its endorsers.
func endorsingMSPs(ctx context.Context, t *testing.T, n *fabricNet, txID string) []string {
	t.Helper()
	qscc := n.gateway(t, "ExporterMSP", "admin").GetNetwork(n.prof.Channel).GetContract("qscc")
	raw, err := evaluate(ctx, qscc, "GetTransactionByID", n.prof.Channel, txID)
	require.NoError(t, err, errMessage(err))
	var processed peer.ProcessedTransaction
	require.NoError(t, proto.Unmarshal(raw, &processed))
	require.Equal(t, int32(peer.TxValidationCode_VALID), processed.ValidationCode)
	var payload common.Payload
	require.NoError(t, proto.Unmarshal(processed.TransactionEnvelope.Payload, &payload))
	var tx peer.Transaction
	require.NoError(t, proto.Unmarshal(payload.Data, &tx))
	require.NotEmpty(t, tx.Actions)
	var action peer.ChaincodeActionPayload
	require.NoError(t, proto.Unmarshal(tx.Actions[0].Payload, &action))
	seen := map[string]bool{}
	var msps []string
	for _, e := range action.Action.Endorsements {
		var id msp.SerializedIdentity
		require.NoError(t, proto.Unmarshal(e.Endorser, &id))
		if !seen[id.Mspid] {
			seen[id.Mspid] = true
			msps = append(msps, id.Mspid)
		}
	}
	return msps
}
