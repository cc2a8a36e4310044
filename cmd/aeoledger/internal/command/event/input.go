package event

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/schemas"
)

// row is one record to submit, or the reason it cannot be.
type row struct {
	Where string // "line 14", "lines 2-61", "item 3"
	TP    *schemas.Touchpoint
	Err   error
}

// ErrBadFile is wrapped when a whole file cannot be read as records.
var ErrBadFile = fmt.Errorf("bad input file: %w", schemas.ErrInvalid)

// readRows parses a JSON (array, single object or JSON lines) or CSV file.
// The format follows the extension (.csv, .json, .jsonl) or the first byte.
func readRows(typ, name string, r io.Reader, defaults fields, batchSize int, now time.Time) ([]row, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	trimmed := bytes.TrimSpace(raw)
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case ext == ".csv":
		return csvRows(typ, raw, defaults, batchSize, now)
	case ext == ".json" || ext == ".jsonl" || ext == ".ndjson" || (len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{')):
		return jsonRows(typ, trimmed, defaults, now)
	default:
		return csvRows(typ, raw, defaults, batchSize, now)
	}
}

func jsonRows(typ string, raw []byte, defaults fields, now time.Time) ([]row, error) {
	var items []json.RawMessage
	var where func(i int) string
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("parsing JSON array: %v: %w", err, ErrBadFile)
		}
		where = func(i int) string { return fmt.Sprintf("item %d", i+1) }
	} else {
		// One object, or JSON lines.
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		var lines []int
		for n := 1; sc.Scan(); n++ {
			if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 {
				items = append(items, append(json.RawMessage{}, l...))
				lines = append(lines, n)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("reading JSON lines: %v: %w", err, ErrBadFile)
		}
		if len(items) > 1 || !json.Valid(raw) {
			where = func(i int) string { return fmt.Sprintf("line %d", lines[i]) }
		} else {
			items = []json.RawMessage{raw}
			where = func(int) string { return "record" }
		}
	}
	rows := make([]row, 0, len(items))
	for i, it := range items {
		var tp schemas.Touchpoint
		dec := json.NewDecoder(bytes.NewReader(it))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&tp); err != nil {
			rows = append(rows, row{Where: where(i), Err: fmt.Errorf("%w", &schemas.FieldError{Field: "(json)", Value: truncate(string(it)), Rule: "must be a touchpoint object: " + err.Error()})})
			continue
		}
		if tp.Type == "" {
			tp.Type = typ
		}
		if tp.Type != typ {
			rows = append(rows, row{Where: where(i), Err: &schemas.FieldError{Field: "type", Value: tp.Type, Rule: "this command records " + typ + " touchpoints"}})
			continue
		}
		if tp.ShipmentID == "" {
			tp.ShipmentID = defaults["shipmentId"]
		}
		if tp.Location.UNLocode == "" {
			tp.Location.UNLocode = defaults["location"]
		}
		if tp.EventTime == "" {
			tp.EventTime = defaults.envelope(typ, now).EventTime
		}
		rows = append(rows, row{Where: where(i), TP: &tp})
	}
	return rows, nil
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// csvLine is the line a CSV record starts on. A record the reader refused
// has no field positions (FieldPos would panic): its ParseError names the line.
func csvLine(cr *csv.Reader, rec []string, err error) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.StartLine
	}
	if len(rec) == 0 {
		return 0
	}
	line, _ := cr.FieldPos(0)
	return line
}

func csvRows(typ string, raw []byte, defaults fields, batchSize int, now time.Time) ([]row, error) {
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading CSV: the file is empty: %w", ErrBadFile)
	}
	if err != nil {
		return nil, fmt.Errorf("reading CSV header: %v: %w", err, ErrBadFile)
	}
	for i, h := range header {
		header[i] = strings.TrimSpace(h)
		if !knownColumn(typ, header[i]) {
			return nil, fmt.Errorf("reading CSV header: field=column %d value=%q rule=must be one of %s: %w",
				i+1, header[i], strings.Join(append(append([]string{}, envelopeColumns...), columns[typ]...), ", "), ErrBadFile)
		}
	}
	var rows []row
	var readings []readingRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line := csvLine(cr, rec, err)
		if err != nil {
			rows = append(rows, row{Where: fmt.Sprintf("line %d", line), Err: &schemas.FieldError{Field: "(csv)", Value: "", Rule: err.Error()}})
			continue
		}
		if len(rec) != len(header) {
			rows = append(rows, row{Where: fmt.Sprintf("line %d", line), Err: &schemas.FieldError{Field: "(csv)", Value: strings.Join(rec, ","),
				Rule: fmt.Sprintf("must have %d columns like the header, has %d", len(header), len(rec))}})
			continue
		}
		f := fields{}
		for i, v := range rec {
			f[header[i]] = strings.TrimSpace(v)
		}
		f = overlay(defaults, f)
		if typ == schemas.TypeSensor {
			r, err := reading(f, now)
			if err != nil {
				rows = append(rows, row{Where: fmt.Sprintf("line %d", line), Err: err})
				continue
			}
			readings = append(readings, readingRow{line: line, f: f, r: r})
			continue
		}
		tp, err := build(typ, f, now)
		rows = append(rows, row{Where: fmt.Sprintf("line %d", line), TP: tp, Err: err})
	}
	if typ == schemas.TypeSensor {
		rows = append(rows, sensorBatches(readings, batchSize, defaults)...)
	}
	return rows, nil
}

type readingRow struct {
	line int
	f    fields
	r    schemas.SensorReading
}

// sensorBatches groups consecutive readings of the same shipment, device
// and place into batches of at most size readings; each batch is one signed
// record whose event time is its last reading's time (unless eventTime is set).
func sensorBatches(in []readingRow, size int, defaults fields) []row {
	if size <= 0 {
		size = 60
	}
	var out []row
	for start := 0; start < len(in); {
		key := func(r readingRow) string { return r.f["shipmentId"] + "|" + r.f["deviceId"] + "|" + r.f["location"] }
		end := start + 1
		for end < len(in) && end-start < size && key(in[end]) == key(in[start]) {
			end++
		}
		group := in[start:end]
		readings := make([]schemas.SensorReading, len(group))
		for i, g := range group {
			readings[i] = g.r
		}
		first := group[0].f
		at := defaults["eventTime"]
		if at == "" {
			at = readings[len(readings)-1].Time
		}
		tp := client.NewTouchpoint(schemas.TypeSensor, first["shipmentId"], time.Time{}, first["location"])
		tp.EventTime = at
		tp.Sensor = &schemas.SensorBatch{DeviceID: first["deviceId"], Readings: readings, Summary: schemas.Summarize(readings)}
		where := fmt.Sprintf("line %d", group[0].line)
		if len(group) > 1 {
			where = fmt.Sprintf("lines %d-%d", group[0].line, group[len(group)-1].line)
		}
		out = append(out, row{Where: where, TP: tp})
		start = end
	}
	return out
}
