package readmodel

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Dump writes every projected table (not the checkpoint) as text, one line
// per row in primary-key order: "table<TAB>col=value<TAB>...". Two read
// models that projected the same blocks dump the same text, whichever
// backend they use, which is how rebuilds are compared with live
// projections.
func (s *Store) Dump(ctx context.Context, w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, t := range tables {
		if err := s.dumpTable(ctx, bw, t); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing dump: %w", err)
	}
	return nil
}

func (s *Store) dumpTable(ctx context.Context, w *bufio.Writer, t table) error {
	rows, err := s.db.QueryContext(ctx, "SELECT * FROM "+t.name+" ORDER BY "+t.orderBy)
	if err != nil {
		return fmt.Errorf("dumping %s: %w", t.name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("dumping %s: %w", t.name, err)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("dumping %s: %w", t.name, err)
		}
		w.WriteString(t.name)
		for i, c := range cols {
			w.WriteByte('\t')
			w.WriteString(c)
			w.WriteByte('=')
			w.WriteString(dumpValue(vals[i]))
		}
		w.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("dumping %s: %w", t.name, err)
	}
	return nil
}

// dumpValue renders a column value the same way for both drivers (SQLite
// returns int64 for every integer, PostgreSQL int32 for INTEGER).
func dumpValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []byte:
		return strconv.Quote(string(x))
	case string:
		return strconv.Quote(x)
	default:
		return strings.ReplaceAll(fmt.Sprint(x), "\n", " ")
	}
}
