package schemas

import (
	"fmt"
	"strconv"
)

// DeclarationCSVColumns maps the column names of the customs declaration
// data set (../shared/data/customs/*.csv) to Declaration's JSON field names.
// The label columns "Fraud" and "Critical Fraud" are inspection outcomes, not
// declaration fields, and are left out.
var DeclarationCSVColumns = map[string]string{
	"Declaration ID":              "id",
	"Date":                        "date",
	"Office ID":                   "officeId",
	"Process Type":                "processType",
	"Import Type":                 "importType",
	"Import Use":                  "importUse",
	"Payment Type":                "paymentType",
	"Mode of Transport":           "modeOfTransport",
	"Declarant ID":                "declarantId",
	"Importer ID":                 "importerId",
	"Seller ID":                   "sellerId",
	"Courier ID":                  "courierId",
	"HS6 Code":                    "hsCode",
	"Country of Departure":        "countryOfDeparture",
	"Country of Origin":           "countryOfOrigin",
	"Tax Rate":                    "taxRate",
	"Tax Type":                    "taxType",
	"Country of Origin Indicator": "originIndicator",
	"Net Mass":                    "netMass",
	"Item Price":                  "itemPrice",
}

// DeclarationFromCSV builds and validates a Declaration from one CSV row of
// the customs data set, given the header row. Unknown columns are ignored.
func DeclarationFromCSV(header, row []string) (*Declaration, error) {
	if len(row) != len(header) {
		return nil, fieldErr("row", strconv.Itoa(len(row)), "must have %d columns like the header", len(header))
	}
	d := &Declaration{}
	seen := 0
	for i, col := range header {
		field, ok := DeclarationCSVColumns[col]
		if !ok {
			continue
		}
		seen++
		if field == "id" {
			d.ID = row[i]
			continue
		}
		if err := d.Set(field, row[i]); err != nil {
			if fe, ok := err.(*FieldError); ok {
				fe.Field = field
			}
			return nil, fmt.Errorf("reading column %q: %w", col, err)
		}
	}
	if seen != len(DeclarationCSVColumns) {
		return nil, fieldErr("header", fmt.Sprint(header), "must contain all %d declaration columns", len(DeclarationCSVColumns))
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}
