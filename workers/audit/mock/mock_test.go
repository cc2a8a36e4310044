package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/audit/archive"
	"github.com/aeoledger/aeoledger/workers/audit/internal/audittest"
	"github.com/aeoledger/aeoledger/workers/audit/mock"
	"github.com/aeoledger/aeoledger/workers/blocks"
	"github.com/aeoledger/aeoledger/workers/blocks/blockstest"
	"github.com/aeoledger/aeoledger/workers/readmodel"
	rmt "github.com/aeoledger/aeoledger/workers/readmodel/readmodeltest"
)

const (
	keyRevoked = "0x3333333333333333333333333333333333333333"
	keyActive  = "0x4444444444444444444444444444444444444444"
	shipment   = "SHP-P"
	decl       = "DCL-P"
)

func stored(id, typ, eventTime, recordedAt, signer string, set func(*schemas.Touchpoint)) schemas.StoredRecord {
	tp := schemas.Touchpoint{ID: id, Type: typ, ShipmentID: shipment, EventTime: eventTime, Location: schemas.Location{UNLocode: "NLRTM"},
		Signer: signer, Signature: "0xsig"}
	set(&tp)
	sr := schemas.StoredRecord{Record: tp, TxID: "t-" + id, RecordedAt: recordedAt, SignerPartner: "P-CAR", Submitter: schemas.Identity{MSPID: "CarrierMSP"}}
	if signer == "" {
		sr.SignerPartner = ""
	}
	return sr
}

