package chaincode_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aeoledger/aeoledger/schemas"
)

func TestRegisterPartnerAuthorisation(t *testing.T) {
	cases := []struct {
		name    string
		who     string
		msp     string
		attrs   map[string]string
		wantErr string
	}{
		{"an admin of the partner's own org may register it", "Carrier/admin", "CarrierMSP", nil, ""},
		{"a governance admin may register any partner", "Customs/admin", "CarrierMSP", nil, ""},
		{"an identity with the aeo.role=admin attribute counts as admin", "Carrier/attr-admin", "CarrierMSP", map[string]string{"aeo.role": "admin"}, ""},
		{"a client of the partner's org is not an admin", "Carrier/user1", "CarrierMSP", nil,
			`FORBIDDEN: registering partner "p1": caller x509::CN=User1@Carrier,OU=client,O=CarrierMSP::CN=ca.carriermsp,O=CarrierMSP of CarrierMSP is not an admin of CarrierMSP nor of a governance MSP (CustomsMSP)`},
		{"an admin of another org may not register it", "Exporter/admin", "CarrierMSP", nil,
			`FORBIDDEN: registering partner "p1": caller x509::CN=Admin@Exporter,OU=admin,O=ExporterMSP::CN=ca.exportermsp,O=ExporterMSP of ExporterMSP is not an admin of CarrierMSP nor of a governance MSP (CustomsMSP)`},
		{"a client of the governance org is not governance", "Customs/user1", "CarrierMSP", nil,
			`FORBIDDEN: registering partner "p1": caller x509::CN=User1@Customs,OU=client,O=CustomsMSP::CN=ca.customsmsp,O=CustomsMSP of CustomsMSP is not an admin of CarrierMSP nor of a governance MSP (CustomsMSP)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newBareEnv(t)
			if tc.attrs != nil {
				e.ids[tc.who] = e.cas["Carrier"].identity(t, "Ops@Carrier", []string{"client"}, tc.attrs)
			}
			raw := e.partnerJSON("p1", tc.msp, schemas.RoleCarrier)
			if tc.wantErr != "" {
				e.refused(tc.wantErr, tc.who, "RegisterPartner", raw)
				return
			}
			var p schemas.Partner
			_, _, stub := e.call(tc.who, "RegisterPartner", raw)
			e.okInto(&p, "Carrier/user1", "GetPartner", "p1")
			if p.Status != "active" || p.Keys[0].AddedAt == "" || p.CreatedAt == "" {
				t.Fatalf("registered partner %+v", p)
			}
			if stub.event == nil || stub.event.EventName != "partner" {
				t.Fatalf("no partner event")
			}
		})
	}
}

func TestRegisterPartnerRefusesBadInput(t *testing.T) {
	k, _ := crypto.GenerateKey()
	other, _ := crypto.GenerateKey()
	good := func() schemas.Partner {
		return schemas.Partner{ID: "p2", MSPID: "CarrierMSP", LegalName: "Carrier Two", Country: "DE",
			Roles: []string{"carrier"}, Keys: []schemas.SigningKey{schemas.NewSigningKey(k, "")}}
	}
	cases := []struct {
		name   string
		mutate func(e *env, p *schemas.Partner)
		want   string
	}{
		{"an unknown country is invalid", func(e *env, p *schemas.Partner) { p.Country = "XX" },
			`INVALID: registering partner: field=country value="XX" rule=must be an ISO 3166-1 alpha-2 country code`},
		{"an unknown role is invalid", func(e *env, p *schemas.Partner) { p.Roles = []string{"pirate"} },
			`INVALID: registering partner: field=roles[0] value="pirate" rule=value must be one of 'exporter', 'importer', 'forwarder', 'carrier', 'terminal', 'broker', 'certificate-issuer', 'device', 'customs'`},
		{"a legal name over 200 characters is invalid", func(e *env, p *schemas.Partner) { p.LegalName = strings.Repeat("a", 201) },
			`INVALID: registering partner: field=legalName value="` + strings.Repeat("a", 64) + `..." rule=must have at most 200 characters, got 201`},
		{"a key whose address is not its public key's is invalid", func(e *env, p *schemas.Partner) {
			p.Keys[0].Address = crypto.PubkeyToAddress(other.PublicKey).Hex()
		}, fmt.Sprintf(`INVALID: registering partner: field=keys[0].address value=%q rule=address must be derived from publicKey (%s)`,
			crypto.PubkeyToAddress(other.PublicKey).Hex(), crypto.PubkeyToAddress(k.PublicKey).Hex())},
		{"key times are set by the contract", func(e *env, p *schemas.Partner) { p.Keys[0].AddedAt = "2020-01-01T00:00:00Z" },
			`INVALID: registering partner: field=keys[0].addedAt value="2020-01-01T00:00:00Z" rule=key times are set by the contract`},
		{"the status is set by the contract", func(e *env, p *schemas.Partner) { p.Status = "active" },
			`INVALID: registering partner: field=status value="active" rule=status and times are set by the contract`},
		{"a partner ID registered before is a duplicate", func(e *env, p *schemas.Partner) { p.ID = "carrier" },
			`DUPLICATE: registering partner: partner "carrier" is already registered`},
		{"a key registered to another partner is a duplicate", func(e *env, p *schemas.Partner) {
			p.Keys = []schemas.SigningKey{schemas.NewSigningKey(e.keys["carrier"], "")}
		}, `DUPLICATE: registering partner: key ADDR is already registered to partner "carrier"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			p := good()
			tc.mutate(e, &p)
			want := strings.ReplaceAll(tc.want, "ADDR", crypto.PubkeyToAddress(e.keys["carrier"].PublicKey).Hex())
			e.refused(want, "Carrier/admin", "RegisterPartner", mustJSON(t, p))
		})
	}
}

