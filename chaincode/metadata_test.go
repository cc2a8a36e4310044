package chaincode_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/aeoledger/aeoledger/chaincode"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// TestMetadataMatchesGolden keeps the contract's published interface
// (org.hyperledger.fabric:GetMetadata) under review: any change of a
// transaction, parameter or evaluate flag shows up as a golden-file diff.
func TestMetadataMatchesGolden(t *testing.T) {
	e := newBareEnv(t)
	out := e.ok("Exporter/user1", "org.hyperledger.fabric:GetMetadata")
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("metadata is not JSON: %v", err)
	}
	got, _ := json.MarshalIndent(v, "", "  ")
	got = append(got, '\n')
	golden := filepath.Join("testdata", "metadata.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading golden file (run go test -run TestMetadataMatchesGolden -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("metadata differs from %s; if the change is intended run go test -run TestMetadataMatchesGolden -update and review the diff", golden)
	}
	// Every query is tagged evaluate.
	var md struct {
		Contracts map[string]struct {
			Transactions []struct {
				Name string   `json:"name"`
				Tags []string `json:"tag"`
			} `json:"transactions"`
		} `json:"contracts"`
	}
	_ = json.Unmarshal([]byte(out), &md)
	evaluate := map[string]bool{}
	for _, tx := range md.Contracts[chaincode.ContractName].Transactions {
		for _, tag := range tx.Tags {
			if tag == "EVALUATE" {
				evaluate[tx.Name] = true
			}
		}
	}
	c := &chaincode.Contract{}
	for _, name := range c.GetEvaluateTransactions() {
		if !evaluate[name] {
			t.Errorf("%s is not tagged EVALUATE in the metadata", name)
		}
	}
	if evaluate["RecordTouchpoint"] {
		t.Error("RecordTouchpoint is tagged EVALUATE")
	}
}

func TestErrorCodesRoundTrip(t *testing.T) {
	cases := []struct {
		name     string
		msg      string
		sentinel error
		code     string
	}{
		{"an invalid message maps to ErrInvalid", `INVALID: recording touchpoint: field=eventTime value="x" rule=y`, chaincode.ErrInvalid, "INVALID"},
		{"a bad signature maps to ErrBadSignature", `BAD_SIGNATURE: recording touchpoint: x`, chaincode.ErrBadSignature, "BAD_SIGNATURE"},
		{"a forbidden message maps to ErrForbidden", `FORBIDDEN: x`, chaincode.ErrForbidden, "FORBIDDEN"},
		{"a not-found message maps to ErrNotFound", `NOT_FOUND: x`, chaincode.ErrNotFound, "NOT_FOUND"},
		{"a duplicate maps to ErrDuplicate", `DUPLICATE: x`, chaincode.ErrDuplicate, "DUPLICATE"},
		{"a conflict maps to ErrConflict", `CONFLICT: x`, chaincode.ErrConflict, "CONFLICT"},
		{"a code inside a gRPC message is found", `rpc error: code = Aborted desc = failed to endorse: chaincode response 500, CONFLICT: seal x`, chaincode.ErrConflict, "CONFLICT"},
		{"a message without a code maps to nothing", `rpc error: code = Unavailable`, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := chaincode.ErrorFromMessage(tc.msg)
			if tc.sentinel == nil {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !errors.Is(err, tc.sentinel) || err.Code != tc.code || chaincode.Code(err) != tc.code {
				t.Fatalf("got %v", err)
			}
		})
	}
	if chaincode.Code(nil) != "" || chaincode.Code(errors.New("disk full")) != "INTERNAL" {
		t.Fatal("Code of nil or an unknown error")
	}
}

func TestGovernanceMSPsFromEnvironment(t *testing.T) {
	t.Setenv(chaincode.GovernanceEnv, " ExporterMSP , ")
	cc, err := chaincode.New()
	if err != nil {
		t.Fatal(err)
	}
	e := newBareEnv(t)
	e.cc = cc
	e.ok("Exporter/admin", "RegisterPartner", e.partnerJSON("c1", "CarrierMSP", "carrier"))
	e.refused(`FORBIDDEN: registering partner "c2": caller x509::CN=Admin@Customs,OU=admin,O=CustomsMSP::CN=ca.customsmsp,O=CustomsMSP of CustomsMSP is not an admin of CarrierMSP nor of a governance MSP (ExporterMSP)`,
		"Customs/admin", "RegisterPartner", e.partnerJSON("c2", "CarrierMSP", "carrier"))
}
