// Package declaration implements `aeoledger declaration`: customs import
// declarations and their four-eyes amendments.
package declaration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/schemas"
)

// NewCmdDeclaration groups the declaration commands.
func NewCmdDeclaration(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "declaration <command>",
		RunE:  cmdutil.GroupRunE,
		Short: "Submit customs declarations and amend them under four eyes",
		Long: `A declaration is never edited in place: an amendment proposes a change to one
field and takes effect only when a second identity of the same organisation
approves it. History shows every version with who and when.`,
		Example: `  aeoledger declaration submit --file decl.json --msp ImporterMSP
  aeoledger declaration amend DECL-0001 --field hsCode --old 080810 --new 080830 --reason "pears, not apples" --msp ImporterMSP
  aeoledger declaration approve DECL-0001 <amendment-id> --msp ImporterMSP --identity user2
  aeoledger declaration show DECL-0001`,
	}
	cmd.AddCommand(NewCmdSubmit(f, nil), NewCmdAmend(f, nil), NewCmdApprove(f, nil), NewCmdShow(f, nil))
	return cmd
}

func clientOf(f *cmdutil.Factory) func() (*client.Client, error) {
	return func() (*client.Client, error) { return f.Client("") }
}

// SubmitOptions are the inputs of `declaration submit`.
type SubmitOptions struct {
	IO         *iostreams.IOStreams
	Client     func() (*client.Client, error)
	File       string
	ID         string
	ShipmentID string
	JSON       bool
}