func TestKeyLifecycle(t *testing.T) {
	e := newEnv(t)
	oldKey := e.keys["carrier"]
	oldAddr := crypto.PubkeyToAddress(oldKey.PublicKey).Hex()
	before := e.touchpoint("carrier", container("gate-in"), nil)
	e.record(before)

	// Rotate: new key added, old key revoked in one transaction.
	newKey, _ := crypto.GenerateKey()
	var p schemas.Partner
	e.okInto(&p, "Carrier/admin", "RotateKey", "carrier", oldAddr, mustJSON(t, schemas.NewSigningKey(newKey, "rotated")))
	if k := p.Key(oldAddr); k == nil || k.RevokedAt == "" || !strings.HasPrefix(k.RevokeReason, "rotated to 0x") {
		t.Fatalf("old key after rotation: %+v", k)
	}
	if k := p.Key(crypto.PubkeyToAddress(newKey.PublicKey).Hex()); k == nil || k.RevokedAt != "" {
		t.Fatalf("new key after rotation: %+v", k)
	}

	// The record signed before the revocation stays verified.
	var item schemas.TraceItem
	e.okInto(&item, "Customs/user1", "GetRecord", before.ID)
	if item.Status != schemas.StatusVerified || !strings.Contains(item.StatusDetail, "key revoked later") {
		t.Fatalf("record signed before revocation: %s (%s)", item.Status, item.StatusDetail)
	}
	// A new record with the old key is refused; with the new key accepted.
	stale := e.touchpoint("carrier", container("stuffed"), nil)
	e.refused(fmt.Sprintf(`FORBIDDEN: recording touchpoint: key %s of partner "carrier" was revoked at %s`, oldAddr, p.Key(oldAddr).RevokedAt),
		"Carrier/user1", "RecordTouchpoint", mustJSON(t, stale))
	e.keys["carrier"] = newKey
	e.record(e.touchpoint("carrier", container("stuffed"), nil))

	var byKey schemas.Partner
	e.okInto(&byKey, "Customs/user1", "GetPartnerByKey", oldAddr)
	if byKey.ID != "carrier" {
		t.Fatalf("revoked key resolves to %q", byKey.ID)
	}

	third, _ := crypto.GenerateKey()
	thirdAddr := crypto.PubkeyToAddress(third.PublicKey).Hex()
	cases := []struct {
		name string
		who  string
		fn   string
		args []string
		want string
	}{
		{"revoking a revoked key conflicts", "Carrier/admin", "RevokeKey", []string{"carrier", oldAddr, "again"},
			fmt.Sprintf(`CONFLICT: revoking key: key %s of partner "carrier" was already revoked at %s`, oldAddr, p.Key(oldAddr).RevokedAt)},
		{"revoking needs a reason", "Carrier/admin", "RevokeKey", []string{"carrier", thirdAddr, " "},
			`INVALID: revoking key: field=reason value=" " rule=a revocation needs a reason of 1-2000 characters`},
		{"revoking an unknown key is not found", "Carrier/admin", "RevokeKey", []string{"carrier", thirdAddr, "lost"},
			fmt.Sprintf(`NOT_FOUND: revoking key: partner "carrier" has no key %s`, thirdAddr)},
		{"revoking a malformed address is invalid", "Carrier/admin", "RevokeKey", []string{"carrier", "0x12", "lost"},
			`INVALID: revoking key: field=address value="0x12" rule=address must be 0x followed by 40 hex digits`},
		{"another org's admin may not revoke", "Exporter/admin", "RevokeKey", []string{"carrier", oldAddr, "x"},
			`FORBIDDEN: revoking key of partner "carrier": caller x509::CN=Admin@Exporter,OU=admin,O=ExporterMSP::CN=ca.exportermsp,O=ExporterMSP of ExporterMSP is not an admin of CarrierMSP nor of a governance MSP (CustomsMSP)`},
		{"adding a key to an unknown partner is not found", "Carrier/admin", "AddKey", []string{"ghost", mustJSON(t, schemas.NewSigningKey(third, ""))},
			`NOT_FOUND: adding key: partner "ghost" is not registered`},
		{"adding a key already registered is a duplicate", "Carrier/admin", "AddKey", []string{"carrier", mustJSON(t, schemas.NewSigningKey(newKey, ""))},
			fmt.Sprintf(`DUPLICATE: adding key: key %s is already registered to partner "carrier"`, crypto.PubkeyToAddress(newKey.PublicKey).Hex())},
		{"adding a malformed key is invalid", "Carrier/admin", "AddKey", []string{"carrier", `{"address":"0x1","publicKey":"0x04"}`},
			`INVALID: adding key: field=address value="0x1" rule='0x1' does not match pattern '^0x[0-9a-fA-F]{40}$'`},
		{"rotating a revoked key conflicts", "Carrier/admin", "RotateKey", []string{"carrier", oldAddr, mustJSON(t, schemas.NewSigningKey(third, ""))},
			fmt.Sprintf(`CONFLICT: rotating key: key %s of partner "carrier" was already revoked at %s`, oldAddr, p.Key(oldAddr).RevokedAt)},
		{"rotating an unknown key is not found", "Carrier/admin", "RotateKey", []string{"carrier", thirdAddr, mustJSON(t, schemas.NewSigningKey(third, ""))},
			fmt.Sprintf(`NOT_FOUND: rotating key: partner "carrier" has no key %s`, thirdAddr)},
		{"a partner status must be active or suspended", "Carrier/admin", "SetPartnerStatus", []string{"carrier", "gone", "x"},
			`INVALID: setting partner status: field=status value="gone" rule=must be active or suspended`},
		{"a status change needs a reason", "Carrier/admin", "SetPartnerStatus", []string{"carrier", "suspended", ""},
			`INVALID: setting partner status: field=reason value="" rule=a status change needs a reason of 1-2000 characters`},
		{"setting the current status conflicts", "Carrier/admin", "SetPartnerStatus", []string{"carrier", "active", "x"},
			`CONFLICT: setting partner status: partner "carrier" is already active`},
		{"a malformed partner ID is invalid", "Carrier/admin", "SetPartnerStatus", []string{"../x", "active", "x"},
			`INVALID: setting partner status: field=partnerId value="../x" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`},
		{"getting an unknown partner is not found", "Carrier/user1", "GetPartner", []string{"ghost"},
			`NOT_FOUND: getting partner: partner "ghost" is not registered`},
		{"getting a partner by an unknown key is not found", "Carrier/user1", "GetPartnerByKey", []string{thirdAddr},
			fmt.Sprintf(`NOT_FOUND: getting partner by key: key %s is not registered to any partner`, thirdAddr)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.refused(tc.want, tc.who, tc.fn, tc.args...)
		})
	}
	e.t = t

	// Suspension and reactivation.
	e.ok("Customs/admin", "SetPartnerStatus", "carrier", "suspended", "audit")
	e.refused(`FORBIDDEN: recording touchpoint: partner "carrier" is suspended`, "Carrier/user1", "RecordTouchpoint",
		mustJSON(t, e.touchpoint("carrier", container("loaded"), nil)))
	e.ok("Carrier/admin", "SetPartnerStatus", "carrier", "active", "audit passed")
	e.ok("Carrier/admin", "AddKey", "carrier", mustJSON(t, schemas.NewSigningKey(third, "spare")))

	var all schemas.Page[schemas.Partner]
	e.okInto(&all, "Customs/user1", "ListPartners", "4", "")
	var next schemas.Page[schemas.Partner]
	e.okInto(&next, "Customs/user1", "ListPartners", "4", all.Bookmark)
	if all.Count != 4 || next.Count != 2 || next.Bookmark != "" {
		t.Fatalf("partner pages of %d and %d (bookmark %q), want 4 and 2", all.Count, next.Count, next.Bookmark)
	}
}
