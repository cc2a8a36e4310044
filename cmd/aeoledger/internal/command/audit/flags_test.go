package audit_test

import (
	"context"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/audit"
	"github.com/aeoledger/aeoledger/workers/audit/bundle"
	"github.com/aeoledger/aeoledger/workers/audit/export"
)

func TestBundleParsesFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    bundle.Query
		out     string
		json    bool
		wantErr string
	}{
		{name: "a shipment and an output file", args: []string{"--shipment", "S1", "--out", "e.json"}, want: bundle.Query{ShipmentID: "S1"}, out: "e.json"},
		{name: "a container from a block on, as JSON", args: []string{"--container", "MSCU7123459", "-o", "c.json", "--from-block", "12", "--json"},
			want: bundle.Query{ContainerNumber: "MSCU7123459", FromBlock: 12}, out: "c.json", json: true},
		{name: "a declaration", args: []string{"--declaration", "D1", "--out", "d.json"}, want: bundle.Query{DeclarationID: "D1"}, out: "d.json"},
		{name: "several transactions", args: []string{"--tx", "aa", "--tx", "bb", "--out", "t.json"}, want: bundle.Query{TxIDs: []string{"aa", "bb"}}, out: "t.json"},
		{name: "no selector is refused", args: []string{"--out", "e.json"}, wantErr: `field=--shipment|--container|--declaration|--tx value="" rule=select exactly one`},
		{name: "two selectors are refused", args: []string{"--shipment", "S1", "--declaration", "D1", "--out", "e.json"},
			wantErr: `field=--shipment|--container|--declaration|--tx value="--shipment --declaration" rule=select exactly one`},
		{name: "an empty transaction ID is refused", args: []string{"--tx", "", "--out", "e.json"}, wantErr: `field=--tx value="" rule=a transaction ID must not be empty`},
		{name: "the output file is required", args: []string{"--shipment", "S1"}, wantErr: `field=--out value="" rule=the file to write the bundle to is required`},
		{name: "positional arguments are refused", args: []string{"S1", "--out", "e.json"}, wantErr: "takes no arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got *audit.BundleOptions
			err := cmdtest.Exec(audit.NewCmdBundle(f, func(_ context.Context, o *audit.BundleOptions) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.Equal(t, cmdutil.ExitUsage, cmdutil.ExitCodeFor(err))
				assert.Nil(t, got, "the command must not run")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.Query)
			assert.Equal(t, tc.out, got.Out)
			assert.Equal(t, tc.json, got.JSON)
		})
	}
}

func TestVerifyParsesFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    audit.VerifyOptions
		wantErr string
	}{
		{name: "a file alone", args: []string{"e.json"}, want: audit.VerifyOptions{File: "e.json"}},
		{name: "a trust anchor, pinned CAs and JSON", args: []string{"e.json", "--trust-anchor", "7:ab", "--trust-ca", "x", "--trust-ca", "y", "--json"},
			want: audit.VerifyOptions{File: "e.json", TrustAnchor: "7:ab", TrustCAs: []string{"x", "y"}, JSON: true}},
		{name: "the file is required", args: nil, wantErr: "expects the bundle file"},
		{name: "only one file", args: []string{"a.json", "b.json"}, wantErr: "expects the bundle file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got *audit.VerifyOptions
			err := cmdtest.Exec(audit.NewCmdVerify(f, func(_ context.Context, o *audit.VerifyOptions) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want.File, got.File)
			assert.Equal(t, tc.want.TrustAnchor, got.TrustAnchor)
			assert.Equal(t, tc.want.TrustCAs, got.TrustCAs)
			assert.Equal(t, tc.want.JSON, got.JSON)
		})
	}
}

