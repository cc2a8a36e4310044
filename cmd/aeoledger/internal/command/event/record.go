package event

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/render"
	"github.com/aeoledger/aeoledger/schemas"
)

// RecordOptions are the inputs of `event record <type>`.
type RecordOptions struct {
	IO         *iostreams.IOStreams
	Client     func() (*client.Client, error)
	SigningKey func(string) (*ecdsa.PrivateKey, error)
	Now        func() time.Time

	Type      string
	Key       string
	File      string
	Fields    fields   // from flags, by column name
	Readings  []string // sensor: TIME=VALUE or VALUE (°C)
	BatchSize int      // sensor: readings per signed record
	Document  string   // origin: file whose SHA-256 becomes documentSha256
	AnchorAs  string   // origin: also anchor the document, owned by this partner
	Progress  string   // auto, always, never
	JSON      bool
}

type flagSpec struct{ flag, field, usage string }

var typeFlags = map[string][]flagSpec{
	schemas.TypeContainer: {
		{"number", "number", "ISO 6346 container number, e.g. MSCU1234566"},
		{"action", "action", "gate-in, stuffed, loaded, departed, arrived, discharged or gate-out"},
		{"size-type", "sizeType", "ISO 6346 size/type code, e.g. 45R1"},
		{"vessel", "vessel", "Vessel name"},
		{"voyage", "voyage", "Voyage number"},
	},
	schemas.TypeSeal: {
		{"class", "class", "ISO 17712 class: I, S or H"},
		{"number", "number", "Seal number"},
		{"container", "containerNumber", "Container the seal is on"},
		{"action", "action", "affixed, verified, broken or removed"},
		{"notes", "notes", "Inspection notes (verified)"},
	},
	schemas.TypeOrigin: {
		{"certificate", "certificateNumber", "Certificate number"},
		{"issuer", "issuer", "Issuing body"},
		{"country", "countryOfOrigin", "Country of origin, ISO 3166-1 alpha-2"},
		{"hs-code", "hsCode", "HS code certified"},
		{"document-sha256", "documentSha256", "SHA-256 of the certificate document (or use --document)"},
		{"valid-from", "validFrom", "First day of validity, YYYY-MM-DD"},
		{"valid-until", "validUntil", "Last day of validity, YYYY-MM-DD"},
	},
	schemas.TypeSensor: {
		{"device", "deviceId", "Device ID"},
	},
	schemas.TypePOD: {
		{"receiver", "receiver", "Who received the goods"},
		{"place", "place", "UN/LOCODE of delivery (default --location)"},
		{"time", "time", "Time of delivery, RFC 3339 (default --at)"},
		{"condition", "condition", "good, damaged, partial or refused"},
	},
}

var examples = map[string]string{
	schemas.TypeContainer: `  aeoledger event record container --msp ExporterMSP --key exporter --shipment SHP-2026-0001 \
      --number MSCU1234566 --action gate-in --location NLRTM
  aeoledger event record container --msp CarrierMSP --key carrier --file movements.csv`,
	schemas.TypeSeal: `  aeoledger event record seal --msp CarrierMSP --key carrier --shipment SHP-2026-0001 \
      --class H --number H-0042-7788 --container MSCU1234566 --action affixed --location NLRTM
  aeoledger event record seal --msp CarrierMSP --key carrier --shipment SHP-2026-0001 \
      --class H --number H-0042-7788 --action verified --vvtt view,verify,tug,twist --location DEHAM`,
	schemas.TypeOrigin: `  aeoledger event record origin --msp IssuerMSP --key issuer --shipment SHP-2026-0001 \
      --certificate CO-NL-2026-0815 --issuer "Chamber of Commerce Rotterdam" --country NL --hs-code 080810 \
      --document co.pdf --anchor-owner rotterdam-chamber --valid-from 2026-11-27 --valid-until 2027-05-27 --location NLRTM`,
	schemas.TypeSensor: `  aeoledger event record sensor --msp CarrierMSP --key reefer-sensor --shipment SHP-2026-0001 \
      --device reefer-sensor-7 --location NLRTM --reading 2026-11-27T10:00:00Z=4.1 --reading 2026-11-27T10:05:00Z=4.3
  aeoledger event record sensor --msp CarrierMSP --key reefer-sensor --shipment SHP-2026-0001 \
      --device reefer-sensor-7 --location NLRTM --file readings.csv --batch-size 30`,
	schemas.TypePOD: `  aeoledger event record pod --msp CarrierMSP --key carrier --shipment SHP-2026-0001 \
      --receiver "Fresh Foods GmbH, goods-in" --condition good --location DEHAM`,
}

