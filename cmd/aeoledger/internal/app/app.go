// Package app runs the aeoledger command tree: it builds the root command,
// executes it with a context cancelled on interrupt, prints errors (usage for
// flag errors) and turns the outcome into a typed exit code.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/root"
)

// Main runs aeoledger with args and returns the exit code.
func Main(args []string, ios *iostreams.IOStreams) cmdutil.ExitCode {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, cmdutil.New(ios), args)
}

// Run executes the command tree with a given factory (tests use buffers).
func Run(ctx context.Context, f *cmdutil.Factory, args []string) cmdutil.ExitCode {
	rootCmd := root.NewCmdRoot(f)
	rootCmd.SetArgs(args)
	rootCmd.SetIn(f.IOStreams.In)
	rootCmd.SetOut(f.IOStreams.Out)
	rootCmd.SetErr(f.IOStreams.ErrOut)
	cmd, err := rootCmd.ExecuteContextC(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	if isCobraArgError(err) {
		err = &cmdutil.FlagError{Err: err}
	}
	PrintError(f.IOStreams, cmd, err)
	return cmdutil.ExitCodeFor(err)
}

// PrintError writes err for a person: usage after a flag error, the
// contract's field/value/rule for a refusal.
func PrintError(ios *iostreams.IOStreams, cmd *cobra.Command, err error) {
	if errors.Is(err, cmdutil.ErrSilent) {
		return
	}
	w := ios.ErrOut
	var flagErr *cmdutil.FlagError
	if errors.As(err, &flagErr) {
		fmt.Fprintf(w, "error: %v\n\n", err)
		if cmd != nil {
			fmt.Fprint(w, cmd.UsageString())
		}
		return
	}
	fmt.Fprintf(w, "error: %v\n", err)
	var ce *client.ContractError
	if errors.As(err, &ce) {
		who := "refused by the ledger's contract"
		if ce.Local {
			who = "refused before sending (the contract applies the same rule)"
		}
		fmt.Fprintf(w, "  %s: %s\n", who, ce.Code)
		if ce.Field != "" {
			fmt.Fprintf(w, "  field: %s\n  value: %q\n  rule:  %s\n", ce.Field, ce.Value, ce.Rule)
		}
		if ce.TransactionID != "" {
			fmt.Fprintf(w, "  transaction: %s (not committed; nothing was written)\n", ce.TransactionID)
		}
	}
	if code := cmdutil.ExitCodeFor(err); code != cmdutil.ExitGeneric {
		fmt.Fprintf(w, "  exit code %d (see `aeoledger help exit-codes`)\n", code)
	}
}

// isCobraArgError recognises cobra's own unknown-command error, which is a
// usage mistake too (flag and argument errors are FlagErrors already).
func isCobraArgError(err error) bool {
	return strings.HasPrefix(err.Error(), "unknown command")
}