func TestParseTrustNamesTheBadValue(t *testing.T) {
	fp := "5D1C" + "00112233445566778899aabbccddeeff00112233445566778899aabbccdd"
	cases := []struct {
		name    string
		anchor  string
		cas     []string
		wantErr string
		wantCAs []string
	}{
		{name: "nothing is trusted", wantCAs: nil},
		{name: "a fingerprint is normalised to lower case", cas: []string{fp}, wantCAs: []string{"5d1c00112233445566778899aabbccddeeff00112233445566778899aabbccdd"}},
		{name: "a short fingerprint is refused", cas: []string{"abcd"}, wantErr: `field=trust-ca value="abcd" rule=must be the SHA-256 fingerprint of a CA certificate: 64 hex digits`},
		{name: "an anchor without a hash is refused", anchor: "42", wantErr: `field=trust-anchor value="42" rule=must be BLOCK:HEADERHASH`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ta, err := audit.ParseTrust(tc.anchor, tc.cas)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.Equal(t, cmdutil.ExitInvalid, cmdutil.ExitCodeFor(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantCAs, ta.CAFingerprints)
		})
	}
}

func TestExportParsesFlags(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		env        map[string]string
		wantFilter export.Filter
		wantFormat string
		wantDSN    string
		wantBundle string
		wantErr    string
	}{
		{name: "every filter and an explicit format", args: []string{"--from", "2026-01-01", "--to", "2026-12-31", "--hs", "0808", "--origin", "NL", "--partner", "acme",
			"--format", "xlsx", "--out", "a.xlsx", "--db", "rm.db", "--bundle", "b.json"},
			wantFilter: export.Filter{From: "2026-01-01", To: "2026-12-31", HSPrefix: "0808", Origin: "NL", Partner: "acme"}, wantFormat: "xlsx", wantDSN: "sqlite:rm.db", wantBundle: "b.json"},
		{name: "the format follows the output's extension", args: []string{"--from", "2026-01-01", "--to", "2026-01-31", "--out", "Audit.PDF"},
			env: map[string]string{cmdutil.EnvProfile: "/n/connection.yaml"}, wantFilter: export.Filter{From: "2026-01-01", To: "2026-01-31"}, wantFormat: "pdf", wantDSN: "sqlite:/n/readmodel.db"},
		{name: "an unknown format is refused", args: []string{"--from", "2026-01-01", "--to", "2026-01-31", "--out", "a.txt"}, wantErr: `field=--format value="txt" rule=must be csv, xlsx or pdf`},
		{name: "the period is required", args: []string{"--to", "2026-01-31", "--out", "a.csv"}, wantErr: `field=--from/--to value="..2026-01-31" rule=the period is required`},
		{name: "the output is required", args: []string{"--from", "2026-01-01", "--to", "2026-01-31", "--format", "csv"}, wantErr: `field=--out value="" rule=the file to write the export to is required`},
		{name: "the bundle may not overwrite the export", args: []string{"--from", "2026-01-01", "--to", "2026-01-31", "--out", "a.csv", "--bundle", "./a.csv"}, wantErr: `field=--bundle value="./a.csv" rule=must differ from --out`},
		{name: "--db and --pg together are refused", args: []string{"--from", "2026-01-01", "--to", "2026-01-31", "--out", "a.csv", "--db", "x", "--pg", "postgres://h/db"}, wantErr: "give --db or --pg, not both"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(tc.env)
			var got *audit.ExportOptions
			err := cmdtest.Exec(audit.NewCmdExport(f, func(_ context.Context, o *audit.ExportOptions) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.Equal(t, cmdutil.ExitUsage, cmdutil.ExitCodeFor(err))
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantFilter, got.Filter)
			assert.Equal(t, tc.wantFormat, got.Format)
			assert.Equal(t, tc.wantDSN, got.DSN)
			assert.Equal(t, tc.wantBundle, got.Bundle)
		})
	}
}

