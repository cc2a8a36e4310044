package chaincode

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/aeoledger/aeoledger/schemas"
)

// RegisterPartner registers a partner and its signing keys. Only an admin of
// the partner's own MSP or the governance role may do it.
func (c *Contract) RegisterPartner(ctx contractapi.TransactionContextInterface, partnerJSON string) (string, error) {
	return respond(c.registerPartner(ctx, partnerJSON))
}

func (c *Contract) registerPartner(ctx contractapi.TransactionContextInterface, partnerJSON string) (*schemas.Partner, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	p, err := parse[schemas.Partner](schemas.KindPartner, partnerJSON)
	if err != nil {
		return nil, fmt.Errorf("registering partner: %w", err)
	}
	for i, k := range p.Keys {
		if k.AddedAt != "" || k.RevokedAt != "" || k.RevokeReason != "" {
			return nil, fmt.Errorf("registering partner: %w", invalid(fmt.Sprintf("keys[%d].addedAt", i), k.AddedAt+k.RevokedAt, "key times are set by the contract"))
		}
	}
	if p.Status != "" || p.CreatedAt != "" || p.UpdatedAt != "" || p.StatusReason != "" {
		return nil, fmt.Errorf("registering partner: %w", invalid("status", p.Status, "status and times are set by the contract"))
	}
	if err := t.authorizePartnerAdmin(p.MSPID); err != nil {
		return nil, fmt.Errorf("registering partner %q: %w", p.ID, err)
	}
	pk, err := t.key(objPartner, p.ID)
	if err != nil {
		return nil, err
	}
	if ok, err := t.exists(pk); err != nil {
		return nil, err
	} else if ok {
		return nil, fmt.Errorf("registering partner: %w", fail(ErrDuplicate, "partner %q is already registered", p.ID))
	}
	for i := range p.Keys {
		p.Keys[i].Address = schemas.NormalizeAddress(p.Keys[i].Address)
		if err := t.keyUnused(p.Keys[i].Address); err != nil {
			return nil, fmt.Errorf("registering partner: %w", err)
		}
		p.Keys[i].AddedAt = t.nowStr
	}
	if p.Keys == nil {
		p.Keys = []schemas.SigningKey{}
	}
	p.Status, p.CreatedAt, p.UpdatedAt = schemas.PartnerActive, t.nowStr, t.nowStr
	if err := t.storePartner(pk, p); err != nil {
		return nil, err
	}
	if err := t.putIndex(objMSP, p.ID, p.MSPID, p.ID); err != nil {
		return nil, err
	}
	return p, t.emit(EventPartner, p)
}

// authorizePartnerAdmin allows an admin of msp or of a governance MSP.
func (t *txn) authorizePartnerAdmin(msp string) error {
	who, err := t.caller()
	if err != nil {
		return err
	}
	if t.isGovernance(who) || (who.MSPID == msp && t.isAdmin()) {
		return nil
	}
	return fail(ErrForbidden, "caller %s of %s is not an admin of %s nor of a governance MSP (%s)",
		who.ID, who.MSPID, msp, strings.Join(slices.Sorted(maps.Keys(t.c.governance)), ", "))
}

func (t *txn) keyUnused(address string) error {
	kk, err := t.key(objKey, address)
	if err != nil {
		return err
	}
	raw, err := t.getState(kk)
	if err != nil {
		return fmt.Errorf("reading key index: %w", err)
	}
	if len(raw) == 0 {
		return nil
	}
	owner, _, err := keyOwner(raw)
	if err != nil {
		return err
	}
	return fail(ErrDuplicate, "key %s is already registered to partner %q", address, owner)
}

// storePartner writes the partner at pk and, under each of its key
// addresses, the same bytes: a touchpoint then finds its signer's partner
// in the same read as the shipment (one round trip to a Fabric peer, not
// two). Every change of a partner goes through registerPartner or
// changePartner, which call this, so a key entry never differs from
// aeo.partner.
func (t *txn) storePartner(pk string, p *schemas.Partner) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encoding value: %w", err)
	}
	if err := t.stub.PutState(pk, raw); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	for _, k := range p.Keys {
		kk, err := t.key(objKey, k.Address)
		if err != nil {
			return err
		}
		if err := t.stub.PutState(kk, raw); err != nil {
			return fmt.Errorf("writing index %s: %w", objKey, err)
		}
	}
	return nil
}

// keyOwner decodes an aeo.key entry: the owning partner as JSON, or (as
// written before the entry held the partner) just its ID, in which case
// the partner is nil and must be loaded.
func keyOwner(raw []byte) (string, *schemas.Partner, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return string(raw), nil, nil
	}
	var p schemas.Partner
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", nil, fmt.Errorf("decoding key index entry: %w", err)
	}
	return p.ID, &p, nil
}

