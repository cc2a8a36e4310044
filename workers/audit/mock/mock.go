// Package mock runs the checks an AEO auditor would run over the read model
// and the document archive, and reports findings that each cite the ledger
// records they rest on:
//
//   - seal-chain-gap: a container loaded or departed with no seal affixed,
//     or a seal affixed while another one was still on the container;
//   - seal-not-affixed: a seal verified, broken or removed that was never
//     recorded as affixed on the shipment;
//   - incident-without-response: a broken seal, failed seal check or
//     temperature excursion with no incident response (an incident record
//     that refers to it, a compliance incident or an acknowledged alert about
//     it or its shipment);
//   - signed-after-revocation: a record signed by a key after the key's
//     revocation;
//   - classification-unapproved: an HS code amendment in force without an
//     approval by a second identity;
//   - document-tampered: an anchored document whose archived bytes no longer
//     match the anchor, or that is missing;
//   - score-unreviewed: a declaration whose compliance score is below its
//     review threshold with no alert acknowledged or incident recorded about
//     it;
//   - screening-cleared-without-reason: a screening hit cleared with an empty
//     or one-word reason;
//   - access-log-chain-break: the archive's access log chain is broken or
//     differs from a digest anchored on the ledger.
//
// Output: text (WriteText), JSON (JSON) and PDF (WritePDF).
package mock

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/audit/archive"
	"github.com/aeoledger/aeoledger/workers/readmodel"
)

// Check names.
const (
	CheckSealChainGap      = "seal-chain-gap"
	CheckSealNotAffixed    = "seal-not-affixed"
	CheckNoResponse        = "incident-without-response"
	CheckRevokedKey        = "signed-after-revocation"
	CheckUnapprovedHS      = "classification-unapproved"
	CheckDocumentTampered  = "document-tampered"
	CheckScoreUnreviewed   = "score-unreviewed"
	CheckClearedNoReason   = "screening-cleared-without-reason"
	CheckAccessLogBreak    = "access-log-chain-break"
	minClearanceReasonWord = 2
)

// Finding is one problem, with the IDs of the ledger records it rests on
// (record IDs, declaration/amendment IDs, compliance record IDs, document
// hashes, access log sequence numbers).
type Finding struct {
	Check    string   `json:"check"`
	Severity string   `json:"severity"`
	Subject  string   `json:"subject"`
	Message  string   `json:"message"`
	Records  []string `json:"records"`
}

// CheckResult says whether a check ran and how many findings it made.
type CheckResult struct {
	Name     string `json:"name"`
	Ran      bool   `json:"ran"`
	Findings int    `json:"findings"`
	Note     string `json:"note,omitempty"`
}

// Report is the outcome of Run.
type Report struct {
	From        string        `json:"from,omitempty"`
	To          string        `json:"to,omitempty"`
	GeneratedAt string        `json:"generatedAt"`
	Checks      []CheckResult `json:"checks"`
	Findings    []Finding     `json:"findings"`
}

// Options tune Run.
type Options struct {
	// From and To bound the records examined by their own date
	// (YYYY-MM-DD, inclusive; zero = unbounded).
	From, To string
	// Archive, if set, is checked against the document anchors and the
	// access-log digests on the ledger; without it those two checks are
	// reported as not run.
	Archive *archive.Store
	// Now stamps the report (default time.Now).
	Now func() time.Time
}

func (o Options) inRange(t string) bool {
	if len(t) < 10 {
		return o.From == "" && o.To == ""
	}
	d := t[:10]
	return (o.From == "" || d >= o.From) && (o.To == "" || d <= o.To)
}

