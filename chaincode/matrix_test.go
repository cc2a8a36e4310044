package chaincode_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aeoledger/aeoledger/chaincode"
	"github.com/aeoledger/aeoledger/schemas"
)

// TestRoleMatrix tries every touchpoint type with a partner holding each
// single role (and no relation to the shipment): it is accepted exactly when
// the role-to-type matrix allows it, and refused with FORBIDDEN otherwise.
func TestRoleMatrix(t *testing.T) {
	bodies := map[string]func() any{
		schemas.TypeContainer: func() any { return container("gate-in") },
		schemas.TypeSeal:      func() any { return seal("HS-123456", "affixed", nil) },
		schemas.TypeOrigin:    func() any { return origin() },
		schemas.TypeSensor:    func() any { return sensor(4, 5) },
		schemas.TypePOD:       func() any { return pod() },
		schemas.TypeIncident:  func() any { return &schemas.Incident{Cause: "delay", Description: "late"} },
	}
	for _, typ := range schemas.TouchpointTypes {
		body, ok := bodies[typ]
		if !ok {
			continue // corrections are allowed by authorship, tested elsewhere
		}
		for _, role := range schemas.Roles {
			allowed := slices.Contains(chaincode.RoleMatrix[typ], role)
			t.Run(fmt.Sprintf("%s by %s allowed=%v", typ, role, allowed), func(t *testing.T) {
				e := newEnv(t)
				e.register("Issuer/admin", "solo", "IssuerMSP", role)
				raw := mustJSON(t, e.touchpoint("solo", body(), nil))
				if allowed {
					e.ok("Issuer/user1", "RecordTouchpoint", raw)
					return
				}
				_, msg, stub := e.call("Issuer/user1", "RecordTouchpoint", raw)
				want := fmt.Sprintf(`FORBIDDEN: recording touchpoint: partner "solo" with roles [%s] may not record %s records`, role, typ)
				if !strings.HasPrefix(msg, want) || len(stub.writes) != 0 {
					t.Fatalf("got %q, want prefix %q", msg, want)
				}
			})
		}
	}
}

func TestRelationsGrantPODAndIncidents(t *testing.T) {
	cases := []struct {
		name   string
		signer string
		body   any
	}{
		{"the consignee may record the POD without a carrier role", "importer", pod()},
		{"the consignor may record an incident", "exporter", &schemas.Incident{Cause: "damage", Description: "forklift"}},
		{"the consignee may record an incident", "importer", &schemas.Incident{Cause: "theft", Description: "pallet missing"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.record(e.touchpoint(tc.signer, tc.body, nil))
		})
	}
}

func TestShipmentStatusNeverMovesBackwards(t *testing.T) {
	e := newEnv(t)
	for _, step := range []struct{ action, want string }{
		{"arrived", "arrived"}, {"loaded", "arrived"}, {"gate-out", "arrived"}, {"stuffed", "arrived"},
	} {
		e.record(e.touchpoint("carrier", container(step.action), nil))
		if st := e.state("SHP-1"); st.Status != step.want {
			t.Fatalf("after %s status %s, want %s", step.action, st.Status, step.want)
		}
	}
}