// planted is a ledger history with one violation per check, next to
// records of the same kinds that are in order (and must not be reported).
func planted(t *testing.T) *readmodel.Store {
	carrier := schemas.Partner{ID: "P-CAR", MSPID: "CarrierMSP", LegalName: "Blue Sea Lines", Country: "DK", Roles: []string{schemas.RoleCarrier},
		Status: schemas.PartnerActive, CreatedAt: "2026-03-01T00:00:00Z", Keys: []schemas.SigningKey{
			{Address: keyRevoked, PublicKey: "0x04aa", AddedAt: "2026-03-01T00:00:00Z", RevokedAt: "2026-03-02T00:00:00Z", RevokeReason: "handheld lost"},
			{Address: keyActive, PublicKey: "0x04bb", AddedAt: "2026-03-01T00:00:00Z"}}}
	ship := schemas.Shipment{ID: shipment, Consignor: schemas.Party{Name: "Acme", Country: "NL"}, Consignee: schemas.Party{Name: "Imp", Country: "DE"},
		Parties: []string{"P-CAR"}, Origin: "NLRTM", Destination: "DEHAM", HSCodes: []string{"080810"}, PlannedDeparture: "2026-03-01T00:00:00Z",
		PlannedArrival: "2026-03-05T00:00:00Z", CreatedAt: "2026-03-01T00:00:00Z"}
	st := schemas.ShipmentState{ShipmentID: shipment, Status: schemas.ShipmentInTransit}
	cont := func(action string) func(*schemas.Touchpoint) {
		return func(tp *schemas.Touchpoint) {
			tp.Container = &schemas.ContainerEvent{Number: rmt.Container, Action: action}
		}
	}
	seal := func(number, action string) func(*schemas.Touchpoint) {
		return func(tp *schemas.Touchpoint) {
			tp.Seal = &schemas.SealEvent{Class: "H", Number: number, ContainerNumber: rmt.Container, Action: action}
			if action == schemas.SealVerified {
				tp.Seal.VVTT = &schemas.VVTT{View: true, Verify: true, Tug: true, Twist: true}
			}
		}
	}
	incident := func(cause, related string, generated bool) func(*schemas.Touchpoint) {
		return func(tp *schemas.Touchpoint) {
			tp.Incident = &schemas.Incident{Cause: cause, Description: cause, RelatedRecord: related, Generated: generated}
		}
	}
	sensor := func(tp *schemas.Touchpoint) { tp.Sensor = &schemas.SensorBatch{DeviceID: "dev-1"} }
	score, threshold := 40.0, 80.0
	comp := func(id, kind, subjectType, subject string, set func(*schemas.ComplianceRecord)) schemas.ComplianceRecord {
		c := schemas.ComplianceRecord{ID: id, Kind: kind, SubjectType: subjectType, SubjectID: subject, CreatedAt: "2026-03-04T10:00:00Z",
			RecordedBy: &schemas.Identity{MSPID: "CustomsMSP"}, RecordedAt: "2026-03-04T10:00:00Z"}
		set(&c)
		return c
	}
	hit := func(c *schemas.ComplianceRecord) {
		c.Screening = &schemas.ScreeningMatch{PartyRole: "consignee", QueriedName: "Imp", MatchedName: "IMP", ListName: "OFAC-SDN", EntryID: "1", Score: 0.95}
	}
	proposer := schemas.Identity{MSPID: "ImporterMSP", ID: "x509::CN=user1"}
	hsChange := schemas.Amendment{ID: "a-hs", DeclarationID: decl, Field: "hsCode", OldValue: "080810", NewValue: "080830", Reason: "pears",
		ProposedBy: &proposer, ProposedAt: "2026-03-03T09:00:00Z", Status: schemas.AmendmentApproved,
		Approvals: []schemas.Approval{{By: proposer, At: "2026-03-03T09:05:00Z", TxID: "t"}}}
	d := rmt.Declaration(1)
	d.ID, d.ShipmentID = decl, shipment
	txs := [][]blockstest.Tx{
		{{Config: true}},
		{rmt.RegisterPartner(carrier), rmt.CreateShipment("CarrierMSP", ship), rmt.SubmitDeclaration("ImporterMSP", d)},
		{rmt.RecordTouchpoint("CarrierMSP", st, stored("r-loaded-unsealed", schemas.TypeContainer, "2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z", keyActive, cont(schemas.ContainerLoaded)))},
		{rmt.RecordTouchpoint("CarrierMSP", st, stored("r-verified-unaffixed", schemas.TypeSeal, "2026-03-01T11:00:00Z", "2026-03-01T11:00:01Z", keyActive, seal("SL-0002", schemas.SealVerified)))},
		{rmt.RecordTouchpoint("CarrierMSP", st, stored("r-affixed", schemas.TypeSeal, "2026-03-01T12:00:00Z", "2026-03-01T12:00:01Z", keyActive, seal("SL-0003", schemas.SealAffixed)))},
		{rmt.RecordTouchpoint("CarrierMSP", st, stored("r-verified", schemas.TypeSeal, "2026-03-01T13:00:00Z", "2026-03-01T13:00:01Z", keyActive, seal("SL-0003", schemas.SealVerified)))},
		{rmt.RecordTouchpoint("CarrierMSP", st, stored("r-departed-before-revocation", schemas.TypeContainer, "2026-03-01T14:00:00Z", "2026-03-01T14:00:01Z", keyRevoked, cont(schemas.ContainerDeparted)))},
		{rmt.RecordTouchpoint("CarrierMSP", st, stored("r-signed-revoked", schemas.TypeContainer, "2026-03-03T08:00:00Z", "2026-03-03T08:00:01Z", keyRevoked, cont(schemas.ContainerArrived)))},
		{rmt.RecordTouchpoint("CarrierMSP", st,
			stored("r-sensor", schemas.TypeSensor, "2026-03-02T08:00:00Z", "2026-03-02T08:00:01Z", keyActive, sensor),
			stored("r-excursion", schemas.TypeIncident, "2026-03-02T08:00:00Z", "2026-03-02T08:00:01Z", "", incident(schemas.CauseTempExcursion, "", true)))},
		{rmt.RecordTouchpoint("CarrierMSP", st,
			stored("r-sensor-2", schemas.TypeSensor, "2026-03-02T09:00:00Z", "2026-03-02T09:00:01Z", keyActive, sensor),
			stored("r-excursion-answered", schemas.TypeIncident, "2026-03-02T09:00:00Z", "2026-03-02T09:00:01Z", "", incident(schemas.CauseTempExcursion, "r-sensor-2", true)))},
		{rmt.RecordTouchpoint("CarrierMSP", st, stored("r-response", schemas.TypeIncident, "2026-03-02T10:00:00Z", "2026-03-02T10:00:01Z", keyActive, incident(schemas.CauseOther, "r-excursion-answered", false)))},
		{rmt.AmendDeclaration("ImporterMSP", hsChange)},
		{rmt.RecordCompliance("CustomsMSP", comp("c-score-low", schemas.KindAnomalyScore, "declaration", decl, func(c *schemas.ComplianceRecord) {
			c.Score, c.Threshold, c.Model = &score, &threshold, "gbdt"
		}), nil),
			rmt.RecordCompliance("CustomsMSP", comp("c-hit-1", schemas.KindScreeningHit, "shipment", shipment, hit), nil),
			rmt.RecordCompliance("CustomsMSP", comp("c-hit-2", schemas.KindScreeningHit, "shipment", shipment, hit), nil)},
		{rmt.RecordCompliance("CustomsMSP", comp("c-clear-ok", schemas.KindScreeningClearance, "shipment", shipment, func(c *schemas.ComplianceRecord) {
			c.RefersTo, c.Officer, c.Reason = "c-hit-1", "j.doe", "date of birth and address differ from the SDN entry"
		}), nil),
			rmt.RecordCompliance("CustomsMSP", comp("c-clear-bare", schemas.KindScreeningClearance, "shipment", shipment, func(c *schemas.ComplianceRecord) {
				c.RefersTo, c.Officer, c.Reason = "c-hit-2", "j.doe", "ok"
			}), nil)},
	}
	blks, err := rmt.Build(blockstest.NewChain(), txs)
	require.NoError(t, err)
	return apply(t, blks)
}

type blockProto = *common.Block