// loadPartner reads a partner or fails with ErrNotFound.
func (t *txn) loadPartner(id string) (*schemas.Partner, string, error) {
	p, pk, err := load[schemas.Partner](t, objPartner, id)
	if err == nil && p == nil {
		return nil, "", fail(ErrNotFound, "partner %q is not registered", id)
	}
	return p, pk, err
}

// partnerByKey resolves a signing address to its partner.
func (t *txn) partnerByKey(address string) (*schemas.Partner, error) {
	kk, err := t.key(objKey, schemas.NormalizeAddress(address))
	if err != nil {
		return nil, err
	}
	raw, err := t.getState(kk)
	if err != nil {
		return nil, fmt.Errorf("reading key index: %w", err)
	}
	if len(raw) == 0 {
		return nil, fail(ErrNotFound, "key %s is not registered to any partner", address)
	}
	id, p, err := keyOwner(raw)
	if err != nil || p != nil {
		return p, err
	}
	p, _, err = t.loadPartner(id)
	return p, err
}

// changePartner loads a partner, checks the caller may manage it, applies
// change and stores the result.
func (c *Contract) changePartner(ctx contractapi.TransactionContextInterface, what, partnerID string,
	change func(t *txn, p *schemas.Partner) error) (*schemas.Partner, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := schemas.ValidateID("partnerId", partnerID); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	p, pk, err := t.loadPartner(partnerID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := t.authorizePartnerAdmin(p.MSPID); err != nil {
		return nil, fmt.Errorf("%s of partner %q: %w", what, partnerID, err)
	}
	if err := change(t, p); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	p.UpdatedAt = t.nowStr
	if err := t.storePartner(pk, p); err != nil {
		return nil, err
	}
	return p, t.emit(EventPartner, p)
}

func (t *txn) addKey(p *schemas.Partner, keyJSON string) (string, error) {
	k, err := parse[schemas.SigningKey](schemas.KindSigningKey, keyJSON)
	if err != nil {
		return "", err
	}
	if k.AddedAt != "" || k.RevokedAt != "" || k.RevokeReason != "" {
		return "", invalid("addedAt", k.AddedAt+k.RevokedAt, "key times are set by the contract")
	}
	if len(p.Keys) >= schemas.MaxKeys {
		return "", fail(ErrConflict, "partner %q already has the maximum of %d keys", p.ID, schemas.MaxKeys)
	}
	k.Address = schemas.NormalizeAddress(k.Address)
	if err := t.keyUnused(k.Address); err != nil {
		return "", err
	}
	k.AddedAt = t.nowStr
	p.Keys = append(p.Keys, *k) // changePartner indexes it with the others
	return k.Address, nil
}

func (t *txn) revokeKey(p *schemas.Partner, address, reason string) error {
	if err := schemas.ValidateAddress("address", address); err != nil {
		return err
	}
	k := p.Key(address)
	if k == nil {
		return fail(ErrNotFound, "partner %q has no key %s", p.ID, address)
	}
	if k.RevokedAt != "" {
		return fail(ErrConflict, "key %s of partner %q was already revoked at %s", k.Address, p.ID, k.RevokedAt)
	}
	k.RevokedAt, k.RevokeReason = t.nowStr, reason
	return nil
}

// AddKey adds a signing key to a partner.
func (c *Contract) AddKey(ctx contractapi.TransactionContextInterface, partnerID, keyJSON string) (string, error) {
	return respond(c.changePartner(ctx, "adding key", partnerID, func(t *txn, p *schemas.Partner) error {
		_, err := t.addKey(p, keyJSON)
		return err
	}))
}

// RotateKey adds a new key and revokes the old one in one transaction.
func (c *Contract) RotateKey(ctx contractapi.TransactionContextInterface, partnerID, oldAddress, newKeyJSON string) (string, error) {
	return respond(c.changePartner(ctx, "rotating key", partnerID, func(t *txn, p *schemas.Partner) error {
		if err := schemas.ValidateAddress("oldAddress", oldAddress); err != nil {
			return err
		}
		if k := p.Key(oldAddress); k == nil {
			return fail(ErrNotFound, "partner %q has no key %s", p.ID, oldAddress)
		} else if k.RevokedAt != "" {
			return fail(ErrConflict, "key %s of partner %q was already revoked at %s", k.Address, p.ID, k.RevokedAt)
		}
		addr, err := t.addKey(p, newKeyJSON)
		if err != nil {
			return err
		}
		return t.revokeKey(p, oldAddress, "rotated to "+addr)
	}))
}

// RevokeKey revokes a key. Records it signed before now stay valid; new
// records signed with it are refused.
func (c *Contract) RevokeKey(ctx contractapi.TransactionContextInterface, partnerID, address, reason string) (string, error) {
	return respond(c.changePartner(ctx, "revoking key", partnerID, func(t *txn, p *schemas.Partner) error {
		if strings.TrimSpace(reason) == "" || len(reason) > schemas.MaxTextLen {
			return invalid("reason", reason, "a revocation needs a reason of 1-%d characters", schemas.MaxTextLen)
		}
		return t.revokeKey(p, address, reason)
	}))
}

// SetPartnerStatus suspends or reactivates a partner. A suspended partner's
// keys sign nothing new.
func (c *Contract) SetPartnerStatus(ctx contractapi.TransactionContextInterface, partnerID, status, reason string) (string, error) {
	return respond(c.changePartner(ctx, "setting partner status", partnerID, func(t *txn, p *schemas.Partner) error {
		if status != schemas.PartnerActive && status != schemas.PartnerSuspended {
			return invalid("status", status, "must be active or suspended")
		}
		if strings.TrimSpace(reason) == "" || len(reason) > schemas.MaxTextLen {
			return invalid("reason", reason, "a status change needs a reason of 1-%d characters", schemas.MaxTextLen)
		}
		if p.Status == status {
			return fail(ErrConflict, "partner %q is already %s", p.ID, status)
		}
		p.Status, p.StatusReason = status, reason
		return nil
	}))
}

// GetPartner returns a partner.
func (c *Contract) GetPartner(ctx contractapi.TransactionContextInterface, partnerID string) (string, error) {
	return respond(c.getPartner(ctx, partnerID))
}

func (c *Contract) getPartner(ctx contractapi.TransactionContextInterface, partnerID string) (*schemas.Partner, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := schemas.ValidateID("partnerId", partnerID); err != nil {
		return nil, fmt.Errorf("getting partner: %w", err)
	}
	p, _, err := t.loadPartner(partnerID)
	if err != nil {
		return nil, fmt.Errorf("getting partner: %w", err)
	}
	return p, nil
}

// GetPartnerByKey returns the partner that owns a signing address.
func (c *Contract) GetPartnerByKey(ctx contractapi.TransactionContextInterface, address string) (string, error) {
	return respond(c.getPartnerByKey(ctx, address))
}

func (c *Contract) getPartnerByKey(ctx contractapi.TransactionContextInterface, address string) (*schemas.Partner, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := schemas.ValidateAddress("address", address); err != nil {
		return nil, fmt.Errorf("getting partner by key: %w", err)
	}
	p, err := t.partnerByKey(address)
	if err != nil {
		return nil, fmt.Errorf("getting partner by key: %w", err)
	}
	return p, nil
}

// ListPartners pages through all partners.
func (c *Contract) ListPartners(ctx contractapi.TransactionContextInterface, pageSize int32, bookmark string) (string, error) {
	return respond(pageOf[schemas.Partner](c, ctx, objPartner, nil, pageSize, bookmark, "listing partners", nil))
}

// partnersOfMSP lists the partners registered for an MSP.
func (t *txn) partnersOfMSP(msp string) ([]*schemas.Partner, error) {
	it, err := t.stub.GetStateByPartialCompositeKey(objMSP, []string{msp})
	if err != nil {
		return nil, fmt.Errorf("listing partners of %s: %w", msp, err)
	}
	defer it.Close()
	var out []*schemas.Partner
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("listing partners of %s: %w", msp, err)
		}
		p, _, err := t.loadPartner(string(kv.Value))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// callerPartner returns an active partner of the caller's MSP that has one
// of roles (any role when roles is empty), or fails with ErrForbidden.
func (t *txn) callerPartner(what string, roles ...string) (*schemas.Partner, schemas.Identity, error) {
	who, err := t.caller()
	if err != nil {
		return nil, who, err
	}
	ps, err := t.partnersOfMSP(who.MSPID)
	if err != nil {
		return nil, who, err
	}
	for _, p := range ps {
		if p.Status != schemas.PartnerActive {
			continue
		}
		if len(roles) == 0 {
			return p, who, nil
		}
		for _, r := range roles {
			if p.HasRole(r) {
				return p, who, nil
			}
		}
	}
	if len(roles) == 0 {
		return nil, who, fail(ErrForbidden, "%s has no active registered partner and may not %s", who.MSPID, what)
	}
	return nil, who, fail(ErrForbidden, "%s has no active partner with role %s and may not %s", who.MSPID, strings.Join(roles, " or "), what)
}
