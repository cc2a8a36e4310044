// Package ledger implements `aeoledger ledger verify`: chain verification of
// the blocks a peer delivers, on the embedded peer or a Fabric network.
package ledger

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/network/msp"
)

// NewCmdLedger groups the ledger commands.
func NewCmdLedger(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ledger <command>",
		RunE:    cmdutil.GroupRunE,
		Short:   "Verify the block chain",
		Example: "  aeoledger ledger verify",
	}
	cmd.AddCommand(NewCmdVerify(f, nil))
	return cmd
}

// VerifyOptions are the inputs of `ledger verify`.
type VerifyOptions struct {
	IO      *iostreams.IOStreams
	Client  func() (*client.Client, error)
	Genesis bool   // accept an unsigned genesis block (Fabric's configtxgen)
	Network string // offline: verify a stopped embedded node's ledger files
	JSON    bool
}

// Result is the --json output.
type Result struct {
	Channel           string   `json:"channel"`
	OK                bool     `json:"ok"`
	FirstBlock        uint64   `json:"firstBlock"`
	Blocks            uint64   `json:"blocks"`
	Transactions      int      `json:"transactions"`
	ValidTransactions int      `json:"validTransactions"`
	LastHash          string   `json:"lastHash"`
	Signers           []string `json:"signers"`
	TrustedOrderers   []string `json:"trustedOrderers"`
	StateChecked      bool     `json:"stateChecked"`
	StateKeys         int      `json:"stateKeys,omitempty"`
	Failure           string   `json:"failure,omitempty"`
	FailedBlock       *uint64  `json:"failedBlock,omitempty"`
	FailedCheck       string   `json:"failedCheck,omitempty"`
}

