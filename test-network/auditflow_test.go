package testnetwork

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/ecdsa"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	sdk "github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/audit/bundle"
	"github.com/aeoledger/aeoledger/workers/audit/mock"
)

// This file shows the auditor's path of issue 7 on the Fabric network: the
// read model that `aeoledger worker run --once` builds from a Fabric peer's
// blocks, `aeoledger audit export` (CSV, XLSX, PDF and the evidence bundle
// of the exported rows, verified offline by `audit verify`) and `aeoledger
// audit mock`. Everything runs through the real CLI binary against the
// Fabric connection profile.

// auditJourney is what TestAuditFlowOnFabric recorded through the SDK.
type auditJourney struct {
	importer, carrier, sensor, customs string // partner IDs
	shipment, decl                     string
	gateIn, seal                       string // record IDs
	sensorA, incidentA, response       string // an answered excursion
	sensorB, incidentB                 string // an unanswered excursion
	amendment                          schemas.Amendment
	from, to                           string // the export's period
}

// recordAuditJourney registers four partners (IDs made only of letters and
// digits, so that the importer can also be the declaration's importerId),
// books a refrigerated shipment, records a gate-in, a seal, two sensor
// batches that each leave the 1-4 °C range for 40 minutes (the contract
// raises an excursion incident for each), an incident answering the first
// excursion, a declaration, and an HS code amendment approved by a second
// identity of the proposer's organisation.
func recordAuditJourney(ctx context.Context, t *testing.T, n *fabricNet) auditJourney {
	t.Helper()
	suffix := fmt.Sprintf("%012d", time.Now().UnixNano()%1_000_000_000_000)
	j := auditJourney{importer: "imp" + suffix, carrier: "car" + suffix, sensor: "dev" + suffix, customs: "cus" + suffix,
		shipment: "SHPA-" + suffix, decl: "DA-" + suffix}
	keys := map[string]*ecdsa.PrivateKey{}
	partner := func(id, mspID string, roles ...string) schemas.Partner {
		k, err := crypto.GenerateKey()
		require.NoError(t, err)
		keys[id] = k
		return schemas.Partner{ID: id, MSPID: mspID, LegalName: "Audit flow " + id, Country: "DE", Roles: roles,
			Keys: []schemas.SigningKey{schemas.NewSigningKey(k, "main")}}
	}

	exporterAdmin := sdkClient(t, n, "ExporterMSP", "admin")
	exporterUser := sdkClient(t, n, "ExporterMSP", "user1")
	carrierAdmin := sdkClient(t, n, "CarrierMSP", "admin")
	carrierUser := sdkClient(t, n, "CarrierMSP", "user1")
	customsAdmin := sdkClient(t, n, "CustomsMSP", "admin")

	for _, reg := range []struct {
		c *sdk.Client
		p schemas.Partner
	}{
		{exporterAdmin, partner(j.importer, "ExporterMSP", schemas.RoleExporter, schemas.RoleImporter)},
		{carrierAdmin, partner(j.carrier, "CarrierMSP", schemas.RoleCarrier)},
		{carrierAdmin, partner(j.sensor, "CarrierMSP", schemas.RoleDevice)},
		{customsAdmin, partner(j.customs, "CustomsMSP", schemas.RoleCustoms)},
	} {
		_, err := reg.c.RegisterPartner(ctx, reg.p)
		require.NoError(t, err, "registering %s", reg.p.ID)
	}

	now := time.Now().UTC()
	t0 := now.Add(-3 * time.Hour).Truncate(time.Minute)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	j.from, j.to = t0.Format(time.DateOnly), now.Format(time.DateOnly)
	_, err := exporterUser.CreateShipment(ctx, schemas.Shipment{
		ID:        j.shipment,
		Consignor: schemas.Party{PartnerID: j.importer, Name: "Audit Flow Export GmbH", Country: "DE"},
		Consignee: schemas.Party{Name: "Audit Flow Import BV", Country: "NL"},
		Parties:   []string{j.carrier, j.sensor, j.customs},
		Origin:    "DEHAM", Destination: "NLRTM", HSCodes: []string{"080810"},
		TemperatureRange: &schemas.TemperatureRange{Min: 1, Max: 4},
		PlannedDeparture: t0.Format(time.RFC3339), PlannedArrival: now.Add(48 * time.Hour).Format(time.RFC3339),
	})
	require.NoError(t, err, "booking the shipment")

	record := func(c *sdk.Client, signer string, tp *schemas.Touchpoint) *schemas.RecordResult {
		t.Helper()
		res, err := c.RecordTouchpoint(ctx, keys[signer], tp)
		require.NoError(t, err, "recording a %s touchpoint", tp.Type)
		require.NotEmpty(t, res.Records)
		return res
	}
	container := containerNumber(t, int(now.UnixNano()/1000%1_000_000))
	j.gateIn = record(exporterUser, j.importer, sdk.ContainerTouchpoint(j.shipment, at(0), "DEHAM",
		schemas.ContainerEvent{Number: container, Action: schemas.ContainerGateIn})).Records[0].Record.ID
	j.seal = record(carrierUser, j.carrier, sdk.SealTouchpoint(j.shipment, at(10), "DEHAM", schemas.SealEvent{Class: schemas.SealHighSecurity,
		Number: "AF-" + suffix, ContainerNumber: container, Action: schemas.SealAffixed})).Records[0].Record.ID

	excursion := func(start int, temps ...float64) (string, string) {
		var readings []schemas.SensorReading
		for i, c := range temps {
			readings = append(readings, schemas.SensorReading{Time: at(start + 10*i).Format(time.RFC3339), Temperature: f64(c)})
		}
		res := record(carrierUser, j.sensor, sdk.SensorTouchpoint(j.shipment, at(start+10*len(temps)), "DEHAM", j.sensor, readings))
		require.Len(t, res.Records, 2, "the excursion raises one incident")
		in := res.Records[1].Record
		require.NotNil(t, in.Incident)
		require.Equal(t, schemas.CauseTempExcursion, in.Incident.Cause)
		return res.Records[0].Record.ID, in.ID
	}
	j.sensorA, j.incidentA = excursion(20, 2.5, 5.5, 6.0, 6.2, 5.9, 6.1, 3.0)
	j.response = record(carrierUser, j.carrier, sdk.IncidentTouchpoint(j.shipment, at(95), "DEHAM", schemas.Incident{Cause: schemas.CauseOther,
		Description: "reefer unit restarted, cargo inspected and found sound", RelatedRecord: j.incidentA})).Records[0].Record.ID
	j.sensorB, j.incidentB = excursion(100, 3.0, 7.0, 7.5, 7.2, 6.8, 7.1, 2.9)

	d := firstCustomsDeclaration(t)
	d.ID, d.ShipmentID, d.ImporterID, d.HSCode, d.Date = j.decl, j.shipment, j.importer, "0808100000", now.Format(time.DateOnly)
	_, err = exporterUser.SubmitDeclaration(ctx, *d)
	require.NoError(t, err, "submitting the declaration")
	proposed, err := exporterUser.AmendDeclaration(ctx, schemas.Amendment{DeclarationID: j.decl, Field: "hsCode",
		OldValue: "0808100000", NewValue: "0808108000", Reason: "binding tariff information received"})
	require.NoError(t, err, "proposing the amendment")
	approved, err := exporterAdmin.ApproveAmendment(ctx, j.decl, proposed.ID)
	require.NoError(t, err, "approving the amendment")
	require.Equal(t, schemas.AmendmentApproved, approved.Status)
	j.amendment = *approved
	return j
}