func TestMockAndAnchorParseFlags(t *testing.T) {
	f, _, _ := cmdtest.Factory(map[string]string{cmdutil.EnvProfile: "/n/connection.yaml"})
	var got *audit.MockOptions
	require.NoError(t, cmdtest.Exec(audit.NewCmdMock(f, func(_ context.Context, o *audit.MockOptions) error { got = o; return nil }),
		"--from", "2026-01-01", "--to", "2026-03-31", "--archive", "arc", "--pdf", "f.pdf", "--json", "--no-catch-up"))
	got.IO, got.Client = nil, nil // functions do not compare
	assert.Equal(t, audit.MockOptions{From: "2026-01-01", To: "2026-03-31", Archive: "arc", PDF: "f.pdf", JSON: true,
		ReadModelOptions: audit.ReadModelOptions{DSN: "sqlite:/n/readmodel.db", NoCatchUp: true}}, *got)
	assert.ErrorContains(t, cmdtest.Exec(audit.NewCmdMock(f, nil), "now"), "takes no arguments")

	var anchor *audit.AnchorOptions
	require.NoError(t, cmdtest.Exec(audit.NewCmdAnchor(f, func(_ context.Context, o *audit.AnchorOptions) error { anchor = o; return nil }), "--from-block", "40", "--json"))
	assert.Equal(t, uint64(40), anchor.FromBlock)
	assert.True(t, anchor.JSON)
}

func TestAuditGroupRefusesUnknownSubcommands(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	err := cmdtest.Exec(audit.NewCmdAudit(f), "sign")
	require.ErrorContains(t, err, `unknown command "sign" for "audit"`)
}

func TestArchiveCommandsParseFlags(t *testing.T) {
	env := map[string]string{cmdutil.EnvProfile: "/n/connection.yaml"}
	type build func(*cmdutil.Factory, func(context.Context, *audit.ArchiveOptions) error) *cobra.Command
	cases := []struct {
		name    string
		cmd     build
		args    []string
		check   func(t *testing.T, o *audit.ArchiveOptions)
		wantErr string
	}{
		{name: "put takes the file, its type, owner and links; the archive defaults beside the profile", cmd: audit.NewCmdArchivePut,
			args: []string{"inv.pdf", "--type", "invoice", "--owner", "acme", "--shipment", "S1", "--declaration", "D1", "--media-type", "application/pdf"},
			check: func(t *testing.T, o *audit.ArchiveOptions) {
				assert.Equal(t, []string{"inv.pdf", "invoice", "acme", "S1", "D1", "application/pdf", "/n/archive"},
					[]string{o.File, o.DocType, o.Owner, o.ShipmentID, o.DeclarationID, o.MediaType, o.Dir})
			}},
		{name: "put needs a type and an owner", cmd: audit.NewCmdArchivePut, args: []string{"inv.pdf", "--type", "invoice"},
			wantErr: `field=--type/--owner value="invoice/" rule=the document type and the owning partner are required`},
		{name: "get takes a hash, an output and an archive", cmd: audit.NewCmdArchiveGet, args: []string{"ab12", "--out", "x.pdf", "--archive", "arc"},
			check: func(t *testing.T, o *audit.ArchiveOptions) {
				assert.Equal(t, []string{"ab12", "x.pdf", "arc"}, []string{o.SHA256, o.Out, o.Dir})
			}},
		{name: "get needs an output file", cmd: audit.NewCmdArchiveGet, args: []string{"ab12"}, wantErr: `field=--out value="" rule=the file to write the document to is required`},
		{name: "anchor-log names the archive", cmd: audit.NewCmdArchiveAnchorLog, args: []string{"--archive-id", "hamburg"},
			check: func(t *testing.T, o *audit.ArchiveOptions) { assert.Equal(t, "hamburg", o.ArchiveID) }},
		{name: "verify reads the read model beside the profile", cmd: audit.NewCmdArchiveVerify, args: []string{"--json"},
			check: func(t *testing.T, o *audit.ArchiveOptions) {
				assert.Equal(t, "sqlite:/n/readmodel.db", o.DSN)
				assert.True(t, o.JSON)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(env)
			var got *audit.ArchiveOptions
			err := cmdtest.Exec(tc.cmd(f, func(_ context.Context, o *audit.ArchiveOptions) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.Equal(t, cmdutil.ExitUsage, cmdutil.ExitCodeFor(err))
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			tc.check(t, got)
		})
	}
}
