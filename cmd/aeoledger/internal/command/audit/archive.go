package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/worker"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/audit/archive"
	"github.com/aeoledger/aeoledger/workers/readmodel"
)

// DefaultArchiveDir is the archive folder's name beside the profile.
const DefaultArchiveDir = "archive"

// ArchiveOptions are the inputs of the `audit archive` commands.
type ArchiveOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	// Actor names who reads or writes for the access log (MSP/identity).
	Actor func() (string, error)
	ReadModelOptions

	Dir  string
	JSON bool

	// put
	File          string
	DocType       string
	Owner         string
	MediaType     string
	ShipmentID    string
	DeclarationID string
	// get
	SHA256 string
	Out    string
	// anchor-log
	ArchiveID string
}

// NewCmdArchive groups the document archive commands.
func NewCmdArchive(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "archive <command>",
		RunE:  cmdutil.GroupRunE,
		Short: "Keep documents in a content-addressed archive whose hashes the ledger anchors",
		Long: `The document archive keeps invoices, packing lists, bills of lading and
certificates on the local disk under their SHA-256, and the ledger anchors each
hash. Every read and write is appended to a hash-chained access log, whose
digests ` + "`archive anchor-log`" + ` records on the ledger. Path traversal, files above 32 MiB
and media types other than PDF, images, text, XML and zip-based office files are
refused.`,
		Example: `  aeoledger audit archive put invoice.pdf --type invoice --owner acme-export --shipment SHP-2026-0001
  aeoledger audit archive get 9f3e… --out invoice.pdf
  aeoledger audit archive anchor-log
  aeoledger audit archive verify`,
	}
	cmd.AddCommand(NewCmdArchivePut(f, nil), NewCmdArchiveGet(f, nil), NewCmdArchiveVerify(f, nil), NewCmdArchiveAnchorLog(f, nil))
	return cmd
}

func newArchiveOptions(f *cmdutil.Factory) *ArchiveOptions {
	return &ArchiveOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") },
		Actor: func() (string, error) {
			p, err := f.LoadProfile()
			if err != nil {
				return "", err
			}
			msp, id, err := f.Identity(p, "")
			if err != nil {
				return "", err
			}
			return msp + "/" + id, nil
		}}
}

func addArchiveFlag(f *cmdutil.Factory, cmd *cobra.Command, opts *ArchiveOptions) {
	cmd.Flags().StringVar(&opts.Dir, "archive", "", "Archive folder (default "+DefaultArchiveDir+"/ beside the profile)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if opts.Dir == "" {
			opts.Dir = filepath.Join(filepath.Dir(f.ProfilePath()), DefaultArchiveDir)
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

func runOr(runF func(context.Context, *ArchiveOptions) error, run func(context.Context, *ArchiveOptions) error, opts *ArchiveOptions) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return run(cmd.Context(), opts)
	}
}

// NewCmdArchivePut builds `audit archive put`.
func NewCmdArchivePut(f *cmdutil.Factory, runF func(context.Context, *ArchiveOptions) error) *cobra.Command {
	opts := newArchiveOptions(f)
	cmd := &cobra.Command{
		Use:     "put FILE --type DOCTYPE --owner PARTNER",
		Short:   "Store a document in the archive and anchor its hash on the ledger",
		Example: `  aeoledger audit archive put CO-NL-2026-0815.pdf --type certificate-of-origin --owner rotterdam-chamber --shipment SHP-2026-0001`,
		Args:    cmdutil.ExactArgs(1, "the document file"),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if opts.DocType == "" || opts.Owner == "" {
				return cmdutil.FlagErrorf("field=--type/--owner value=%q rule=the document type and the owning partner are required", opts.DocType+"/"+opts.Owner)
			}
			return nil
		},
		RunE: runOr(runF, ArchivePutRun, opts),
	}
	cmd.Flags().StringVar(&opts.DocType, "type", "", "Document type, e.g. invoice, packing-list, bill-of-lading, certificate-of-origin")
	cmd.Flags().StringVar(&opts.Owner, "owner", "", "Partner ID (of your organisation) that owns the document")
	cmd.Flags().StringVar(&opts.MediaType, "media-type", "", "Expected media type; must match the sniffed one")
	cmd.Flags().StringVar(&opts.ShipmentID, "shipment", "", "Shipment the document belongs to")
	cmd.Flags().StringVar(&opts.DeclarationID, "declaration", "", "Declaration the document belongs to")
	addArchiveFlag(f, cmd, opts)
	return cmd
}

