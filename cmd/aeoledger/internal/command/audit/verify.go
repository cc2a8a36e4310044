package audit

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/audit/bundle"
)

// VerifyOptions are the inputs of `audit verify`.
type VerifyOptions struct {
	IO          *iostreams.IOStreams
	File        string
	TrustAnchor string   // BLOCK:HASH, optional
	TrustCAs    []string // hex SHA-256 of accepted root CA certificates, optional
	JSON        bool
}

// NewCmdVerify builds `audit verify`.
func NewCmdVerify(f *cmdutil.Factory, runF func(context.Context, *VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Verify an evidence bundle offline (exit 9 if anything fails)",
		Long: `Check an evidence bundle with no network access and no connection profile: the
file's format, canonical encoding and digest; every organisation CA certificate;
the chain of block headers from the record blocks to the checkpoint and to your
trust anchor; each block's data hash and orderer signatures; and for every
record, that its transaction is in the block, valid, signed by its creator and
endorsed by identities of the bundled CAs, that it wrote exactly the bundled
value, and for touchpoints the partner's secp256k1 signature by a key that was
registered and not revoked.

It prints a verdict per record (PASS, or FAIL with what failed: the record,
the signature, the transaction, the block link or the certificate) and exits 9
when anything fails.

--trust-anchor BLOCK:HASH pins a block header you obtained yourself (the head of
your own peer, see ` + "`aeoledger audit anchor`" + `, a published checkpoint or the genesis
block hash). Without it the chain is checked up to the bundle's own
checkpoint, which you must compare with a hash you trust.
--trust-ca pins the root CA certificates (hex SHA-256 of the DER) you accept.`,
		Example: `  aeoledger audit verify evidence.json
  aeoledger audit verify evidence.json --trust-anchor 42:9f3e…
  aeoledger audit verify evidence.json --trust-ca 5d1c… --trust-ca 77ab… --json`,
		Args: cmdutil.ExactArgs(1, "the bundle file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return VerifyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.TrustAnchor, "trust-anchor", "", "Trusted block header BLOCK:HEADERHASH the bundle's chain must reach")
	cmd.Flags().StringArrayVar(&opts.TrustCAs, "trust-ca", nil, "Accept only root CAs with this SHA-256 fingerprint (hex; repeatable)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// ParseTrust reads --trust-anchor and --trust-ca.
func ParseTrust(anchor string, cas []string) (bundle.TrustAnchor, error) {
	var ta bundle.TrustAnchor
	if anchor != "" {
		var err error
		if ta, err = bundle.ParseTrustAnchor(anchor); err != nil {
			return ta, fmt.Errorf("reading --trust-anchor: %w", err)
		}
	}
	for _, fp := range cas {
		norm := strings.ToLower(strings.ReplaceAll(fp, ":", ""))
		if raw, err := hex.DecodeString(norm); err != nil || len(raw) != 32 {
			return ta, fmt.Errorf("reading --trust-ca: %w", &schemas.FieldError{Field: "trust-ca", Value: fp, Rule: "must be the SHA-256 fingerprint of a CA certificate: 64 hex digits"})
		}
		ta.CAFingerprints = append(ta.CAFingerprints, norm)
	}
	return ta, nil
}

// VerifyRun verifies the bundle file and prints the verdict.
func VerifyRun(_ context.Context, opts *VerifyOptions) error {
	ta, err := ParseTrust(opts.TrustAnchor, opts.TrustCAs)
	if err != nil {
		return err
	}
	fh, err := os.Open(opts.File)
	if errors.Is(err, fs.ErrNotExist) {
		return &cmdutil.ExitError{Code: cmdutil.ExitNotFound, Err: fmt.Errorf("opening bundle: %w", err)}
	}
	if err != nil {
		return fmt.Errorf("opening bundle: %w", err)
	}
	defer fh.Close()
	v, err := bundle.Verify(fh, ta)
	if err != nil {
		return err
	}
	if opts.JSON {
		out, err := v.JSON()
		if err != nil {
			return err
		}
		if _, err := opts.IO.Out.Write(out); err != nil {
			return fmt.Errorf("writing verdict: %w", err)
		}
	} else if err := v.WriteText(opts.IO.Out); err != nil {
		return err
	}
	if !v.OK {
		return &cmdutil.ExitError{Code: cmdutil.ExitVerifyFailed,
			Err: fmt.Errorf("verifying evidence bundle %s: failed %s: %w", opts.File, strings.Join(v.FailedCategories(), ", "), cmdutil.ErrVerificationFailed)}
	}
	return nil
}

// AnchorOptions are the inputs of `audit anchor`.
type AnchorOptions struct {
	IO        *iostreams.IOStreams
	Client    func() (*client.Client, error)
	FromBlock uint64
	JSON      bool
}

// NewCmdAnchor builds `audit anchor`.
func NewCmdAnchor(f *cmdutil.Factory, runF func(context.Context, *AnchorOptions) error) *cobra.Command {
	opts := &AnchorOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	cmd := &cobra.Command{
		Use:   "anchor",
		Short: "Print the chain head as a trust anchor BLOCK:HASH",
		Long: `Read the blocks of the peer in the connection profile and print the newest block's
number and header hash, in the form ` + "`audit verify --trust-anchor`" + ` takes. Run it
against a peer you trust (your own organisation's) to pin a bundle someone else
built. The blocks from --from-block on are read, so pass a recent block number
(e.g. a bundle's checkpoint) on a long chain.`,
		Example: `  aeoledger audit anchor
  aeoledger audit anchor --from-block 4200 --json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return AnchorRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().Uint64Var(&opts.FromBlock, "from-block", 0, "Read blocks from this number on (the head must be at or after it)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// AnchorRun prints the chain head.
func AnchorRun(ctx context.Context, opts *AnchorOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	ta, err := bundle.HeadAnchor(ctx, bundle.SourceFunc(c.BlockRange), opts.FromBlock)
	if err != nil {
		return fmt.Errorf("reading chain head: %w", err)
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, map[string]any{"channel": c.Profile().Channel, "block": ta.Block,
			"hash": hex.EncodeToString(ta.Hash), "trustAnchor": ta.String()})
	}
	fmt.Fprintln(opts.IO.Out, ta.String())
	return nil
}
