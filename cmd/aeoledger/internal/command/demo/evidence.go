package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/audit"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/worker"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/audit/archive"
	"github.com/aeoledger/aeoledger/workers/audit/bundle"
	"github.com/aeoledger/aeoledger/workers/audit/mock"
	"github.com/aeoledger/aeoledger/workers/readmodel"
)

// evidence is what the demo's auditor receives while the node runs and
// checks after it stopped: the shipment's evidence bundle, the chain head
// read from their own peer, and a read model projected from the blocks.
type evidence struct {
	path   string
	sha256 string
	items  int
	anchor bundle.TrustAnchor
	store  *readmodel.Store
	blocks int
	arc    *archive.Store
}

func (e *evidence) close() {
	if e != nil && e.store != nil {
		_ = e.store.Close()
	}
}

// collectEvidence builds the shipment's evidence bundle into the demo
// folder, reads the chain head as the auditor's trust anchor and projects
// the blocks into the folder's SQLite read model (what `worker run` keeps).
func (j *journey) collectEvidence(ctx context.Context, dir string) (*evidence, error) {
	c, err := j.as("CustomsMSP", "user1")
	if err != nil {
		return nil, err
	}
	e := &evidence{path: filepath.Join(dir, "evidence-"+j.shipmentID+".json")}
	// Customs keeps the certificate it received in its document archive;
	// the archive's access log is anchored on the ledger.
	if e.arc, err = archive.Open(filepath.Join(dir, audit.DefaultArchiveDir), archive.Options{}); err != nil {
		return nil, err
	}
	doc, err := e.arc.Put("CustomsMSP/user1", "CO-NL-2026-0815.pdf", "", bytes.NewReader(j.certPDF))
	if err != nil {
		return nil, err
	}
	logRec, err := e.arc.AnchorLog(ctx, "customs-hamburg-docs", func(ctx context.Context, r schemas.ComplianceRecord) error {
		_, err := c.RecordCompliance(ctx, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	b, hash, err := audit.WriteBundle(ctx, c, bundle.Query{ShipmentID: j.shipmentID}, e.path)
	if err != nil {
		return nil, err
	}
	e.sha256, e.items = hash, len(b.Items)
	// The auditor does not take the bundle's checkpoint on trust: they read
	// the head from a peer of their own (here the same node).
	if e.anchor, err = bundle.HeadAnchor(ctx, bundle.SourceFunc(c.BlockRange), b.Checkpoint.Block); err != nil {
		return nil, fmt.Errorf("reading chain head: %w", err)
	}
	if e.store, err = readmodel.Open(ctx, filepath.Join(dir, worker.DefaultDBFile)); err != nil {
		return nil, err
	}
	if e.blocks, err = audit.CatchUp(ctx, e.store, c.BlockRange); err != nil {
		e.close()
		return nil, err
	}
	var nums []uint64
	for _, bl := range b.Blocks {
		nums = append(nums, bl.Number)
	}
	fmt.Fprintf(j.w, "Customs archives the certificate (sha256 %s…) in its document archive;\n", doc.SHA256[:16])
	fmt.Fprintf(j.w, "      the archive's hash-chained access log (%d entry) is anchored on the ledger.\n\n", logRec.Digest.Entries)
	fmt.Fprintf(j.w, "An auditor asks for the evidence of %s; it comes as one file they can check without us:\n", j.shipmentID)
	fmt.Fprintf(j.w, "      bundle       %s: %d records from blocks %s, with their transactions,\n", filepath.Base(e.path), e.items, ranges(nums))
	fmt.Fprintf(j.w, "                   block signatures, header chain and %d organisations' CA certificates\n", len(b.Orgs))
	fmt.Fprintf(j.w, "      sha256       %s\n", hash)
	fmt.Fprintf(j.w, "      trust anchor %s… (the chain head, read from the auditor's own peer)\n", e.anchor.String()[:min(len(e.anchor.String()), 24)])
	return e, nil
}

// verifyOffline verifies the bundle with no node running, then a copy with
// one byte changed, and says what failed.
func (e *evidence) verifyOffline(w io.Writer) error {
	raw, err := os.ReadFile(e.path)
	if err != nil {
		return fmt.Errorf("reading evidence bundle: %w", err)
	}
	v := bundle.VerifyBytes(raw, e.anchor)
	if !v.OK || !v.Anchored {
		return fmt.Errorf("verifying evidence bundle %s: %s", e.path, strings.Join(v.Failures(), "; "))
	}
	fmt.Fprintln(w, "The auditor verifies the evidence bundle offline, against their trust anchor:")
	fmt.Fprintf(w, "      evidence bundle %s: %d records VERIFIED offline (sha256 %s…)\n", filepath.Base(e.path), len(v.Items), e.sha256[:16])
	fmt.Fprintf(w, "      checked: partner signatures, creator and endorser signatures, orderer signatures,\n")
	fmt.Fprintf(w, "               write sets, data hashes, header chain to block %d, certificates to the org CAs\n", e.anchor.Block)

	// One byte changed: the excursion reading of 5.8 °C becomes 5.9 °C.
	at := bytes.Index(raw, []byte(`"temperature":5.8`))
	if at < 0 {
		return fmt.Errorf("tampering demo: the excursion reading is not in the bundle")
	}
	bad := bytes.Clone(raw)
	bad[at+len(`"temperature":5.`)] = '9'
	tv := bundle.VerifyBytes(bad, e.anchor)
	if tv.OK {
		return fmt.Errorf("tampering demo: a changed bundle verified")
	}
	fmt.Fprintf(w, "      a copy with one byte changed (excursion 5.8 °C → 5.9 °C): FAILED, failed: %s\n", strings.Join(tv.FailedCategories(), ", "))
	for _, c := range tv.Checks {
		if !c.OK {
			fmt.Fprintf(w, "        %-25s %s: %s\n", "the file", c.Category, c.Name)
		}
	}
	for _, it := range tv.Items {
		if it.OK {
			continue
		}
		for _, c := range it.Checks {
			if !c.OK {
				fmt.Fprintf(w, "        %-10s %s…  %s: %s\n", it.Kind, it.ID[:min(len(it.ID), 12)], c.Category, c.Name)
			}
		}
	}
	return nil
}

// mockAudit runs the auditor's checks over the read model and lists the
// findings briefly.
func (e *evidence) mockAudit(ctx context.Context, w io.Writer) error {
	rep, err := mock.Run(ctx, e.store, mock.Options{Archive: e.arc})
	if err != nil {
		return err
	}
	ran := 0
	for _, c := range rep.Checks {
		if c.Ran {
			ran++
		}
	}
	fmt.Fprintf(w, "Mock audit over the read model (%d blocks projected) and the document archive: %d of %d checks ran, %d finding(s):\n",
		e.blocks, ran, len(rep.Checks), len(rep.Findings))
	for _, f := range rep.Findings {
		var recs []string
		for _, r := range f.Records {
			recs = append(recs, r[:min(len(r), 12)]+"…")
		}
		fmt.Fprintf(w, "      %-8s %s: %s\n", strings.ToUpper(f.Severity), f.Check, f.Message)
		fmt.Fprintf(w, "               records %s\n", strings.Join(recs, ", "))
	}
	return nil
}

// ranges renders ascending block numbers compactly: "1-4, 7, 9-10".
func ranges(nums []uint64) string {
	var parts []string
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, fmt.Sprint(nums[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", nums[i], nums[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