// ArchivePutRun stores the document, then anchors it.
func ArchivePutRun(ctx context.Context, opts *ArchiveOptions) error {
	content, err := os.ReadFile(opts.File)
	if err != nil {
		return fmt.Errorf("reading document: %w", err)
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	arc, err := archive.Open(opts.Dir, archive.Options{})
	if err != nil {
		return err
	}
	doc, err := arc.Put(c.MSPID()+"/"+c.IdentityName(), filepath.Base(opts.File), opts.MediaType, bytes.NewReader(content))
	if err != nil {
		return err
	}
	anchor, err := c.AnchorDocument(ctx, content, schemas.DocumentAnchor{DocType: opts.DocType, Owner: opts.Owner, Name: doc.Name,
		MediaType: doc.MediaType, ShipmentID: opts.ShipmentID, DeclarationID: opts.DeclarationID})
	already := errors.Is(err, client.ErrDuplicate)
	if err != nil && !already {
		return fmt.Errorf("anchoring %s (stored in the archive, not anchored): %w", doc.SHA256, err)
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, map[string]any{"document": doc, "anchor": anchor, "alreadyAnchored": already})
	}
	fmt.Fprintf(opts.IO.Out, "archived %s (%d bytes, %s) as %s\n", doc.Name, doc.Size, doc.MediaType, doc.SHA256)
	if already {
		fmt.Fprintln(opts.IO.Out, "  the ledger already anchors this hash")
	} else {
		fmt.Fprintf(opts.IO.Out, "  anchored on the ledger by %s at %s\n", anchor.AnchoredBy.MSPID, anchor.AnchoredAt)
	}
	return nil
}

// NewCmdArchiveGet builds `audit archive get`.
func NewCmdArchiveGet(f *cmdutil.Factory, runF func(context.Context, *ArchiveOptions) error) *cobra.Command {
	opts := newArchiveOptions(f)
	cmd := &cobra.Command{
		Use:     "get SHA256 --out FILE",
		Short:   "Read a document from the archive (the read is logged; exit 9 if its bytes no longer match)",
		Example: `  aeoledger audit archive get 9f3e… --out invoice.pdf`,
		Args:    cmdutil.ExactArgs(1, "the document's SHA-256"),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			opts.SHA256 = args[0]
			if opts.Out == "" {
				return cmdutil.FlagErrorf("field=--out value=\"\" rule=the file to write the document to is required")
			}
			return nil
		},
		RunE: runOr(runF, ArchiveGetRun, opts),
	}
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "", "File to write the document to (required)")
	addArchiveFlag(f, cmd, opts)
	return cmd
}

// ArchiveGetRun reads the document and writes it out.
func ArchiveGetRun(_ context.Context, opts *ArchiveOptions) error {
	actor, err := opts.Actor()
	if err != nil {
		return err
	}
	arc, err := archive.Open(opts.Dir, archive.Options{})
	if err != nil {
		return err
	}
	content, err := arc.Get(actor, opts.SHA256)
	if errors.Is(err, archive.ErrNotFound) {
		return &cmdutil.ExitError{Code: cmdutil.ExitNotFound, Err: err}
	}
	if err != nil {
		return err
	}
	sum := sha256.Sum256(content)
	if got := hex.EncodeToString(sum[:]); got != opts.SHA256 {
		return &cmdutil.ExitError{Code: cmdutil.ExitVerifyFailed, Err: fmt.Errorf("document %s is tampered: its bytes hash to %s; nothing written: %w", opts.SHA256, got, cmdutil.ErrVerificationFailed)}
	}
	if err := writeAtomically(opts.Out, func(fh *os.File) error {
		_, err := fh.Write(content)
		return err
	}); err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, map[string]any{"sha256": opts.SHA256, "bytes": len(content), "file": opts.Out})
	}
	fmt.Fprintf(opts.IO.Out, "wrote %s (%d bytes, sha256 matches); the read is in the access log as %s\n", opts.Out, len(content), actor)
	return nil
}

// NewCmdArchiveAnchorLog builds `audit archive anchor-log`.
func NewCmdArchiveAnchorLog(f *cmdutil.Factory, runF func(context.Context, *ArchiveOptions) error) *cobra.Command {
	opts := newArchiveOptions(f)
	cmd := &cobra.Command{
		Use:   "anchor-log",
		Short: "Anchor a digest of the access log entries written since the last anchor",
		Long: `Record on the ledger, as a compliance record of kind access-log-digest, the range,
count and chain head of the access log entries written since the last anchor.
Run it periodically (e.g. from cron); with nothing new it does nothing.`,
		Example: `  aeoledger audit archive anchor-log --archive-id hamburg-docs`,
		Args:    cmdutil.NoArgs,
		RunE:    runOr(runF, ArchiveAnchorLogRun, opts),
	}
	cmd.Flags().StringVar(&opts.ArchiveID, "archive-id", "default", "Name of this archive on the ledger")
	addArchiveFlag(f, cmd, opts)
	return cmd
}

