// Package export writes what an auditor asks for - declarations,
// touchpoints, amendments with their old and new values and approvals,
// alerts and screening hits with the responses to them, anomaly scores - as
// CSV (protected against formula injection), XLSX (excelize's StreamWriter)
// or PDF (github.com/go-pdf/fpdf, with a summary page of charts and the hash
// of the evidence bundle that proves the export).
//
// Rows are streamed from a RowSource one at a time, so the memory an export
// needs does not grow with the number of rows (see BenchmarkExport).
// ReadModelSource adapts workers/readmodel's streaming queries.
package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aeoledger/aeoledger/schemas"
)

// Formats accepted by Run.
const (
	CSV  = "csv"
	XLSX = "xlsx"
	PDF  = "pdf"
)

// Sections of an export, in the order ReadModelSource emits them.
const (
	SectionDeclaration = "declaration"
	SectionTouchpoint  = "touchpoint"
	SectionAmendment   = "amendment"
	SectionAlert       = "alert"
	SectionScreening   = "screening-hit"
	SectionScore       = "anomaly-score"
)

// Row is one exported line. Fields that do not apply to a section are
// empty.
type Row struct {
	Section    string
	ID         string
	Time       string // the section's own date: declaration date, event time, proposal time, recording time
	Subject    string // shipment, declaration or partner the row is about
	Type       string // touchpoint type/action, amended field, alert rule, ...
	Party      string // signer partner, importer, proposer MSP, ...
	HSCode     string
	Origin     string
	Detail     string
	OldValue   string
	NewValue   string
	Status     string
	ApprovedBy string
	ApprovedAt string
	Response   string // alert acknowledgement or screening clearance
	ResponseBy string
	ResponseAt string
	Score      *float64
	Block      uint64
	TxID       string
}

// Columns are the header of CSV and XLSX exports, in Row's field order.
var Columns = []string{"section", "id", "time", "subject", "type", "party", "hs_code", "origin", "detail",
	"old_value", "new_value", "status", "approved_by", "approved_at", "response", "response_by", "response_at",
	"score", "block", "tx_id"}

// Cells returns the row's values in Columns order.
func (r *Row) Cells() []string {
	score := ""
	if r.Score != nil {
		score = strconv.FormatFloat(*r.Score, 'f', -1, 64)
	}
	return []string{r.Section, r.ID, r.Time, r.Subject, r.Type, r.Party, r.HSCode, r.Origin, r.Detail,
		r.OldValue, r.NewValue, r.Status, r.ApprovedBy, r.ApprovedAt, r.Response, r.ResponseBy, r.ResponseAt,
		score, strconv.FormatUint(r.Block, 10), r.TxID}
}

// Filter selects what is exported. Zero fields do not filter.
type Filter struct {
	// From and To bound each row's own date (YYYY-MM-DD, inclusive).
	From, To string
	// HSPrefix (1-10 digits), Origin (ISO 3166-1 alpha-2) and Partner
	// select declarations (and what is about them) and shipments (and their
	// touchpoints).
	HSPrefix string
	Origin   string
	Partner  string
}

// Validate checks the filter; errors are *schemas.FieldError.
func (f Filter) Validate() error {
	var from, to time.Time
	var err error
	if f.From != "" {
		if from, err = time.Parse(time.DateOnly, f.From); err != nil {
			return &schemas.FieldError{Field: "from", Value: f.From, Rule: "must be a date YYYY-MM-DD"}
		}
	}
	if f.To != "" {
		if to, err = time.Parse(time.DateOnly, f.To); err != nil {
			return &schemas.FieldError{Field: "to", Value: f.To, Rule: "must be a date YYYY-MM-DD"}
		}
	}
	if f.From != "" && f.To != "" && to.Before(from) {
		return &schemas.FieldError{Field: "to", Value: f.To, Rule: "must not be before from " + f.From}
	}
	if f.HSPrefix != "" {
		if len(f.HSPrefix) > 10 || strings.Trim(f.HSPrefix, "0123456789") != "" {
			return &schemas.FieldError{Field: "hs", Value: f.HSPrefix, Rule: "must be 1 to 10 digits"}
		}
	}
	if f.Origin != "" {
		if err := schemas.ValidateCountry("origin", f.Origin); err != nil {
			return err
		}
	}
	if f.Partner != "" {
		if err := schemas.ValidateID("partner", f.Partner); err != nil {
			return err
		}
	}
	return nil
}

