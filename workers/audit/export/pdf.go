package export

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/go-pdf/fpdf"
)

// summary holds the aggregates of the summary page; its size depends on the
// number of months and alert rules, not on the number of rows.
type summary struct {
	rows      int64
	sections  map[string]int64
	months    map[string]int64
	alerts    map[string]int64
	scoreBins [10]int64
	scores    int64
}

func summarize(ctx context.Context, src RowSource, f Filter) (*summary, error) {
	s := &summary{sections: map[string]int64{}, months: map[string]int64{}, alerts: map[string]int64{}}
	err := src.Rows(ctx, f, func(r *Row) error {
		s.rows++
		s.sections[r.Section]++
		if len(r.Time) >= 7 {
			s.months[r.Time[:7]]++
		}
		if r.Section == SectionAlert {
			s.alerts[r.Type]++
		}
		if r.Section == SectionScore && r.Score != nil {
			bin := int(math.Floor(*r.Score / 10))
			s.scoreBins[min(max(bin, 0), 9)]++
			s.scores++
		}
		return nil
	})
	return s, err
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// writePDF reads the rows twice: for the summary page, then for the
// listing (at most opts.PDFMaxRows rows) and the digest over all rows.
func writePDF(ctx context.Context, src RowSource, f Filter, w io.Writer, opts Options) (*Result, error) {
	sum, err := summarize(ctx, src, f)
	if err != nil {
		return nil, err
	}
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCompression(!opts.UncompressedPDF)
	tr := p.UnicodeTranslatorFromDescriptor("") // UTF-8 to the core fonts' cp1252
	p.SetTitle(opts.Title, true)
	p.SetCreator("aeoledger", true)
	p.SetFooterFunc(func() {
		p.SetY(-12)
		p.SetFont("Helvetica", "I", 8)
		p.CellFormat(0, 8, fmt.Sprintf("%s - page %d", tr(opts.Title), p.PageNo()), "", 0, "C", false, 0, "")
	})
	p.AddPage()
	p.SetFont("Helvetica", "B", 16)
	p.CellFormat(0, 10, tr(opts.Title), "", 1, "L", false, 0, "")
	p.SetFont("Helvetica", "", 9)
	p.CellFormat(0, 5, tr(fmt.Sprintf("Generated %s. Filter: from %q to %q, HS prefix %q, origin %q, partner %q.",
		opts.Now().UTC().Format(time.RFC3339), f.From, f.To, f.HSPrefix, f.Origin, f.Partner)), "", 1, "L", false, 0, "")
	line := fmt.Sprintf("%d rows:", sum.rows)
	for _, k := range sortedKeys(sum.sections) {
		line += fmt.Sprintf(" %s %d,", k, sum.sections[k])
	}
	p.CellFormat(0, 5, tr(line), "", 1, "L", false, 0, "")

	months := sortedKeys(sum.months)
	if len(months) > 24 {
		months = months[len(months)-24:] // the last two years fit the page
	}
	mv := make([]float64, len(months))
	for i, m := range months {
		mv[i] = float64(sum.months[m])
	}
	bars(p, tr, 15, 40, 180, 55, "Events per month", months, mv)
	rules := sortedKeys(sum.alerts)
	av := make([]float64, len(rules))
	for i, r := range rules {
		av[i] = float64(sum.alerts[r])
	}
	bars(p, tr, 15, 115, 180, 55, "Alerts by type", rules, av)
	binLabels := make([]string, 10)
	bv := make([]float64, 10)
	for i := range 10 {
		binLabels[i] = fmt.Sprintf("%d-%d", i*10, i*10+10)
		bv[i] = float64(sum.scoreBins[i])
	}
	bars(p, tr, 15, 190, 180, 55, fmt.Sprintf("Anomaly score distribution (%d scores)", sum.scores), binLabels, bv)

	// Listing.
	p.AddPage()
	p.SetFont("Helvetica", "B", 12)
	p.CellFormat(0, 8, "Rows", "", 1, "L", false, 0, "")
	widths := []float64{22, 30, 34, 30, 28, 46}
	head := []string{"section", "id", "time", "subject", "type", "detail / change"}
	p.SetFont("Helvetica", "B", 7)
	for i, h := range head {
		p.CellFormat(widths[i], 5, h, "B", 0, "L", false, 0, "")
	}
	p.Ln(-1)
	p.SetFont("Helvetica", "", 7)
	d := newDigester()
	listed := 0
	err = src.Rows(ctx, f, func(r *Row) error {
		d.row(r.Cells())
		if listed >= opts.PDFMaxRows {
			return nil
		}
		listed++
		detail := r.Detail
		if r.OldValue != "" || r.NewValue != "" {
			detail = fmt.Sprintf("%s -> %s %s", r.OldValue, r.NewValue, r.Status)
		}
		if r.Response != "" {
			detail += " | response: " + r.Response
		}
		cells := []string{r.Section, r.ID, r.Time, r.Subject, r.Type, detail}
		for i, c := range cells {
			p.CellFormat(widths[i], 4, tr(fit(p, tr(c), widths[i]-1)), "", 0, "L", false, 0, "")
		}
		p.Ln(-1)
		return p.Error()
	})
	if err != nil {
		return nil, err
	}
	res := d.result()
	p.Ln(4)
	p.SetFont("Helvetica", "B", 9)
	if res.Rows > int64(listed) {
		p.CellFormat(0, 5, fmt.Sprintf("%d of %d rows listed; the CSV and XLSX exports hold all of them.", listed, res.Rows), "", 1, "L", false, 0, "")
	}
	p.CellFormat(0, 5, "Rows digest (SHA-256 over the rows' CSV form): "+res.RowsSHA256, "", 1, "L", false, 0, "")
	bundle := opts.BundleHash
	if bundle == "" {
		bundle = "none requested"
	}
	p.CellFormat(0, 5, "Evidence bundle SHA-256: "+bundle, "", 1, "L", false, 0, "")
	if err := p.Output(w); err != nil {
		return nil, fmt.Errorf("writing pdf: %w", err)
	}
	return res, nil
}

// fit shortens s (already translated) to fit width mm at the current font.
func fit(p *fpdf.Fpdf, s string, width float64) string {
	if p.GetStringWidth(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && p.GetStringWidth(string(r)+"...") > width {
		r = r[:len(r)-1]
	}
	return string(r) + "..."
}

// bars draws a bar chart with fpdf's rectangle and line primitives: a
// title, a baseline, one bar per label with its value above it.
func bars(p *fpdf.Fpdf, tr func(string) string, x, y, w, h float64, title string, labels []string, values []float64) {
	p.SetFont("Helvetica", "B", 10)
	p.Text(x, y-2, tr(title))
	p.SetDrawColor(120, 120, 120)
	p.Line(x, y+h, x+w, y+h)
	if len(values) == 0 {
		p.SetFont("Helvetica", "I", 8)
		p.Text(x+2, y+h/2, "no data")
		return
	}
	top := 0.0
	for _, v := range values {
		top = math.Max(top, v)
	}
	if top == 0 {
		top = 1
	}
	slot := w / float64(len(values))
	bw := slot * 0.7
	p.SetFillColor(46, 109, 164)
	p.SetFont("Helvetica", "", 6)
	for i, v := range values {
		bh := (h - 8) * v / top
		bx := x + float64(i)*slot + (slot-bw)/2
		p.Rect(bx, y+h-bh, bw, bh, "F")
		p.Text(bx, y+h-bh-1, strconv.FormatFloat(v, 'f', -1, 64))
		label := tr(labels[i])
		p.TransformBegin()
		p.TransformRotate(35, bx, y+h+3)
		p.Text(bx, y+h+3, fit(p, label, 18))
		p.TransformEnd()
	}
}