// apply projects blocks into a fresh SQLite read model.
func apply(t *testing.T, blks []blockProto) *readmodel.Store {
	ctx := context.Background()
	s, err := readmodel.Open(ctx, filepath.Join(t.TempDir(), "rm.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	for _, b := range blks {
		pb, err := blocks.Parse(b)
		require.NoError(t, err)
		_, err = s.Apply(ctx, pb)
		require.NoError(t, err)
	}
	return s
}

func TestMockAuditFindsEachPlantedViolationAndCitesItsRecords(t *testing.T) {
	rep, err := mock.Run(context.Background(), planted(t), mock.Options{})
	require.NoError(t, err)
	got := map[string][][]string{}
	for _, f := range rep.Findings {
		got[f.Check] = append(got[f.Check], f.Records)
	}
	cases := []struct {
		name, check string
		records     [][]string
	}{
		{"a container loaded with no seal is a seal chain gap", mock.CheckSealChainGap, [][]string{{"r-loaded-unsealed"}}},
		{"a seal verified that was never affixed is reported", mock.CheckSealNotAffixed, [][]string{{"r-verified-unaffixed"}}},
		{"an excursion nobody answered is reported, the answered one is not", mock.CheckNoResponse, [][]string{{"r-excursion"}}},
		{"a record signed after its key's revocation is reported, one before it is not", mock.CheckRevokedKey, [][]string{{"r-signed-revoked"}}},
		{"an HS code change approved only by its proposer is reported", mock.CheckUnapprovedHS, [][]string{{decl + "/a-hs"}}},
		{"a score below threshold nobody reviewed is reported", mock.CheckScoreUnreviewed, [][]string{{"c-score-low", decl}}},
		{"a clearance with a one-word reason is reported, a reasoned one is not", mock.CheckClearedNoReason, [][]string{{"c-hit-2", "c-clear-bare"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.records, got[tc.check])
		})
	}
	archiveChecks := 0
	for _, c := range rep.Checks {
		if c.Name == mock.CheckDocumentTampered || c.Name == mock.CheckAccessLogBreak {
			archiveChecks++
			assert.False(t, c.Ran, "no archive was given")
		}
	}
	assert.Equal(t, 2, archiveChecks, "the report lists both archive checks, as not run")
	var text, pdf bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), "records: r-signed-revoked")
	require.NoError(t, rep.WritePDF(&pdf))
	assert.True(t, bytes.HasPrefix(pdf.Bytes(), []byte("%PDF-")))
	js, err := rep.JSON()
	require.NoError(t, err)
	var back mock.Report
	require.NoError(t, json.Unmarshal(js, &back))
	assert.Equal(t, rep.Findings, back.Findings)

	t.Run("the period limits what is examined", func(t *testing.T) {
		rep, err := mock.Run(context.Background(), planted(t), mock.Options{From: "2026-03-03", To: "2026-03-03"})
		require.NoError(t, err)
		var checks []string
		for _, f := range rep.Findings {
			checks = append(checks, f.Check)
		}
		assert.ElementsMatch(t, []string{mock.CheckRevokedKey, mock.CheckUnapprovedHS}, checks)
	})
	t.Run("a malformed period is refused", func(t *testing.T) {
		_, err := mock.Run(context.Background(), planted(t), mock.Options{From: "03/01/2026"})
		require.ErrorIs(t, err, schemas.ErrInvalid)
		assert.Contains(t, err.Error(), `field=from value="03/01/2026" rule=must be a date YYYY-MM-DD`)
	})
}

func TestMockAuditOnARealLedgerWithItsArchive(t *testing.T) {
	w := audittest.Start(t)
	l := w.Node.Ledger()
	var blks []blockProto
	for n := range l.Height() {
		b, err := l.Block(n)
		require.NoError(t, err)
		blks = append(blks, b)
	}
	s := apply(t, blks)
	arc, err := archive.Open(t.TempDir(), archive.Options{})
	require.NoError(t, err)
	doc, err := arc.Put("IssuerMSP/user1", "CO-NL-2026-0815.pdf", "", bytes.NewReader(w.CertDoc))
	require.NoError(t, err)

	rep, err := mock.Run(context.Background(), s, mock.Options{Archive: arc})
	require.NoError(t, err)
	require.Len(t, rep.Findings, 1, "%+v", rep.Findings)
	f := rep.Findings[0]
	assert.Equal(t, mock.CheckNoResponse, f.Check, "the reefer excursion was never answered")
	assert.Subset(t, w.RecordIDs, f.Records)

	path := filepath.Join(arc.Dir(), "objects", doc.SHA256[:2], doc.SHA256[2:4], doc.SHA256)
	require.NoError(t, os.Chmod(path, 0o640))
	require.NoError(t, os.WriteFile(path, bytes.Replace(w.CertDoc, []byte("NL"), []byte("CN"), 1), 0o440))
	rep, err = mock.Run(context.Background(), s, mock.Options{Archive: arc})
	require.NoError(t, err)
	var checks []string
	for _, f := range rep.Findings {
		checks = append(checks, f.Check)
		if f.Check == mock.CheckDocumentTampered {
			assert.Equal(t, []string{doc.SHA256}, f.Records)
			assert.True(t, strings.HasPrefix(f.Message, "tampered"))
		}
	}
	assert.ElementsMatch(t, []string{mock.CheckNoResponse, mock.CheckDocumentTampered}, checks)
}
