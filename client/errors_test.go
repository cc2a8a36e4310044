package client

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aeoledger/aeoledger/schemas"
)

func TestParseContractError(t *testing.T) {
	cases := []struct {
		name string
		msg  string
		want *ContractError
	}{
		{
			name: "an INVALID message names field, value and rule",
			msg:  `INVALID: recording touchpoint: field=container.number value="CSQU3054384" rule=ISO 6346 check digit must be 3`,
			want: &ContractError{Code: CodeInvalid, Field: "container.number", Value: "CSQU3054384", Rule: "ISO 6346 check digit must be 3",
				Message: `recording touchpoint: field=container.number value="CSQU3054384" rule=ISO 6346 check digit must be 3`},
		},
		{
			name: "Fabric's chaincode response prefix is skipped",
			msg:  `chaincode response 500, NOT_FOUND: shipment "SHP-9" does not exist`,
			want: &ContractError{Code: CodeNotFound, Message: `shipment "SHP-9" does not exist`},
		},
		{
			name: "an escaped quote inside the value is unquoted",
			msg:  `INVALID: field=legalName value="ACME \"Ltd\"" rule=must not contain quotes`,
			want: &ContractError{Code: CodeInvalid, Field: "legalName", Value: `ACME "Ltd"`, Rule: "must not contain quotes",
				Message: `field=legalName value="ACME \"Ltd\"" rule=must not contain quotes`},
		},
		{
			name: "only the first line is the contract's message",
			msg:  "evaluate call to endorser returned error: CONFLICT: seal not affixed\nDetails: more",
			want: &ContractError{Code: CodeConflict, Message: "seal not affixed"},
		},
		{
			name: "a code word inside another word does not count",
			msg:  "REINVALID: nothing",
			want: nil,
		},
		{
			name: "a message without a code word is not a contract error",
			msg:  "connection refused",
			want: nil,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, ParseContractError(tc.msg))
		})
	}
}

func TestWrapGatewayErrorMapsCodesToSentinels(t *testing.T) {
	withDetail := func(code codes.Code, msg, detail string) error {
		st, err := status.New(code, msg).WithDetails(&gateway.ErrorDetail{Address: "127.0.0.1:7051", MspId: "ExporterMSP", Message: detail})
		require.NoError(t, err)
		return st.Err()
	}
	cases := []struct {
		name     string
		err      error
		sentinel error
		field    string
	}{
		{"an endorsement detail carrying INVALID", withDetail(codes.Aborted, "failed to endorse transaction", `chaincode response 500, INVALID: field=seal.class value="X" rule=must be one of I, S, H`), ErrInvalid, "seal.class"},
		{"a status message carrying FORBIDDEN", status.Error(codes.Unknown, "FORBIDDEN: key 0xabc is revoked"), ErrForbidden, ""},
		{"BAD_SIGNATURE", status.Error(codes.Unknown, "BAD_SIGNATURE: recovers to 0x1"), ErrBadSignature, ""},
		{"DUPLICATE", status.Error(codes.Unknown, "DUPLICATE: record abc"), ErrDuplicate, ""},
		{"CONFLICT", status.Error(codes.Unknown, "CONFLICT: delivered"), ErrConflict, ""},
		{"NOT_FOUND", status.Error(codes.Unknown, "NOT_FOUND: shipment"), ErrNotFound, ""},
		{"INTERNAL", status.Error(codes.Unknown, "INTERNAL: marshalling"), ErrInternal, ""},
		{"an unreachable gateway", status.Error(codes.Unavailable, "connection refused"), ErrUnavailable, ""},
		{"a timed out call", status.Error(codes.DeadlineExceeded, "deadline"), ErrUnavailable, ""},
		{"an MVCC conflict that outlived its retries", &commitFailed{&client.CommitError{TransactionID: "tx1", Code: peer.TxValidationCode_MVCC_READ_CONFLICT}}, ErrConflict, ""},
	}
	sentinels := []error{ErrInvalid, ErrBadSignature, ErrForbidden, ErrNotFound, ErrDuplicate, ErrConflict, ErrInternal, ErrUnavailable}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := wrapGatewayError("doing it", tc.err)
			for _, s := range sentinels {
				assert.Equal(t, s == tc.sentinel, errors.Is(got, s), "errors.Is(%v) for %q", s, got)
			}
			assert.ErrorIs(t, got, tc.err, "the gateway error stays reachable")
			var ce *ContractError
			if errors.As(got, &ce) {
				assert.Equal(t, tc.field, ce.Field)
			}
		})
	}
}

func TestCommitErrorStaysReachable(t *testing.T) {
	err := wrapGatewayError("submitting X", &commitFailed{&client.CommitError{TransactionID: "tx9", Code: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE}})
	var ce *client.CommitError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, ce.Code)
	assert.Equal(t, "submitting X: transaction tx9 failed to commit with status code 10 (ENDORSEMENT_POLICY_FAILURE)", err.Error())
	assert.False(t, errors.Is(err, ErrConflict))
}

func TestLocalInvalidKeepsTheFieldError(t *testing.T) {
	fe := &schemas.FieldError{Field: "origin", Value: "XXABC", Rule: "must be a UN/LOCODE"}
	err := localInvalid("creating shipment", fmt.Errorf("validating: %w", fe))
	var ce *ContractError
	require.ErrorAs(t, err, &ce)
	assert.True(t, ce.Local)
	assert.Equal(t, CodeInvalid, ce.Code)
	assert.Equal(t, "origin", ce.Field)
	assert.Equal(t, `INVALID: creating shipment: field=origin value="XXABC" rule=must be a UN/LOCODE`, err.Error())
	assert.ErrorIs(t, err, ErrInvalid)
	var got *schemas.FieldError
	require.ErrorAs(t, err, &got)
	assert.Same(t, fe, got)
}

func TestRetryDelayGrowsAndIsCapped(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 6, BaseDelay: 10e6, MaxDelay: 50e6} // 10 ms .. 50 ms
	cases := []struct {
		retry    int
		min, max float64 // ms
	}{
		{1, 10, 15}, {2, 20, 30}, {3, 40, 60}, {4, 50, 75}, {5, 50, 75},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("retry %d waits between %v and %v ms", tc.retry, tc.min, tc.max), func(t *testing.T) {
			for range 50 {
				d := float64(p.delay(tc.retry)) / 1e6
				assert.GreaterOrEqual(t, d, tc.min)
				assert.LessOrEqual(t, d, tc.max)
			}
		})
	}
}

func TestOptionsRejectBadValues(t *testing.T) {
	cases := []struct {
		name string
		opt  Option
		want string
	}{
		{"zero attempts", WithRetry(RetryPolicy{MaxAttempts: 0}), "field=retry.maxAttempts value=0 rule=must be at least 1"},
		{"max delay below base", WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: 2, MaxDelay: 1}), "field=retry.maxDelay"},
		{"negative timeout", WithTimeouts(-1, 0, 0, 0), "field=timeouts.evaluate value=-1ns rule=must not be negative"},
		{"nil connection", WithClientConnection(nil), "field=clientConnection value=nil"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultConfig()
			assert.ErrorContains(t, tc.opt(&cfg), tc.want)
		})
	}
}
