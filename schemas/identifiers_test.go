package schemas_test

import (
	"errors"
	"testing"

	"github.com/aeoledger/aeoledger/schemas"
)

func TestIdentifierValidators(t *testing.T) {
	type validator func(field, v string) error
	timeV := func(f, v string) error { _, err := schemas.ValidateTime(f, v); return err }
	dateV := func(f, v string) error { _, err := schemas.ValidateDate(f, v); return err }
	cases := []struct {
		name  string
		check validator
		value string
		want  string // "" = valid
	}{
		{"a container number with a correct check digit is valid", schemas.ValidateContainerNumber, "CSQU3054383", ""},
		{"a container number with a wrong check digit is refused", schemas.ValidateContainerNumber, "CSQU3054384", `field=f value="CSQU3054384" rule=ISO 6346 check digit must be 3`},
		{"a container number of ten characters has the wrong length", schemas.ValidateContainerNumber, "CSQU305438", `field=f value="CSQU305438" rule=ISO 6346 container number must have 11 characters, got 10`},
		{"a container whose weighted sum leaves 10 has check digit 0", schemas.ValidateContainerNumber, "MSKU0000080", ""},
		{"a container whose check digit should be 0 is refused with 1", schemas.ValidateContainerNumber, "MSKU0000081", `field=f value="MSKU0000081" rule=ISO 6346 check digit must be 0`},
		{"a container owner code must be letters", schemas.ValidateContainerNumber, "C5QU3054383", `field=f value="C5QU3054383" rule=ISO 6346 owner code must be three capital letters`},
		{"a container category must be U, J or Z", schemas.ValidateContainerNumber, "CSQA3054383", `field=f value="CSQA3054383" rule=ISO 6346 equipment category must be U, J or Z`},
		{"a container serial must be digits", schemas.ValidateContainerNumber, "CSQU30543X3", `field=f value="CSQU30543X3" rule=ISO 6346 serial number and check digit must be digits`},
		{"a J-category container is valid", schemas.ValidateContainerNumber, "TOLJ1234564", ""},
		{"a high-security seal class is valid", schemas.ValidateSealClass, "H", ""},
		{"an unknown seal class is refused", schemas.ValidateSealClass, "h", `field=f value="h" rule=ISO 17712 seal class must be I, S or H`},
		{"a seal number with a prefix is valid", schemas.ValidateSealNumber, "UL-1234567", ""},
		{"a seal number with a double hyphen is refused", schemas.ValidateSealNumber, "UL--1234", `field=f value="UL--1234" rule=ISO 17712 seal number must be 4-20 capital letters, digits or single inner hyphens`},
		{"a seal number of 21 characters is refused", schemas.ValidateSealNumber, "123456789012345678901", `field=f value="123456789012345678901" rule=ISO 17712 seal number must be 4-20 capital letters, digits or single inner hyphens`},
		{"a seal number with three digits is refused", schemas.ValidateSealNumber, "ABCD123", `field=f value="ABCD123" rule=ISO 17712 seal number must contain at least 4 digits`},
		{"Aland's country code is valid", schemas.ValidateCountry, "AX", ""},
		{"the user-assigned code ZZ is not a country", schemas.ValidateCountry, "ZZ", `field=f value="ZZ" rule=must be an ISO 3166-1 alpha-2 country code`},
		{"a three-letter country is refused", schemas.ValidateCountry, "NLD", `field=f value="NLD" rule=must be an ISO 3166-1 alpha-2 country code`},
		{"Rotterdam's UN/LOCODE is valid", schemas.ValidateUNLocode, "NLRTM", ""},
		{"a UN/LOCODE with a digit 9 is valid", schemas.ValidateUNLocode, "DE9AB", ""},
		{"a UN/LOCODE with a space is refused", schemas.ValidateUNLocode, "NL RTM", `field=f value="NL RTM" rule=UN/LOCODE must have 5 characters (country + 3), got 6`},
		{"a UN/LOCODE with digit 1 is refused", schemas.ValidateUNLocode, "NLRT1", `field=f value="NLRT1" rule=UN/LOCODE location part must use A-Z and 2-9`},
		{"a UN/LOCODE of an unknown country is refused", schemas.ValidateUNLocode, "QQRTM", `field=f value="QQRTM" rule=UN/LOCODE must start with an ISO 3166-1 country code`},
		{"a six-digit HS code is valid", schemas.ValidateHSCode, "847150", ""},
		{"a ten-digit HS code is valid", schemas.ValidateHSCode, "8471500150", ""},
		{"an HS code in chapter 97 is valid", schemas.ValidateHSCode, "970110", ""},
		{"a five-digit HS code is refused", schemas.ValidateHSCode, "84715", `field=f value="84715" rule=HS code must have 6 to 10 digits, got 5 characters`},
		{"an eleven-digit HS code is refused", schemas.ValidateHSCode, "84715001501", `field=f value="84715001501" rule=HS code must have 6 to 10 digits, got 11 characters`},
		{"an HS code with a dot is refused", schemas.ValidateHSCode, "8471.50", `field=f value="8471.50" rule=HS code must contain digits only`},
		{"HS chapter 77 is reserved", schemas.ValidateHSCode, "770000", `field=f value="770000" rule=HS chapter 77 does not exist (valid: 01-97 except 77)`},
		{"HS chapter 00 does not exist", schemas.ValidateHSCode, "000000", `field=f value="000000" rule=HS chapter 00 does not exist (valid: 01-97 except 77)`},
		{"an RFC 3339 time with offset is valid", timeV, "2026-11-27T10:00:00.5+01:00", ""},
		{"a time without zone is refused", timeV, "2026-11-27T10:00:00", `field=f value="2026-11-27T10:00:00" rule=must be an RFC 3339 date-time like 2026-01-02T15:04:05Z`},
		{"a time before 1970 is refused", timeV, "1969-12-31T23:59:59Z", `field=f value="1969-12-31T23:59:59Z" rule=year must be between 1970 and 9999`},
		{"an overlong time is refused", timeV, "2026-11-27T10:00:00.0000000000000000000000Z", `field=f value="2026-11-27T10:00:00.0000000000000000000000Z" rule=RFC 3339 date-time is at most 40 characters`},
		{"a full date is valid", dateV, "2020-01-01", ""},
		{"an impossible date is refused", dateV, "2020-02-30", `field=f value="2020-02-30" rule=must be an RFC 3339 full-date like 2026-01-02`},
		{"a date before 1970 is refused", dateV, "1960-02-01", `field=f value="1960-02-01" rule=year must be between 1970 and 9999`},
		{"a lowercase address is valid", schemas.ValidateAddress, "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23", ""},
		{"a checksummed address is valid", schemas.ValidateAddress, "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", ""},
		{"a miscased address fails its checksum", schemas.ValidateAddress, "0x2C7536E3605D9C16a7a3D7b1898e529396a65c23", `field=f value="0x2C7536E3605D9C16a7a3D7b1898e529396a65c23" rule=address fails its EIP-55 checksum`},
		{"a SHA-256 must be lowercase hex", schemas.ValidateSHA256, "zz" + "00000000000000000000000000000000000000000000000000000000000000"[:62], `field=f value="zz00000000000000000000000000000000000000000000000000000000000000" rule=SHA-256 must be 64 lowercase hex digits`},
		{"an ID may not start with a hyphen", schemas.ValidateID, "-x", `field=f value="-x" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.check("f", tc.value)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v\nwant %s", err, tc.want)
			}
			if !errors.Is(err, schemas.ErrInvalid) {
				t.Fatal("error does not wrap ErrInvalid")
			}
		})
	}
}

func TestContainerCheckDigitRefusesBadInput(t *testing.T) {
	for _, in := range []string{"CSQU30543", "csqu305438", "CSQU30543A"} {
		if _, err := schemas.ContainerCheckDigit(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestValidateRangeNamesUnit(t *testing.T) {
	err := schemas.ValidateRange("readings[0].shock", 2000, 0, 1000, "g")
	if err == nil || err.Error() != `field=readings[0].shock value="2000" rule=must be between 0 and 1000 g` {
		t.Fatalf("got %v", err)
	}
}
