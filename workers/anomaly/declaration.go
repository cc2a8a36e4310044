package anomaly

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Declaration is one import declaration in the format of the Customs Import
// Declaration Datasets (../shared/data/customs/*.csv).
type Declaration struct {
	ID              string    `json:"declaration_id"`
	Date            time.Time `json:"date"`
	Office          string    `json:"office_id"`
	ProcessType     string    `json:"process_type"`
	ImportType      string    `json:"import_type"`
	ImportUse       string    `json:"import_use"`
	PaymentType     string    `json:"payment_type"`
	Transport       string    `json:"mode_of_transport"`
	Declarant       string    `json:"declarant_id"`
	Importer        string    `json:"importer_id"`
	Seller          string    `json:"seller_id"`
	Courier         string    `json:"courier_id"`
	HS6             string    `json:"hs6_code"`
	Departure       string    `json:"country_of_departure"`
	Origin          string    `json:"country_of_origin"`
	TaxRate         float64   `json:"tax_rate"`
	TaxType         string    `json:"tax_type"`
	OriginIndicator string    `json:"country_of_origin_indicator"`
	NetMass         float64   `json:"net_mass"`
	ItemPrice       float64   `json:"item_price"`
	// Labelled is true when the file had a Fraud column; Fraud is then the
	// inspection outcome. Critical Fraud is never read: it is a second label.
	Labelled bool `json:"labelled"`
	Fraud    bool `json:"fraud"`
}

// UnitValue is the declared price per kilogram, or NaN when the net mass is
// zero.
func (d *Declaration) UnitValue() float64 {
	if d.NetMass <= 0 {
		return math.NaN()
	}
	return d.ItemPrice / d.NetMass
}

// Column names of the customs CSV format.
const (
	colID              = "Declaration ID"
	colDate            = "Date"
	colOffice          = "Office ID"
	colProcessType     = "Process Type"
	colImportType      = "Import Type"
	colImportUse       = "Import Use"
	colPaymentType     = "Payment Type"
	colTransport       = "Mode of Transport"
	colDeclarant       = "Declarant ID"
	colImporter        = "Importer ID"
	colSeller          = "Seller ID"
	colCourier         = "Courier ID"
	colHS6             = "HS6 Code"
	colDeparture       = "Country of Departure"
	colOrigin          = "Country of Origin"
	colTaxRate         = "Tax Rate"
	colTaxType         = "Tax Type"
	colOriginIndicator = "Country of Origin Indicator"
	colNetMass         = "Net Mass"
	colItemPrice       = "Item Price"
	colFraud           = "Fraud"
)

var requiredColumns = []string{
	colID, colDate, colOffice, colProcessType, colImportType, colImportUse,
	colPaymentType, colTransport, colDeclarant, colImporter, colSeller,
	colCourier, colHS6, colDeparture, colOrigin, colTaxRate, colTaxType,
	colOriginIndicator, colNetMass, colItemPrice,
}

// ErrBadInput is wrapped by every [InputError].
var ErrBadInput = errors.New("bad declaration input")

// InputError reports a CSV cell (or header) that breaks a rule. Line is the
// 1-based line in the file (the header is line 1).
type InputError struct {
	Line   int
	Column string
	Value  string
	Rule   string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("line %d, column %q: value %q %s", e.Line, e.Column, e.Value, e.Rule)
}

// Unwrap lets callers test for [ErrBadInput] with errors.Is.
func (e *InputError) Unwrap() error { return ErrBadInput }

// ReadCSVFile reads declarations from a customs CSV file.
// Errors are *[InputError] (wrapped) for bad content.
func ReadCSVFile(path string) ([]Declaration, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening declarations: %w", err)
	}
	defer f.Close()
	rows, err := ReadCSV(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return rows, nil
}

// ReadCSV reads declarations in the customs CSV format. The header must name
// every column of the format; Fraud is optional (unlabelled data), and
// unknown columns such as Critical Fraud are ignored. It returns an
// *[InputError] naming the line, column, value and rule of the first bad
// cell, and no rows.
func ReadCSV(r io.Reader) ([]Declaration, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &InputError{Line: 1, Column: "header", Value: "", Rule: "is missing: the file is empty"}
	}
	if err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	index := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		index[h] = i
	}
	for _, c := range requiredColumns {
		if _, ok := index[c]; !ok {
			return nil, &InputError{Line: 1, Column: c, Value: "", Rule: "is missing from the header"}
		}
	}
	fraudCol, labelled := index[colFraud]
	var rows []Declaration
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading line %d: %w", line, err)
		}
		d, err := parseRecord(rec, index, line)
		if err != nil {
			return nil, err
		}
		if labelled {
			v := strings.TrimSpace(rec[fraudCol])
			switch v {
			case "0":
			case "1":
				d.Fraud = true
			default:
				return nil, &InputError{Line: line, Column: colFraud, Value: v, Rule: "must be 0 or 1"}
			}
			d.Labelled = true
		}
		rows = append(rows, d)
	}
	return rows, nil
}

func parseRecord(rec []string, index map[string]int, line int) (Declaration, error) {
	get := func(c string) string { return strings.TrimSpace(rec[index[c]]) }
	var d Declaration
	d.ID = get(colID)
	if d.ID == "" {
		return d, &InputError{Line: line, Column: colID, Value: "", Rule: "must not be empty"}
	}
	date := get(colDate)
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return d, &InputError{Line: line, Column: colDate, Value: date, Rule: "must be a date YYYY-MM-DD"}
	}
	d.Date = t
	d.Office = get(colOffice)
	d.ProcessType = get(colProcessType)
	d.ImportType = get(colImportType)
	d.ImportUse = get(colImportUse)
	d.PaymentType = get(colPaymentType)
	d.Transport = get(colTransport)
	d.Declarant = get(colDeclarant)
	d.Importer = get(colImporter)
	d.Seller = get(colSeller)
	d.Courier = get(colCourier)
	d.HS6 = get(colHS6)
	if !isHS6(d.HS6) {
		return d, &InputError{Line: line, Column: colHS6, Value: d.HS6, Rule: "must be 6 digits"}
	}
	d.Departure = get(colDeparture)
	d.Origin = get(colOrigin)
	d.TaxType = get(colTaxType)
	d.OriginIndicator = get(colOriginIndicator)
	for _, f := range []struct {
		col string
		dst *float64
	}{{colTaxRate, &d.TaxRate}, {colNetMass, &d.NetMass}, {colItemPrice, &d.ItemPrice}} {
		v := get(f.col)
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return d, &InputError{Line: line, Column: f.col, Value: v, Rule: "must be a non-negative number"}
		}
		*f.dst = x
	}
	return d, nil
}

func isHS6(s string) bool {
	if len(s) != 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
