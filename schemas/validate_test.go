package schemas_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aeoledger/aeoledger/schemas"
)

func TestParseReturnsTheGoType(t *testing.T) {
	want := map[string]string{
		"partner": "*schemas.Partner", "signing-key": "*schemas.SigningKey", "shipment": "*schemas.Shipment",
		"touchpoint": "*schemas.Touchpoint", "declaration": "*schemas.Declaration", "amendment": "*schemas.Amendment",
		"document": "*schemas.DocumentAnchor", "compliance": "*schemas.ComplianceRecord",
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "valid", "*.json"))
	seen := map[string]bool{}
	for _, f := range files {
		kind, _, _ := strings.Cut(filepath.Base(f), ".")
		raw, _ := os.ReadFile(f)
		v, err := schemas.Parse(kind, raw)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if got := typeName(v); got != want[kind] {
			t.Fatalf("%s parsed as %s, want %s", f, got, want[kind])
		}
		seen[kind] = true
	}
	for _, k := range schemas.Kinds {
		if !seen[k] {
			t.Errorf("no valid fixture of kind %s", k)
		}
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *schemas.Partner:
		return "*schemas.Partner"
	case *schemas.SigningKey:
		return "*schemas.SigningKey"
	case *schemas.Shipment:
		return "*schemas.Shipment"
	case *schemas.Touchpoint:
		return "*schemas.Touchpoint"
	case *schemas.Declaration:
		return "*schemas.Declaration"
	case *schemas.Amendment:
		return "*schemas.Amendment"
	case *schemas.DocumentAnchor:
		return "*schemas.DocumentAnchor"
	case *schemas.ComplianceRecord:
		return "*schemas.ComplianceRecord"
	}
	return "?"
}

func TestValidateRefusesUnknownKindsAndOversizeRecords(t *testing.T) {
	cases := []struct {
		name, kind string
		raw        []byte
		want       string
	}{
		{"an unknown kind is refused", "invoice", []byte(`{}`), `field=kind value="invoice" rule=must be one of partner, signing-key, shipment, touchpoint, declaration, amendment, document, compliance`},
		{"a record over 2 MiB is refused", "touchpoint", make([]byte, schemas.MaxRecordBytes+1), `field= value="2097153 bytes" rule=a touchpoint record must be at most 2097152 bytes`},
		{"a second JSON value after the record is refused", "signing-key", []byte(`{"address":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","publicKey":"0x04` + strings.Repeat("1", 128) + `"} {}`), `field= value=`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := schemas.Validate(tc.kind, tc.raw)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.Is(err, schemas.ErrInvalid) {
				t.Fatalf("got %v\nwant prefix %s", err, tc.want)
			}
		})
	}
}

func TestEmbeddedSchemasAreDraft2020(t *testing.T) {
	files, err := fs.Glob(schemas.SchemaFS(), "json/*.schema.json")
	if err != nil || len(files) != len(schemas.Kinds)+1 {
		t.Fatalf("embedded schemas %v, %v", files, err)
	}
	for _, f := range files {
		raw, _ := fs.ReadFile(schemas.SchemaFS(), f)
		if !strings.Contains(string(raw), `"$schema": "https://json-schema.org/draft/2020-12/schema"`) {
			t.Errorf("%s does not declare draft 2020-12", f)
		}
	}
}

func TestSummarizeAndPartnerHelpers(t *testing.T) {
	v := func(f float64) *float64 { return &f }
	s := schemas.Summarize([]schemas.SensorReading{{Temperature: v(2)}, {Temperature: v(6), Shock: v(1)}, {Humidity: v(50)}})
	if s.Temperature == nil || *s.Temperature != (schemas.Stats{Min: 2, Max: 6, Mean: 4}) || s.Light != nil || s.Shock.Mean != 1 || s.Humidity.Max != 50 {
		t.Fatalf("summary %+v", s)
	}
	p := schemas.Partner{Roles: []string{"carrier"}, Keys: []schemas.SigningKey{{Address: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"}}}
	if !p.HasRole("carrier") || p.HasRole("device") || p.Key("0x2c7536e3605d9c16a7a3d7b1898e529396a65c23") == nil || p.Key("0x0000000000000000000000000000000000000001") != nil {
		t.Fatal("partner helpers")
	}
	sh := schemas.Shipment{Consignor: schemas.Party{PartnerID: "a"}, Consignee: schemas.Party{PartnerID: "b"}, Parties: []string{"a", "c"}}
	if got := strings.Join(sh.PartnerIDs(), ","); got != "a,b,c" {
		t.Fatalf("partner IDs %s", got)
	}
}

func TestFieldErrorTruncatesLongValues(t *testing.T) {
	err := &schemas.FieldError{Field: "name", Value: strings.Repeat("x", 100), Rule: "too long"}
	if got := err.Error(); got != `field=name value="`+strings.Repeat("x", 64)+`..." rule=too long` {
		t.Fatalf("got %s", got)
	}
}

func FuzzValidateTouchpoint(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "touchpoint.*.json"))
	for _, p := range files {
		raw, _ := os.ReadFile(p)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := schemas.Parse(schemas.KindTouchpoint, raw)
		if err != nil {
			var fe *schemas.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, schemas.ErrInvalid) {
				t.Fatalf("error %v is not a FieldError", err)
			}
			return
		}
		// An accepted record stays valid after a round trip and has an ID.
		tp := v.(*schemas.Touchpoint)
		if err := tp.Validate(); err != nil {
			t.Fatalf("accepted record fails its Go validation: %v", err)
		}
		if _, err := schemas.RecordID(tp); err != nil {
			t.Fatalf("accepted record has no id: %v", err)
		}
	})
}

func FuzzIdentifierValidators(f *testing.F) {
	for _, s := range []string{"CSQU3054383", "CSQU3054384", "NLRTM", "847150", "HS-123456", "NL", "2026-11-27T10:00:00Z", "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if schemas.ValidateContainerNumber("f", s) == nil {
			d, err := schemas.ContainerCheckDigit(s[:10])
			if err != nil || int(s[10]-'0') != d {
				t.Fatalf("%q accepted with a wrong check digit", s)
			}
		}
		if schemas.ValidateHSCode("f", s) == nil && (len(s) < 6 || len(s) > 10 || s[:2] == "77" || s[:2] == "00" || s[:2] > "97") {
			t.Fatalf("HS code %q accepted", s)
		}
		if schemas.ValidateUNLocode("f", s) == nil && schemas.ValidateCountry("f", s[:2]) != nil {
			t.Fatalf("UN/LOCODE %q accepted with an unknown country", s)
		}
		for _, check := range []func(string, string) error{schemas.ValidateSealNumber, schemas.ValidateSealClass, schemas.ValidateAddress, schemas.ValidateSHA256, schemas.ValidateID} {
			if err := check("f", s); err != nil && !errors.Is(err, schemas.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
		}
		if _, err := schemas.ValidateTime("f", s); err == nil && len(s) > 40 {
			t.Fatalf("time %q over 40 characters accepted", s)
		}
	})
}
