package anomaly

import (
	"errors"
	"github.com/aeoledger/aeoledger/internal/shareddata"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// customsDir is where the shared customs data sits relative to this package.
func customsDir(t testing.TB) string {
	t.Helper()
	return shareddata.Path(t, "customs")
}

const header = "Declaration ID,Date,Office ID,Process Type,Import Type,Import Use,Payment Type,Mode of Transport,Declarant ID,Importer ID,Seller ID,Courier ID,HS6 Code,Country of Departure,Country of Origin,Tax Rate,Tax Type,Country of Origin Indicator,Net Mass,Item Price,Fraud,Critical Fraud\n"

const goodRow = "97061800,2020-01-01,30,B,11,21,11,10,ZZR1LT6,QLRUBN9,0VKY2BR,,440890,BE,BE,0.0,FEU1,G,108.0,372254.4,1,1\n"

func TestReadCSVParsesTheCustomsFormat(t *testing.T) {
	rows, err := ReadCSV(strings.NewReader(header + goodRow))
	if err != nil {
		t.Fatal(err)
	}
	want := Declaration{
		ID: "97061800", Date: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Office: "30", ProcessType: "B",
		ImportType: "11", ImportUse: "21", PaymentType: "11", Transport: "10", Declarant: "ZZR1LT6",
		Importer: "QLRUBN9", Seller: "0VKY2BR", HS6: "440890", Departure: "BE", Origin: "BE",
		TaxRate: 0, TaxType: "FEU1", OriginIndicator: "G", NetMass: 108, ItemPrice: 372254.4,
		Labelled: true, Fraud: true,
	}
	if len(rows) != 1 || rows[0] != want {
		t.Fatalf("got %+v\nwant %+v", rows, want)
	}
}

func TestReadCSVWithoutFraudColumnIsUnlabelled(t *testing.T) {
	h := strings.Replace(header, ",Fraud,Critical Fraud", "", 1)
	row := strings.Replace(goodRow, ",1,1\n", "\n", 1)
	rows, err := ReadCSV(strings.NewReader(h + row))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Labelled || rows[0].Fraud {
		t.Fatalf("got %+v, want one unlabelled row", rows)
	}
}

func TestReadCSVRejectsBadInput(t *testing.T) {
	replace := func(old, new string) string { return header + goodRow + strings.Replace(goodRow, old, new, 1) }
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"an empty file has no header", "", `line 1, column "header": value "" is missing: the file is empty`},
		{"a header without Net Mass is refused", strings.Replace(header, "Net Mass,", "", 1) + "x\n", `line 1, column "Net Mass": value "" is missing from the header`},
		{"a net mass that is not a number names the cell", replace(",108.0,", ",abc,"), `line 3, column "Net Mass": value "abc" must be a non-negative number`},
		{"a negative item price is refused", replace(",372254.4,", ",-5,"), `line 3, column "Item Price": value "-5" must be a non-negative number`},
		{"a NaN tax rate is refused", replace(",0.0,FEU1", ",NaN,FEU1"), `line 3, column "Tax Rate": value "NaN" must be a non-negative number`},
		{"a five-digit HS code is refused", replace(",440890,", ",44089,"), `line 3, column "HS6 Code": value "44089" must be 6 digits`},
		{"a date in another format is refused", replace("2020-01-01", "01/01/2020"), `line 3, column "Date": value "01/01/2020" must be a date YYYY-MM-DD`},
		{"a fraud label other than 0 or 1 is refused", replace(",1,1\n", ",yes,1\n"), `line 3, column "Fraud": value "yes" must be 0 or 1`},
		{"an empty declaration ID is refused", replace("97061800,", ","), `line 3, column "Declaration ID": value "" must not be empty`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ReadCSV(strings.NewReader(tc.input))
			if rows != nil {
				t.Errorf("got %d rows, want none", len(rows))
			}
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, ErrBadInput) {
				t.Fatalf("got error %v, want an *InputError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %q\nwant %q", err.Error(), tc.want)
			}
		})
	}
}

func TestReadCSVFileNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(path, []byte(header+strings.Replace(goodRow, "440890", "4408X0", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ReadCSVFile(path)
	want := "reading " + path + `: line 2, column "HS6 Code": value "4408X0" must be 6 digits`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add(header + goodRow)
	f.Add(header + strings.Replace(goodRow, "108.0", "1e400", 1))
	f.Add("\ufeff" + header)
	f.Fuzz(func(t *testing.T, s string) {
		rows, err := ReadCSV(strings.NewReader(s))
		if err != nil && rows != nil {
			t.Fatal("rows returned with an error")
		}
		for _, d := range rows {
			if !isHS6(d.HS6) || d.NetMass < 0 || d.ItemPrice < 0 || d.TaxRate < 0 {
				t.Fatalf("accepted a bad row: %+v", d)
			}
		}
	})
}
