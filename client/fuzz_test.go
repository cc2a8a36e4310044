package client

import (
	"strings"
	"testing"
)

// FuzzParseContractError checks that any peer message parses without panic
// and that a parsed error always carries a known code and a message that is
// a suffix of the input's first line.
func FuzzParseContractError(f *testing.F) {
	for _, seed := range []string{
		`INVALID: recording touchpoint: field=container.number value="CSQU3054384" rule=ISO 6346 check digit must be 3`,
		`chaincode response 500, NOT_FOUND: shipment "X"`,
		"CONFLICT: a\nDetails: b",
		`INVALID: field= value="\" rule=`,
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		ce := ParseContractError(msg)
		if ce == nil {
			return
		}
		if _, ok := codeSentinels[ce.Code]; !ok {
			t.Fatalf("unknown code %q", ce.Code)
		}
		if !strings.Contains(msg, string(ce.Code)+": "+ce.Message) {
			t.Fatalf("message %q is not taken from %q", ce.Message, msg)
		}
	})
}
