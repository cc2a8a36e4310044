package export

import (
	"context"
	"fmt"
	"strings"

	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/readmodel"
)

// ReadModelSource streams an export from the read model, section by
// section: declarations, touchpoints, amendments, alerts (with their
// acknowledgements), screening hits (with their clearances) and anomaly
// scores. Every query of the read model streams, so one row is in memory at
// a time (plus, when HSPrefix, Origin or Partner filter, the IDs of the
// matching shipments and declarations).
func ReadModelSource(s *readmodel.Store) RowSource {
	return &rmSource{s: s}
}

type rmSource struct{ s *readmodel.Store }

func (f Filter) inRange(t string) bool {
	if len(t) < 10 {
		return f.From == "" && f.To == ""
	}
	d := t[:10]
	return (f.From == "" || d >= f.From) && (f.To == "" || d <= f.To)
}

func (f Filter) selective() bool { return f.HSPrefix != "" || f.Origin != "" || f.Partner != "" }

// matcher decides whether shipments and declarations fit the filter's
// HSPrefix, Origin and Partner. With such a filter it holds the IDs of the
// matching shipments and declarations, read before the rows are streamed,
// because a query inside another query's callback would wait forever for
// the one connection of an in-memory SQLite read model. Without one it holds
// nothing and matches everything.
type matcher struct {
	f         Filter
	shipments map[string]bool
	decls     map[string]bool
}

