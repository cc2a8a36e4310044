package cmdutil

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/client/keystore"
	"github.com/aeoledger/aeoledger/network/profile"
)

// ExitCode is the process exit status of aeoledger. The values are stable:
// scripts may rely on them.
type ExitCode int

// Exit codes, documented in `aeoledger help exit-codes`.
const (
	ExitOK           ExitCode = 0 // success
	ExitGeneric      ExitCode = 1 // any other failure
	ExitUsage        ExitCode = 2 // bad flags or arguments; usage is printed
	ExitInvalid      ExitCode = 3 // invalid input: the message names field, value and rule
	ExitForbidden    ExitCode = 4 // identity, partner, key or role not allowed; wrong passphrase
	ExitNotFound     ExitCode = 5 // partner, shipment, record, document or key not found
	ExitConflict     ExitCode = 6 // conflict with the ledger state, or duplicate
	ExitBadSignature ExitCode = 7 // record signature missing or not the signer's
	ExitUnavailable  ExitCode = 8 // the node/gateway could not be reached
	ExitVerifyFailed ExitCode = 9 // verification ran and found a problem (tampered, broken chain)
	ExitCancelled    ExitCode = 130
)

// ExitCodeHelp is the text of `aeoledger help exit-codes`.
const ExitCodeHelp = `aeoledger exits with one of these codes:

  0  ok             the command succeeded
  1  error          any failure not listed below
  2  usage          bad flags or arguments (usage is printed)
  3  invalid        invalid input; the message names the field, the value and the rule
  4  forbidden      the identity, partner, key or role may not do this; wrong passphrase
  5  not found      a partner, shipment, record, declaration, document or key is missing
  6  conflict       the request does not fit the ledger state, or it is a duplicate
  7  bad signature  a record's signature is missing or is not the signer's
  8  unavailable    the node or gateway could not be reached or timed out
  9  verification   verification ran and failed: tampered document, broken block
                    chain, or a trace record that does not verify

For bulk imports (event record --file) the code is that of the first refused row.`

// FlagError is a usage mistake: the command prints its usage and exits 2.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ErrVerificationFailed is wrapped by results that verified and were found
// wanting (exit code 9).
var ErrVerificationFailed = errors.New("verification failed")

// ErrSilent is returned by commands that already printed their failure.
var ErrSilent = errors.New("silent error")

// ExitError carries an explicit exit code with its cause.
type ExitError struct {
	Code ExitCode
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCodeFor maps an error onto its exit code.
func ExitCodeFor(err error) ExitCode {
	var ee *ExitError
	var fe *FlagError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &fe):
		return ExitUsage
	case errors.Is(err, context.Canceled):
		return ExitCancelled
	case errors.Is(err, ErrVerificationFailed):
		return ExitVerifyFailed
	case errors.Is(err, client.ErrBadSignature):
		return ExitBadSignature
	case errors.Is(err, client.ErrInvalid), errors.Is(err, keystore.ErrInvalidName), errors.Is(err, profile.ErrInvalid):
		return ExitInvalid
	case errors.Is(err, client.ErrForbidden), errors.Is(err, keystore.ErrBadPassphrase):
		return ExitForbidden
	case errors.Is(err, client.ErrNotFound), errors.Is(err, keystore.ErrNotFound), errors.Is(err, profile.ErrUnknownIdentity):
		return ExitNotFound
	case errors.Is(err, client.ErrConflict), errors.Is(err, client.ErrDuplicate), errors.Is(err, keystore.ErrExists):
		return ExitConflict
	case errors.Is(err, client.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return ExitUnavailable
	default:
		return ExitGeneric
	}
}

// ExactArgs requires n positional arguments, named in what (e.g. "a shipment ID").
func ExactArgs(n int, what string) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return FlagErrorf("%s expects %s (got %d argument(s))", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}

// NoArgs refuses positional arguments.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// GroupRunE is the RunE of commands that only group subcommands: without
// arguments it shows help; an unknown subcommand is a usage error (exit 2),
// where cobra would otherwise print help and exit 0.
func GroupRunE(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return cmd.Help()
}
