package audit

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/workers/audit/bundle"
)

// BundleOptions are the inputs of `audit bundle`.
type BundleOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	Query bundle.Query
	Out   string
	JSON  bool
}

// BundleResult is what `audit bundle` reports (--json).
type BundleResult struct {
	File       string         `json:"file"`
	SHA256     string         `json:"sha256"`
	Bytes      int64          `json:"bytes"`
	Query      bundle.Query   `json:"query"`
	Items      int            `json:"items"`
	Kinds      map[string]int `json:"kinds"`
	Blocks     []uint64       `json:"blocks"`
	Checkpoint string         `json:"checkpoint"`
	Orgs       []BundleOrg    `json:"orgs"`
}

// BundleOrg lists an organisation's bundled root CAs by fingerprint (what
// `audit verify --trust-ca` pins).
type BundleOrg struct {
	MSPID        string   `json:"mspId"`
	Fingerprints []string `json:"rootCaSha256"`
}

// NewCmdBundle builds `audit bundle`.
func NewCmdBundle(f *cmdutil.Factory, runF func(context.Context, *BundleOptions) error) *cobra.Command {
	opts := &BundleOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	cmd := &cobra.Command{
		Use:   "bundle {--shipment ID | --container NUMBER | --declaration ID | --tx TXID...} --out FILE",
		Short: "Write an evidence bundle that an auditor verifies offline",
		Long: `Scan the ledger through the peer's Deliver service (the embedded peer or a Fabric
peer) and write one file holding every version of the selected objects with
everything needed to check them offline: the partner signatures, the
transactions with creator and endorsement signatures, the blocks that hold them
with the orderer's signatures, the chain of block headers to the current head
(the checkpoint) and the CA certificates of every organisation involved, read
from the MSP folders named in the connection profile.

Select exactly one of:
  --shipment     the shipment, its touchpoints and incidents, documents,
                 declarations with their amendments, and compliance records
  --container    the touchpoints naming the container
  --declaration  the declaration, its amendments, documents, compliance records
  --tx           everything the named transactions wrote (repeatable)

It prints the file's SHA-256 (the bundle hash reports cite) and the checkpoint
BLOCK:HASH. The auditor should compare that checkpoint with the head of a peer
they trust (` + "`aeoledger audit anchor`" + `) and pass it to ` + "`audit verify --trust-anchor`" + `.
The format is documented in workers/audit/BUNDLE-FORMAT.md.`,
		Example: `  aeoledger audit bundle --shipment SHP-2026-0001 --out evidence.json
  aeoledger audit bundle --container MSCU7123459 --out box.json --from-block 1200
  aeoledger audit bundle --tx 3f2a… --tx 9b1c… --out txs.json --json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkBundleFlags(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return BundleRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Query.ShipmentID, "shipment", "", "Bundle the evidence of this shipment")
	fl.StringVar(&opts.Query.ContainerNumber, "container", "", "Bundle the touchpoints of this container number")
	fl.StringVar(&opts.Query.DeclarationID, "declaration", "", "Bundle this declaration and its amendments")
	fl.StringArrayVar(&opts.Query.TxIDs, "tx", nil, "Bundle what this transaction wrote (repeatable)")
	fl.Uint64Var(&opts.Query.FromBlock, "from-block", 0, "Start scanning at this block (records before it are not bundled)")
	fl.StringVarP(&opts.Out, "out", "o", "", "File to write the bundle to (required)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func checkBundleFlags(opts *BundleOptions) error {
	q := opts.Query
	var set []string
	for _, s := range []struct{ flag, v string }{{"--shipment", q.ShipmentID}, {"--container", q.ContainerNumber}, {"--declaration", q.DeclarationID}} {
		if s.v != "" {
			set = append(set, s.flag)
		}
	}
	if len(q.TxIDs) > 0 {
		set = append(set, "--tx")
	}
	if len(set) != 1 {
		return cmdutil.FlagErrorf("field=--shipment|--container|--declaration|--tx value=%q rule=select exactly one", strings.Join(set, " "))
	}
	for _, tx := range q.TxIDs {
		if tx == "" {
			return cmdutil.FlagErrorf("field=--tx value=\"\" rule=a transaction ID must not be empty")
		}
	}
	if opts.Out == "" {
		return cmdutil.FlagErrorf("field=--out value=\"\" rule=the file to write the bundle to is required")
	}
	return nil
}

// BundleRun builds the bundle from the ledger and writes it.
func BundleRun(ctx context.Context, opts *BundleOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	b, hash, err := WriteBundle(ctx, c, opts.Query, opts.Out)
	if err != nil {
		return err
	}
	res, err := describeBundle(b, opts.Out, hash)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, res)
	}
	printBundle(opts.IO, res)
	return nil
}

// WriteBundle builds the bundle q selects from the client's peer, with the
// CA certificates of the profile's MSP folders, and writes it to out.
// It returns the bundle and the file's SHA-256.
func WriteBundle(ctx context.Context, c *client.Client, q bundle.Query, out string) (*bundle.Bundle, string, error) {
	cas, err := ProfileCAs(c.Profile())
	if err != nil {
		return nil, "", err
	}
	b, err := bundle.Build(ctx, bundle.SourceFunc(c.BlockRange), q, bundle.BuildOptions{Orgs: cas})
	if errors.Is(err, bundle.ErrNotFound) {
		return nil, "", &cmdutil.ExitError{Code: cmdutil.ExitNotFound, Err: err}
	}
	if err != nil {
		return nil, "", err
	}
	hash, err := b.WriteFile(out)
	if err != nil {
		return nil, "", err
	}
	return b, hash, nil
}

func describeBundle(b *bundle.Bundle, path, hash string) (*BundleResult, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading bundle size: %w", err)
	}
	res := &BundleResult{File: path, SHA256: hash, Bytes: st.Size(), Query: b.Query, Items: len(b.Items), Kinds: map[string]int{},
		Checkpoint: b.Checkpoint.String()}
	for _, it := range b.Items {
		res.Kinds[it.Kind]++
	}
	for _, bl := range b.Blocks {
		res.Blocks = append(res.Blocks, bl.Number)
	}
	for _, o := range b.Orgs {
		org := BundleOrg{MSPID: o.MSPID}
		for _, p := range o.RootCerts {
			if blk, _ := pem.Decode([]byte(p)); blk != nil {
				org.Fingerprints = append(org.Fingerprints, bundle.CertFingerprint(blk.Bytes))
			}
		}
		res.Orgs = append(res.Orgs, org)
	}
	return res, nil
}

func printBundle(ios *iostreams.IOStreams, r *BundleResult) {
	w := ios.Out
	fmt.Fprintf(w, "wrote evidence bundle %s: %d records (%s) from %d blocks, %d bytes\n", r.File, r.Items, kindsSummary(r.Kinds), len(r.Blocks), r.Bytes)
	fmt.Fprintf(w, "  sha256       %s\n", r.SHA256)
	fmt.Fprintf(w, "  checkpoint   %s\n", r.Checkpoint)
	for _, o := range r.Orgs {
		fmt.Fprintf(w, "  CA %-12s sha256 %s\n", o.MSPID, strings.Join(o.Fingerprints, ", "))
	}
	fmt.Fprintf(w, "Compare the checkpoint with the head of a peer you trust (aeoledger audit anchor), then:\n")
	fmt.Fprintf(w, "  aeoledger audit verify %s --trust-anchor %s\n", r.File, r.Checkpoint)
}

// kindsSummary renders item counts by kind in a fixed order.
func kindsSummary(kinds map[string]int) string {
	var parts []string
	for _, k := range []string{bundle.KindShipment, bundle.KindTouchpoint, bundle.KindDeclaration, bundle.KindAmendment,
		bundle.KindDocument, bundle.KindCompliance, bundle.KindPartner} {
		if n := kinds[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	return strings.Join(parts, ", ")
}
