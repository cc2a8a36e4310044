package readmodel_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/blocks"
	"github.com/aeoledger/aeoledger/workers/blocks/blockstest"
	"github.com/aeoledger/aeoledger/workers/readmodel"
	"github.com/aeoledger/aeoledger/workers/readmodel/pgtest"
	rmt "github.com/aeoledger/aeoledger/workers/readmodel/readmodeltest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.RunMain(m)) }

// backends lists the two stores every test runs against.
var backends = []struct {
	name string
	dsn  func(t testing.TB) string
}{
	{"SQLite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "readmodel.db") }},
	{"PostgreSQL", pgtest.DSN},
}

func open(t testing.TB, dsn string) *readmodel.Store {
	t.Helper()
	s, err := readmodel.Open(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func journeyBlocks(t testing.TB) []*blocks.Block {
	t.Helper()
	raw, err := rmt.Build(blockstest.NewChain(), rmt.Journey())
	require.NoError(t, err)
	return parseAll(t, raw)
}

func parseAll(t testing.TB, raw []*common.Block) []*blocks.Block {
	t.Helper()
	out := make([]*blocks.Block, len(raw))
	for i, b := range raw {
		p, err := blocks.Parse(b)
		require.NoError(t, err)
		out[i] = p
	}
	return out
}

func applyAll(t testing.TB, s *readmodel.Store, bs []*blocks.Block) {
	t.Helper()
	for _, b := range bs {
		applied, err := s.Apply(context.Background(), b)
		require.NoError(t, err)
		require.True(t, applied, "block %d", b.Number)
	}
}

func dump(t testing.TB, s *readmodel.Store) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, s.Dump(context.Background(), &buf))
	return buf.String()
}

func collect[T any](t testing.TB, list func(fn func(T) error) error) []T {
	t.Helper()
	var out []T
	require.NoError(t, list(func(r T) error { out = append(out, r); return nil }))
	return out
}

func TestApplyProjectsEveryRecordKind(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, be.dsn(t))
			bs := journeyBlocks(t)
			applyAll(t, s, bs)

			cp, err := s.Checkpoint(ctx)
			require.NoError(t, err)
			last := bs[len(bs)-1]
			assert.Equal(t, readmodel.Checkpoint{Applied: true, Block: last.Number, TxIndex: len(last.Transactions) - 1,
				Hash: hexOf(last.Hash)}, cp)

			partners := collect(t, func(fn func(readmodel.PartnerRow) error) error { return s.Partners(ctx, fn) })
			require.Len(t, partners, 2, "the MVCC-conflicted partner must not be projected")
			assert.Equal(t, rmt.CarrierID, partners[0].ID)
			assert.Equal(t, uint64(1), partners[0].Pos.Block)
			byKey, err := s.PartnerByKey(ctx, rmt.ExporterKey)
			require.NoError(t, err)
			assert.Equal(t, "Acme Exports BV", byKey.LegalName)

			sh, err := s.Shipment(ctx, rmt.ShipmentID)
			require.NoError(t, err)
			require.NotNil(t, sh.State)
			assert.Equal(t, schemas.ShipmentInTransit, sh.State.Status)
			assert.Equal(t, []string{rmt.HitOpen}, sh.State.OpenHits)
			viaCarrier := collect(t, func(fn func(readmodel.ShipmentRow) error) error {
				return s.Shipments(ctx, readmodel.ShipmentFilter{PartnerID: rmt.CarrierID}, fn)
			})
			require.Len(t, viaCarrier, 1, "a listed party finds the shipment")

			tps := collect(t, func(fn func(readmodel.TouchpointRow) error) error {
				return s.TouchpointsByShipment(ctx, rmt.ShipmentID, fn)
			})
			var ids, times []string
			for _, tp := range tps {
				ids, times = append(ids, tp.ID), append(times, tp.EventTime)
			}
			assert.Equal(t, []string{"r-affixed", "r-loaded", "r-broken", "r-incident"}, ids, "event order, not block order")
			assert.Equal(t, "2026-03-02T08:00:00.000000000Z", times[1], "event time normalised to UTC")
			assert.Equal(t, rmt.Container, tps[0].ContainerNumber)
			assert.Equal(t, rmt.SealNumber, tps[0].SealNumber)
			assert.Equal(t, rmt.CarrierID, tps[0].SignerPartner)
			stored, err := tps[2].StoredRecord()
			require.NoError(t, err)
			assert.Equal(t, schemas.SealBroken, stored.Record.Seal.Action)

			incidents := collect(t, func(fn func(readmodel.IncidentRow) error) error { return s.Incidents(ctx, rmt.ShipmentID, fn) })
			require.Len(t, incidents, 1)
			assert.Equal(t, readmodel.IncidentRow{ID: "r-incident", ShipmentID: rmt.ShipmentID, Cause: schemas.CauseSealBroken,
				Description: "seal SL123456 broken", RelatedRecord: "r-broken", Generated: true, EventTime: "2026-03-03T12:00:00.000000000Z",
				Pos: incidents[0].Pos}, incidents[0])

			decls := collect(t, func(fn func(readmodel.DeclarationRow) error) error {
				return s.Declarations(ctx, readmodel.DeclarationFilter{}, fn)
			})
			require.Len(t, decls, 2)
			assert.Equal(t, 1100.0, decls[0].ItemPrice, "the approved amendment rewrote the declaration")
			assert.Equal(t, "CustomsMSP", decls[0].SubmittedBy.MSPID)
			amends := collect(t, func(fn func(readmodel.AmendmentRow) error) error { return s.Amendments(ctx, rmt.Declaration1, fn) })
			require.Len(t, amends, 1)
			assert.Equal(t, schemas.AmendmentApproved, amends[0].Status)

			docs := collect(t, func(fn func(readmodel.DocumentRow) error) error {
				return s.Documents(ctx, readmodel.DocumentFilter{DeclarationID: rmt.Declaration1}, fn)
			})
			require.Len(t, docs, 1)
			assert.Equal(t, int64(1234), docs[0].Size)

			scores := collect(t, func(fn func(readmodel.ComplianceRow) error) error {
				return s.Compliance(ctx, readmodel.ComplianceFilter{Kind: schemas.KindAnomalyScore}, fn)
			})
			require.Len(t, scores, 1)
			assert.Equal(t, 91.5, *scores[0].Score)
			assert.Equal(t, rmt.Declaration1, scores[0].SubjectID)

			n, err := s.Count(ctx, "transactions")
			require.NoError(t, err)
			assert.Equal(t, int64(18), n, "every transaction is recorded, the invalid one included")
		})
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestFollowUps(t *testing.T) {
	tests := []struct {
		name  string
		hits  bool
		state readmodel.FollowUpState
		want  []string
		acked []bool
	}{
		{name: "All alerts come with their acknowledgement if any.", state: readmodel.StateAll,
			want: []string{rmt.AlertOpen, rmt.AlertAcked}, acked: []bool{false, true}},
		{name: "Open alerts are those without an acknowledgement.", state: readmodel.StateOpen,
			want: []string{rmt.AlertOpen}, acked: []bool{false}},
		{name: "Closed alerts are the acknowledged ones.", state: readmodel.StateClosed,
			want: []string{rmt.AlertAcked}, acked: []bool{true}},
		{name: "An uncleared screening hit is open.", hits: true, state: readmodel.StateOpen,
			want: []string{rmt.HitOpen}, acked: []bool{false}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, be.dsn(t))
			applyAll(t, s, journeyBlocks(t))
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					list := s.Alerts
					if tc.hits {
						list = s.ScreeningHits
					}
					rows := collect(t, func(fn func(readmodel.FollowUpRow) error) error {
						return list(ctx, readmodel.FollowUpFilter{State: tc.state}, fn)
					})
					var ids []string
					var acked []bool
					for _, r := range rows {
						ids = append(ids, r.Record.ID)
						acked = append(acked, r.ClosedBy != nil)
						if r.ClosedBy != nil {
							assert.Equal(t, r.Record.ID, r.ClosedBy.RefersTo)
							assert.Equal(t, "j.doe", r.ClosedBy.Officer)
						}
					}
					assert.Equal(t, tc.want, ids)
					assert.Equal(t, tc.acked, acked)
				})
			}
		})
	}
}

