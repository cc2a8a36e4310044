package schemas

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every validation failure (see FieldError).
var ErrInvalid = errors.New("invalid")

// ErrBadSignature is wrapped when a record's signature is missing, malformed,
// does not match the record's ID, or recovers to another address than the
// record's signer.
var ErrBadSignature = errors.New("bad signature")

// maxValueInMessage bounds how much of an offending value an error message
// repeats, so a megabyte of junk input does not come back in the error.
const maxValueInMessage = 64

// FieldError says which field broke which rule with which value. It wraps
// ErrInvalid, so errors.Is(err, ErrInvalid) holds.
type FieldError struct {
	Field string // dotted JSON path, e.g. "container.number" or "readings[3].temperature"
	Value string // the offending value as text (may be truncated in Error)
	Rule  string // the rule broken, in words
}

// Error renders `field=<path> value="<value>" rule=<rule>`; the rule comes last
// so that a reader can parse it up to the end of the message.
func (e *FieldError) Error() string {
	v := e.Value
	if len(v) > maxValueInMessage {
		v = v[:maxValueInMessage] + "..."
	}
	return fmt.Sprintf("field=%s value=%q rule=%s", e.Field, v, e.Rule)
}

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// fieldErr is a short constructor used throughout the validators.
func fieldErr(field, value, rule string, args ...any) *FieldError {
	if len(args) > 0 {
		rule = fmt.Sprintf(rule, args...)
	}
	return &FieldError{Field: field, Value: value, Rule: rule}
}

// join builds a child path: join("keys", "[2]") = "keys[2]", join("a", "b") = "a.b".
func join(parent, child string) string {
	switch {
	case parent == "":
		return child
	case len(child) > 0 && child[0] == '[':
		return parent + child
	default:
		return parent + "." + child
	}
}

func idx(parent string, i int) string { return fmt.Sprintf("%s[%d]", parent, i) }
