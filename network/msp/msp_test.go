package msp_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/msp"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// fixture is one dev network shared by the tests of this file.
type fixture struct {
	net *devnet.Network
	mgr *msp.Manager
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	n, err := devnet.Init(filepath.Join(t.TempDir(), "net"), devnet.Options{Orgs: []string{"ExporterMSP", "CarrierMSP"}})
	require.NoError(t, err)
	mgr, err := n.LoadMSPs()
	require.NoError(t, err)
	return &fixture{net: n, mgr: mgr}
}

func (f *fixture) userMSP(org, name string) string {
	return filepath.Join(f.net.Dir, "organizations", org, "users", name, "msp")
}

func (f *fixture) signer(t *testing.T, org, name string) *msp.SigningIdentity {
	t.Helper()
	s, err := msp.LoadSigningIdentity(org, f.userMSP(org, name))
	require.NoError(t, err)
	return s
}

func serialize(t *testing.T, mspID string, certPEM []byte) []byte {
	t.Helper()
	raw, err := proto.Marshal(&mspproto.SerializedIdentity{Mspid: mspID, IdBytes: certPEM})
	require.NoError(t, err)
	return raw
}

// issueWithOrgCA issues a certificate from an org's CA with the given OUs.
func issueWithOrgCA(t *testing.T, f *fixture, org string, ous []string) []byte {
	t.Helper()
	caDir := filepath.Join(f.net.Dir, "organizations", org, "ca")
	caKey, err := msp.ReadPrivateKey(filepath.Join(caDir, "priv_sk"))
	require.NoError(t, err)
	caSI, err := msp.NewSigningIdentity(org, mustRead(t, filepath.Join(caDir, "ca-cert.pem")), caKey)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "odd", OrganizationalUnit: ous},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caSI.Certificate(), &key.PublicKey, caKey)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestDeserializeReportsRoleOrRefuses(t *testing.T) {
	f := newFixture(t)
	admin := f.signer(t, "ExporterMSP", "admin")
	user := f.signer(t, "ExporterMSP", "user1")
	carrier := f.signer(t, "CarrierMSP", "user1")
	peerID, err := f.net.PeerSigner()
	require.NoError(t, err)
	ordererID, err := f.net.OrdererSigner()
	require.NoError(t, err)

	cases := []struct {
		name       string
		serialized []byte
		wantRole   msp.Role
		wantErr    error
	}{
		{"a client of a trusted org is a client", serialize(t, "ExporterMSP", user.CertificatePEM()), msp.RoleClient, nil},
		{"an admin of a trusted org is an admin", serialize(t, "ExporterMSP", admin.CertificatePEM()), msp.RoleAdmin, nil},
		{"the peer identity is a peer", serialize(t, peerID.MSPID(), peerID.CertificatePEM()), msp.RolePeer, nil},
		{"the orderer identity is an orderer", serialize(t, "OrdererMSP", ordererID.CertificatePEM()), msp.RoleOrderer, nil},
		{"an unknown MSP ID is refused", serialize(t, "NobodyMSP", user.CertificatePEM()), "", msp.ErrUnknownMSP},
		{"a certificate from another org's CA is untrusted", serialize(t, "ExporterMSP", carrier.CertificatePEM()), "", msp.ErrUntrusted},
		{"a certificate without a role OU has no role", serialize(t, "ExporterMSP", issueWithOrgCA(t, f, "ExporterMSP", nil)), "", msp.ErrNoRole},
		{"a certificate with two role OUs has no role", serialize(t, "ExporterMSP", issueWithOrgCA(t, f, "ExporterMSP", []string{"client", "admin"})), "", msp.ErrNoRole},
		{"bytes that are no identity are malformed", []byte{0xff, 0x01}, "", msp.ErrMalformed},
		{"an identity without a PEM certificate is malformed", serialize(t, "ExporterMSP", []byte("not a pem")), "", msp.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, err := f.mgr.Deserialize(tc.serialized)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantRole, id.Role)
		})
	}
}

func TestDeserializeRefusesExpiredCertificates(t *testing.T) {
	f := newFixture(t)
	user := f.signer(t, "ExporterMSP", "user1")
	ser := serialize(t, "ExporterMSP", user.CertificatePEM())
	_, err := f.mgr.Deserialize(ser) // warm the cache: expiry must still be checked
	require.NoError(t, err)

	f.mgr.SetClock(func() time.Time { return user.Certificate().NotAfter.Add(time.Minute) })
	_, err = f.mgr.Deserialize(ser)
	require.ErrorIs(t, err, msp.ErrExpired)
}

