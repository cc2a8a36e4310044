package app_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/app"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/schemas"
)

// step is one CLI invocation of a scenario, run in order.
type step struct {
	name    string
	msp     string
	args    []string
	code    cmdutil.ExitCode
	out     []string // substrings of stdout
	errOut  []string // substrings of stderr
	check   func(t *testing.T, out string)
	envPlus map[string]string
}

func runSteps(t *testing.T, n *cmdtest.Network, steps []step) {
	t.Helper()
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) {
			env := n.Env(s.msp)
			for k, v := range s.envPlus {
				env[k] = v
			}
			f, out, errOut := cmdtest.Factory(env)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			code := app.Run(ctx, f, s.args)
			assert.Equal(t, s.code, code, "exit code\nstdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
			for _, want := range s.out {
				assert.Contains(t, out.String(), want)
			}
			for _, want := range s.errOut {
				assert.Contains(t, errOut.String(), want)
			}
			if s.check != nil {
				s.check(t, out.String())
			}
		})
		if !ok {
			t.FailNow() // later steps depend on earlier ones
		}
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestEveryCommandAgainstARealEmbeddedPeer(t *testing.T) {
	n := cmdtest.StartNetwork(t)
	tmp := t.TempDir()
	base := "MSCU712345"
	d, err := schemas.ContainerCheckDigit(base)
	require.NoError(t, err)
	box, badBox := base+strconv.Itoa(d), base+strconv.Itoa((d+1)%10)
	const ship, seal = "SHP-CLI-1", "H-0042-7788"
	now := time.Now().UTC()
	at := func(min int) string { return now.Add(time.Duration(min-300) * time.Minute).Format(time.RFC3339) }
	cert := writeFile(t, tmp, "co.pdf", "%PDF-1.4 certificate of origin CO-1, apples, NL")
	tampered := writeFile(t, tmp, "co-copy.pdf", "%PDF-1.4 certificate of origin CO-1, pears, NL")
	readings := writeFile(t, tmp, "readings.csv", "time,temperature\n"+
		at(10)+",3.1\n"+at(11)+",9.5\n"+at(12)+",abc\n"+at(13)+",3.0\n"+at(14)+",2.9\n")
	moves := writeFile(t, tmp, "moves.json", `[
 {"eventTime":"`+at(60)+`","container":{"number":"`+box+`","action":"loaded"}},
 {"eventTime":"`+at(70)+`","container":{"number":"`+box+`","action":"departed","vessel":"MV Nordic Aurora"}},
 {"eventTime":"`+at(200)+`","location":{"unlocode":"DEHAM"},"container":{"number":"`+box+`","action":"arrived"}}
]`)
	brokerKey, err := crypto.GenerateKey()
	require.NoError(t, err)
	broker := writeFile(t, tmp, "broker.json", `{"id":"hanse-broker","legalName":"Hanse Customs Brokers","country":"DE","roles":["broker"]}`)
	var amendmentID string
	var traceBefore int

	countTrace := func(t *testing.T) int {
		f, out, _ := cmdtest.Factory(n.Env("CustomsMSP"))
		require.Equal(t, cmdutil.ExitOK, app.Run(context.Background(), f, []string{"trace", "shipment", ship, "--json"}))
		var res struct{ Records []json.RawMessage }
		require.NoError(t, json.Unmarshal([]byte(out.String()), &res))
		return len(res.Records)
	}

	runSteps(t, n, []step{
		{name: "keys list shows the network's encrypted keys", args: []string{"keys", "list"}, out: []string{"exporter", "reefer-sensor", "0600"}},
		{name: "keys new creates another key", args: []string{"keys", "new", "extra-handheld", "--light"}, out: []string{"created key extra-handheld", "mode 0600"}},
		{name: "keys new refuses an existing name", args: []string{"keys", "new", "exporter", "--light"}, code: cmdutil.ExitConflict, errOut: []string{"key already exists"}},
		{name: "keys address prints the address", args: []string{"keys", "address", "carrier"}, out: []string{"0x"}},
		{name: "the exporter registers itself", msp: "ExporterMSP", args: []string{"partner", "register", "--id", "acme-export", "--name", "Acme Export BV", "--country", "NL", "--role", "exporter", "--key", "exporter"}, out: []string{"registered partner acme-export", "exporter"}},
		{name: "the carrier registers itself", msp: "CarrierMSP", args: []string{"partner", "register", "--id", "nordic-lines", "--name", "Nordic Lines A/S", "--country", "DK", "--role", "carrier", "--role", "forwarder", "--key", "carrier"}},
		{name: "the carrier registers its sensor", msp: "CarrierMSP", args: []string{"partner", "register", "--id", "reefer-sensor-7", "--name", "Reefer sensor 7", "--country", "DK", "--role", "device", "--key", "reefer-sensor"}},
		{name: "the chamber registers itself", msp: "IssuerMSP", args: []string{"partner", "register", "--id", "rotterdam-chamber", "--name", "Chamber of Commerce Rotterdam", "--country", "NL", "--role", "certificate-issuer", "--key", "issuer"}},
		{name: "customs registers itself", msp: "CustomsMSP", args: []string{"partner", "register", "--id", "customs-hamburg", "--name", "Customs Hamburg", "--country", "DE", "--role", "customs", "--key", "customs"}},
		{name: "the importer registers itself", msp: "ImporterMSP", args: []string{"partner", "register", "--id", "fresh-foods", "--name", "Fresh Foods GmbH", "--country", "DE", "--role", "importer", "--key", "importer"}},
		{name: "a partner is registered from a file with a raw public key", msp: "ImporterMSP", args: []string{"partner", "register", "--file", broker,
			"--public-key", schemas.PublicKeyHex(&brokerKey.PublicKey) + "=desk"}, out: []string{"registered partner hanse-broker", "ImporterMSP", "desk"}},
		{name: "an admin of another organisation may not register a partner", msp: "CarrierMSP", args: []string{"partner", "register", "--partner-msp", "ExporterMSP", "--id", "intruder", "--name", "Intruder", "--country", "NL", "--role", "exporter"}, code: cmdutil.ExitForbidden, errOut: []string{"FORBIDDEN", "exit code 4"}},
		{name: "the refused partner was not written", msp: "CarrierMSP", args: []string{"partner", "show", "intruder"}, code: cmdutil.ExitNotFound, errOut: []string{"NOT_FOUND"}},
		{name: "partner list shows every partner", msp: "CustomsMSP", args: []string{"partner", "list", "--json"}, check: func(t *testing.T, out string) {
			var ps []schemas.Partner
			require.NoError(t, json.Unmarshal([]byte(out), &ps))
			assert.Len(t, ps, 7)
		}},
		{name: "partner add-key adds a handheld", msp: "CarrierMSP", args: []string{"partner", "add-key", "nordic-lines", "--key", "extra-handheld"}, out: []string{"added key", "extra-handheld"}},
		{name: "partner show finds the partner by key address", msp: "CarrierMSP", args: []string{"partner", "show", "nordic-lines"}, out: []string{"Nordic Lines A/S", "carrier, forwarder", "extra-handheld"}},
		{name: "shipment create books the shipment", msp: "ExporterMSP", args: []string{"shipment", "create", "--id", ship, "--consignor", "acme-export", "--consignee", "fresh-foods",
			"--party", "nordic-lines", "--party", "reefer-sensor-7", "--party", "customs-hamburg", "--origin", "NLRTM", "--destination", "DEHAM", "--hs-code", "080810",
			"--temp-min", "2", "--temp-max", "8", "--planned-departure", at(0), "--planned-arrival", at(300)}, out: []string{"booked shipment " + ship, "2 to 8 °C"}},
		{name: "shipment create names the bad field", msp: "ExporterMSP", args: []string{"shipment", "create", "--id", "SHP-BAD", "--consignor", "acme-export", "--consignee", "fresh-foods",
			"--origin", "XXRTM", "--destination", "DEHAM", "--hs-code", "080810", "--planned-departure", at(0), "--planned-arrival", at(300)},
			code: cmdutil.ExitInvalid, errOut: []string{"field: origin", `value: "XXRTM"`, "rule:"}},
		{name: "shipment show --json gives the state", msp: "CarrierMSP", args: []string{"shipment", "show", ship, "--json"}, check: func(t *testing.T, out string) {
			var v schemas.ShipmentView
			require.NoError(t, json.Unmarshal([]byte(out), &v))
			assert.Equal(t, schemas.ShipmentBooked, v.State.Status)
		}},
		{name: "shipment list finds it by party", msp: "CarrierMSP", args: []string{"shipment", "list", "--party", "nordic-lines"}, out: []string{ship, "NLRTM", "DEHAM"}},
		{name: "gate-in is recorded from flags", msp: "ExporterMSP", args: []string{"event", "record", "container", "--key", "exporter", "--shipment", ship, "--number", box, "--action", "gate-in", "--location", "NLRTM", "--at", at(1)},
			out: []string{"recorded container " + box + " gate-in at NLRTM", "signed by", "(acme-export)"}},
		{name: "a wrong check digit is refused with field, value and rule", msp: "ExporterMSP", args: []string{"event", "record", "container", "--key", "exporter", "--shipment", ship, "--number", badBox, "--action", "stuffed", "--location", "NLRTM", "--at", at(2)},
			code: cmdutil.ExitInvalid, errOut: []string{"field: container.number", `value: "` + badBox + `"`, "check digit must be " + strconv.Itoa(d)}},
	})
	traceBefore = countTrace(t)
	assert.Equal(t, 1, traceBefore, "the refused record wrote nothing")

	runSteps(t, n, []step{
		{name: "the carrier affixes an H seal", msp: "CarrierMSP", args: []string{"event", "record", "seal", "--key", "carrier", "--shipment", ship, "--class", "H", "--number", seal, "--container", box, "--action", "affixed", "--location", "NLRTM", "--at", at(5)},
			out: []string{"seal " + seal + " (class H) affixed"}},
		{name: "the chamber anchors the certificate", msp: "IssuerMSP", args: []string{"doc", "anchor", cert, "--type", "certificate-of-origin", "--owner", "rotterdam-chamber", "--shipment", ship},
			out: []string{"anchored co.pdf", "sha256"}},
		{name: "the chamber signs the origin certificate", msp: "IssuerMSP", args: []string{"event", "record", "origin", "--key", "issuer", "--shipment", ship, "--certificate", "CO-1",
			"--issuer", "Chamber of Commerce Rotterdam", "--country", "NL", "--hs-code", "080810", "--document", cert, "--valid-from", now.Format(time.DateOnly), "--valid-until", now.AddDate(0, 6, 0).Format(time.DateOnly), "--location", "NLRTM", "--at", at(8)},
			out: []string{"certificate of origin CO-1"}},
		{name: "a sensor CSV is imported in batches, reporting the bad row and going on", msp: "CarrierMSP", args: []string{"event", "record", "sensor", "--key", "reefer-sensor", "--shipment", ship, "--device", "reefer-sensor-7",
			"--location", "NLRTM", "--file", readings, "--batch-size", "2", "--progress", "always"},
			code: cmdutil.ExitInvalid, out: []string{"refused line 4:", `field=temperature value="abc" rule=must be a number`, "recorded 2 of 3 sensor records; 1 refused"}, errOut: []string{"1 of 3 sensor records refused"}},
		{name: "container moves are imported from JSON", msp: "CarrierMSP", args: []string{"event", "record", "container", "--key", "carrier", "--shipment", ship, "--location", "NLRTM", "--file", moves, "--json"},
			check: func(t *testing.T, out string) {
				var rep struct{ Total, Recorded, Refused int }
				require.NoError(t, json.Unmarshal([]byte(out), &rep))
				assert.Equal(t, 3, rep.Total)
				assert.Equal(t, 3, rep.Recorded)
			}},
		{name: "customs checks the seal with VVTT", msp: "CustomsMSP", args: []string{"event", "record", "seal", "--key", "customs", "--shipment", ship, "--class", "H", "--number", seal, "--container", box, "--action", "verified", "--vvtt", "view,verify,tug,twist", "--location", "DEHAM", "--at", at(210)},
			out: []string{"VVTT passed"}},
		{name: "sensor readings are recorded from flags", msp: "CarrierMSP", args: []string{"event", "record", "sensor", "--key", "reefer-sensor", "--shipment", ship, "--device", "reefer-sensor-7",
			"--location", "DEHAM", "--reading", at(215) + "=3.2", "--reading", at(220) + "=3.4"}, out: []string{"recorded 2 sensor readings from reefer-sensor-7, 3.2 to 3.4 °C"}},
		{name: "the consignee signs the proof of delivery", msp: "ImporterMSP", args: []string{"event", "record", "pod", "--key", "importer", "--shipment", ship, "--receiver", "Fresh Foods goods-in", "--condition", "good", "--location", "DEHAM", "--at", at(250)},
			out: []string{"proof of delivery at DEHAM"}},
		{name: "nothing but incidents after delivery", msp: "CarrierMSP", args: []string{"event", "record", "container", "--key", "carrier", "--shipment", ship, "--number", box, "--action", "gate-out", "--location", "DEHAM", "--at", at(260)},
			code: cmdutil.ExitConflict, errOut: []string{"CONFLICT"}},
		{name: "trace shipment prints the verified timeline", msp: "CustomsMSP", args: []string{"trace", "shipment", ship},
			out: []string{"shipment " + ship + ": 12 records, 12 verified", "INCIDENT temperature-excursion", "✓ verified", "✓ raised by the contract", "acme-export (ExporterMSP)"}},
		{name: "trace container --json verifies every record", msp: "CustomsMSP", args: []string{"trace", "container", box, "--json"}, check: func(t *testing.T, out string) {
			var res struct{ Verified, Problems int }
			require.NoError(t, json.Unmarshal([]byte(out), &res))
			assert.Equal(t, 0, res.Problems)
			assert.Equal(t, 6, res.Verified, "four movements and two seal records")
		}},
		{name: "trace seal shows both seal records", msp: "CustomsMSP", args: []string{"trace", "seal", seal}, out: []string{"2 records, 2 verified"}},
		{name: "history shows the shipment state's versions", msp: "CustomsMSP", args: []string{"history", "shipment-state", ship}, out: []string{"history of shipment-state " + ship, "status=delivered"}},
		{name: "the importer submits a declaration", msp: "ImporterMSP", args: []string{"declaration", "submit", "--file", "testdata/decl.json", "--shipment", ship}, out: []string{"submitted declaration DECL-CLI-1", "HS 080810"}},
		{name: "the importer proposes an amendment", msp: "ImporterMSP", args: []string{"declaration", "amend", "DECL-CLI-1", "--field", "netMass", "--old", "21600", "--new", "21450", "--reason", "weighbridge ticket", "--json"},
			check: func(t *testing.T, out string) {
				var a schemas.Amendment
				require.NoError(t, json.Unmarshal([]byte(out), &a))
				assert.Equal(t, schemas.AmendmentPending, a.Status)
				amendmentID = a.ID
			}},
	})
	runSteps(t, n, []step{
		{name: "the proposer may not approve its own amendment", msp: "ImporterMSP", args: []string{"declaration", "approve", "DECL-CLI-1", amendmentID}, code: cmdutil.ExitForbidden, errOut: []string{"FORBIDDEN"}},
		{name: "a second identity approves it", msp: "ImporterMSP", args: []string{"declaration", "approve", "DECL-CLI-1", amendmentID, "--identity", "user2"}, out: []string{"is approved", "netMass"}},
		{name: "declaration show has the amended value", msp: "CustomsMSP", args: []string{"declaration", "show", "DECL-CLI-1"}, out: []string{"21450 kg", "approved"}},
		{name: "doc verify reports the certificate intact", msp: "CustomsMSP", args: []string{"doc", "verify", cert}, out: []string{"INTACT"}},
		{name: "doc verify reports a changed copy as tampered", msp: "CustomsMSP", args: []string{"doc", "verify", tampered, "--sha256", hashOf(t, cert)}, code: cmdutil.ExitVerifyFailed, out: []string{"TAMPERED"}},
		{name: "doc verify of an unknown file is not found", msp: "CustomsMSP", args: []string{"doc", "verify", tampered}, code: cmdutil.ExitNotFound},
		{name: "partner revoke-key revokes the handheld by name", msp: "CarrierMSP", args: []string{"partner", "revoke-key", "nordic-lines", "extra-handheld", "--reason", "handheld lost"}, out: []string{"revoked", "handheld lost"}},
		{name: "a record signed with the revoked key is refused", msp: "CarrierMSP", args: []string{"event", "record", "seal", "--key", "extra-handheld", "--shipment", ship, "--class", "H", "--number", seal, "--action", "broken", "--location", "DEHAM"},
			code: cmdutil.ExitForbidden},
		{name: "ledger verify checks the whole chain", msp: "CustomsMSP", args: []string{"ledger", "verify"}, out: []string{"ledger aeo VERIFIED", "OrdererMSP"}},
		{name: "a missing flag prints usage and exits 2", msp: "CarrierMSP", args: []string{"event", "record", "container", "--shipment", ship}, code: cmdutil.ExitUsage, errOut: []string{"--key", "Usage:"}},
		{name: "a missing argument prints usage and exits 2", msp: "CarrierMSP", args: []string{"trace", "shipment"}, code: cmdutil.ExitUsage, errOut: []string{"expects a shipment ID", "Usage:"}},
		{name: "an unknown flag prints usage and exits 2", msp: "CarrierMSP", args: []string{"shipment", "show", ship, "--colour"}, code: cmdutil.ExitUsage, errOut: []string{"unknown flag: --colour", "Usage:"}},
		{name: "an unknown command exits 2", args: []string{"shipmnt"}, code: cmdutil.ExitUsage, errOut: []string{`unknown command "shipmnt"`, "Usage:"}},
		{name: "an unknown subcommand exits 2", args: []string{"partner", "regster"}, code: cmdutil.ExitUsage, errOut: []string{`unknown command "regster" for "aeoledger partner"`}},
		{name: "a group command alone shows its help", args: []string{"partner"}, out: []string{"register", "revoke-key"}},
		{name: "exit codes are documented", args: []string{"help", "exit-codes"}, out: []string{"9  verification"}},
	})

	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, n.Node.Stop(stopCtx))
	runSteps(t, n, []step{
		{name: "a stopped node is unavailable", msp: "CustomsMSP", args: []string{"shipment", "show", ship}, code: cmdutil.ExitUnavailable, errOut: []string{"exit code 8"}},
		{name: "the stopped node's files verify offline, world state included", args: []string{"ledger", "verify", "--network", n.Dir},
			out: []string{"ledger aeo VERIFIED", "world state replaying the valid write sets"}},
		{name: "offline verification of a folder without a ledger says so", args: []string{"ledger", "verify", "--network", n.Dir + "/organizations"}, code: cmdutil.ExitGeneric},
	})
}

