package listener_test

// This test runs the real pieces end to end: the aeoledger contract
// (chaincode.New) executed by the embedded peer's ledger (network/ledger),
// which orders, validates and commits Fabric-format blocks; the listener
// subscribes to them and projects them into the read model. Only the
// gateway's gRPC layer is left out: the proposals and envelopes are built
// here the way a Fabric client builds them.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/aeoledger/aeoledger/chaincode"
	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/listener"
	"github.com/aeoledger/aeoledger/workers/readmodel"
)

// x509Identity is a Fabric X.509 identity with its P-256 key.
type x509Identity struct {
	key        *ecdsa.PrivateKey
	serialized []byte
}

func newX509Identity(t *testing.T, mspID, cn, ou string) *x509Identity {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:   pkix.Name{CommonName: cn, Organization: []string{mspID}, OrganizationalUnit: []string{ou}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	ser, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})})
	require.NoError(t, err)
	return &x509Identity{key: key, serialized: ser}
}

func (id *x509Identity) Serialize() ([]byte, error) { return id.serialized, nil }

func (id *x509Identity) Sign(msg []byte) ([]byte, error) {
	d := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, id.key, d[:])
	if err != nil {
		return nil, err
	}
	// Fabric wants low-S signatures.
	if half := new(big.Int).Rsh(elliptic.P256().Params().N, 1); s.Cmp(half) > 0 {
		s.Sub(elliptic.P256().Params().N, s)
	}
	return asn1Sig(r, s), nil
}

