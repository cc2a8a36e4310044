package schemas

import (
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"
)

// iso6346Letter maps an owner/category letter to its ISO 6346 numeric value:
// A=10 upwards, skipping the multiples of 11 (11, 22, 33).
func iso6346Letter(c byte) int {
	v := 10
	for l := byte('A'); l < c; l++ {
		v++
		if v%11 == 0 {
			v++
		}
	}
	return v
}

// ContainerCheckDigit computes the ISO 6346 check digit of the first ten
// characters of a container number (owner code, category, serial number).
func ContainerCheckDigit(first10 string) (int, error) {
	if len(first10) != 10 {
		return 0, fmt.Errorf("computing check digit: need 10 characters, got %d", len(first10))
	}
	sum := 0
	for i := 0; i < 10; i++ {
		c := first10[i]
		var v int
		switch {
		case i < 4 && c >= 'A' && c <= 'Z':
			v = iso6346Letter(c)
		case i >= 4 && c >= '0' && c <= '9':
			v = int(c - '0')
		default:
			return 0, fmt.Errorf("computing check digit: bad character %q at position %d", c, i+1)
		}
		sum += v << i
	}
	return sum % 11 % 10, nil
}

// ValidateContainerNumber checks an ISO 6346 container number: a three-letter
// owner code, the equipment category U, J or Z, six digits and the check digit.
func ValidateContainerNumber(field, s string) error {
	if len(s) != 11 {
		return fieldErr(field, s, "ISO 6346 container number must have 11 characters, got %d", utf8.RuneCountInString(s))
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return fieldErr(field, s, "ISO 6346 owner code must be three capital letters")
		}
	}
	if s[3] != 'U' && s[3] != 'J' && s[3] != 'Z' {
		return fieldErr(field, s, "ISO 6346 equipment category must be U, J or Z")
	}
	for i := 4; i < 11; i++ {
		if s[i] < '0' || s[i] > '9' {
			return fieldErr(field, s, "ISO 6346 serial number and check digit must be digits")
		}
	}
	want, err := ContainerCheckDigit(s[:10])
	if err != nil {
		return fieldErr(field, s, "ISO 6346: %v", err)
	}
	if int(s[10]-'0') != want {
		return fieldErr(field, s, "ISO 6346 check digit must be %d", want)
	}
	return nil
}

// Seal classes of ISO 17712.
const (
	SealIndicative   = "I"
	SealSecurity     = "S"
	SealHighSecurity = "H"
)

var sealNumberRE = regexp.MustCompile(`^[A-Z0-9](?:[A-Z0-9]|-[A-Z0-9]){3,19}$`)

// ValidateSealClass checks an ISO 17712 classification: I, S or H.
func ValidateSealClass(field, s string) error {
	switch s {
	case SealIndicative, SealSecurity, SealHighSecurity:
		return nil
	}
	return fieldErr(field, s, "ISO 17712 seal class must be I, S or H")
}

// ValidateSealNumber checks a seal's unique identification number as ISO 17712
// requires it to be marked: 4 to 20 capital letters, digits and single
// hyphens (not at either end), with at least four digits.
func ValidateSealNumber(field, s string) error {
	if !sealNumberRE.MatchString(s) {
		return fieldErr(field, s, "ISO 17712 seal number must be 4-20 capital letters, digits or single inner hyphens")
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits++
		}
	}
	if digits < 4 {
		return fieldErr(field, s, "ISO 17712 seal number must contain at least 4 digits")
	}
	return nil
}

// ValidateCountry checks an ISO 3166-1 alpha-2 code against the full list.
func ValidateCountry(field, s string) error {
	if _, ok := countries[s]; !ok {
		return fieldErr(field, s, "must be an ISO 3166-1 alpha-2 country code")
	}
	return nil
}

// validateCountryOrUnknown also accepts "ZZ", used in customs data for unknown.
func validateCountryOrUnknown(field, s string) error {
	if s == UnknownCountry {
		return nil
	}
	return ValidateCountry(field, s)
}

// ValidateUNLocode checks a UN/LOCODE: an ISO 3166-1 country code followed by
// three characters from A-Z and 2-9, written without a space (e.g. NLRTM).
func ValidateUNLocode(field, s string) error {
	if len(s) != 5 {
		return fieldErr(field, s, "UN/LOCODE must have 5 characters (country + 3), got %d", utf8.RuneCountInString(s))
	}
	if _, ok := countries[s[:2]]; !ok {
		return fieldErr(field, s, "UN/LOCODE must start with an ISO 3166-1 country code")
	}
	for i := 2; i < 5; i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z') && !(c >= '2' && c <= '9') {
			return fieldErr(field, s, "UN/LOCODE location part must use A-Z and 2-9")
		}
	}
	return nil
}