func TestDeclarationFilters(t *testing.T) {
	tests := []struct {
		name   string
		filter readmodel.DeclarationFilter
		want   []string
	}{
		{"No filter lists every declaration by date.", readmodel.DeclarationFilter{}, []string{rmt.Declaration1, rmt.Declaration2}},
		{"A date range includes its last day.", readmodel.DeclarationFilter{From: "2026-03-02", To: "2026-03-03"}, []string{rmt.Declaration2}},
		{"A date range before every declaration is empty.", readmodel.DeclarationFilter{To: "2026-02-28"}, nil},
		{"An HS prefix matches the chapter.", readmodel.DeclarationFilter{HSPrefix: "85"}, []string{rmt.Declaration1}},
		{"An origin matches the country of origin.", readmodel.DeclarationFilter{Origin: "VN"}, []string{rmt.Declaration2}},
		{"A party matches the importer.", readmodel.DeclarationFilter{Party: "IMP2"}, []string{rmt.Declaration2}},
		{"A party matches the seller.", readmodel.DeclarationFilter{Party: "SEL1"}, []string{rmt.Declaration1, rmt.Declaration2}},
		{"Filters combine with AND.", readmodel.DeclarationFilter{Party: "SEL1", HSPrefix: "94", SubmitterMSP: "CustomsMSP"}, []string{rmt.Declaration2}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			s := open(t, be.dsn(t))
			applyAll(t, s, journeyBlocks(t))
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					rows := collect(t, func(fn func(readmodel.DeclarationRow) error) error {
						return s.Declarations(context.Background(), tc.filter, fn)
					})
					var ids []string
					for _, r := range rows {
						ids = append(ids, r.ID)
					}
					assert.Equal(t, tc.want, ids)
				})
			}
		})
	}
}

