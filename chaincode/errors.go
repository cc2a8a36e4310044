package chaincode

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aeoledger/aeoledger/schemas"
)

// Sentinel errors. Every error a transaction returns wraps exactly one of
// them, and its message starts with the matching code word (see Code).
var (
	ErrInvalid      = schemas.ErrInvalid
	ErrBadSignature = schemas.ErrBadSignature
	ErrNotFound     = errors.New("not found")
	ErrForbidden    = errors.New("forbidden")
	ErrDuplicate    = errors.New("duplicate")
	ErrConflict     = errors.New("conflict")
)

// Code words that start the message of a failed transaction.
const (
	CodeInvalid      = "INVALID"
	CodeBadSignature = "BAD_SIGNATURE"
	CodeForbidden    = "FORBIDDEN"
	CodeNotFound     = "NOT_FOUND"
	CodeDuplicate    = "DUPLICATE"
	CodeConflict     = "CONFLICT"
	CodeInternal     = "INTERNAL"
)

var codes = []struct {
	code     string
	sentinel error
}{
	{CodeInvalid, ErrInvalid},
	{CodeBadSignature, ErrBadSignature},
	{CodeForbidden, ErrForbidden},
	{CodeNotFound, ErrNotFound},
	{CodeDuplicate, ErrDuplicate},
	{CodeConflict, ErrConflict},
}

// Error is a transaction failure: a code word and the cause, which wraps the
// matching sentinel. Its message is "<CODE>: <cause>", which is what clients
// receive from the peer.
type Error struct {
	Code string
	Err  error
}

func (e *Error) Error() string { return e.Code + ": " + e.Err.Error() }

// Unwrap returns the cause, so errors.Is(err, ErrNotFound) works.
func (e *Error) Unwrap() error { return e.Err }

// Code returns the code word of err ("" for nil, INTERNAL when it wraps no
// sentinel).
func Code(err error) string {
	if err == nil {
		return ""
	}
	for _, c := range codes {
		if errors.Is(err, c.sentinel) {
			return c.code
		}
	}
	return CodeInternal
}

// coded gives err its code word for the client.
func coded(err error) error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return err
	}
	return &Error{Code: Code(err), Err: err}
}

// remoteError is the cause rebuilt from a message received over the wire.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

// ErrorFromMessage turns the message of a failed transaction (as returned by
// a peer, possibly embedded in a longer gRPC message) back into an *Error
// that wraps the matching sentinel. It returns nil when msg carries no known
// code word.
func ErrorFromMessage(msg string) *Error {
	best, bestAt := -1, len(msg)
	for i, c := range codes {
		at := strings.Index(msg, c.code+": ")
		if at >= 0 && at < bestAt {
			best, bestAt = i, at
		}
	}
	if best < 0 {
		return nil
	}
	c := codes[best]
	rest := msg[bestAt+len(c.code)+2:]
	return &Error{Code: c.code, Err: &remoteError{msg: rest, sentinel: c.sentinel}}
}

// ruleError is a failure of a contract rule; it wraps its sentinel without
// repeating the sentinel's text.
type ruleError struct {
	msg  string
	kind error
}

func (e *ruleError) Error() string { return e.msg }
func (e *ruleError) Unwrap() error { return e.kind }

func fail(kind error, format string, args ...any) error {
	return &ruleError{msg: fmt.Sprintf(format, args...), kind: kind}
}

func invalid(field, value, rule string, args ...any) error {
	return &schemas.FieldError{Field: field, Value: value, Rule: fmt.Sprintf(rule, args...)}
}
