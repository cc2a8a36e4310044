package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/alerts"
	"github.com/aeoledger/aeoledger/workers/readmodel"
	"github.com/aeoledger/aeoledger/workers/screening"
)

// party is a name to screen and the subject a hit is recorded on.
type party struct {
	role, name, country  string
	subjectType, subject string
	shipmentID           string // for the alert; "" when there is none
}

func (p *Pipeline) screenPartner(ctx context.Context, ev event, pt *schemas.Partner) error {
	return p.screen(ctx, ev, party{role: "partner", name: pt.LegalName, country: pt.Country,
		subjectType: "partner", subject: pt.ID})
}

func (p *Pipeline) screenShipment(ctx context.Context, ev event, s *schemas.Shipment) error {
	for _, pa := range []struct {
		role string
		p    schemas.Party
	}{{"consignor", s.Consignor}, {"consignee", s.Consignee}} {
		err := p.screen(ctx, ev, party{role: pa.role, name: pa.p.Name, country: pa.p.Country,
			subjectType: "shipment", subject: s.ID, shipmentID: s.ID})
		if err != nil {
			return err
		}
	}
	return nil
}

// screenDeclaration screens the importer and the seller. A declaration
// names them by trader ID; only IDs of registered partners have a name to
// screen. A hit is recorded on the declaration's shipment (which it then
// blocks) when it has one, on the declaration otherwise.
func (p *Pipeline) screenDeclaration(ctx context.Context, ev event, d *schemas.Declaration) error {
	subjectType, subject := "declaration", d.ID
	if d.ShipmentID != "" {
		subjectType, subject = "shipment", d.ShipmentID
	}
	for _, r := range []struct{ role, id string }{{"importer", d.ImporterID}, {"seller", d.SellerID}} {
		if r.id == "" || p.cfg.Sanctions == nil {
			continue
		}
		pt, err := p.store.Partner(ctx, r.id)
		if errors.Is(err, readmodel.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading %s %s: %w", r.role, r.id, err)
		}
		err = p.screen(ctx, ev, party{role: r.role, name: pt.LegalName, country: pt.Country,
			subjectType: subjectType, subject: subject, shipmentID: d.ShipmentID})
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *Pipeline) screen(ctx context.Context, ev event, pa party) error {
	if p.cfg.Sanctions == nil {
		return nil
	}
	hits, err := screenName(p.cfg.Sanctions, pa.name, pa.country)
	if err != nil {
		p.log.Warn("party name cannot be screened", "role", pa.role, "subject", pa.subject, "err", err)
		return nil
	}
	p.count(func(s *Stats) { s.Screened++ })
	for i, h := range hits {
		if i == MaxHitsPerParty {
			break
		}
		rec := HitRecord(pa.subjectType, pa.subject, pa.role, pa.name, h, p.cfg.ListVersion, ev.at())
		ok, err := p.record(ctx, rec)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		p.count(func(s *Stats) { s.Hits++ })
		a := alerts.ScreeningHit(pa.shipmentID, pa.role, pa.name, h, ev.at())
		if err := p.raise(ctx, a, pa.subjectType, pa.subject, "critical"); err != nil {
			return err
		}
	}
	return nil
}

// screenName screens a name, with its country when the list accepts it
// (declarations use ZZ for an unknown country).
func screenName(list *screening.List, name, country string) ([]screening.Hit, error) {
	hits, err := list.Screen(screening.Query{Name: name, Country: country})
	var qe *screening.QueryError
	if errors.As(err, &qe) && qe.Field == "country" {
		hits, err = list.Screen(screening.Query{Name: name})
	}
	if err != nil {
		return nil, fmt.Errorf("screening %q: %w", name, err)
	}
	return hits, nil
}

// HitRecord is the screening-hit record of a party resembling a listed
// one. On a shipment it blocks loading, departure and proof of delivery
// until a screening-clearance refers to it.
func HitRecord(subjectType, subjectID, role, queried string, h screening.Hit, listVersion string, at time.Time) schemas.ComplianceRecord {
	var reasons []string
	for _, r := range h.Reasons {
		if len(reasons) == schemas.MaxReasons {
			break
		}
		reasons = append(reasons, clip(r, schemas.MaxTextLen))
	}
	return schemas.ComplianceRecord{
		Kind: schemas.KindScreeningHit, SubjectType: subjectType, SubjectID: subjectID, CreatedAt: stamp(at),
		Reasons: reasons,
		Screening: &schemas.ScreeningMatch{
			PartyRole: role, QueriedName: clip(queried, schemas.MaxNameLen), MatchedName: clip(h.MatchedName, schemas.MaxNameLen),
			ListName: ListName, EntryID: strconv.Itoa(h.EntityID), ListVersion: clip(listVersion, schemas.MaxShortLen),
			// Four decimals keep the record readable and its ID stable.
			Score: math.Min(1, math.Round(h.Score*1e4)/1e4),
		},
	}
}

// ClearanceRecord is the screening-clearance of a hit: who cleared it and
// why. It is recorded on the hit's subject.
func ClearanceRecord(hit schemas.ComplianceRecord, officer, reason string, at time.Time) (schemas.ComplianceRecord, error) {
	if hit.Kind != schemas.KindScreeningHit {
		return schemas.ComplianceRecord{}, &schemas.FieldError{Field: "refersTo", Value: hit.ID,
			Rule: "must be a screening-hit record, not " + hit.Kind}
	}
	r := schemas.ComplianceRecord{
		Kind: schemas.KindScreeningClearance, SubjectType: hit.SubjectType, SubjectID: hit.SubjectID,
		CreatedAt: stamp(at), RefersTo: hit.ID, Officer: officer, Reason: reason,
	}
	if err := r.Validate(); err != nil {
		return schemas.ComplianceRecord{}, err
	}
	return r, nil
}

// AckRecord is the alert-ack of an alert: who acted and how. It is
// recorded on the alert's subject.
func AckRecord(alert schemas.ComplianceRecord, officer, response string, at time.Time) (schemas.ComplianceRecord, error) {
	if alert.Kind != schemas.KindAlert {
		return schemas.ComplianceRecord{}, &schemas.FieldError{Field: "refersTo", Value: alert.ID,
			Rule: "must be an alert record, not " + alert.Kind}
	}
	r := schemas.ComplianceRecord{
		Kind: schemas.KindAlertAck, SubjectType: alert.SubjectType, SubjectID: alert.SubjectID,
		CreatedAt: stamp(at), RefersTo: alert.ID, Officer: officer, Response: response,
	}
	if err := r.Validate(); err != nil {
		return schemas.ComplianceRecord{}, err
	}
	return r, nil
}

// OpenHits returns the screening hits among records that no clearance
// among them refers to, in the given order.
func OpenHits(records []schemas.ComplianceRecord) []schemas.ComplianceRecord {
	cleared := map[string]bool{}
	for _, r := range records {
		if r.Kind == schemas.KindScreeningClearance {
			cleared[r.RefersTo] = true
		}
	}
	var open []schemas.ComplianceRecord
	for _, r := range records {
		if r.Kind == schemas.KindScreeningHit && !cleared[r.ID] {
			open = append(open, r)
		}
	}
	return open
}