func TestQueriesRejectBadFilters(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "rm.db"))
	ctx := context.Background()
	none := func(readmodel.DeclarationRow) error { return nil }
	tests := []struct {
		name    string
		run     func() error
		wantErr string
	}{
		{"A date that is not YYYY-MM-DD is refused.", func() error {
			return s.Declarations(ctx, readmodel.DeclarationFilter{From: "03/01/2026"}, none)
		}, `listing declarations: field=from value="03/01/2026" rule=must be a date like 2026-01-02`},
		{"A range that ends before it starts is refused.", func() error {
			return s.Declarations(ctx, readmodel.DeclarationFilter{From: "2026-03-02", To: "2026-03-01"}, none)
		}, `listing declarations: field=to value="2026-03-01" rule=must not be before from 2026-03-02`},
		{"An HS prefix with letters is refused.", func() error {
			return s.Declarations(ctx, readmodel.DeclarationFilter{HSPrefix: "85%"}, none)
		}, `listing declarations: field=hsPrefix value="85%" rule=must be 1 to 10 digits`},
		{"An unknown origin country is refused.", func() error {
			return s.Declarations(ctx, readmodel.DeclarationFilter{Origin: "XX"}, none)
		}, `listing declarations: field=origin value="XX" rule=must be an ISO 3166-1 alpha-2 country code`},
		{"An unknown touchpoint type is refused.", func() error {
			return s.Touchpoints(ctx, readmodel.TouchpointFilter{Type: "teleport"}, func(readmodel.TouchpointRow) error { return nil })
		}, `listing touchpoints: field=type value="teleport" rule=must be one of container, seal, origin, sensor, pod, incident, correction`},
		{"An event time that is not RFC 3339 is refused.", func() error {
			return s.Touchpoints(ctx, readmodel.TouchpointFilter{From: "yesterday"}, func(readmodel.TouchpointRow) error { return nil })
		}, `listing touchpoints: field=from value="yesterday" rule=must be an RFC 3339 date-time like 2026-01-02T15:04:05Z`},
		{"An unknown follow-up state is refused.", func() error {
			return s.Alerts(ctx, readmodel.FollowUpFilter{State: "pending"}, func(readmodel.FollowUpRow) error { return nil })
		}, `listing alerts: field=state value="pending" rule=must be open, closed or empty`},
		{"An unknown compliance kind is refused.", func() error {
			return s.Compliance(ctx, readmodel.ComplianceFilter{Kind: "verdict"}, func(readmodel.ComplianceRow) error { return nil })
		}, `listing compliance records: field=kind value="verdict" rule=must be one of anomaly-score, screening-hit, screening-clearance, alert, alert-ack, incident, access-log-digest`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			require.Error(t, err)
			assert.Equal(t, tc.wantErr, err.Error())
			assert.ErrorIs(t, err, schemas.ErrInvalid)
		})
	}
}