// NewCmdRecord builds `event record <typ>`.
func NewCmdRecord(f *cmdutil.Factory, typ string, runF func(context.Context, *RecordOptions) error) *cobra.Command {
	opts := &RecordOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") },
		SigningKey: f.SigningKey, Now: f.Now, Type: typ, Fields: fields{}}
	values := map[string]*string{}
	var vvtt string
	var exceptions []string
	cmd := &cobra.Command{
		Use:     typ,
		Short:   "Sign and record " + article(typ) + " touchpoint",
		Example: examples[typ],
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for field, v := range values {
				if *v != "" {
					opts.Fields[field] = *v
				}
			}
			if opts.Key == "" {
				return cmdutil.FlagErrorf("field=--key value=\"\" rule=the signing key (name or address in the keystore) is required")
			}
			if cmd.Flags().Changed("vvtt") {
				if err := parseVVTT(vvtt, opts.Fields); err != nil {
					return err
				}
			}
			if len(exceptions) > 0 {
				opts.Fields["exceptions"] = strings.Join(exceptions, ";")
			}
			switch opts.Progress {
			case "auto", "always", "never":
			default:
				return cmdutil.FlagErrorf("field=--progress value=%q rule=must be auto, always or never", opts.Progress)
			}
			if opts.File == "" && typ == schemas.TypeSensor && len(opts.Readings) == 0 {
				return cmdutil.FlagErrorf("event record sensor needs --reading or --file")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return recordRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	common := []flagSpec{
		{"shipment", "shipmentId", "Shipment ID"},
		{"location", "location", "UN/LOCODE where it happened, e.g. NLRTM"},
		{"at", "eventTime", "When it happened, RFC 3339 (default now)"},
	}
	for _, s := range append(common, typeFlags[typ]...) {
		values[s.field] = fl.String(s.flag, "", s.usage)
	}
	fl.StringVar(&opts.Key, "key", "", "Signing key of the responsible party (keystore name or address)")
	fl.StringVar(&opts.File, "file", "", "Bulk input: JSON array, JSON lines or CSV (header = field names); '-' reads stdin")
	fl.StringVar(&opts.Progress, "progress", "auto", "Progress bar for bulk input: auto (on a terminal), always, never")
	switch typ {
	case schemas.TypeSeal:
		fl.StringVar(&vvtt, "vvtt", "", "Verification result: the View-Verify-Tug-Twist steps that passed, e.g. view,verify,tug,twist (or none)")
	case schemas.TypeOrigin:
		fl.StringVar(&opts.Document, "document", "", "Certificate document file; its SHA-256 becomes documentSha256")
		fl.StringVar(&opts.AnchorAs, "anchor-owner", "", "Also anchor --document on the ledger, owned by this partner ID")
	case schemas.TypeSensor:
		fl.StringArrayVar(&opts.Readings, "reading", nil, "Temperature reading as TIME=°C or °C (repeatable)")
		fl.IntVar(&opts.BatchSize, "batch-size", 60, "Readings per signed record when reading a file")
	case schemas.TypePOD:
		fl.StringArrayVar(&exceptions, "exception", nil, "Exception noted at delivery (repeatable)")
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func article(typ string) string {
	switch typ {
	case schemas.TypeOrigin:
		return "an origin-certificate"
	case schemas.TypePOD:
		return "a proof-of-delivery"
	}
	return "a " + typ
}

func parseVVTT(s string, f fields) error {
	passed := map[string]bool{}
	if s != "none" {
		for _, step := range strings.Split(s, ",") {
			step = strings.TrimSpace(strings.ToLower(step))
			switch step {
			case "view", "verify", "tug", "twist":
				passed[step] = true
			default:
				return cmdutil.FlagErrorf("field=--vvtt value=%q rule=list the passed steps among view, verify, tug, twist (or none)", s)
			}
		}
	}
	for _, step := range []string{"view", "verify", "tug", "twist"} {
		f[step] = fmt.Sprint(passed[step])
	}
	return nil
}

// Outcome is the result of one row, as printed with --json.
type Outcome struct {
	Where   string                 `json:"where"`
	Records []schemas.StoredRecord `json:"records,omitempty"`
	Error   string                 `json:"error,omitempty"`
	Code    string                 `json:"code,omitempty"`
	Field   string                 `json:"field,omitempty"`
	Value   string                 `json:"value,omitempty"`
	Rule    string                 `json:"rule,omitempty"`
}

// Report is the --json output of a record command.
type Report struct {
	Type     string    `json:"type"`
	Total    int       `json:"total"`
	Recorded int       `json:"recorded"`
	Refused  int       `json:"refused"`
	Rows     []Outcome `json:"rows"`
}

func recordRun(ctx context.Context, opts *RecordOptions) error {
	now := opts.Now()
	if opts.Document != "" {
		content, err := os.ReadFile(opts.Document)
		if err != nil {
			return fmt.Errorf("reading certificate document: %w", err)
		}
		opts.Fields["documentSha256"] = client.DocumentHash(content)
	}
	rows, err := buildRows(opts, now)
	if err != nil {
		return err
	}
	key, err := opts.SigningKey(opts.Key)
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	if opts.AnchorAs != "" {
		if err := anchorDocument(ctx, c, opts); err != nil {
			return err
		}
	}

	rep := Report{Type: opts.Type, Total: len(rows)}
	bar := newBar(opts, len(rows))
	var firstErr error
	for _, r := range rows {
		out := Outcome{Where: r.Where}
		err := r.Err
		if err == nil {
			var res *schemas.RecordResult
			res, err = c.RecordTouchpoint(ctx, key, r.TP)
			if res != nil {
				out.Records = res.Records
			}
		}
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			describe(&out, err)
			if firstErr == nil {
				firstErr = err
				if len(rows) > 1 {
					firstErr = fmt.Errorf("%s: %w", r.Where, err)
				}
			}
			rep.Refused++
		} else {
			rep.Recorded++
		}
		rep.Rows = append(rep.Rows, out)
		if bar != nil {
			_ = bar.Add(1)
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if opts.JSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, rep); err != nil {
			return err
		}
	} else {
		printReport(opts.IO.Out, rep, len(rows) > 1 || opts.File != "")
	}
	if firstErr != nil {
		if len(rows) == 1 {
			return firstErr
		}
		code := cmdutil.ExitCodeFor(firstErr)
		return &cmdutil.ExitError{Code: code, Err: fmt.Errorf("%d of %d %s records refused; first: %w", rep.Refused, rep.Total, opts.Type, firstErr)}
	}
	return nil
}

func buildRows(opts *RecordOptions, now time.Time) ([]row, error) {
	if opts.File != "" {
		var r io.Reader
		name := opts.File
		if opts.File == "-" {
			r, name = opts.IO.In, "stdin"
		} else {
			fh, err := os.Open(opts.File)
			if err != nil {
				return nil, fmt.Errorf("opening input: %w", err)
			}
			defer fh.Close()
			r = fh
		}
		return readRows(opts.Type, name, r, opts.Fields, opts.BatchSize, now)
	}
	if opts.Type == schemas.TypeSensor {
		var readings []readingRow
		for i, spec := range opts.Readings {
			f := overlay(opts.Fields, fields{})
			t, v, ok := strings.Cut(spec, "=")
			if !ok {
				t, v = "", spec
			}
			f["time"], f["temperature"] = t, v
			rd, err := reading(f, now)
			if err != nil {
				return []row{{Where: fmt.Sprintf("--reading %d", i+1), Err: err}}, nil
			}
			readings = append(readings, readingRow{line: i + 1, f: f, r: rd})
		}
		rows := sensorBatches(readings, len(readings), opts.Fields)
		for i := range rows {
			rows[i].Where = "record"
		}
		return rows, nil
	}
	tp, err := build(opts.Type, opts.Fields, now)
	return []row{{Where: "record", TP: tp, Err: err}}, nil
}

func anchorDocument(ctx context.Context, c *client.Client, opts *RecordOptions) error {
	if opts.Document == "" {
		return cmdutil.FlagErrorf("--anchor-owner needs --document")
	}
	content, err := os.ReadFile(opts.Document)
	if err != nil {
		return fmt.Errorf("reading certificate document: %w", err)
	}
	a, err := c.AnchorDocument(ctx, content, schemas.DocumentAnchor{DocType: "certificate-of-origin", Owner: opts.AnchorAs,
		Name: baseName(opts.Document), ShipmentID: opts.Fields["shipmentId"]})
	if err != nil && !errors.Is(err, client.ErrDuplicate) {
		return fmt.Errorf("anchoring certificate document: %w", err)
	}
	if err == nil && !opts.JSON {
		fmt.Fprintf(opts.IO.Out, "anchored %s  sha256 %s  (%d bytes, %s)\n", a.Name, a.SHA256, a.Size, a.MediaType)
	}
	return nil
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func newBar(opts *RecordOptions, n int) *progressbar.ProgressBar {
	show := opts.Progress == "always" || (opts.Progress == "auto" && opts.IO.IsStderrTTY())
	if n < 2 || !show || opts.JSON {
		return nil
	}
	return progressbar.NewOptions(n,
		progressbar.OptionSetWriter(opts.IO.ErrOut),
		progressbar.OptionSetDescription("recording "+opts.Type+" records"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(50*time.Millisecond),
	)
}

func describe(out *Outcome, err error) {
	out.Error = err.Error()
	var ce *client.ContractError
	var fe *schemas.FieldError
	switch {
	case errors.As(err, &ce):
		out.Code, out.Field, out.Value, out.Rule = string(ce.Code), ce.Field, ce.Value, ce.Rule
		out.Error = ce.Error()
	case errors.As(err, &fe):
		out.Code, out.Field, out.Value, out.Rule = string(client.CodeInvalid), fe.Field, fe.Value, fe.Rule
		out.Error = "INVALID: " + fe.Error()
	}
}

func printReport(w io.Writer, rep Report, bulk bool) {
	for _, o := range rep.Rows {
		if o.Error != "" {
			if bulk {
				fmt.Fprintf(w, "  refused %-12s %s\n", o.Where+":", o.Error)
			}
			continue
		}
		if !bulk {
			for i, r := range o.Records {
				printStored(w, r, i > 0)
			}
		}
	}
	if bulk {
		fmt.Fprintf(w, "recorded %d of %d %s records", rep.Recorded, rep.Total, rep.Type)
		if rep.Refused > 0 {
			fmt.Fprintf(w, "; %d refused (listed above)", rep.Refused)
		}
		fmt.Fprintln(w)
	}
}

func printStored(w io.Writer, r schemas.StoredRecord, generated bool) {
	tp := r.Record
	if generated {
		fmt.Fprintf(w, "  + the contract raised an incident: %s\n", render.Summary(&tp))
		fmt.Fprintf(w, "    record %s\n", tp.ID)
		return
	}
	fmt.Fprintf(w, "recorded %s at %s\n", render.Summary(&tp), tp.Location.UNLocode)
	fmt.Fprintf(w, "  record %s  tx %s\n  signed by %s (%s) at %s, submitted by %s\n",
		tp.ID, r.TxID, tp.Signer, r.SignerPartner, tp.EventTime, r.Submitter.MSPID)
}
