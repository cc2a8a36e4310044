package client

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aeoledger/aeoledger/schemas"
)

// Sentinel errors. errors.Is(err, ErrX) holds for a *ContractError with the
// matching code and for the SDK's own checks of the same rule.
var (
	// ErrInvalid: bad input; the error names the field, the value and the rule.
	ErrInvalid = schemas.ErrInvalid
	// ErrBadSignature: the record signature is missing, malformed or not the signer's.
	ErrBadSignature = schemas.ErrBadSignature
	// ErrForbidden: the caller identity or the signing partner/key/role is not allowed.
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound: a referenced partner, shipment, record, declaration or document is missing.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate: the ID already exists (a replayed record is a duplicate).
	ErrDuplicate = errors.New("duplicate")
	// ErrConflict: the request does not fit the current ledger state, or a
	// transaction kept losing MVCC races after every retry.
	ErrConflict = errors.New("conflict")
	// ErrInternal: the contract failed for a reason that is not the caller's.
	ErrInternal = errors.New("contract internal error")
	// ErrUnavailable: the gateway could not be reached or timed out.
	ErrUnavailable = errors.New("ledger unavailable")
)

// Code is the stable code word that starts every contract error message.
type Code string

// Contract error codes (chaincode/API.md, "Errors").
const (
	CodeInvalid      Code = "INVALID"
	CodeBadSignature Code = "BAD_SIGNATURE"
	CodeForbidden    Code = "FORBIDDEN"
	CodeNotFound     Code = "NOT_FOUND"
	CodeDuplicate    Code = "DUPLICATE"
	CodeConflict     Code = "CONFLICT"
	CodeInternal     Code = "INTERNAL"
)

var codeSentinels = map[Code]error{
	CodeInvalid:      ErrInvalid,
	CodeBadSignature: ErrBadSignature,
	CodeForbidden:    ErrForbidden,
	CodeNotFound:     ErrNotFound,
	CodeDuplicate:    ErrDuplicate,
	CodeConflict:     ErrConflict,
	CodeInternal:     ErrInternal,
}

// ContractError is a request the contract refused (or that the SDK refused
// before sending because it breaks the same rule; then Local is true).
// Field, Value and Rule are set when the message names them.
type ContractError struct {
	Code          Code
	Field         string
	Value         string
	Rule          string
	Message       string // the contract's message after the code word
	TransactionID string
	Local         bool
	err           error // the fabric-gateway (or schemas) error underneath
}

// Error renders "CODE: message".
func (e *ContractError) Error() string {
	return string(e.Code) + ": " + e.Message
}

// Is matches the sentinel of the error's code.
func (e *ContractError) Is(target error) bool {
	return codeSentinels[e.Code] == target
}

// Unwrap returns the fabric-gateway error (*client.EndorseError,
// *client.SubmitError, *client.CommitStatusError, a gRPC status error) or, for
// a local refusal, the *schemas.FieldError.
func (e *ContractError) Unwrap() error { return e.err }

// codeWord finds "CODE: " at the start of s or after a separator, as Fabric
// prefixes chaincode messages ("chaincode response 500, INVALID: ...").
var codeWord = regexp.MustCompile(`(?:^|[\s,:])(INVALID|BAD_SIGNATURE|FORBIDDEN|NOT_FOUND|DUPLICATE|CONFLICT|INTERNAL): `)

// fieldPart parses `field=<path> value="<quoted>" rule=<text to the end>`.
var fieldPart = regexp.MustCompile(`field=(\S+) value=("(?:[^"\\]|\\.)*") rule=(.+)$`)

// ParseContractError extracts a contract error from a message such as
// `INVALID: recording touchpoint: field=container.number value="CSQU3054384" rule=...`.
// It returns nil when msg carries no contract code word.
func ParseContractError(msg string) *ContractError {
	loc := codeWord.FindStringSubmatchIndex(msg)
	if loc == nil {
		return nil
	}
	ce := &ContractError{Code: Code(msg[loc[2]:loc[3]]), Message: msg[loc[1]:]}
	// A multi-line gRPC message may carry details after the contract text.
	if first, _, ok := strings.Cut(ce.Message, "\n"); ok {
		ce.Message = first
	}
	if m := fieldPart.FindStringSubmatch(ce.Message); m != nil {
		ce.Field, ce.Rule = m[1], m[3]
		if v, err := strconv.Unquote(m[2]); err == nil {
			ce.Value = v
		} else {
			ce.Value = m[2]
		}
	}
	return ce
}

// localInvalid turns a local validation failure into the same error shape as
// the contract's refusal.
func localInvalid(context string, err error) error {
	var fe *schemas.FieldError
	if !errors.As(err, &fe) {
		return fmt.Errorf("%s: %w", context, err)
	}
	return &ContractError{
		Code: CodeInvalid, Field: fe.Field, Value: fe.Value, Rule: fe.Rule,
		Message: context + ": " + fe.Error(), Local: true, err: err,
	}
}

// classified tags an error that carries no contract code with a sentinel,
// keeping the original reachable.
type classified struct {
	kind error
	err  error
}

func (c *classified) Error() string        { return c.err.Error() }
func (c *classified) Is(target error) bool { return target == c.kind }
func (c *classified) Unwrap() error        { return c.err }

// wrapGatewayError maps a fabric-gateway error onto the SDK's typed errors.
func wrapGatewayError(op string, err error) error {
	if err == nil {
		return nil
	}
	for _, msg := range gatewayMessages(err) {
		if ce := ParseContractError(msg); ce != nil {
			ce.err = err
			ce.TransactionID = transactionID(err)
			return fmt.Errorf("%s: %w", op, ce)
		}
	}
	var commitErr *client.CommitError
	if errors.As(err, &commitErr) {
		if isReadConflict(commitErr.Code) {
			return fmt.Errorf("%s: %w", op, &classified{kind: ErrConflict, err: err})
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unavailable, codes.DeadlineExceeded:
			return fmt.Errorf("%s: %w", op, &classified{kind: ErrUnavailable, err: err})
		case codes.PermissionDenied, codes.Unauthenticated:
			return fmt.Errorf("%s: %w", op, &classified{kind: ErrForbidden, err: err})
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// gatewayMessages lists the texts in which the contract's message may
// appear: the endorsers' detail messages first, then the status message.
func gatewayMessages(err error) []string {
	var out []string
	type detailer interface {
		GRPCStatus() *status.Status
	}
	var d detailer
	if errors.As(err, &d) {
		for _, det := range d.GRPCStatus().Details() {
			if m, ok := det.(interface{ GetMessage() string }); ok {
				out = append(out, m.GetMessage())
			}
		}
		out = append(out, d.GRPCStatus().Message())
	} else if st, ok := status.FromError(err); ok {
		out = append(out, st.Message())
	}
	return append(out, err.Error())
}

func transactionID(err error) string {
	var txErr *client.TransactionError
	if errors.As(err, &txErr) {
		return txErr.TransactionID
	}
	var commitErr *client.CommitError
	if errors.As(err, &commitErr) {
		return commitErr.TransactionID
	}
	return ""
}

func isReadConflict(code peer.TxValidationCode) bool {
	return code == peer.TxValidationCode_MVCC_READ_CONFLICT || code == peer.TxValidationCode_PHANTOM_READ_CONFLICT
}