func newMatcher(ctx context.Context, s *readmodel.Store, f Filter) (*matcher, error) {
	m := &matcher{f: f}
	if !f.selective() {
		return m, nil
	}
	m.shipments, m.decls = map[string]bool{}, map[string]bool{}
	err := s.Shipments(ctx, readmodel.ShipmentFilter{PartnerID: f.Partner}, func(sh readmodel.ShipmentRow) error {
		ok := true
		if f.HSPrefix != "" {
			ok = false
			for _, hs := range sh.HSCodes {
				ok = ok || strings.HasPrefix(hs, f.HSPrefix)
			}
		}
		if f.Origin != "" {
			ok = ok && strings.HasPrefix(sh.Origin, f.Origin)
		}
		if ok {
			m.shipments[sh.ID] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("selecting shipments: %w", err)
	}
	err = s.Declarations(ctx, readmodel.DeclarationFilter{HSPrefix: f.HSPrefix, Origin: f.Origin, Party: f.Partner}, func(d readmodel.DeclarationRow) error {
		m.decls[d.ID] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("selecting declarations: %w", err)
	}
	return m, nil
}

func (m *matcher) shipment(id string) bool { return !m.f.selective() || m.shipments[id] }

func (m *matcher) declaration(id string) bool { return !m.f.selective() || m.decls[id] }

func (m *matcher) subject(subjectType, id string) bool {
	if !m.f.selective() {
		return true
	}
	switch subjectType {
	case "shipment":
		return m.shipments[id]
	case "declaration":
		return m.decls[id]
	case "partner":
		return m.f.Partner != "" && id == m.f.Partner && m.f.HSPrefix == "" && m.f.Origin == ""
	}
	return false
}

func (r *rmSource) Rows(ctx context.Context, f Filter, fn func(*Row) error) error {
	m, err := newMatcher(ctx, r.s, f)
	if err != nil {
		return err
	}
	row := &Row{}
	emit := func(fill func(*Row)) error {
		*row = Row{}
		fill(row)
		return fn(row)
	}
	err = r.s.Declarations(ctx, readmodel.DeclarationFilter{From: f.From, To: f.To, HSPrefix: f.HSPrefix, Origin: f.Origin, Party: f.Partner},
		func(d readmodel.DeclarationRow) error {
			return emit(func(x *Row) {
				*x = Row{Section: SectionDeclaration, ID: d.ID, Time: d.Date, Subject: d.ShipmentID, Type: "process " + d.ProcessType,
					Party: d.ImporterID, HSCode: d.HSCode, Origin: d.CountryOfOrigin,
					Detail: fmt.Sprintf("office %s, declarant %s, seller %s, price %g, net mass %g, tax %s %g%%", d.OfficeID, d.DeclarantID, d.SellerID, d.ItemPrice, d.NetMass, d.TaxType, d.TaxRate),
					Block:  d.Pos.Block, TxID: d.Pos.TxID}
			})
		})
	if err != nil {
		return fmt.Errorf("reading declarations: %w", err)
	}
	tf := readmodel.TouchpointFilter{}
	if f.From != "" {
		tf.From = f.From + "T00:00:00Z"
	}
	if f.To != "" {
		tf.To = f.To + "T23:59:59.999999999Z"
	}
	err = r.s.Touchpoints(ctx, tf, func(t readmodel.TouchpointRow) error {
		if !f.inRange(t.EventTime) {
			return nil
		}
		if !m.shipment(t.ShipmentID) {
			return nil
		}
		what := t.ContainerNumber
		if t.SealNumber != "" {
			what = strings.TrimSpace(what + " seal " + t.SealNumber)
		}
		return emit(func(x *Row) {
			*x = Row{Section: SectionTouchpoint, ID: t.ID, Time: t.EventTime, Subject: t.ShipmentID, Type: strings.Trim(t.Type+"/"+t.Action, "/"),
				Party: t.SignerPartner, Detail: strings.TrimSpace(what + " at " + t.Location), Status: t.Corrects, Block: t.Pos.Block, TxID: t.Pos.TxID}
			if t.Corrects != "" {
				x.Status = "corrects " + t.Corrects
			}
		})
	})
	if err != nil {
		return fmt.Errorf("reading touchpoints: %w", err)
	}
	err = r.s.Amendments(ctx, "", func(a readmodel.AmendmentRow) error {
		if !f.inRange(a.ProposedAt) {
			return nil
		}
		if !m.declaration(a.DeclarationID) {
			return nil
		}
		return emit(func(x *Row) {
			*x = Row{Section: SectionAmendment, ID: a.DeclarationID + "/" + a.ID, Time: a.ProposedAt, Subject: a.DeclarationID, Type: a.Field,
				Detail: a.Reason, OldValue: a.OldValue, NewValue: a.NewValue, Status: a.Status, Block: a.Pos.Block, TxID: a.Pos.TxID}
			if a.ProposedBy != nil {
				x.Party = a.ProposedBy.MSPID + " " + a.ProposedBy.ID
			}
			var by, at []string
			for _, ap := range a.Approvals {
				by = append(by, ap.By.MSPID+" "+ap.By.ID)
				at = append(at, ap.At)
			}
			if a.Rejection != nil {
				by = append(by, "rejected by "+a.Rejection.By.MSPID+" "+a.Rejection.By.ID)
				at = append(at, a.Rejection.At)
			}
			x.ApprovedBy, x.ApprovedAt = strings.Join(by, "; "), strings.Join(at, "; ")
		})
	})
	if err != nil {
		return fmt.Errorf("reading amendments: %w", err)
	}
	followUp := func(section string) func(readmodel.FollowUpRow) error {
		return func(fu readmodel.FollowUpRow) error {
			c := fu.Record.ComplianceRecord
			if !f.inRange(c.CreatedAt) {
				return nil
			}
			if !m.subject(c.SubjectType, c.SubjectID) {
				return nil
			}
			return emit(func(x *Row) {
				*x = Row{Section: section, ID: c.ID, Time: c.CreatedAt, Subject: c.SubjectType + " " + c.SubjectID,
					Status: "open", Block: fu.Record.Pos.Block, TxID: fu.Record.Pos.TxID}
				if c.RecordedBy != nil {
					x.Party = c.RecordedBy.MSPID
				}
				if section == SectionAlert {
					x.Type, x.Detail = c.Rule, strings.TrimSpace(c.Severity+": "+c.Message)
				} else if c.Screening != nil {
					x.Type = c.Screening.ListName
					x.Detail = fmt.Sprintf("%s %q matched %q (entry %s, score %.2f)", c.Screening.PartyRole, c.Screening.QueriedName, c.Screening.MatchedName, c.Screening.EntryID, c.Screening.Score)
				}
				if fu.ClosedBy != nil {
					cl := fu.ClosedBy.ComplianceRecord
					x.Status = "closed"
					x.Response = strings.TrimSpace(cl.Response + cl.Reason)
					x.ResponseBy = strings.TrimSpace(cl.Officer)
					if cl.RecordedBy != nil {
						x.ResponseBy = strings.TrimSpace(x.ResponseBy + " (" + cl.RecordedBy.MSPID + ")")
					}
					x.ResponseAt = cl.CreatedAt
				}
			})
		}
	}
	if err := r.s.Alerts(ctx, readmodel.FollowUpFilter{}, followUp(SectionAlert)); err != nil {
		return fmt.Errorf("reading alerts: %w", err)
	}
	if err := r.s.ScreeningHits(ctx, readmodel.FollowUpFilter{}, followUp(SectionScreening)); err != nil {
		return fmt.Errorf("reading screening hits: %w", err)
	}
	err = r.s.Compliance(ctx, readmodel.ComplianceFilter{Kind: schemas.KindAnomalyScore}, func(c readmodel.ComplianceRow) error {
		if !f.inRange(c.CreatedAt) {
			return nil
		}
		if !m.subject(c.SubjectType, c.SubjectID) {
			return nil
		}
		return emit(func(x *Row) {
			*x = Row{Section: SectionScore, ID: c.ID, Time: c.CreatedAt, Subject: c.SubjectType + " " + c.SubjectID, Type: c.Model,
				Detail: strings.Join(c.Reasons, "; "), Score: c.Score, Block: c.Pos.Block, TxID: c.Pos.TxID}
			if c.Threshold != nil && c.Score != nil {
				x.Status = "below threshold"
				if *c.Score >= *c.Threshold {
					x.Status = fmt.Sprintf("at or above threshold %g", *c.Threshold)
				}
			}
		})
	})
	if err != nil {
		return fmt.Errorf("reading anomaly scores: %w", err)
	}
	return nil
}