// ValidateHSCode checks a Harmonized System code of 6 to 10 digits whose
// chapter (first two digits) is 01-97 and not the reserved chapter 77.
func ValidateHSCode(field, s string) error {
	if len(s) < 6 || len(s) > 10 {
		return fieldErr(field, s, "HS code must have 6 to 10 digits, got %d characters", utf8.RuneCountInString(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return fieldErr(field, s, "HS code must contain digits only")
		}
	}
	ch, _ := strconv.Atoi(s[:2])
	if ch < 1 || ch > 97 || ch == 77 {
		return fieldErr(field, s, "HS chapter %s does not exist (valid: 01-97 except 77)", s[:2])
	}
	return nil
}

// ValidateTime checks an RFC 3339 date-time and returns it.
func ValidateTime(field, s string) (time.Time, error) {
	if len(s) > 40 {
		return time.Time{}, fieldErr(field, s, "RFC 3339 date-time is at most 40 characters")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fieldErr(field, s, "must be an RFC 3339 date-time like 2026-01-02T15:04:05Z")
	}
	if t.Year() < 1970 || t.Year() > 9999 {
		return time.Time{}, fieldErr(field, s, "year must be between 1970 and 9999")
	}
	return t, nil
}

// ValidateDate checks an RFC 3339 full-date (2006-01-02) or date-time and
// returns it.
func ValidateDate(field, s string) (time.Time, error) {
	if len(s) == len(time.DateOnly) {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return time.Time{}, fieldErr(field, s, "must be an RFC 3339 full-date like 2026-01-02")
		}
		if t.Year() < 1970 {
			return time.Time{}, fieldErr(field, s, "year must be between 1970 and 9999")
		}
		return t, nil
	}
	return ValidateTime(field, s)
}

var addressRE = regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`)

// ValidateAddress checks a secp256k1 (Ethereum) address: 0x and 40 hex digits;
// when it mixes upper and lower case it must carry a valid EIP-55 checksum.
func ValidateAddress(field, s string) error {
	if !addressRE.MatchString(s) {
		return fieldErr(field, s, "address must be 0x followed by 40 hex digits")
	}
	body := s[2:]
	if body != strings.ToLower(body) && body != strings.ToUpper(body) {
		if common.HexToAddress(s).Hex() != s {
			return fieldErr(field, s, "address fails its EIP-55 checksum")
		}
	}
	return nil
}

// NormalizeAddress returns the EIP-55 form of a valid address.
func NormalizeAddress(s string) string { return common.HexToAddress(s).Hex() }

// ValidateSHA256 checks a lowercase hex SHA-256 digest (64 characters).
func ValidateSHA256(field, s string) error {
	if len(s) != 64 || strings.ToLower(s) != s {
		return fieldErr(field, s, "SHA-256 must be 64 lowercase hex digits")
	}
	if _, err := hex.DecodeString(s); err != nil {
		return fieldErr(field, s, "SHA-256 must be 64 lowercase hex digits")
	}
	return nil
}

// ValidateRange checks that a number lies within [min, max].
func ValidateRange(field string, v, minV, maxV float64, unit string) error {
	if math.IsNaN(v) || v < minV || v > maxV {
		return fieldErr(field, strconv.FormatFloat(v, 'f', -1, 64), "must be between %g and %g %s", minV, maxV, unit)
	}
	return nil
}

// checkText enforces a length limit and rejects control characters.
func checkText(field, s string, minLen, maxLen int) error {
	n := utf8.RuneCountInString(s)
	if !utf8.ValidString(s) {
		return fieldErr(field, s, "must be valid UTF-8")
	}
	if n < minLen {
		if minLen == 1 {
			return fieldErr(field, s, "is required")
		}
		return fieldErr(field, s, "must have at least %d characters", minLen)
	}
	if n > maxLen {
		return fieldErr(field, s, "must have at most %d characters, got %d", maxLen, n)
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' {
			return fieldErr(field, s, "must not contain control characters")
		}
	}
	return nil
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)

// ValidateID checks a caller-chosen identifier (partner, shipment,
// declaration, device): 1-64 characters of letters, digits and . _ : - ,
// starting with a letter or digit.
func ValidateID(field, s string) error {
	if !idRE.MatchString(s) {
		return fieldErr(field, s, "must be 1-64 letters, digits or . _ : - starting with a letter or digit")
	}
	return nil
}

func oneOf(field, s string, allowed ...string) error {
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	return fieldErr(field, s, "must be one of %s", strings.Join(allowed, ", "))
}

func maxItems(field string, n, limit int) error {
	if n > limit {
		return fieldErr(field, strconv.Itoa(n), "must have at most %d items", limit)
	}
	return nil
}