func asn1Sig(r, s *big.Int) []byte {
	enc := func(v *big.Int) []byte {
		b := v.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return append([]byte{0x02, byte(len(b))}, b...)
	}
	body := append(enc(r), enc(s)...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

// peerNode drives the embedded ledger the way the gateway does: simulate,
// endorse, order, wait for commit.
type peerNode struct {
	t  *testing.T
	l  *ledger.Ledger
	cc *x509Identity // endorser
}

func (p *peerNode) submit(who *x509Identity, fn string, args ...string) {
	t := p.t
	t.Helper()
	ctx := context.Background()
	nonce := make([]byte, 24)
	_, err := rand.Read(nonce)
	require.NoError(t, err)
	idSum := sha256.Sum256(append(append([]byte{}, nonce...), who.serialized...))
	txID := hex.EncodeToString(idSum[:])
	ccID := &peer.ChaincodeID{Name: "aeoledger"}
	ext, err := proto.Marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: ccID})
	require.NoError(t, err)
	chdr, err := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: "aeo", TxId: txID,
		Timestamp: timestamppb.Now(), Extension: ext})
	require.NoError(t, err)
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: who.serialized, Nonce: nonce})
	require.NoError(t, err)
	input := [][]byte{[]byte(fn)}
	for _, a := range args {
		input = append(input, []byte(a))
	}
	cis, err := proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{Type: peer.ChaincodeSpec_GOLANG,
		ChaincodeId: ccID, Input: &peer.ChaincodeInput{Args: input}}})
	require.NoError(t, err)
	cpp, err := proto.Marshal(&peer.ChaincodeProposalPayload{Input: cis})
	require.NoError(t, err)
	hdr, err := proto.Marshal(&common.Header{ChannelHeader: chdr, SignatureHeader: shdr})
	require.NoError(t, err)
	prop, err := proto.Marshal(&peer.Proposal{Header: hdr, Payload: cpp})
	require.NoError(t, err)
	sig, err := who.Sign(prop)
	require.NoError(t, err)

	in, err := ledger.ProposalInput(&peer.SignedProposal{ProposalBytes: prop, Signature: sig})
	require.NoError(t, err)
	in.Chaincode, err = chaincode.New()
	require.NoError(t, err)
	res, err := p.l.Simulate(ctx, in)
	require.NoError(t, err)
	require.Less(t, res.Response.GetStatus(), int32(400), "%s refused: %s", fn, res.Response.GetMessage())
	act, err := res.ChaincodeAction(ccID)
	require.NoError(t, err)
	actBytes, err := proto.Marshal(act)
	require.NoError(t, err)
	propHash := sha256.Sum256(prop)
	prp, err := proto.Marshal(&peer.ProposalResponsePayload{ProposalHash: propHash[:], Extension: actBytes})
	require.NoError(t, err)
	endorsement, err := p.cc.Sign(append(append([]byte{}, prp...), p.cc.serialized...))
	require.NoError(t, err)
	actionPayload, err := proto.Marshal(&peer.ChaincodeActionPayload{ChaincodeProposalPayload: cpp, Action: &peer.ChaincodeEndorsedAction{
		ProposalResponsePayload: prp, Endorsements: []*peer.Endorsement{{Endorser: p.cc.serialized, Signature: endorsement}}}})
	require.NoError(t, err)
	txBytes, err := proto.Marshal(&peer.Transaction{Actions: []*peer.TransactionAction{{Header: shdr, Payload: actionPayload}}})
	require.NoError(t, err)
	payload, err := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr}, Data: txBytes})
	require.NoError(t, err)
	envSig, err := who.Sign(payload)
	require.NoError(t, err)
	require.NoError(t, p.l.Order(ctx, &common.Envelope{Payload: payload, Signature: envSig}))
	_, code, err := p.l.WaitForTx(ctx, txID)
	require.NoError(t, err)
	require.Equal(t, peer.TxValidationCode_VALID, code, "%s", fn)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestProjectingTheRealContractOnTheEmbeddedLedger(t *testing.T) {
	orderer := newX509Identity(t, "OrdererMSP", "orderer", "orderer")
	l, err := ledger.Open(t.TempDir(), ledger.Options{ChannelID: "aeo", Signer: orderer, BatchTimeout: time.Millisecond})
	require.NoError(t, err)
	defer l.Close()
	node := &peerNode{t: t, l: l, cc: newX509Identity(t, "CustomsMSP", "peer0", "peer")}

	customsAdmin := newX509Identity(t, "CustomsMSP", "Admin@customs", "admin")
	carrierAdmin := newX509Identity(t, "CarrierMSP", "Admin@carrier", "admin")
	carrierUser := newX509Identity(t, "CarrierMSP", "User1@carrier", "client")
	carrierKey, err := crypto.GenerateKey()
	require.NoError(t, err)
	customsKey, err := crypto.GenerateKey()
	require.NoError(t, err)

	node.submit(customsAdmin, "RegisterPartner", mustJSON(t, schemas.Partner{ID: "customs", MSPID: "CustomsMSP", LegalName: "Customs NL",
		Country: "NL", Roles: []string{schemas.RoleCustoms}, Keys: []schemas.SigningKey{schemas.NewSigningKey(customsKey, "main")}}))
	node.submit(carrierAdmin, "RegisterPartner", mustJSON(t, schemas.Partner{ID: "carrier", MSPID: "CarrierMSP", LegalName: "Blue Sea Lines",
		Country: "DK", Roles: []string{schemas.RoleCarrier}, Keys: []schemas.SigningKey{schemas.NewSigningKey(carrierKey, "main")}}))
	node.submit(carrierUser, "CreateShipment", mustJSON(t, schemas.Shipment{ID: "SHP-1",
		Consignor: schemas.Party{Name: "Exporter BV", Country: "NL"}, Consignee: schemas.Party{Name: "Importer Co", Country: "KR"},
		Parties: []string{"carrier"}, Origin: "NLRTM", Destination: "KRPUS", HSCodes: []string{"847150"},
		PlannedDeparture: "2026-11-28T08:00:00Z", PlannedArrival: "2026-12-20T08:00:00Z"}))
	record := func(minutesAgo int, mutate func(*schemas.Touchpoint)) string {
		tp := &schemas.Touchpoint{ShipmentID: "SHP-1", EventTime: time.Now().Add(-time.Duration(minutesAgo) * time.Minute).UTC().Format(time.RFC3339),
			Location: schemas.Location{UNLocode: "NLRTM"}}
		mutate(tp)
		require.NoError(t, schemas.SignRecord(carrierKey, tp))
		return mustJSON(t, tp)
	}
	node.submit(carrierUser, "RecordTouchpoint", record(30, func(tp *schemas.Touchpoint) {
		tp.Type, tp.Seal = schemas.TypeSeal, &schemas.SealEvent{Class: "H", Number: "SL123456", ContainerNumber: "CSQU3054383", Action: schemas.SealAffixed}
	}))
	node.submit(carrierUser, "RecordTouchpoint", record(20, func(tp *schemas.Touchpoint) {
		tp.Type, tp.Container = schemas.TypeContainer, &schemas.ContainerEvent{Number: "CSQU3054383", Action: schemas.ContainerLoaded}
	}))
	node.submit(carrierUser, "RecordTouchpoint", record(10, func(tp *schemas.Touchpoint) {
		tp.Type, tp.Seal = schemas.TypeSeal, &schemas.SealEvent{Class: "H", Number: "SL123456", ContainerNumber: "CSQU3054383", Action: schemas.SealBroken}
	}))
	node.submit(customsAdmin, "SubmitDeclaration", mustJSON(t, schemas.Declaration{ID: "DCL-1", Date: "2026-11-20", OfficeID: "30",
		ProcessType: "B", ImportType: "11", ImportUse: "21", PaymentType: "11", ModeOfTransport: "10", DeclarantID: "DEC1",
		ImporterID: "IMP1", SellerID: "SEL1", HSCode: "847150", CountryOfDeparture: "NL", CountryOfOrigin: "NL", TaxRate: 8,
		TaxType: "A", OriginIndicator: "B", NetMass: 100, ItemPrice: 1000, ShipmentID: "SHP-1"}))
	now := time.Now().UTC().Format(time.RFC3339)
	node.submit(customsAdmin, "RecordCompliance", mustJSON(t, schemas.ComplianceRecord{Kind: schemas.KindAlert, SubjectType: "shipment",
		SubjectID: "SHP-1", CreatedAt: now, Rule: "seal-broken", Severity: "high", Message: "seal SL123456 broken"}))

	ctx := context.Background()
	height := l.Height()
	live := open(t, "sqlite:"+t.TempDir()+"/rm.db")
	li, err := listener.New(live, listener.SourceFunc(l.SubscribeBlocks), fast())
	require.NoError(t, err)
	require.NoError(t, li.CatchUp(ctx, height-1))

	// What the contract wrote is what the read model shows.
	partners := 0
	require.NoError(t, live.Partners(ctx, func(readmodel.PartnerRow) error { partners++; return nil }))
	assert.Equal(t, 2, partners)
	byKey, err := live.PartnerByKey(ctx, crypto.PubkeyToAddress(carrierKey.PublicKey).Hex())
	require.NoError(t, err)
	assert.Equal(t, "carrier", byKey.ID)
	sh, err := live.Shipment(ctx, "SHP-1")
	require.NoError(t, err)
	require.NotNil(t, sh.State)
	assert.Equal(t, schemas.ShipmentInTransit, sh.State.Status)
	assert.Equal(t, schemas.SealStateBroken, sh.State.Seals["SL123456"])
	var types []string
	require.NoError(t, live.TouchpointsByShipment(ctx, "SHP-1", func(r readmodel.TouchpointRow) error {
		types = append(types, r.Type+"/"+r.Action)
		return nil
	}))
	assert.ElementsMatch(t, []string{"seal/affixed", "container/loaded", "seal/broken", "incident/seal-broken"}, types)
	var incidents []readmodel.IncidentRow
	require.NoError(t, live.Incidents(ctx, "SHP-1", func(r readmodel.IncidentRow) error { incidents = append(incidents, r); return nil }))
	require.Len(t, incidents, 1)
	assert.True(t, incidents[0].Generated, "the contract generated the incident")
	var decls []readmodel.DeclarationRow
	require.NoError(t, live.Declarations(ctx, readmodel.DeclarationFilter{HSPrefix: "8471"}, func(r readmodel.DeclarationRow) error {
		decls = append(decls, r)
		return nil
	}))
	require.Len(t, decls, 1)
	assert.Equal(t, "CustomsMSP", decls[0].SubmittedBy.MSPID)
	var alerts []readmodel.FollowUpRow
	require.NoError(t, live.Alerts(ctx, readmodel.FollowUpFilter{State: readmodel.StateOpen}, func(r readmodel.FollowUpRow) error {
		alerts = append(alerts, r)
		return nil
	}))
	require.Len(t, alerts, 1)
	assert.NotEmpty(t, alerts[0].Record.ID, "the contract set the record's id")

	// Acknowledge the alert; the listener catches up again, and a rebuild
	// from block 0 gives the same tables.
	node.submit(customsAdmin, "RecordCompliance", mustJSON(t, schemas.ComplianceRecord{Kind: schemas.KindAlertAck, SubjectType: "shipment",
		SubjectID: "SHP-1", CreatedAt: now, RefersTo: alerts[0].Record.ID, Officer: "j.doe", Response: "resealed"}))
	require.NoError(t, li.CatchUp(ctx, l.Height()-1))
	var closed int
	require.NoError(t, live.Alerts(ctx, readmodel.FollowUpFilter{State: readmodel.StateClosed}, func(readmodel.FollowUpRow) error { closed++; return nil }))
	assert.Equal(t, 1, closed)

	rebuilt := open(t, "sqlite:"+t.TempDir()+"/rebuilt.db")
	rb, err := listener.New(rebuilt, listener.SourceFunc(l.SubscribeBlocks), fast())
	require.NoError(t, err)
	require.NoError(t, rb.Rebuild(ctx, l.Height()-1))
	assert.Equal(t, dump(t, live), dump(t, rebuilt))
}