func TestApplyRefusesWhatWouldCorruptTheModel(t *testing.T) {
	tests := []struct {
		name string
		// next builds the block to apply after the first three blocks of
		// the journey, on the same chain.
		next    func(chain *blockstest.Chain) *common.Block
		wantIs  error
		wantErr string
	}{
		{
			name: "A block after the next expected one is a gap.",
			next: func(chain *blockstest.Chain) *common.Block {
				chain.MustAdd(blockstest.Tx{Args: []string{"skipped"}})
				return chain.MustAdd(blockstest.Tx{Args: []string{"x"}})
			},
			wantIs: readmodel.ErrGap, wantErr: "applying block 4: the read model expects block 3: block gap",
		},
		{
			name: "A block that does not chain to the previous one is refused.",
			next: func(*blockstest.Chain) *common.Block {
				other := blockstest.NewChain()
				for range 3 {
					other.MustAdd(blockstest.Tx{Args: []string{"other"}})
				}
				return other.MustAdd(blockstest.Tx{Args: []string{"x"}})
			},
			wantIs: readmodel.ErrChainBroken, wantErr: "applying block 3: field=previousHash value=",
		},
		{
			name: "A VALID write whose value is not the documented type is refused.",
			next: func(chain *blockstest.Chain) *common.Block {
				return chain.MustAdd(
					rmt.SubmitDeclaration("CustomsMSP", rmt.Declaration(1)),
					blockstest.Tx{Args: []string{"SubmitDeclaration"}, Writes: []blockstest.Write{{Key: rmt.Key("aeo.decl", "D9"), Value: []byte(`{"taxRate":"high"}`)}}},
				)
			},
			wantErr: `applying block 3 tx 1 (`,
		},
		{
			name: "A record key with the wrong number of attributes is refused.",
			next: func(chain *blockstest.Chain) *common.Block {
				return chain.MustAdd(blockstest.Tx{Args: []string{"x"}, Writes: []blockstest.Write{{Key: rmt.Key("aeo.amend", "only-one"), Value: []byte(`{}`)}}})
			},
			wantErr: `projecting key "/aeo.amend/only-one/": field=key value="/aeo.amend/only-one/" rule=aeo.amend keys have 2 attributes`,
		},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, be.dsn(t))
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					require.NoError(t, s.Reset(ctx))
					chain := blockstest.NewChain()
					good, err := rmt.Build(chain, rmt.Journey()[:3])
					require.NoError(t, err)
					applyAll(t, s, parseAll(t, good))
					before := dump(t, s)
					cpBefore, err := s.Checkpoint(ctx)
					require.NoError(t, err)

					applied, err := s.Apply(ctx, parseAll(t, []*common.Block{tc.next(chain)})[0])
					require.Error(t, err)
					assert.False(t, applied)
					if tc.wantIs != nil {
						assert.ErrorIs(t, err, tc.wantIs)
					}
					assert.Contains(t, err.Error(), tc.wantErr)

					assert.Equal(t, before, dump(t, s), "nothing may be written")
					cpAfter, err := s.Checkpoint(ctx)
					require.NoError(t, err)
					assert.Equal(t, cpBefore, cpAfter, "the checkpoint must not move")
				})
			}
		})
	}
}

func TestApplyIsIdempotentAcrossRestarts(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := be.dsn(t)
			bs := journeyBlocks(t)
			first, err := readmodel.Open(ctx, dsn)
			require.NoError(t, err)
			applyAll(t, first, bs[:5])
			require.NoError(t, first.Close())

			// A restarted listener typically re-delivers blocks it already
			// applied before it reaches new ones.
			s := open(t, dsn)
			cp, err := s.Checkpoint(ctx)
			require.NoError(t, err)
			assert.Equal(t, uint64(5), cp.NextBlock())
			for _, b := range bs {
				applied, err := s.Apply(ctx, b)
				require.NoError(t, err)
				assert.Equal(t, b.Number >= 5, applied, "block %d", b.Number)
			}

			straight := open(t, be.dsn(t))
			applyAll(t, straight, bs)
			assert.Equal(t, dump(t, straight), dump(t, s))
		})
	}
}

