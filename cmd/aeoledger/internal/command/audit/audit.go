// Package audit implements `aeoledger audit`: evidence bundles that an
// auditor verifies offline (bundle, verify, anchor), exports of the read
// model for auditors (export) and the mock audit (mock). The logic lives in
// workers/audit; this package reads flags, resolves the profile, the ledger
// client and the read model, and prints results.
package audit

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"sort"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/aeoledger/aeoledger/network/profile"
	"github.com/aeoledger/aeoledger/workers/audit/bundle"
	"github.com/aeoledger/aeoledger/workers/blocks"
	"github.com/aeoledger/aeoledger/workers/readmodel"
)

// NewCmdAudit groups the audit commands.
func NewCmdAudit(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit <command>",
		RunE:  cmdutil.GroupRunE,
		Short: "Evidence bundles verifiable offline, auditor exports and the mock audit",
		Long: `Answer an auditor with proof: an evidence bundle is one file holding the records,
their partner signatures, the transactions with their creator and endorsement
signatures, the blocks with the orderer's signatures, the header chain to a
checkpoint and the organisations' CA certificates. ` + "`audit verify`" + ` checks it with
no network and names what failed: the record, the signature, the transaction,
the block link or the certificate. The format is documented in
workers/audit/BUNDLE-FORMAT.md.`,
		Example: `  aeoledger audit bundle --shipment SHP-2026-0001 --out evidence.json
  aeoledger audit verify evidence.json --trust-anchor 42:9f3e…
  aeoledger audit export --from 2026-01-01 --to 2026-12-31 --format pdf --out audit.pdf --bundle audit-evidence.json
  aeoledger audit mock --from 2026-01-01 --to 2026-12-31`,
	}
	cmd.AddCommand(NewCmdBundle(f, nil), NewCmdVerify(f, nil), NewCmdAnchor(f, nil), NewCmdExport(f, nil), NewCmdMock(f, nil), NewCmdArchive(f))
	return cmd
}

// ProfileCAs resolves organisations' CA certificates from the MSP folders a
// connection profile names: orgs[].msp, orderers[].msp and peers[].msp.
// A Fabric profile must list the orderer and peer organisations' MSP
// folders, since their identities sign blocks and endorsements.
func ProfileCAs(p *profile.Profile) (bundle.CAResolver, error) {
	dirs := map[string]string{}
	add := func(id, dir string) {
		if id != "" && dir != "" {
			if _, ok := dirs[id]; !ok {
				dirs[id] = p.Resolve(dir)
			}
		}
	}
	ids := p.OrgIDs()
	for _, id := range ids {
		add(id, p.Orgs[id].MSP)
	}
	for _, n := range append(append([]profile.Node{}, p.Orderers...), p.Peers...) {
		add(n.MSPID, n.MSP)
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("resolving CA certificates: field=orgs[].msp value=\"\" rule=the profile must name the MSP folder of every organisation that signs transactions or blocks: %w", profile.ErrInvalid)
	}
	names := make([]string, 0, len(dirs))
	for id := range dirs {
		names = append(names, id)
	}
	sort.Strings(names)
	var msps []*msp.MSP
	for _, id := range names {
		m, err := msp.Load(id, dirs[id])
		if err != nil {
			return nil, fmt.Errorf("loading MSP %s from %s: %w", id, dirs[id], err)
		}
		msps = append(msps, m)
	}
	mgr, err := msp.NewManager(msps...)
	if err != nil {
		return nil, fmt.Errorf("loading MSPs: %w", err)
	}
	return bundle.MSPCAs(mgr), nil
}

// BlockRange streams committed blocks from a block number to the chain head
// ((*client.Client).BlockRange has this shape).
type BlockRange func(ctx context.Context, from uint64) iter.Seq2[*common.Block, error]

// CatchUp projects the blocks after the read model's checkpoint, up to the
// chain head, into the read model and returns how many it applied. It only
// projects: unlike `worker run` it writes no conclusions back to the
// ledger, so an auditor's read-only identity suffices.
func CatchUp(ctx context.Context, store *readmodel.Store, blocksFrom BlockRange) (int, error) {
	cp, err := store.Checkpoint(ctx)
	if err != nil {
		return 0, fmt.Errorf("catching up read model: %w", err)
	}
	// Read from the last applied block, which exists (Apply skips it):
	// asking a peer for the block after the head is refused (BAD_REQUEST),
	// and a read model already at the head must not fail.
	from := uint64(0)
	if cp.Applied {
		from = cp.Block
	}
	applied := 0
	for raw, err := range blocksFrom(ctx, from) {
		if err != nil {
			return applied, fmt.Errorf("catching up read model: %w", err)
		}
		b, err := blocks.Parse(raw)
		if err != nil {
			return applied, fmt.Errorf("catching up read model: %w", err)
		}
		ok, err := store.Apply(ctx, b)
		if err != nil {
			return applied, fmt.Errorf("catching up read model: %w", err)
		}
		if ok {
			applied++
		}
	}
	return applied, nil
}

// writeAtomically writes a file through a temporary file in the same
// folder, so that a failure leaves nothing at path.
func writeAtomically(path string, write func(f *os.File) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