// NewCmdVerify builds `ledger verify`.
func NewCmdVerify(f *cmdutil.Factory, runF func(context.Context, *VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify hash links, data hashes and orderer signatures of every block (exit 9 if broken)",
		Long: `Read the channel's blocks through the peer's Deliver service and check, block by
block: consecutive numbers, each previous-hash against the previous header, each
data hash against the transactions, the validation flags, and every orderer
signature, whose certificate must chain to an orderer organisation listed in the
connection profile (orderers[].msp) and must have been valid at the block's time
(its newest transaction timestamp), so old evidence still verifies after a
certificate expires. The same check runs against the embedded peer and a Fabric
network.

With --network the ledger files of a stopped embedded node are read directly
(no node, no profile needed), and the world state is also replayed from the
valid write sets of every block and compared with the stored state.`,
		Example: `  aeoledger ledger verify
  aeoledger ledger verify --json
  aeoledger ledger verify --profile fabric/connection.yaml --msp Org1MSP --unsigned-genesis
  aeoledger ledger verify --network ./aeonet   # node stopped: files, chain and replayed state`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			if opts.Network != "" {
				return RunOffline(opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Network, "network", "", "Verify the ledger files of a stopped embedded node in this dev network folder")
	cmd.Flags().BoolVar(&opts.Genesis, "unsigned-genesis", false, "Accept an unsigned block 0, as Fabric's configtxgen writes it")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// Run verifies the chain and prints the report.
func Run(ctx context.Context, opts *VerifyOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	p := c.Profile()
	trusted := map[string]*msp.MSP{}
	var names []string
	for _, o := range p.Orderers {
		if o.MSP == "" || trusted[o.MSPID] != nil { // several orderers of one org (SmartBFT) name it once
			continue
		}
		m, err := msp.Load(o.MSPID, p.Resolve(o.MSP))
		if err != nil {
			return fmt.Errorf("loading orderer MSP %s: %w", o.MSPID, err)
		}
		trusted[o.MSPID] = m
		names = append(names, o.MSPID)
	}
	if len(trusted) == 0 {
		return fmt.Errorf("verifying ledger: field=orderers value=\"\" rule=the profile must list the orderer organisations with their MSP folder (orderers[].msp): %w", cmdutil.ErrVerificationFailed)
	}
	vopts := ledger.VerifyOptions{UnsignedGenesis: opts.Genesis, CheckSigner: trustedSigner(trusted, names)}
	rep, verr := ledger.VerifyChain(c.BlockRange(ctx, 0), vopts)
	return report(opts, p.Channel, names, rep, verr)
}

// trustedSigner accepts block signers whose certificate chains to one of the
// trusted orderer MSPs.
func trustedSigner(trusted map[string]*msp.MSP, names []string) func(uint64, time.Time, string, *x509.Certificate) error {
	return func(block uint64, at time.Time, mspID string, cert *x509.Certificate) error {
		m, ok := trusted[mspID]
		if !ok {
			return fmt.Errorf("signer MSP %s is not a trusted orderer organisation %v", mspID, names)
		}
		// The certificate must have been valid when the block was made; a
		// block with no transaction time is checked against now.
		if at.IsZero() {
			at = time.Now()
		}
		role, err := m.Validate(cert, at)
		if err != nil {
			return err
		}
		// An admin or client of the orderer organisation chains to the same
		// CA but does not cut blocks: only orderer identities (or any member
		// where the MSP has no NodeOUs) may sign them.
		if role != msp.RoleOrderer && role != msp.RoleMember {
			return fmt.Errorf("block %d signer %q of %s has role %s: rule=blocks must be signed by an orderer identity", block, cert.Subject.CommonName, mspID, role)
		}
		return nil
	}
}

// RunOffline verifies the ledger files of a stopped embedded node: the chain
// as Run does, each stored block byte for byte, and the world state replayed
// from the blocks against the stored one.
func RunOffline(opts *VerifyOptions) error {
	n, err := devnet.Load(opts.Network)
	if err != nil {
		return err
	}
	dataDir := filepath.Join(n.Dir, "data")
	if _, err := os.Stat(filepath.Join(dataDir, ledger.DBFileName)); err != nil {
		return fmt.Errorf("verifying ledger files: field=--network value=%q rule=must hold a node's ledger (%s): %w", opts.Network, filepath.Join("data", ledger.DBFileName), err)
	}
	trusted := map[string]*msp.MSP{}
	var names []string
	for _, o := range n.Orderers {
		m, err := msp.Load(o.MSPID, o.MSP)
		if err != nil {
			return fmt.Errorf("loading orderer MSP %s: %w", o.MSPID, err)
		}
		trusted[o.MSPID], names = m, append(names, o.MSPID)
	}
	signer, err := n.OrdererSigner()
	if err != nil {
		return err
	}
	l, err := ledger.Open(dataDir, ledger.Options{ChannelID: n.Channel, Signer: signer})
	if err != nil {
		return fmt.Errorf("opening the ledger (is the node still running? stop it first): %w", err)
	}
	rep, verr := l.Verify(ledger.VerifyOptions{CheckSigner: trustedSigner(trusted, names)})
	if err := l.Close(); err != nil && verr == nil {
		return err
	}
	return report(opts, n.Channel, names, rep, verr)
}

func report(opts *VerifyOptions, channel string, names []string, rep *ledger.Report, verr error) error {
	res := Result{Channel: channel, OK: verr == nil, TrustedOrderers: names}
	if rep != nil {
		res.StateChecked, res.StateKeys = rep.StateChecked, rep.StateKeys
		res.FirstBlock, res.Blocks, res.Transactions, res.ValidTransactions = rep.FirstBlock, rep.Blocks, rep.Transactions, rep.ValidTransactions
		res.LastHash, res.Signers = hex.EncodeToString(rep.LastHash), slices.Clone(rep.Signers)
	}
	var ve *ledger.VerifyError
	if verr != nil {
		res.Failure = verr.Error()
		if errors.As(verr, &ve) {
			res.FailedBlock, res.FailedCheck = &ve.Block, ve.Check
		}
	}
	if verr != nil && ve == nil {
		// Not a chain defect: the blocks could not be read.
		return verr
	}
	if opts.JSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, res); err != nil {
			return err
		}
	} else {
		printResult(opts, res)
	}
	if verr != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitVerifyFailed, Err: fmt.Errorf("verifying ledger: %w: %w", verr, cmdutil.ErrVerificationFailed)}
	}
	return nil
}

func printResult(opts *VerifyOptions, r Result) {
	w := opts.IO.Out
	if r.OK {
		fmt.Fprintf(w, "ledger %s VERIFIED: blocks %d-%d (%d blocks), %d transactions, %d valid\n",
			r.Channel, r.FirstBlock, r.FirstBlock+r.Blocks-1, r.Blocks, r.Transactions, r.ValidTransactions)
	} else {
		fmt.Fprintf(w, "ledger %s BROKEN at block %d (%s check): %s\n", r.Channel, *r.FailedBlock, r.FailedCheck, r.Failure)
		fmt.Fprintf(w, "  blocks before it verified: %d\n", r.Blocks)
	}
	fmt.Fprintln(w, "  hash chain  each block's previous-hash is the SHA-256 of the previous header; data hashes match")
	fmt.Fprintf(w, "  signatures  every block signed by %s, chaining to the trusted orderer CA(s) %s\n",
		strings.Join(r.Signers, ", "), strings.Join(r.TrustedOrderers, ", "))
	if r.StateChecked {
		fmt.Fprintf(w, "  world state replaying the valid write sets of every block gives the stored state (%d keys)\n", r.StateKeys)
	}
	if r.LastHash != "" {
		fmt.Fprintf(w, "  last block  #%d header hash %s\n", r.FirstBlock+r.Blocks-1, r.LastHash)
	}
}