// RowSource streams the rows of an export to fn, one at a time, in a stable
// order. It may be called more than once (the PDF reads it twice: once for
// the summary, once for the listing).
type RowSource interface {
	Rows(ctx context.Context, f Filter, fn func(*Row) error) error
}

// RowSourceFunc adapts a function to RowSource.
type RowSourceFunc func(ctx context.Context, f Filter, fn func(*Row) error) error

// Rows calls f.
func (s RowSourceFunc) Rows(ctx context.Context, f Filter, fn func(*Row) error) error {
	return s(ctx, f, fn)
}

// Options tune Run.
type Options struct {
	// Title heads the PDF (default "aeoledger audit export").
	Title string
	// BundleHash is the SHA-256 of the evidence bundle that proves the
	// export (bundle.FileHash); the PDF ends with it.
	BundleHash string
	// PDFMaxRows bounds the rows listed in the PDF (default 2000); the
	// summary and the rows digest always cover every row. CSV and XLSX
	// hold every row.
	PDFMaxRows int
	// Now stamps the PDF (default time.Now).
	Now func() time.Time
	// UncompressedPDF leaves the PDF's content streams uncompressed (for
	// tools and tests that search the text).
	UncompressedPDF bool
}

// Result summarises a written export.
type Result struct {
	Rows int64 `json:"rows"`
	// RowsSHA256 is hex SHA-256 over the rows' CSV form (header included,
	// before injection escaping), whatever the output format: two exports
	// of the same rows have the same digest.
	RowsSHA256 string `json:"rowsSha256"`
}

// Run validates the filter and format and writes the export to w. Bad input
// returns a *schemas.FieldError before anything is written.
func Run(ctx context.Context, src RowSource, f Filter, format string, w io.Writer, opts Options) (*Result, error) {
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("exporting: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PDFMaxRows <= 0 {
		opts.PDFMaxRows = 2000
	}
	if opts.Title == "" {
		opts.Title = "aeoledger audit export"
	}
	if opts.BundleHash != "" {
		if err := schemas.ValidateSHA256("bundleHash", opts.BundleHash); err != nil {
			return nil, fmt.Errorf("exporting: %w", err)
		}
	}
	var res *Result
	var err error
	switch format {
	case CSV:
		res, err = writeCSV(ctx, src, f, w)
	case XLSX:
		res, err = writeXLSX(ctx, src, f, w)
	case PDF:
		res, err = writePDF(ctx, src, f, w, opts)
	default:
		return nil, fmt.Errorf("exporting: %w", &schemas.FieldError{Field: "format", Value: format, Rule: "must be one of csv, xlsx, pdf"})
	}
	if err != nil {
		return nil, fmt.Errorf("exporting %s: %w", format, err)
	}
	return res, nil
}

// digester hashes rows in their CSV form.
type digester struct {
	h hash.Hash
	n int64
}

func newDigester() *digester {
	d := &digester{h: sha256.New()}
	d.line(Columns)
	return d
}

func (d *digester) line(cells []string) {
	for i, c := range cells {
		if i > 0 {
			d.h.Write([]byte{','})
		}
		d.h.Write([]byte(strconv.Quote(c)))
	}
	d.h.Write([]byte{'\n'})
}

func (d *digester) row(cells []string) {
	d.line(cells)
	d.n++
}

func (d *digester) result() *Result {
	return &Result{Rows: d.n, RowsSHA256: hex.EncodeToString(d.h.Sum(nil))}
}

// TxIDs streams the rows f selects and returns the distinct transaction IDs
// behind them, in first-seen order: pass them as bundle.Query.TxIDs to
// build the evidence bundle that proves the export. Memory grows with the
// number of distinct transactions.
func TxIDs(ctx context.Context, src RowSource, f Filter) ([]string, error) {
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("collecting transactions: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	err := src.Rows(ctx, f, func(r *Row) error {
		if r.TxID != "" && !seen[r.TxID] {
			seen[r.TxID] = true
			out = append(out, r.TxID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("collecting transactions: %w", err)
	}
	return out, nil
}
