package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/audit/export"
	"github.com/aeoledger/aeoledger/workers/audit/internal/audittest"
	"github.com/aeoledger/aeoledger/workers/blocks"
	"github.com/aeoledger/aeoledger/workers/readmodel"
)

func rowsOf(rows ...export.Row) export.RowSource {
	return export.RowSourceFunc(func(_ context.Context, _ export.Filter, fn func(*export.Row) error) error {
		for i := range rows {
			if err := fn(&rows[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestCSVCellsCannotRunFormulas(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"an equals sign is escaped", `=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"a plus sign is escaped", "+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"a minus sign is escaped", "-2+3", "'-2+3"},
		{"an at sign is escaped", "@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"a leading tab is escaped", "\t=1", "'\t=1"},
		{"a leading carriage return is escaped", "\r=1", "'\r=1"},
		{"plain text is kept", "Fresh Foods GmbH", "Fresh Foods GmbH"},
		{"an inner equals sign is kept", "a=b", "a=b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			res, err := export.Run(context.Background(), rowsOf(export.Row{Section: export.SectionDeclaration, ID: "D1", Detail: tc.in}), export.Filter{}, export.CSV, &out, export.Options{})
			require.NoError(t, err)
			assert.EqualValues(t, 1, res.Rows)
			recs, err := csv.NewReader(&out).ReadAll()
			require.NoError(t, err)
			require.Len(t, recs, 2)
			assert.Equal(t, export.Columns, recs[0])
			assert.Equal(t, tc.want, recs[1][8])
		})
	}
}

func TestBadExportRequestsWriteNothing(t *testing.T) {
	cases := []struct {
		name   string
		f      export.Filter
		format string
		opts   export.Options
		want   string
	}{
		{"a malformed from date", export.Filter{From: "2026-13-01"}, export.CSV, export.Options{}, `field=from value="2026-13-01" rule=must be a date YYYY-MM-DD`},
		{"to before from", export.Filter{From: "2026-02-01", To: "2026-01-01"}, export.CSV, export.Options{}, `field=to value="2026-01-01" rule=must not be before from 2026-02-01`},
		{"an HS prefix with letters", export.Filter{HSPrefix: "08a"}, export.PDF, export.Options{}, `field=hs value="08a" rule=must be 1 to 10 digits`},
		{"an unknown origin country", export.Filter{Origin: "XX"}, export.XLSX, export.Options{}, `field=origin value="XX"`},
		{"a partner ID with a slash", export.Filter{Partner: "a/b"}, export.CSV, export.Options{}, `field=partner value="a/b"`},
		{"an unknown format", export.Filter{}, "docx", export.Options{}, `field=format value="docx" rule=must be one of csv, xlsx, pdf`},
		{"a malformed bundle hash", export.Filter{}, export.PDF, export.Options{BundleHash: "abc"}, `field=bundleHash value="abc"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := export.Run(context.Background(), rowsOf(export.Row{Section: "declaration"}), tc.f, tc.format, &out, tc.opts)
			require.ErrorIs(t, err, schemas.ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
			assert.Zero(t, out.Len(), "nothing written")
		})
	}
}

// projected builds a read model from the real ledger's blocks.
func projected(t *testing.T, w *audittest.World) *readmodel.Store {
	ctx := context.Background()
	s, err := readmodel.Open(ctx, ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	l := w.Node.Ledger()
	for n := range l.Height() {
		blk, err := l.Block(n)
		require.NoError(t, err)
		pb, err := blocks.Parse(blk)
		require.NoError(t, err)
		_, err = s.Apply(ctx, pb)
		require.NoError(t, err)
	}
	return s
}

func TestExportsFromTheReadModelOfARealLedger(t *testing.T) {
	w := audittest.Start(t)
	src := export.ReadModelSource(projected(t, w))
	ctx := context.Background()
	today := time.Now().UTC().Format(time.DateOnly)

	var out bytes.Buffer
	res, err := export.Run(ctx, src, export.Filter{}, export.CSV, &out, export.Options{})
	require.NoError(t, err)
	recs, err := csv.NewReader(bytes.NewReader(out.Bytes())).ReadAll()
	require.NoError(t, err)
	assert.EqualValues(t, len(recs)-1, res.Rows)
	sections := map[string]int{}
	var amendment []string
	for _, r := range recs[1:] {
		sections[r[0]]++
		if r[0] == export.SectionAmendment {
			amendment = r
		}
	}
	assert.Equal(t, 1, sections[export.SectionDeclaration])
	assert.Equal(t, len(w.RecordIDs), sections[export.SectionTouchpoint])
	assert.Equal(t, 1, sections[export.SectionScore])
	require.NotNil(t, amendment)
	assert.Equal(t, []string{"hsCode", "080810", "080830", "approved"}, []string{amendment[4], amendment[9], amendment[10], amendment[11]})
	assert.Contains(t, amendment[12], "ImporterMSP", "who approved")
	assert.Contains(t, amendment[12], "user2")

	t.Run("the transactions behind the rows are listed for the evidence bundle", func(t *testing.T) {
		txs, err := export.TxIDs(ctx, src, export.Filter{})
		require.NoError(t, err)
		want := map[string]bool{}
		for _, r := range recs[1:] {
			want[r[19]] = true
		}
		assert.Len(t, txs, len(want))
		for _, tx := range txs {
			assert.True(t, want[tx], tx)
		}
	})
	t.Run("filters select by HS prefix and origin", func(t *testing.T) {
		var none bytes.Buffer
		res, err := export.Run(ctx, src, export.Filter{HSPrefix: "85"}, export.CSV, &none, export.Options{})
		require.NoError(t, err)
		assert.Zero(t, res.Rows, "nothing in chapter 85")
		res, err = export.Run(ctx, src, export.Filter{HSPrefix: "0808", Origin: "NL", From: "2000-01-01", To: today}, export.CSV, &none, export.Options{})
		require.NoError(t, err)
		assert.NotZero(t, res.Rows)
	})
	t.Run("XLSX holds the same rows with the same digest", func(t *testing.T) {
		var x bytes.Buffer
		xres, err := export.Run(ctx, src, export.Filter{}, export.XLSX, &x, export.Options{})
		require.NoError(t, err)
		assert.Equal(t, res.RowsSHA256, xres.RowsSHA256)
		f, err := excelize.OpenReader(&x)
		require.NoError(t, err)
		rows, err := f.GetRows("Export 1")
		require.NoError(t, err)
		assert.Len(t, rows, len(recs))
		assert.Equal(t, recs[1][1], rows[1][1])
	})
	t.Run("PDF has the summary charts and ends with the bundle hash", func(t *testing.T) {
		var p bytes.Buffer
		hash := strings.Repeat("ab", 32)
		pres, err := export.Run(ctx, src, export.Filter{}, export.PDF, &p, export.Options{BundleHash: hash, UncompressedPDF: true})
		require.NoError(t, err)
		assert.Equal(t, res.RowsSHA256, pres.RowsSHA256)
		assert.True(t, bytes.HasPrefix(p.Bytes(), []byte("%PDF-")))
		for _, want := range []string{"Events per month", "Alerts by type", "Anomaly score distribution", "Evidence bundle SHA-256: " + hash, res.RowsSHA256} {
			assert.Contains(t, p.String(), want)
		}
	})
}