// Run runs every check over the read model (and the archive when given).
// Bad options return a *schemas.FieldError.
func Run(ctx context.Context, s *readmodel.Store, opts Options) (*Report, error) {
	for field, v := range map[string]string{"from": opts.From, "to": opts.To} {
		if v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return nil, fmt.Errorf("running mock audit: %w", &schemas.FieldError{Field: field, Value: v, Rule: "must be a date YYYY-MM-DD"})
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &auditor{ctx: ctx, s: s, o: opts, rep: &Report{From: opts.From, To: opts.To, GeneratedAt: opts.Now().UTC().Format(time.RFC3339)}}
	steps := []struct {
		name string
		fn   func() (string, error)
	}{
		{CheckSealChainGap + "," + CheckSealNotAffixed, a.seals},
		{CheckNoResponse, a.responses},
		{CheckRevokedKey, a.revoked},
		{CheckUnapprovedHS, a.classification},
		{CheckScoreUnreviewed, a.scores},
		{CheckClearedNoReason, a.clearances},
		{CheckDocumentTampered + "," + CheckAccessLogBreak, a.archive},
	}
	for _, st := range steps {
		note, err := st.fn()
		if err != nil {
			return nil, fmt.Errorf("running mock audit: %s: %w", st.name, err)
		}
		for _, name := range strings.Split(st.name, ",") {
			n := 0
			for _, f := range a.rep.Findings {
				if f.Check == name {
					n++
				}
			}
			a.rep.Checks = append(a.rep.Checks, CheckResult{Name: name, Ran: !strings.HasPrefix(note, notRun), Findings: n, Note: strings.TrimPrefix(note, notRun)})
		}
	}
	return a.rep, nil
}

const notRun = "not run: "

type auditor struct {
	ctx context.Context
	s   *readmodel.Store
	o   Options
	rep *Report
}

func (a *auditor) find(check, severity, subject, msg string, records ...string) {
	a.rep.Findings = append(a.rep.Findings, Finding{Check: check, Severity: severity, Subject: subject, Message: msg, Records: records})
}

// seals walks every shipment's touchpoints in event order.
func (a *auditor) seals() (string, error) {
	type sealState struct {
		state   string // affixed, broken, removed
		affixID string
	}
	type shipState struct {
		seals map[string]*sealState
	}
	ships := map[string]*shipState{}
	err := a.s.Touchpoints(a.ctx, readmodel.TouchpointFilter{}, func(t readmodel.TouchpointRow) error {
		sh := ships[t.ShipmentID]
		if sh == nil {
			sh = &shipState{seals: map[string]*sealState{}}
			ships[t.ShipmentID] = sh
		}
		inRange := a.o.inRange(t.EventTime)
		onContainer := func(exceptSeal string) []string {
			var ids []string
			for n, s := range sh.seals {
				if n != exceptSeal && s.state == schemas.SealStateAffixed {
					ids = append(ids, s.affixID)
				}
			}
			sort.Strings(ids)
			return ids
		}
		switch t.Type {
		case schemas.TypeContainer:
			if inRange && (t.Action == schemas.ContainerLoaded || t.Action == schemas.ContainerDeparted) && len(onContainer("")) == 0 {
				a.find(CheckSealChainGap, "high", "shipment "+t.ShipmentID,
					fmt.Sprintf("container %s %s at %s with no seal affixed", t.ContainerNumber, t.Action, t.EventTime), t.ID)
			}
		case schemas.TypeSeal:
			s := sh.seals[t.SealNumber]
			switch t.Action {
			case schemas.SealAffixed:
				if others := onContainer(t.SealNumber); inRange && len(others) > 0 {
					a.find(CheckSealChainGap, "medium", "shipment "+t.ShipmentID,
						fmt.Sprintf("seal %s affixed at %s while another seal was still on the container with no removal recorded", t.SealNumber, t.EventTime),
						append([]string{t.ID}, others...)...)
				}
				sh.seals[t.SealNumber] = &sealState{state: schemas.SealStateAffixed, affixID: t.ID}
			default:
				if s == nil || s.state != schemas.SealStateAffixed {
					if inRange {
						a.find(CheckSealNotAffixed, "high", "shipment "+t.ShipmentID,
							fmt.Sprintf("seal %s %s at %s but never recorded as affixed on this shipment", t.SealNumber, t.Action, t.EventTime), t.ID)
					}
					return nil
				}
				switch t.Action {
				case schemas.SealBroken:
					s.state = schemas.SealStateBroken
				case schemas.SealRemoved:
					s.state = schemas.SealStateRemoved
				}
			}
		}
		return nil
	})
	return "", err
}

func (a *auditor) responses() (string, error) {
	responded := map[string]bool{} // record or shipment IDs with a response
	var pending []readmodel.IncidentRow
	err := a.s.Incidents(a.ctx, "", func(in readmodel.IncidentRow) error {
		if !in.Generated && in.RelatedRecord != "" {
			responded[in.RelatedRecord] = true
		}
		switch in.Cause {
		case schemas.CauseSealBroken, schemas.CauseSealCheckFailed, schemas.CauseTempExcursion:
			if a.o.inRange(in.EventTime) {
				pending = append(pending, in)
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	err = a.s.Compliance(a.ctx, readmodel.ComplianceFilter{Kind: schemas.KindIncident}, func(c readmodel.ComplianceRow) error {
		responded[c.SubjectID] = true
		return nil
	})
	if err != nil {
		return "", err
	}
	err = a.s.Alerts(a.ctx, readmodel.FollowUpFilter{State: readmodel.StateClosed}, func(f readmodel.FollowUpRow) error {
		responded[f.Record.SubjectID] = true
		return nil
	})
	if err != nil {
		return "", err
	}
	for _, in := range pending {
		if responded[in.ID] || (in.RelatedRecord != "" && responded[in.RelatedRecord]) || responded[in.ShipmentID] {
			continue
		}
		recs := []string{in.ID}
		if in.RelatedRecord != "" {
			recs = append(recs, in.RelatedRecord)
		}
		a.find(CheckNoResponse, "high", "shipment "+in.ShipmentID,
			fmt.Sprintf("%s at %s has no incident response: no incident record refers to it and no alert about it was acknowledged", in.Cause, in.EventTime), recs...)
	}
	return "", nil
}

func (a *auditor) revoked() (string, error) {
	type key struct{ partner, revokedAt string }
	keys := map[string]key{}
	err := a.s.Partners(a.ctx, func(p readmodel.PartnerRow) error {
		for _, k := range p.Keys {
			if k.RevokedAt != "" {
				keys[strings.ToLower(k.Address)] = key{p.ID, k.RevokedAt}
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if len(keys) == 0 {
		return "", nil
	}
	err = a.s.Touchpoints(a.ctx, readmodel.TouchpointFilter{}, func(t readmodel.TouchpointRow) error {
		k, ok := keys[strings.ToLower(t.SignerAddress)]
		if !ok || !a.o.inRange(t.EventTime) || !after(t.RecordedAt, k.revokedAt) {
			return nil
		}
		a.find(CheckRevokedKey, "critical", "partner "+k.partner,
			fmt.Sprintf("record recorded at %s is signed by key %s, revoked at %s", t.RecordedAt, t.SignerAddress, k.revokedAt), t.ID)
		return nil
	})
	return "", err
}

// after reports whether RFC 3339 time a is at or after b.
func after(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	if err1 != nil || err2 != nil {
		return a >= b
	}
	return !ta.Before(tb)
}

func (a *auditor) classification() (string, error) {
	err := a.s.Amendments(a.ctx, "", func(am readmodel.AmendmentRow) error {
		if am.Field != "hsCode" || am.Status != schemas.AmendmentApproved || !a.o.inRange(am.ProposedAt) {
			return nil
		}
		for _, ap := range am.Approvals {
			if am.ProposedBy == nil || ap.By.ID != am.ProposedBy.ID || ap.By.MSPID != am.ProposedBy.MSPID {
				return nil
			}
		}
		a.find(CheckUnapprovedHS, "high", "declaration "+am.DeclarationID,
			fmt.Sprintf("HS code changed from %s to %s (%s) without an approval by a second identity", am.OldValue, am.NewValue, am.Reason),
			am.DeclarationID+"/"+am.ID)
		return nil
	})
	return "", err
}

func (a *auditor) scores() (string, error) {
	reviewed := map[string]bool{}
	err := a.s.Alerts(a.ctx, readmodel.FollowUpFilter{State: readmodel.StateClosed}, func(f readmodel.FollowUpRow) error {
		reviewed[f.Record.SubjectID] = true
		return nil
	})
	if err != nil {
		return "", err
	}
	err = a.s.Compliance(a.ctx, readmodel.ComplianceFilter{Kind: schemas.KindIncident}, func(c readmodel.ComplianceRow) error {
		reviewed[c.SubjectID] = true
		return nil
	})
	if err != nil {
		return "", err
	}
	// The anomaly worker's score is a compliance score: 100 is clean and a
	// declaration scored below its threshold must be reviewed.
	err = a.s.Compliance(a.ctx, readmodel.ComplianceFilter{Kind: schemas.KindAnomalyScore}, func(c readmodel.ComplianceRow) error {
		if c.Score == nil || c.Threshold == nil || *c.Score >= *c.Threshold || !a.o.inRange(c.CreatedAt) || reviewed[c.SubjectID] {
			return nil
		}
		a.find(CheckScoreUnreviewed, "medium", c.SubjectType+" "+c.SubjectID,
			fmt.Sprintf("scored %g, below the review threshold %g, and nobody reviewed it (no acknowledged alert, no incident)", *c.Score, *c.Threshold),
			c.ID, c.SubjectID)
		return nil
	})
	return "", err
}

func (a *auditor) clearances() (string, error) {
	err := a.s.ScreeningHits(a.ctx, readmodel.FollowUpFilter{State: readmodel.StateClosed}, func(f readmodel.FollowUpRow) error {
		cl := f.ClosedBy
		if cl == nil || !a.o.inRange(cl.CreatedAt) || len(strings.Fields(cl.Reason)) >= minClearanceReasonWord {
			return nil
		}
		a.find(CheckClearedNoReason, "high", f.Record.SubjectType+" "+f.Record.SubjectID,
			fmt.Sprintf("screening hit cleared by %s with reason %q, which does not say why", cl.Officer, cl.Reason), f.Record.ID, cl.ID)
		return nil
	})
	return "", err
}

func (a *auditor) archive() (string, error) {
	if a.o.Archive == nil {
		return notRun + "no document archive given", nil
	}
	var anchors []schemas.DocumentAnchor
	err := a.s.Documents(a.ctx, readmodel.DocumentFilter{}, func(d readmodel.DocumentRow) error {
		anchors = append(anchors, d.DocumentAnchor)
		return nil
	})
	if err != nil {
		return "", err
	}
	var digests []schemas.AccessLogDigest
	digestIDs := map[uint64]string{}
	err = a.s.Compliance(a.ctx, readmodel.ComplianceFilter{Kind: schemas.KindAccessLogDigest}, func(c readmodel.ComplianceRow) error {
		if c.Digest != nil {
			digests = append(digests, *c.Digest)
			digestIDs[c.Digest.ToSeq] = c.ID
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	rep, err := a.o.Archive.Verify(anchors, digests)
	if err != nil {
		return "", err
	}
	for _, p := range rep.Problems {
		switch p.Kind {
		case archive.ProblemTampered, archive.ProblemMissing:
			a.find(CheckDocumentTampered, "critical", "document "+p.SHA256, p.Kind+": "+p.Detail, p.SHA256)
		case archive.ProblemChainBreak:
			a.find(CheckAccessLogBreak, "critical", "access log", p.Detail, fmt.Sprintf("access-log#%d", p.Seq))
		case archive.ProblemDigestMismatch:
			a.find(CheckAccessLogBreak, "critical", "access log", p.Detail, fmt.Sprintf("access-log#%d", p.Seq), digestIDs[p.Seq])
		}
	}
	return fmt.Sprintf("%d documents, %d log entries, %d anchored digests", rep.Documents, rep.Entries, len(digests)), nil
}

// JSON is the machine-readable report (`--json`).
func (r *Report) JSON() ([]byte, error) {
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding mock audit report: %w", err)
	}
	return append(out, '\n'), nil
}

// WriteText writes the findings for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "mock audit %s..%s, generated %s\n", orAll(r.From), orAll(r.To), r.GeneratedAt)
	for _, c := range r.Checks {
		state := fmt.Sprintf("%d findings", c.Findings)
		if !c.Ran {
			state = "NOT RUN"
		}
		fmt.Fprintf(&b, "  %-34s %s", c.Name, state)
		if c.Note != "" {
			fmt.Fprintf(&b, " (%s)", c.Note)
		}
		b.WriteByte('\n')
	}
	for i, f := range r.Findings {
		fmt.Fprintf(&b, "%d. [%s] %s - %s: %s\n   records: %s\n", i+1, f.Severity, f.Check, f.Subject, f.Message, strings.Join(f.Records, ", "))
	}
	fmt.Fprintf(&b, "%d findings\n", len(r.Findings))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing mock audit report: %w", err)
	}
	return nil
}

func orAll(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

// WritePDF writes the findings report as a PDF (github.com/go-pdf/fpdf).
func (r *Report) WritePDF(w io.Writer) error {
	p := fpdf.New("P", "mm", "A4", "")
	tr := p.UnicodeTranslatorFromDescriptor("")
	p.AddPage()
	p.SetFont("Helvetica", "B", 15)
	p.CellFormat(0, 9, "Mock audit findings", "", 1, "L", false, 0, "")
	p.SetFont("Helvetica", "", 9)
	p.CellFormat(0, 5, tr(fmt.Sprintf("Period %s to %s, generated %s", orAll(r.From), orAll(r.To), r.GeneratedAt)), "", 1, "L", false, 0, "")
	p.Ln(2)
	p.SetFont("Helvetica", "B", 9)
	p.CellFormat(80, 5, "check", "B", 0, "L", false, 0, "")
	p.CellFormat(0, 5, "result", "B", 1, "L", false, 0, "")
	p.SetFont("Helvetica", "", 9)
	for _, c := range r.Checks {
		state := fmt.Sprintf("%d findings", c.Findings)
		if !c.Ran {
			state = "not run: " + c.Note
		}
		p.CellFormat(80, 5, c.Name, "", 0, "L", false, 0, "")
		p.CellFormat(0, 5, tr(state), "", 1, "L", false, 0, "")
	}
	p.Ln(3)
	for i, f := range r.Findings {
		p.SetFont("Helvetica", "B", 9)
		p.MultiCell(0, 5, tr(fmt.Sprintf("%d. [%s] %s - %s", i+1, f.Severity, f.Check, f.Subject)), "", "L", false)
		p.SetFont("Helvetica", "", 8)
		p.MultiCell(0, 4, tr(f.Message), "", "L", false)
		p.SetFont("Courier", "", 7)
		p.MultiCell(0, 3.5, tr("records: "+strings.Join(f.Records, ", ")), "", "L", false)
		p.Ln(1)
	}
	if len(r.Findings) == 0 {
		p.CellFormat(0, 6, "No findings.", "", 1, "L", false, 0, "")
	}
	if err := p.Output(w); err != nil {
		return fmt.Errorf("writing mock audit pdf: %w", err)
	}
	return nil
}
