// Package doc implements `aeoledger doc`: anchoring off-chain documents by
// their SHA-256 and verifying document bytes against the ledger.
package doc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/schemas"
)

// NewCmdDoc groups the document commands.
func NewCmdDoc(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doc <command>",
		RunE:  cmdutil.GroupRunE,
		Short: "Anchor documents by hash and verify them",
		Long: `Invoices, bills of lading and certificates stay off-chain; the ledger holds their
SHA-256, type and owner. Verification hashes the bytes locally (they are never
sent) and reports a document whose bytes no longer match as tampered.`,
		Example: `  aeoledger doc anchor co.pdf --type certificate-of-origin --owner rotterdam-chamber --msp IssuerMSP
  aeoledger doc verify co.pdf`,
	}
	cmd.AddCommand(NewCmdAnchor(f, nil), NewCmdVerify(f, nil))
	return cmd
}

// AnchorOptions are the inputs of `doc anchor`.
type AnchorOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Path   string
	Anchor schemas.DocumentAnchor
	JSON   bool
}

// NewCmdAnchor builds `doc anchor`.
func NewCmdAnchor(f *cmdutil.Factory, runF func(context.Context, *AnchorOptions) error) *cobra.Command {
	opts := &AnchorOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	cmd := &cobra.Command{
		Use:   "anchor <file> --type <doc-type> --owner <partner-id>",
		Short: "Put a document's SHA-256, type and owner on the ledger",
		Example: `  aeoledger doc anchor invoice-4711.pdf --type invoice --owner acme-export --shipment SHP-2026-0001 --msp ExporterMSP
  aeoledger doc anchor co.pdf --type certificate-of-origin --owner rotterdam-chamber --msp IssuerMSP --json`,
		Args: cmdutil.ExactArgs(1, "a file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
			if opts.Anchor.DocType == "" || opts.Anchor.Owner == "" {
				return cmdutil.FlagErrorf("doc anchor needs --type and --owner")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return anchorRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Anchor.DocType, "type", "", "invoice, packing-list, bill-of-lading, certificate-of-origin, certificate, customs-declaration, insurance, inspection-report or other")
	cmd.Flags().StringVar(&opts.Anchor.Owner, "owner", "", "Owning partner ID (of the acting organisation)")
	cmd.Flags().StringVar(&opts.Anchor.Name, "name", "", "Document name (default: the file name)")
	cmd.Flags().StringVar(&opts.Anchor.MediaType, "media-type", "", "Media type (default: sniffed from the content)")
	cmd.Flags().StringVar(&opts.Anchor.ShipmentID, "shipment", "", "Shipment the document belongs to")
	cmd.Flags().StringVar(&opts.Anchor.DeclarationID, "declaration", "", "Declaration the document belongs to")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func anchorRun(ctx context.Context, opts *AnchorOptions) error {
	content, err := os.ReadFile(opts.Path)
	if err != nil {
		return fmt.Errorf("reading document: %w", err)
	}
	meta := opts.Anchor
	if meta.Name == "" {
		meta.Name = filepath.Base(opts.Path)
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	a, err := c.AnchorDocument(ctx, content, meta)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, a)
	}
	fmt.Fprintf(opts.IO.Out, "anchored %s (%s, %d bytes, %s)\n  sha256 %s\n  owner  %s, anchored by %s at %s\n",
		a.Name, a.DocType, a.Size, a.MediaType, a.SHA256, a.Owner, mspOf(a.AnchoredBy), a.AnchoredAt)
	return nil
}

func mspOf(id *schemas.Identity) string {
	if id == nil {
		return "?"
	}
	return id.MSPID
}

// VerifyOptions are the inputs of `doc verify`.
type VerifyOptions struct {
	IO       *iostreams.IOStreams
	Client   func() (*client.Client, error)
	Path     string
	Expected string
	JSON     bool
}

// NewCmdVerify builds `doc verify`.
func NewCmdVerify(f *cmdutil.Factory, runF func(context.Context, *VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	cmd := &cobra.Command{
		Use:   "verify <file> [--sha256 <anchored hash>]",
		Short: "Check a document against its anchor (exit 9 if tampered)",
		Long: `Hash the file locally and compare it with the ledger. With --sha256 (the hash a
record refers to, e.g. an origin certificate's documentSha256) a file whose bytes
differ is reported as tampered (exit 9). Without it the file's own hash is looked
up, so an unknown file is not found (exit 5).`,
		Example: `  aeoledger doc verify co.pdf
  aeoledger doc verify co.pdf --sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`,
		Args: cmdutil.ExactArgs(1, "a file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return verifyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Expected, "sha256", "", "The anchored hash the file should have")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func verifyRun(ctx context.Context, opts *VerifyOptions) error {
	content, err := os.ReadFile(opts.Path)
	if err != nil {
		return fmt.Errorf("reading document: %w", err)
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	v, err := c.VerifyDocument(ctx, content, opts.Expected)
	if err != nil {
		return err
	}
	if opts.JSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, v); err != nil {
			return err
		}
	} else if v.Status == schemas.DocumentIntact {
		fmt.Fprintf(opts.IO.Out, "INTACT  %s matches the anchor of %s (%s, owner %s, anchored %s)\n", opts.Path, v.Anchor.Name, v.Anchor.DocType, v.Anchor.Owner, v.Anchor.AnchoredAt)
	} else {
		fmt.Fprintf(opts.IO.Out, "TAMPERED  %s does not match the anchor of %s\n  anchored sha256 %s\n  file     sha256 %s\n", opts.Path, v.Anchor.Name, v.SHA256, v.ActualSHA256)
	}
	if v.Status != schemas.DocumentIntact {
		return &cmdutil.ExitError{Code: cmdutil.ExitVerifyFailed, Err: fmt.Errorf("document %s is tampered: %w", opts.Path, cmdutil.ErrVerificationFailed)}
	}
	return nil
}