// NewCmdSubmit builds `declaration submit`.
func NewCmdSubmit(f *cmdutil.Factory, runF func(context.Context, *SubmitOptions) error) *cobra.Command {
	opts := &SubmitOptions{IO: f.IOStreams, Client: clientOf(f)}
	cmd := &cobra.Command{
		Use:   "submit --file <declaration.json>",
		Short: "Submit an import declaration (as importer, broker or customs)",
		Example: `  aeoledger declaration submit --file decl.json --msp ImporterMSP
  aeoledger declaration submit --file decl.json --id DECL-0002 --shipment SHP-2026-0002 --msp ImporterMSP --json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.File == "" {
				return cmdutil.FlagErrorf("field=--file value=\"\" rule=a declaration JSON file is required ('-' for stdin)")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return submitRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.File, "file", "", "Declaration as JSON (schemas.Declaration); '-' reads stdin")
	cmd.Flags().StringVar(&opts.ID, "id", "", "Override the declaration ID")
	cmd.Flags().StringVar(&opts.ShipmentID, "shipment", "", "Link the declaration to a shipment")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func submitRun(ctx context.Context, opts *SubmitOptions) error {
	var raw []byte
	var err error
	if opts.File == "-" {
		raw, err = io.ReadAll(opts.IO.In)
	} else {
		raw, err = os.ReadFile(opts.File)
	}
	if err != nil {
		return fmt.Errorf("reading declaration: %w", err)
	}
	var d schemas.Declaration
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("parsing declaration %s: %v: %w", opts.File, err, schemas.ErrInvalid)
	}
	if opts.ID != "" {
		d.ID = opts.ID
	}
	if opts.ShipmentID != "" {
		d.ShipmentID = opts.ShipmentID
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	got, err := c.SubmitDeclaration(ctx, d)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, got)
	}
	fmt.Fprint(opts.IO.Out, "submitted ")
	printDeclaration(opts.IO.Out, got, nil)
	return nil
}

// AmendOptions are the inputs of `declaration amend`.
type AmendOptions struct {
	IO        *iostreams.IOStreams
	Client    func() (*client.Client, error)
	Amendment schemas.Amendment
	JSON      bool
}

// NewCmdAmend builds `declaration amend`.
func NewCmdAmend(f *cmdutil.Factory, runF func(context.Context, *AmendOptions) error) *cobra.Command {
	opts := &AmendOptions{IO: f.IOStreams, Client: clientOf(f)}
	cmd := &cobra.Command{
		Use:   "amend <declaration-id> --field <name> --old <value> --new <value> --reason <text>",
		Short: "Propose a change to one field of a declaration",
		Example: `  aeoledger declaration amend DECL-0001 --field hsCode --old 080810 --new 080830 \
      --reason "pears, not apples" --msp ImporterMSP`,
		Args: cmdutil.ExactArgs(1, "a declaration ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Amendment.DeclarationID = args[0]
			a := opts.Amendment
			if a.Field == "" || !cmd.Flags().Changed("new") || a.Reason == "" {
				return cmdutil.FlagErrorf("declaration amend needs --field, --new and --reason (and --old, the value you saw)")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return amendRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Amendment.Field, "field", "", "Declaration field (JSON name), e.g. hsCode")
	cmd.Flags().StringVar(&opts.Amendment.OldValue, "old", "", "Current value, as you saw it (a stale value is refused)")
	cmd.Flags().StringVar(&opts.Amendment.NewValue, "new", "", "Proposed value")
	cmd.Flags().StringVar(&opts.Amendment.Reason, "reason", "", "Why the change is needed")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func amendRun(ctx context.Context, opts *AmendOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	a, err := c.AmendDeclaration(ctx, opts.Amendment)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, a)
	}
	fmt.Fprintf(opts.IO.Out, "proposed amendment %s of %s: %s %q -> %q (%s), pending approval by a second identity of %s\n",
		a.ID, a.DeclarationID, a.Field, a.OldValue, a.NewValue, a.Reason, c.MSPID())
	return nil
}

// ApproveOptions are the inputs of `declaration approve`.
type ApproveOptions struct {
	IO            *iostreams.IOStreams
	Client        func() (*client.Client, error)
	DeclarationID string
	AmendmentID   string
	Reject        string
	JSON          bool
}

// NewCmdApprove builds `declaration approve`.
func NewCmdApprove(f *cmdutil.Factory, runF func(context.Context, *ApproveOptions) error) *cobra.Command {
	opts := &ApproveOptions{IO: f.IOStreams, Client: clientOf(f)}
	cmd := &cobra.Command{
		Use:   "approve <declaration-id> <amendment-id>",
		Short: "Approve (or with --reject, reject) a pending amendment as a second identity",
		Example: `  aeoledger declaration approve DECL-0001 5d1c...9a --msp ImporterMSP --identity user2
  aeoledger declaration approve DECL-0001 5d1c...9a --reject "wrong tariff line" --msp ImporterMSP --identity user2`,
		Args: cmdutil.ExactArgs(2, "a declaration ID and an amendment ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.DeclarationID, opts.AmendmentID = args[0], args[1]
			if cmd.Flags().Changed("reject") && opts.Reject == "" {
				return cmdutil.FlagErrorf("field=--reject value=\"\" rule=a rejection needs a reason")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return approveRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Reject, "reject", "", "Reject the amendment with this reason instead of approving it")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func approveRun(ctx context.Context, opts *ApproveOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	var a *schemas.Amendment
	if opts.Reject != "" {
		a, err = c.RejectAmendment(ctx, opts.DeclarationID, opts.AmendmentID, opts.Reject)
	} else {
		a, err = c.ApproveAmendment(ctx, opts.DeclarationID, opts.AmendmentID)
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, a)
	}
	fmt.Fprintf(opts.IO.Out, "amendment %s of %s is %s: %s %q -> %q\n", a.ID, a.DeclarationID, a.Status, a.Field, a.OldValue, a.NewValue)
	return nil
}

// ShowOptions are the inputs of `declaration show`.
type ShowOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	ID     string
	JSON   bool
}

// Shown is the --json output of `declaration show`.
type Shown struct {
	Declaration *schemas.Declaration `json:"declaration"`
	Amendments  []schemas.Amendment  `json:"amendments"`
}

// NewCmdShow builds `declaration show`.
func NewCmdShow(f *cmdutil.Factory, runF func(context.Context, *ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Client: clientOf(f)}
	cmd := &cobra.Command{
		Use:     "show <declaration-id>",
		Short:   "Show a declaration as amended, with its amendments",
		Example: "  aeoledger declaration show DECL-0001\n  aeoledger declaration show DECL-0001 --json",
		Args:    cmdutil.ExactArgs(1, "a declaration ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return showRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func showRun(ctx context.Context, opts *ShowOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	d, err := c.Declaration(ctx, opts.ID)
	if err != nil {
		return err
	}
	ams, err := c.AllAmendments(ctx, opts.ID)
	if err != nil {
		return err
	}
	if opts.JSON {
		if ams == nil {
			ams = []schemas.Amendment{}
		}
		return cmdutil.WriteJSON(opts.IO.Out, Shown{Declaration: d, Amendments: ams})
	}
	printDeclaration(opts.IO.Out, d, ams)
	return nil
}

func printDeclaration(w io.Writer, d *schemas.Declaration, ams []schemas.Amendment) {
	fmt.Fprintf(w, "declaration %s of %s at office %s\n", d.ID, d.Date, d.OfficeID)
	fmt.Fprintf(w, "  goods      HS %s, origin %s, departed %s, %g kg, price %g\n", d.HSCode, d.CountryOfOrigin, d.CountryOfDeparture, d.NetMass, d.ItemPrice)
	fmt.Fprintf(w, "  parties    declarant %s, importer %s, seller %s\n", d.DeclarantID, d.ImporterID, d.SellerID)
	fmt.Fprintf(w, "  tax        %s at %g%%\n", d.TaxType, d.TaxRate)
	if d.ShipmentID != "" {
		fmt.Fprintf(w, "  shipment   %s\n", d.ShipmentID)
	}
	if d.SubmittedBy != nil {
		fmt.Fprintf(w, "  submitted  by %s at %s\n", d.SubmittedBy.MSPID, d.SubmittedAt)
	}
	for _, a := range ams {
		fmt.Fprintf(w, "  amendment  %s: %s %q -> %q, %s (%s)", a.ID, a.Field, a.OldValue, a.NewValue, a.Status, a.Reason)
		if len(a.Approvals) > 0 {
			fmt.Fprintf(w, "; approved by %s at %s", a.Approvals[0].By.ID, a.Approvals[0].At)
		}
		fmt.Fprintln(w)
	}
}
