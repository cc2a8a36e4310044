package ledger

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package wrap one of them where it
// applies, so callers use errors.Is.
var (
	// ErrInvalid marks bad input: an option, an envelope or a stub argument
	// that breaks a rule. The concrete error is a *FieldError.
	ErrInvalid = errors.New("invalid input")
	// ErrClosed is returned once Close has been called.
	ErrClosed = errors.New("ledger closed")
	// ErrNotFound is returned for a block number at or above the height.
	ErrNotFound = errors.New("not found")
	// ErrUnsupported is returned by stub methods the embedded peer does not
	// implement (private data, key-level endorsement, rich queries,
	// chaincode-to-chaincode calls).
	ErrUnsupported = errors.New("unsupported")
)

// FieldError says which field had which value and which rule it broke.
type FieldError struct {
	Field string
	Value string
	Rule  string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("field=%s value=%q rule=%s", e.Field, e.Value, e.Rule)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, value, rule string) error {
	return &FieldError{Field: field, Value: value, Rule: rule}
}

// unsupported builds the error an unimplemented stub method returns.
func unsupported(method string) error {
	return fmt.Errorf("%s is not supported by the aeoledger embedded peer: %w", method, ErrUnsupported)
}
