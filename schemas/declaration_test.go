package schemas_test

import (
	"encoding/csv"
	"errors"
	"github.com/aeoledger/aeoledger/internal/shareddata"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/aeoledger/aeoledger/schemas"
)

// TestEveryCustomsRowIsAValidDeclaration reads both shared customs files:
// the Declaration type must carry every row of the data set the workers use.
func TestEveryCustomsRowIsAValidDeclaration(t *testing.T) {
	for _, name := range []string{"train.csv", "valid.csv"} {
		t.Run(name, func(t *testing.T) {
			path := shareddata.Path(t, "customs", name)
			f, err := os.Open(path)
			if err != nil {
				t.Fatalf("opening the customs data set: %v", err)
			}
			defer f.Close()
			r := csv.NewReader(f)
			header, err := r.Read()
			if err != nil {
				t.Fatal(err)
			}
			rows := 0
			for {
				row, err := r.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				d, err := schemas.DeclarationFromCSV(header, row)
				if err != nil {
					t.Fatalf("row %d (%v): %v", rows+2, row, err)
				}
				if d.ID != row[0] {
					t.Fatalf("row %d: id %s", rows+2, d.ID)
				}
				rows++
			}
			if rows < 8000 {
				t.Fatalf("read only %d rows", rows)
			}
		})
	}
}

func TestDeclarationFromCSVRefusesBadRows(t *testing.T) {
	header := []string{"Declaration ID", "Date", "Office ID", "Process Type", "Import Type", "Import Use", "Payment Type",
		"Mode of Transport", "Declarant ID", "Importer ID", "Seller ID", "Courier ID", "HS6 Code", "Country of Departure",
		"Country of Origin", "Tax Rate", "Tax Type", "Country of Origin Indicator", "Net Mass", "Item Price", "Fraud", "Critical Fraud"}
	good := "97061800,2020-01-01,30,B,11,21,11,10,ZZR1LT6,QLRUBN9,0VKY2BR,,440890,BE,BE,0.0,FEU1,G,108.0,372254.4,0,0"
	cases := []struct {
		name   string
		header []string
		row    string
		want   string
	}{
		{"a good row is accepted", header, good, ""},
		{"a row with a missing column is refused", header, "1,2", `field=row value="2" rule=must have 22 columns like the header`},
		{"a header without the HS column is refused", append(header[:12:12], header[13:]...), strings.Replace(good, ",440890", "", 1), `field=header`},
		{"a bad HS code names its column", header, strings.Replace(good, "440890", "770890", 1), `reading column "HS6 Code": field=hsCode value="770890" rule=HS chapter 77 does not exist (valid: 01-97 except 77)`},
		{"a non-numeric mass names its column", header, strings.Replace(good, "108.0", "heavy", 1), `reading column "Net Mass": field=netMass value="heavy" rule=netMass must be a number`},
		{"a bad declaration ID is refused", header, strings.Replace(good, "97061800", "9706 1800", 1), `field=id value="9706 1800" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := schemas.DeclarationFromCSV(tc.header, strings.Split(tc.row, ","))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.Is(err, schemas.ErrInvalid) {
				t.Fatalf("got %v\nwant prefix %s", err, tc.want)
			}
		})
	}
}

func TestDeclarationFieldsGetAndSet(t *testing.T) {
	d := schemas.Declaration{ID: "D-1"}
	for _, f := range schemas.AmendableFields {
		value := map[string]string{"date": "2021-03-04", "hsCode": "8471500150", "countryOfDeparture": "CN", "countryOfOrigin": "ZZ",
			"taxRate": "8.5", "netMass": "12", "itemPrice": "1000.25", "shipmentId": "SHP-1"}[f]
		if value == "" {
			value = "A1"
		}
		if err := d.Set(f, value); err != nil {
			t.Fatalf("setting %s=%s: %v", f, value, err)
		}
		if got, ok := d.Get(f); !ok || got != value {
			t.Fatalf("%s reads back %q", f, got)
		}
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("declaration built field by field: %v", err)
	}
	for field, value := range map[string]string{"taxRate": "2000", "netMass": "-1", "itemPrice": "NaN", "courierId": "a b",
		"officeId": "", "date": "yesterday", "countryOfOrigin": "EU", "shipmentId": "a/b", "id": "x"} {
		if err := d.Set(field, value); err == nil {
			t.Errorf("%s=%q accepted", field, value)
		}
	}
	if _, ok := d.Get("nope"); ok {
		t.Error("unknown field readable")
	}
}