func hashOf(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	return sha256Hex(raw)
}

func TestNetworkInitThenNodeStartServesClients(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	f, out, errOut := cmdtest.Factory(nil)
	require.Equal(t, cmdutil.ExitOK, app.Run(context.Background(), f, []string{"network", "init", dir, "--address", "127.0.0.1:0"}), errOut.String())
	assert.Contains(t, out.String(), "dev network created in")
	assert.Contains(t, out.String(), "ExporterMSP, CarrierMSP, IssuerMSP, CustomsMSP, ImporterMSP")
	for _, k := range []string{"exporter", "carrier", "reefer-sensor", "issuer", "customs", "importer", ".passphrase"} {
		name := k + ".json"
		if k == ".passphrase" {
			name = k
		}
		st, err := os.Stat(filepath.Join(dir, "keys", name))
		require.NoError(t, err, k)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), k)
	}
	profile := filepath.Join(dir, "connection.yaml")

	ctx, cancel := context.WithCancel(context.Background())
	nf, nodeOut, nodeErr := cmdtest.Factory(nil)
	done := make(chan cmdutil.ExitCode, 1)
	go func() {
		done <- app.Run(ctx, nf, []string{"node", "start", "--network", dir, "--listen", "127.0.0.1:0", "--log-level", "warn"})
	}()
	require.Eventually(t, func() bool { return strings.Contains(nodeOut.String(), "embedded peer serving") }, 20*time.Second, 20*time.Millisecond, nodeErr.String())

	cf, cout, cerr := cmdtest.Factory(map[string]string{cmdutil.EnvProfile: profile, cmdutil.EnvMSP: "CustomsMSP"})
	assert.Equal(t, cmdutil.ExitOK, app.Run(context.Background(), cf, []string{"partner", "list"}), cerr.String())
	assert.Contains(t, cout.String(), "no partners registered")

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, cmdutil.ExitOK, code, nodeErr.String())
	case <-time.After(15 * time.Second):
		t.Fatal("node start did not stop on cancel")
	}
	assert.Contains(t, nodeOut.String(), "embedded peer stopped")
}

func TestDemoRecordsTheWholeJourneyAndVerifiesIt(t *testing.T) {
	f, out, errOut := cmdtest.Factory(nil)
	code := app.Run(context.Background(), f, []string{"demo"})
	require.Equal(t, cmdutil.ExitOK, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	for _, want := range []string{
		"1  booking", "gate-in", "stuffed", "(class H) affixed", "document anchored", "origin certificate", "sensor readings",
		"raised an incident (temperature-excursion)", "loading", "departure", "arrival", "VVTT passed", "proof of delivery",
		"refused by the contract (INVALID)", "field container.number", "INTACT", "TAMPERED",
		"11 records, 11 verified", "ledger aeo VERIFIED", "verified offline", "world state replaying", "demo finished in",
	} {
		assert.Contains(t, out.String(), want)
	}
	assert.NotContains(t, out.String(), "NOT VERIFIED")
}
