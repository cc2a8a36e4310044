// Package history implements `aeoledger history`: every version of a ledger
// object, with the transaction and time of each change.
package history

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/schemas"
)

// Kinds accepted by history.
var Kinds = []string{client.HistoryPartner, client.HistoryShipment, client.HistoryShipmentState, client.HistoryRecord,
	client.HistoryDeclaration, client.HistoryAmendment, client.HistoryDocument, client.HistoryCompliance}

// Options are the inputs of `history`.
type Options struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Kind   string
	ID     string
	Full   bool
	JSON   bool
}

// NewCmdHistory builds `history`.
func NewCmdHistory(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	cmd := &cobra.Command{
		Use:   "history <kind> <id>",
		Short: "Show every version of a partner, shipment, record, declaration, amendment or document",
		Long: `Nothing on the ledger is updated in place without trace: history lists every
version of an object, oldest first, with the transaction and the time of each
change, and for a record the corrections that refer to it.

Kinds: ` + strings.Join(Kinds, ", ") + `. An amendment's id is declarationId/amendmentId.`,
		Example: `  aeoledger history declaration DECL-0001
  aeoledger history shipment-state SHP-2026-0001
  aeoledger history partner nordic-lines --full
  aeoledger history record 3f2a...e1 --json`,
		Args: cmdutil.ExactArgs(2, "a kind and an id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Kind, opts.ID = args[0], args[1]
			known := false
			for _, k := range Kinds {
				known = known || k == opts.Kind
			}
			if !known {
				return cmdutil.FlagErrorf("field=kind value=%q rule=must be one of %s", opts.Kind, strings.Join(Kinds, ", "))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return historyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Full, "full", false, "Print each version's full JSON value")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func historyRun(ctx context.Context, opts *Options) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	entries, err := c.AllHistory(ctx, opts.Kind, opts.ID)
	if err != nil {
		return err
	}
	if opts.JSON {
		if entries == nil {
			entries = []schemas.HistoryEntry{}
		}
		return cmdutil.WriteJSON(opts.IO.Out, entries)
	}
	w := opts.IO.Out
	plural := "s"
	if len(entries) == 1 {
		plural = ""
	}
	fmt.Fprintf(w, "history of %s %s: %d version%s\n", opts.Kind, opts.ID, len(entries), plural)
	for i, e := range entries {
		what := describe(e.Value)
		switch {
		case e.IsDelete:
			what = "deleted"
		case e.CorrectedBy != "":
			what = "corrected by record " + e.CorrectedBy
		}
		fmt.Fprintf(w, "  %2d. %s  tx %s  %s\n", i+1, e.Timestamp, e.TxID, what)
		if opts.Full && e.Value != nil {
			raw, _ := json.MarshalIndent(e.Value, "      ", "  ")
			fmt.Fprintf(w, "      %s\n", raw)
		}
	}
	return nil
}

// describe picks the telling fields of a stored value for a one-line view.
func describe(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	var parts []string
	for _, k := range []string{"status", "hsCode", "statusReason", "updatedAt", "lastEventTime", "field", "newValue"} {
		if s, ok := m[k].(string); ok && s != "" {
			parts = append(parts, k+"="+s)
		}
	}
	if keys, ok := m["keys"].([]any); ok {
		active := 0
		for _, k := range keys {
			if km, ok := k.(map[string]any); ok && km["revokedAt"] == nil {
				active++
			}
		}
		parts = append(parts, fmt.Sprintf("keys=%d (%d active)", len(keys), active))
	}
	if seals, ok := m["seals"].(map[string]any); ok {
		for n, s := range seals {
			parts = append(parts, fmt.Sprintf("seal %s=%v", n, s))
		}
	}
	return strings.Join(parts, "  ")
}