// ArchiveAnchorLogRun anchors the access log's new entries.
func ArchiveAnchorLogRun(ctx context.Context, opts *ArchiveOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	arc, err := archive.Open(opts.Dir, archive.Options{})
	if err != nil {
		return err
	}
	rec, err := arc.AnchorLog(ctx, opts.ArchiveID, func(ctx context.Context, r schemas.ComplianceRecord) error {
		_, err := c.RecordCompliance(ctx, r)
		return err
	})
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, map[string]any{"anchored": rec != nil, "record": rec})
	}
	if rec == nil {
		fmt.Fprintln(opts.IO.Out, "nothing new in the access log since the last anchor")
		return nil
	}
	d := rec.Digest
	fmt.Fprintf(opts.IO.Out, "anchored access log entries %d-%d (%d), chain head %s\n", d.FromSeq, d.ToSeq, d.Entries, d.HeadSHA256)
	return nil
}

// NewCmdArchiveVerify builds `audit archive verify`.
func NewCmdArchiveVerify(f *cmdutil.Factory, runF func(context.Context, *ArchiveOptions) error) *cobra.Command {
	opts := newArchiveOptions(f)
	var rm worker.ReadModel
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the archive against the ledger's anchors (exit 9 on tampering or a broken log)",
		Long: `Check the access log's hash chain and the digests of it anchored on the ledger,
and that every document the archive holds still hashes to its ledger anchor.
Anchors and digests are read from the read model, which is first brought up to
date from the ledger (--no-catch-up reads it as it is). Documents anchored on
the ledger but never stored in this archive are not its concern.`,
		Example: `  aeoledger audit archive verify
  aeoledger audit archive verify --archive ./archive --json`,
		Args: cmdutil.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			dsn, err := rm.DSN(f)
			opts.DSN = dsn
			return err
		},
		RunE: runOr(runF, ArchiveVerifyRun, opts),
	}
	addArchiveFlag(f, cmd, opts)
	addReadModelFlags(cmd, &rm, &opts.ReadModelOptions)
	return cmd
}

// ArchiveVerifyRun verifies the archive.
func ArchiveVerifyRun(ctx context.Context, opts *ArchiveOptions) error {
	if st, err := os.Stat(opts.Dir); err != nil || !st.IsDir() {
		return fmt.Errorf("verifying archive: %w", &schemas.FieldError{Field: "--archive", Value: opts.Dir, Rule: "must be an existing archive folder"})
	}
	arc, err := archive.Open(opts.Dir, archive.Options{})
	if err != nil {
		return err
	}
	held := map[string]bool{}
	for e, err := range arc.Entries() {
		if err != nil {
			return fmt.Errorf("reading access log: %w", err)
		}
		if e.Action == archive.ActionWrite {
			held[e.SHA256] = true
		}
	}
	store, _, err := openReadModel(ctx, opts.ReadModelOptions, opts.Client)
	if err != nil {
		return err
	}
	defer store.Close()
	var anchors []schemas.DocumentAnchor
	if err := store.Documents(ctx, readmodel.DocumentFilter{}, func(d readmodel.DocumentRow) error {
		if held[d.SHA256] {
			anchors = append(anchors, d.DocumentAnchor)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("reading document anchors: %w", err)
	}
	var digests []schemas.AccessLogDigest
	if err := store.Compliance(ctx, readmodel.ComplianceFilter{Kind: schemas.KindAccessLogDigest}, func(c readmodel.ComplianceRow) error {
		if c.Digest != nil {
			digests = append(digests, *c.Digest)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("reading access log digests: %w", err)
	}
	rep, err := arc.Verify(anchors, digests)
	if err != nil {
		return err
	}
	if opts.JSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, rep); err != nil {
			return err
		}
	} else {
		w := opts.IO.Out
		fmt.Fprintf(w, "archive %s: %d documents anchored, %d intact; access log %d entries, %d anchored digests\n",
			opts.Dir, rep.Documents, rep.Intact, rep.Entries, len(digests))
		for _, p := range rep.Problems {
			fmt.Fprintf(w, "  %-16s %s\n", p.Kind, p.Detail)
		}
	}
	if !rep.OK() {
		return &cmdutil.ExitError{Code: cmdutil.ExitVerifyFailed, Err: fmt.Errorf("verifying archive %s: %d problem(s): %w", opts.Dir, len(rep.Problems), cmdutil.ErrVerificationFailed)}
	}
	return nil
}