func TestApplyResumesInsideAPartlyAppliedBlock(t *testing.T) {
	// A checkpoint may point inside a block (tx index below the block's
	// last), e.g. one written by a per-transaction writer; Apply must then
	// project only the transactions after it.
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "rm.db"))
	bs := journeyBlocks(t)
	applyAll(t, s, bs[:5])
	_, err := s.DB().ExecContext(ctx, "UPDATE checkpoint SET tx_index = 0 WHERE id = 1")
	require.NoError(t, err)
	_, err = s.DB().ExecContext(ctx, "DELETE FROM declarations")
	require.NoError(t, err)
	_, err = s.DB().ExecContext(ctx, "DELETE FROM transactions WHERE block_num = 4 AND tx_index > 0")
	require.NoError(t, err)

	applied, err := s.Apply(ctx, bs[4])
	require.NoError(t, err)
	assert.True(t, applied)
	n, err := s.Count(ctx, "declarations")
	require.NoError(t, err)
	assert.Equal(t, int64(2), n, "transactions 1 and 2 of block 4 are the declarations")
	tps := collect(t, func(fn func(readmodel.TouchpointRow) error) error {
		return s.TouchpointsByShipment(ctx, rmt.ShipmentID, fn)
	})
	assert.Len(t, tps, 2, "transaction 0 is not applied twice")
}

func TestDumpsAgreeAcrossBackends(t *testing.T) {
	bs := journeyBlocks(t)
	var dumps []string
	for _, be := range backends {
		s := open(t, be.dsn(t))
		applyAll(t, s, bs)
		dumps = append(dumps, dump(t, s))
	}
	assert.Equal(t, dumps[0], dumps[1])
	assert.Contains(t, dumps[0], "touchpoints\tid=\"r-broken\"")
}

func TestResetEmptiesTheModel(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, be.dsn(t))
			applyAll(t, s, journeyBlocks(t))
			require.NoError(t, s.Reset(ctx))
			assert.Empty(t, dump(t, s))
			cp, err := s.Checkpoint(ctx)
			require.NoError(t, err)
			assert.Equal(t, readmodel.Checkpoint{TxIndex: -1}, cp)
			assert.Equal(t, uint64(0), cp.NextBlock())
		})
	}
}

func TestLookupsReportNotFound(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "rm.db"))
	_, err := s.Partner(context.Background(), "nobody")
	assert.True(t, errors.Is(err, readmodel.ErrNotFound))
	_, err = s.Shipment(context.Background(), "nothing")
	assert.True(t, errors.Is(err, readmodel.ErrNotFound))
	_, err = s.Count(context.Background(), "users")
	assert.ErrorIs(t, err, schemas.ErrInvalid)
}

func TestPostgresSessionsDoNotWaitForTheWALFlush(t *testing.T) {
	tests := []struct {
		name  string
		param string
		want  string
	}{
		{"By default a commit does not wait for the WAL flush.", "", "off"},
		{"A synchronous_commit in the DSN wins.", "synchronous_commit=on", "on"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dsn := pgtest.DSN(t)
			if tc.param != "" {
				sep := "?"
				if strings.Contains(dsn, "?") {
					sep = "&"
				}
				dsn += sep + tc.param
			}
			s := open(t, dsn)
			var got string
			require.NoError(t, s.DB().QueryRowContext(context.Background(), "SHOW synchronous_commit").Scan(&got))
			assert.Equal(t, tc.want, got)
			assert.Equal(t, readmodel.Postgres, s.Backend())
		})
	}
}

func TestOpenChoosesTheBackendFromTheDSN(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		dsn  string
		want string
	}{
		{"A plain path is a SQLite file.", filepath.Join(dir, "a.db"), readmodel.SQLite},
		{"A sqlite: prefix is a SQLite file.", "sqlite:" + filepath.Join(dir, "b.db"), readmodel.SQLite},
		{"A file: URI is a SQLite file.", "file:" + filepath.Join(dir, "c.db") + "?cache=private", readmodel.SQLite},
		{"A path with spaces is a SQLite file.", filepath.Join(dir, "with space", "d.db"), readmodel.SQLite},
		{":memory: is a private in-memory SQLite database.", ":memory:", readmodel.SQLite},
		{"A postgres:// URL is PostgreSQL.", pgtest.DSN(t), readmodel.Postgres},
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "with space"), 0o755))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, tc.dsn)
			assert.Equal(t, tc.want, s.Backend())
			applyAll(t, s, journeyBlocks(t)[:3])
			n, err := s.Count(context.Background(), "partners")
			require.NoError(t, err)
			assert.Equal(t, int64(2), n)
		})
	}
}