func TestVerifyAcceptsOnlyGoodLowSSignatures(t *testing.T) {
	f := newFixture(t)
	user := f.signer(t, "ExporterMSP", "user1")
	other := f.signer(t, "ExporterMSP", "admin")
	id, err := f.mgr.Deserialize(serialize(t, "ExporterMSP", user.CertificatePEM()))
	require.NoError(t, err)
	msg := []byte("proposal bytes")
	good, err := user.Sign(msg)
	require.NoError(t, err)
	byOther, err := other.Sign(msg)
	require.NoError(t, err)

	cases := []struct {
		name    string
		msg     []byte
		sig     []byte
		wantErr error
	}{
		{"the signer's low-S signature verifies", msg, good, nil},
		{"a signature over other bytes is refused", []byte("tampered"), good, msp.ErrBadSignature},
		{"another identity's signature is refused", msg, byOther, msp.ErrBadSignature},
		{"the high-S twin of a good signature is refused", msg, highS(t, good), msp.ErrBadSignature},
		{"garbage is refused", msg, []byte("garbage"), msp.ErrBadSignature},
		{"an empty signature is refused", msg, nil, msp.ErrBadSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := id.Verify(tc.msg, tc.sig)
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
		})
	}
}

// highS returns the (also mathematically valid) signature with S' = N - S.
func highS(t *testing.T, sig []byte) []byte {
	t.Helper()
	var rs struct{ R, S *big.Int }
	_, err := asn1.Unmarshal(sig, &rs)
	require.NoError(t, err)
	rs.S = new(big.Int).Sub(elliptic.P256().Params().N, rs.S)
	out, err := asn1.Marshal(rs)
	require.NoError(t, err)
	return out
}

func TestSignProducesVerifiableDigestSignatures(t *testing.T) {
	f := newFixture(t)
	user := f.signer(t, "ExporterMSP", "user1")
	msg := []byte("payload")
	sig, err := user.Sign(msg)
	require.NoError(t, err)
	digest := sha256.Sum256(msg)
	require.True(t, ecdsa.VerifyASN1(&user.PrivateKey().PublicKey, digest[:], sig))
}

func TestLoadRefusesFoldersWithoutCACerts(t *testing.T) {
	dir := t.TempDir()
	_, err := msp.Load("EmptyMSP", dir)
	require.ErrorIs(t, err, msp.ErrInvalidMSPPath)
	require.EqualError(t, err, `loading msp EmptyMSP: field=cacerts value="`+filepath.Join(dir, "cacerts")+`" rule=must hold at least one CA certificate: invalid MSP folder`)
}

func TestNewManagerRefusesDuplicateMSPIDs(t *testing.T) {
	f := newFixture(t)
	a, err := msp.Load("ExporterMSP", filepath.Join(f.net.Dir, "organizations", "ExporterMSP", "msp"))
	require.NoError(t, err)
	_, err = msp.NewManager(a, a)
	require.True(t, errors.Is(err, msp.ErrInvalidMSPPath))
	require.EqualError(t, err, `building msp manager: field=mspID value="ExporterMSP" rule=must be unique: invalid MSP folder`)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	return raw
}

func TestIntermediateCAsAreFollowed(t *testing.T) {
	f := newFixture(t)
	orgMSP := filepath.Join(f.net.Dir, "organizations", "ExporterMSP", "msp")
	caDir := filepath.Join(f.net.Dir, "organizations", "ExporterMSP", "ca")
	rootKey, err := msp.ReadPrivateKey(filepath.Join(caDir, "priv_sk"))
	require.NoError(t, err)
	roots, err := msp.ParseCertificatesPEM(mustRead(t, filepath.Join(caDir, "ca-cert.pem")))
	require.NoError(t, err)

	interKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	interTmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "ica.exporter"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	interDER, err := x509.CreateCertificate(rand.Reader, interTmpl, roots[0], &interKey.PublicKey, rootKey)
	require.NoError(t, err)
	inter, err := x509.ParseCertificate(interDER)
	require.NoError(t, err)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(8), Subject: pkix.Name{CommonName: "user9", OrganizationalUnit: []string{"client"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, inter, &leafKey.PublicKey, interKey)
	require.NoError(t, err)
	leafPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})

	_, err = f.mgr.Deserialize(serialize(t, "ExporterMSP", leafPEM))
	require.ErrorIs(t, err, msp.ErrUntrusted, "without the intermediate the chain is broken")

	interDir := filepath.Join(orgMSP, "intermediatecerts")
	require.NoError(t, os.MkdirAll(interDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(interDir, "ica.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: interDER}), 0o644))
	withInter, err := msp.Load("ExporterMSP", orgMSP)
	require.NoError(t, err)
	mgr, err := msp.NewManager(withInter)
	require.NoError(t, err)
	id, err := mgr.Deserialize(serialize(t, "ExporterMSP", leafPEM))
	require.NoError(t, err)
	require.Equal(t, msp.RoleClient, id.Role)
}
