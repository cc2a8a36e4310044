package export

import (
	"archive/zip"
	"context"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// maxSheetRows is Excel's row limit per worksheet; longer exports continue
// on the next sheet.
const maxSheetRows = 1_048_576

// writeXLSX streams rows into the workbook with excelize's StreamWriter.
// Memory stays bounded whatever the row count: the StreamWriter keeps at most
// excelize.StreamChunkSize (16 MiB) of sheet XML in memory before moving it
// to a temp file, string cells go in as inline strings (so no shared-strings
// table builds up), and the zip is written straight to w.
func writeXLSX(ctx context.Context, src RowSource, f Filter, w io.Writer) (*Result, error) {
	x := excelize.NewFile()
	defer func() { _ = x.Close() }()
	d := newDigester()
	sheetNo := 1
	var sw *excelize.StreamWriter
	row := 0
	header := make([]any, len(Columns))
	for i, c := range Columns {
		header[i] = c
	}
	start := func() error {
		name := fmt.Sprintf("Export %d", sheetNo)
		if sheetNo == 1 {
			if err := x.SetSheetName("Sheet1", name); err != nil {
				return fmt.Errorf("naming sheet: %w", err)
			}
		} else if _, err := x.NewSheet(name); err != nil {
			return fmt.Errorf("adding sheet: %w", err)
		}
		var err error
		if sw, err = x.NewStreamWriter(name); err != nil {
			return fmt.Errorf("opening sheet: %w", err)
		}
		row = 1
		return sw.SetRow("A1", header)
	}
	if err := start(); err != nil {
		return nil, err
	}
	vals := make([]any, len(Columns))
	err := src.Rows(ctx, f, func(r *Row) error {
		cells := r.Cells()
		d.row(cells)
		if row == maxSheetRows {
			if err := sw.Flush(); err != nil {
				return fmt.Errorf("flushing sheet: %w", err)
			}
			sheetNo++
			if err := start(); err != nil {
				return err
			}
		}
		row++
		// Cells are written as strings (inline text), never as formulas,
		// so the sheet cannot be made to run anything.
		for i, c := range cells {
			vals[i] = c
		}
		if r.Score != nil {
			vals[17] = *r.Score
		}
		vals[18] = r.Block
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, vals)
	})
	if err != nil {
		return nil, err
	}
	if err := sw.Flush(); err != nil {
		return nil, fmt.Errorf("flushing sheet: %w", err)
	}
	// excelize's WriteTo assembles the whole zip in a bytes.Buffer (to patch
	// zip64 headers of parts over 4 GiB, which a 1M-row sheet is not), so
	// memory would grow with the workbook. Its zip writer hook lets the
	// archive go straight to w instead; the buffer stays empty.
	x.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	if _, err := x.WriteTo(io.Discard); err != nil {
		return nil, fmt.Errorf("writing workbook: %w", err)
	}
	return d.result(), nil
}