// TestAuditFlowOnFabric records a journey on the Fabric network, builds the
// read model with `worker run --once` (which also writes its sensor alert
// back to the ledger as CustomsMSP), exports it as CSV with the evidence
// bundle of the exported rows, as XLSX and as PDF, verifies the bundle
// offline anchored at the channel's genesis block, and runs the mock audit.
func TestAuditFlowOnFabric(t *testing.T) {
	n := requireNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	bin := buildCLI(t)
	j := recordAuditJourney(ctx, t, n)
	dir := t.TempDir()
	db := filepath.Join(dir, "rm.db")
	conn := []string{"--profile", filepath.Join(n.prof.Dir(), "connection.yaml"), "--msp", "CustomsMSP", "--identity", "user1", "--db", db}
	cli := func(t *testing.T, args ...string) string {
		t.Helper()
		stdout, stderr, code := runCLI(t, bin, append(args, conn...)...)
		require.Equal(t, 0, code, "aeoledger %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), stdout, stderr)
		return stdout
	}
	period := []string{"--from", j.from, "--to", j.to, "--partner", j.importer}

	t.Run("worker run --once projects the Fabric blocks and writes the sensor alert back", func(t *testing.T) {
		var rep struct {
			ReadModel string `json:"readModel"`
			Block     uint64 `json:"block"`
			Stats     struct {
				Blocks, SensorBatches, Alerts, Recorded, Refused int
			} `json:"stats"`
		}
		require.NoError(t, json.Unmarshal([]byte(cli(t, "worker", "run", "--once", "--json", "--log-level", "warn")), &rep))
		assert.Equal(t, "sqlite", rep.ReadModel)
		assert.Greater(t, rep.Block, uint64(0))
		assert.GreaterOrEqual(t, rep.Stats.SensorBatches, 2, "both sensor batches were handled")
		assert.GreaterOrEqual(t, rep.Stats.Alerts, 1, "the 40-minute excursions raise an alert")
		assert.GreaterOrEqual(t, rep.Stats.Recorded, 1, "the alert is written to the ledger")
	})

	csvPath, bundlePath := filepath.Join(dir, "audit.csv"), filepath.Join(dir, "b.json")
	type exportResult struct {
		Rows          int64  `json:"rows"`
		RowsSHA256    string `json:"rowsSha256"`
		Projected     int    `json:"blocksProjected"`
		Bundle        string `json:"bundle"`
		BundleSHA256  string `json:"bundleSha256"`
		BundleRecords int    `json:"bundleRecords"`
	}
	var csvRes exportResult
	require.NoError(t, json.Unmarshal([]byte(cli(t, append([]string{"audit", "export", "--format", "csv", "--out", csvPath,
		"--bundle", bundlePath, "--json"}, period...)...)), &csvRes))
	raw, err := os.ReadFile(csvPath)
	require.NoError(t, err)
	table, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, table)
	col := map[string]int{}
	for i, c := range table[0] {
		col[c] = i
	}
	rows := table[1:]
	find := func(section, id string) []string {
		for _, r := range rows {
			if r[col["section"]] == section && r[col["id"]] == id {
				return r
			}
		}
		return nil
	}

	t.Run("the CSV holds the journey's declaration, touchpoints, approved amendment and the worker's alert", func(t *testing.T) {
		assert.Equal(t, int64(len(rows)), csvRes.Rows)
		decl := find("declaration", j.decl)
		require.NotNil(t, decl, "declaration row")
		assert.Equal(t, j.shipment, decl[col["subject"]])
		assert.Equal(t, j.importer, decl[col["party"]])
		for _, id := range []string{j.gateIn, j.seal, j.sensorA, j.incidentA, j.response, j.sensorB, j.incidentB} {
			tp := find("touchpoint", id)
			if assert.NotNil(t, tp, "touchpoint %s", id) {
				assert.Equal(t, j.shipment, tp[col["subject"]])
			}
		}
		a := j.amendment
		am := find("amendment", j.decl+"/"+a.ID)
		require.NotNil(t, am, "amendment row")
		assert.Equal(t, "hsCode", am[col["type"]])
		assert.Equal(t, "0808100000", am[col["old_value"]])
		assert.Equal(t, "0808108000", am[col["new_value"]])
		assert.Equal(t, schemas.AmendmentApproved, am[col["status"]])
		assert.Equal(t, a.ProposedBy.MSPID+" "+a.ProposedBy.ID, am[col["party"]])
		assert.Equal(t, a.Approvals[0].By.MSPID+" "+a.Approvals[0].By.ID, am[col["approved_by"]])
		assert.Equal(t, a.Approvals[0].At, am[col["approved_at"]])
		var alerts int
		for _, r := range rows {
			if r[col["section"]] == "alert" && r[col["subject"]] == "shipment "+j.shipment {
				alerts++
				assert.Equal(t, "CustomsMSP", r[col["party"]], "the worker acted as CustomsMSP")
				assert.Equal(t, "open", r[col["status"]])
			}
		}
		assert.GreaterOrEqual(t, alerts, 1, "the worker's temperature alert is exported")
		for _, r := range rows {
			assert.NotEmpty(t, r[col["tx_id"]], "%s %s", r[col["section"]], r[col["id"]])
			assert.NotEqual(t, "0", r[col["block"]], "%s %s", r[col["section"]], r[col["id"]])
		}
	})

	t.Run("the export's bundle verifies offline against the genesis block and proves every exported row", func(t *testing.T) {
		stdout, stderr, code := runCLI(t, bin, "audit", "verify", bundlePath, "--trust-anchor", genesisAnchor(t, n).String(), "--json")
		require.Equal(t, 0, code, "stderr: %s\nstdout: %s", stderr, stdout)
		var v bundle.Verdict
		require.NoError(t, json.Unmarshal([]byte(stdout), &v))
		assert.True(t, v.OK, "failures: %v", v.Failures())
		assert.True(t, v.Anchored)
		assert.Equal(t, csvRes.BundleSHA256, v.FileSHA256, "the export cites the bundle file it wrote")
		assert.Equal(t, csvRes.BundleRecords, len(v.Items))
		proven := map[string]bool{}
		kinds := map[string]bool{}
		for _, it := range v.Items {
			proven[it.TxID] = true
			kinds[it.Kind] = true
		}
		for _, r := range rows {
			assert.True(t, proven[r[col["tx_id"]]], "the bundle proves the transaction of %s %s", r[col["section"]], r[col["id"]])
		}
		for _, k := range []string{bundle.KindDeclaration, bundle.KindTouchpoint, bundle.KindAmendment, bundle.KindCompliance} {
			assert.True(t, kinds[k], "the bundle holds %s records", k)
		}
	})

	t.Run("the bundle with one byte changed fails verification and names the bundle", func(t *testing.T) {
		b, err := os.ReadFile(bundlePath)
		require.NoError(t, err)
		b[len(b)/2] ^= 1
		bad := filepath.Join(dir, "bad.json")
		require.NoError(t, os.WriteFile(bad, b, 0o644))
		stdout, _, code := runCLI(t, bin, "audit", "verify", bad, "--trust-anchor", genesisAnchor(t, n).String(), "--json")
		assert.Equal(t, 9, code)
		var v bundle.Verdict
		require.NoError(t, json.Unmarshal([]byte(stdout), &v))
		assert.False(t, v.OK)
		assert.Contains(t, v.FailedCategories(), bundle.CatBundle)
	})

	t.Run("XLSX holds the same rows as the CSV", func(t *testing.T) {
		out := filepath.Join(dir, "audit.xlsx")
		var res exportResult
		require.NoError(t, json.Unmarshal([]byte(cli(t, append([]string{"audit", "export", "--format", "xlsx", "--out", out, "--json", "--no-catch-up"}, period...)...)), &res))
		assert.Equal(t, csvRes.RowsSHA256, res.RowsSHA256, "the same rows in either format have the same digest")
		x, err := excelize.OpenFile(out)
		require.NoError(t, err)
		defer x.Close()
		got, err := x.GetRows("Export 1")
		require.NoError(t, err)
		require.Len(t, got, len(table))
		for i := range table {
			// excelize drops trailing empty cells of a row.
			want := slices.Clone(table[i])
			for len(want) > 0 && want[len(want)-1] == "" {
				want = want[:len(want)-1]
			}
			assert.Equal(t, want, got[i], "row %d", i)
		}
	})

	t.Run("the PDF ends with the hash of the bundle that proves it", func(t *testing.T) {
		out := filepath.Join(dir, "audit.pdf")
		pdfBundle := filepath.Join(dir, "pdf-bundle.json")
		var res exportResult
		require.NoError(t, json.Unmarshal([]byte(cli(t, append([]string{"audit", "export", "--format", "pdf", "--out", out, "--bundle", pdfBundle,
			"--json", "--no-catch-up"}, period...)...)), &res))
		assert.Equal(t, csvRes.RowsSHA256, res.RowsSHA256)
		raw, err := os.ReadFile(out)
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(raw, []byte("%PDF-")))
		text := pdfText(t, raw)
		assert.Contains(t, text, "Evidence bundle SHA-256: "+res.BundleSHA256)
		assert.Contains(t, text, j.decl)
	})

	t.Run("an export whose filter selects no rows refuses to bundle and writes nothing", func(t *testing.T) {
		out, b := filepath.Join(dir, "none.csv"), filepath.Join(dir, "none.json")
		args := append([]string{"audit", "export", "--from", j.from, "--to", j.to, "--partner", "nobody" + j.importer,
			"--format", "csv", "--out", out, "--bundle", b}, conn...)
		_, stderr, code := runCLI(t, bin, args...)
		assert.NotEqual(t, 0, code)
		assert.Contains(t, stderr, `field=--bundle value="`+b+`" rule=the export selects no rows, so there is no evidence to bundle`)
		assert.NoFileExists(t, out)
		assert.NoFileExists(t, b)
	})

	t.Run("the mock audit reports the unanswered excursion, citing its records, and not the answered one", func(t *testing.T) {
		var rep mock.Report
		require.NoError(t, json.Unmarshal([]byte(cli(t, "audit", "mock", "--from", j.from, "--to", j.to, "--json")), &rep))
		var cited [][]string
		for _, f := range rep.Findings {
			if f.Check == mock.CheckNoResponse && f.Subject == "shipment "+j.shipment {
				cited = append(cited, f.Records)
			}
			if f.Check == mock.CheckUnapprovedHS {
				assert.NotContains(t, f.Records, j.amendment.ID, "the amendment was approved by a second identity")
			}
		}
		assert.Equal(t, [][]string{{j.incidentB, j.sensorB}}, cited)
		ran := map[string]bool{}
		for _, c := range rep.Checks {
			ran[c.Name] = c.Ran
		}
		assert.True(t, ran[mock.CheckNoResponse])
		assert.True(t, ran[mock.CheckUnapprovedHS])
	})
}

// pdfStream matches one stream object of a PDF.
var pdfStream = regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`)

// pdfText inflates every compressed stream of a PDF (fpdf compresses page
// content with zlib) and returns them joined, so that text shown with Tj
// can be searched.
func pdfText(t *testing.T, raw []byte) string {
	t.Helper()
	var sb strings.Builder
	for _, m := range pdfStream.FindAllSubmatch(raw, -1) {
		zr, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			sb.Write(m[1])
			continue
		}
		b, err := io.ReadAll(zr)
		if err == nil {
			sb.Write(b)
		}
	}
	return sb.String()
}
