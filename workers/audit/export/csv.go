package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
)

// EscapeCell protects a CSV cell against formula injection (CWE-1236):
// a cell starting with = + - @ tab or carriage return is prefixed with a
// single quote, so spreadsheet programs show it as text instead of running
// it.
func EscapeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func writeCSV(ctx context.Context, src RowSource, f Filter, w io.Writer) (*Result, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	d := newDigester()
	if err := cw.Write(Columns); err != nil {
		return nil, fmt.Errorf("writing header: %w", err)
	}
	out := make([]string, len(Columns))
	err := src.Rows(ctx, f, func(r *Row) error {
		cells := r.Cells()
		d.row(cells)
		for i, c := range cells {
			out[i] = EscapeCell(c)
		}
		return cw.Write(out)
	})
	if err != nil {
		return nil, err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, fmt.Errorf("writing rows: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("writing rows: %w", err)
	}
	return d.result(), nil
}
