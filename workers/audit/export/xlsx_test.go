package export_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/aeoledger/aeoledger/workers/audit/export"
)

// TestXLSXWritesTextAsInlineStringsNeverFormulas checks that every cell
// whose text looks like a formula comes back from the workbook as the same
// text, stored as an inline string with no formula, and that the workbook
// has no shared-strings table that would grow with the rows.
func TestXLSXWritesTextAsInlineStringsNeverFormulas(t *testing.T) {
	tests := []struct {
		name  string
		value string
	}{
		{"an equals sign stays text", `=HYPERLINK("http://x","y")`},
		{"a plus sign stays text", "+1+cmd|' /C calc'!A0"},
		{"a minus sign stays text", "-2+3"},
		{"an at sign stays text", "@SUM(A1:A9)"},
		{"plain text stays text", "080830"},
	}
	src := export.RowSourceFunc(func(_ context.Context, _ export.Filter, fn func(*export.Row) error) error {
		for _, tc := range tests {
			if err := fn(&export.Row{Section: export.SectionAmendment, ID: "A1", Type: "hsCode", NewValue: tc.value, TxID: "tx"}); err != nil {
				return err
			}
		}
		return nil
	})
	var out bytes.Buffer
	res, err := export.Run(context.Background(), src, export.Filter{}, export.XLSX, &out, export.Options{})
	require.NoError(t, err)
	require.EqualValues(t, len(tests), res.Rows)
	f, err := excelize.OpenReader(bytes.NewReader(out.Bytes()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	newValue, err := excelize.ColumnNumberToName(11)
	require.NoError(t, err)
	require.Equal(t, "new_value", export.Columns[10])
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cell, err := excelize.JoinCellName(newValue, i+2)
			require.NoError(t, err)
			got, err := f.GetCellValue("Export 1", cell)
			require.NoError(t, err)
			assert.Equal(t, tc.value, got)
			formula, err := f.GetCellFormula("Export 1", cell)
			require.NoError(t, err)
			assert.Empty(t, formula)
			typ, err := f.GetCellType("Export 1", cell)
			require.NoError(t, err)
			assert.Equal(t, excelize.CellTypeInlineString, typ)
		})
	}
	t.Run("no shared strings are kept", func(t *testing.T) {
		zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
		require.NoError(t, err)
		for _, part := range zr.File {
			if part.Name != "xl/sharedStrings.xml" {
				continue
			}
			rc, err := part.Open()
			require.NoError(t, err)
			body, err := io.ReadAll(rc)
			require.NoError(t, err)
			require.NoError(t, rc.Close())
			assert.NotContains(t, string(body), "<si>", "shared strings table has entries")
		}
	})
}
