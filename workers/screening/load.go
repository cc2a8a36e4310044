package screening

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// File names of the OFAC SDN list in its published CSV format.
const (
	SDNFile     = "ofac-sdn.csv"
	AddressFile = "ofac-add.csv"
	AliasFile   = "ofac-alt.csv"
)

// emptyField is how the published CSV spells an empty field.
const emptyField = "-0-"

// Entry is one listed party (individual, entity, vessel or aircraft).
type Entry struct {
	ID        int      // ent_num
	Name      string   // SDN_Name as published
	Type      string   // "individual", "entity", "vessel" or "aircraft"
	Programs  []string // sanctions programmes, e.g. "SDGT", "IRAN"
	Countries []string // ISO 3166-1 alpha-2: programme, vessel flag, addresses, nationality in remarks
	Aliases   []Alias
	Remarks   string
}

// Alias is another name of a listed party from ofac-alt.csv.
type Alias struct {
	Name string
	Type string // "aka", "fka" or "nka"
}

// ParseError reports a row of the published list that cannot be read. It
// names the file, line, field, value and the rule the value broke.
type ParseError struct {
	File  string
	Line  int
	Field string
	Value string
	Rule  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s line %d: field %s: value %q: %s", e.File, e.Line, e.Field, e.Value, e.Rule)
}

// Load reads ofac-sdn.csv, ofac-add.csv and ofac-alt.csv from dir and builds
// the screening index. The address and alias files are optional only in the
// sense that they may be empty; all three must exist.
//
// Errors: a *ParseError (wrapped) for a malformed row, or the wrapped
// *fs.PathError when a file cannot be opened.
func Load(dir string, opts ...Option) (*List, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			return nil, fmt.Errorf("loading sdn list: %w", err)
		}
	}
	entries, err := readSDN(filepath.Join(dir, SDNFile))
	if err != nil {
		return nil, fmt.Errorf("loading sdn list: %w", err)
	}
	byID := make(map[int]*Entry, len(entries))
	for i := range entries {
		byID[entries[i].ID] = &entries[i]
	}
	if err := readAddresses(filepath.Join(dir, AddressFile), byID); err != nil {
		return nil, fmt.Errorf("loading sdn addresses: %w", err)
	}
	if err := readAliases(filepath.Join(dir, AliasFile), byID); err != nil {
		return nil, fmt.Errorf("loading sdn aliases: %w", err)
	}
	for i := range entries {
		entries[i].Countries = append(entries[i].Countries, remarkCountries(entries[i].Remarks)...)
		entries[i].Countries = dedupe(entries[i].Countries)
	}
	return newList(entries, cfg), nil
}

// rows reads a published CSV file and calls fn with each row's fields, the
// "-0-" marker already turned into "" and surrounding spaces trimmed. The
// DOS end-of-file byte (0x1A) the published files end with is ignored.
func rows(path string, minFields int, fn func(line int, f []string) error) error {
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening %s: %w", filepath.Base(path), err)
	}
	defer file.Close()
	r := csv.NewReader(file)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true // a few remarks carry bare quotes
	name := filepath.Base(path)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.Trim(rec[0], " \x1a\r\n") == "" {
			continue // trailing end-of-file marker or blank line
		}
		if len(rec) < minFields {
			return &ParseError{File: name, Line: line, Field: "row", Value: strings.Join(rec, ","),
				Rule: fmt.Sprintf("must have at least %d fields, has %d", minFields, len(rec))}
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
			if rec[i] == emptyField {
				rec[i] = ""
			}
		}
		if err := fn(line, rec); err != nil {
			return err
		}
	}
}

func parseEntNum(file string, line int, v string) (int, error) {
	id, err := strconv.Atoi(v)
	if err != nil || id <= 0 {
		return 0, &ParseError{File: file, Line: line, Field: "ent_num", Value: v, Rule: "must be a positive integer"}
	}
	return id, nil
}

// readSDN reads ofac-sdn.csv: ent_num, SDN_Name, SDN_Type, Program, Title,
// Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks.
func readSDN(path string) ([]Entry, error) {
	var entries []Entry
	seen := map[int]bool{}
	err := rows(path, 4, func(line int, f []string) error {
		id, err := parseEntNum(SDNFile, line, f[0])
		if err != nil {
			return err
		}
		if seen[id] {
			return &ParseError{File: SDNFile, Line: line, Field: "ent_num", Value: f[0], Rule: "must be unique"}
		}
		seen[id] = true
		if f[1] == "" {
			return &ParseError{File: SDNFile, Line: line, Field: "SDN_Name", Value: f[1], Rule: "must not be empty"}
		}
		e := Entry{ID: id, Name: f[1], Type: f[2], Programs: splitPrograms(f[3])}
		if e.Type == "" {
			e.Type = "entity"
		}
		for _, p := range e.Programs {
			if c := programCountry(p); c != "" {
				e.Countries = append(e.Countries, c)
			}
		}
		if len(f) > 9 {
			if c := countryCode(f[9]); c != "" {
				e.Countries = append(e.Countries, c)
			}
		}
		if len(f) > 11 {
			e.Remarks = f[11]
		}
		entries = append(entries, e)
		return nil
	})
	return entries, err
}

// splitPrograms splits the Program field, published as "SDGT] [IRGC".
func splitPrograms(v string) []string {
	var out []string
	for _, p := range strings.Split(v, "] [") {
		if p = strings.Trim(p, "[] "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// readAddresses reads ofac-add.csv: ent_num, Add_num, Address,
// City/State/Province/Postal Code, Country, Add_remarks. Only the country is
// used for screening.
func readAddresses(path string, byID map[int]*Entry) error {
	return rows(path, 5, func(line int, f []string) error {
		id, err := parseEntNum(AddressFile, line, f[0])
		if err != nil {
			return err
		}
		e, ok := byID[id]
		if !ok {
			return &ParseError{File: AddressFile, Line: line, Field: "ent_num", Value: f[0], Rule: "must refer to an entry of " + SDNFile}
		}
		if c := countryCode(f[4]); c != "" {
			e.Countries = append(e.Countries, c)
		}
		return nil
	})
}

// readAliases reads ofac-alt.csv: ent_num, alt_num, alt_type, alt_name,
// alt_remarks.
func readAliases(path string, byID map[int]*Entry) error {
	return rows(path, 4, func(line int, f []string) error {
		id, err := parseEntNum(AliasFile, line, f[0])
		if err != nil {
			return err
		}
		e, ok := byID[id]
		if !ok {
			return &ParseError{File: AliasFile, Line: line, Field: "ent_num", Value: f[0], Rule: "must refer to an entry of " + SDNFile}
		}
		if f[3] == "" {
			return &ParseError{File: AliasFile, Line: line, Field: "alt_name", Value: f[3], Rule: "must not be empty"}
		}
		e.Aliases = append(e.Aliases, Alias{Name: f[3], Type: f[2]})
		return nil
	})
}

// remarkCountry finds "nationality Iran" and "citizen Syria" in remarks.
var remarkCountry = regexp.MustCompile(`(?i)\b(?:nationality|citizen)\s+([A-Za-z][A-Za-z ,'.-]*?)\s*(?:;|\.\s*$|$|\()`)

func remarkCountries(remarks string) []string {
	var out []string
	for _, m := range remarkCountry.FindAllStringSubmatch(remarks, -1) {
		if c := countryCode(m[1]); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func dedupe(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
