package profile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/aeoledger/aeoledger/network/profile"
	"github.com/stretchr/testify/require"
)

const fabricProfile = `name: fabric-test-network
channel: aeo
chaincode: aeoledger
gateway:
  address: 127.0.0.1:7051
  tlsCACert: crypto/peerOrganizations/org1/tlsca/tlsca.org1-cert.pem
  serverName: peer0.org1.example.com
orgs:
  Org1MSP:
    msp: crypto/peerOrganizations/org1/msp
    identities:
      user1:
        cert: crypto/peerOrganizations/org1/users/User1/msp/signcerts/cert.pem
        key: /abs/keystore/priv_sk
orderers:
  - mspID: OrdererMSP
    address: 127.0.0.1:7050
    tlsCACert: crypto/ordererOrganizations/tlsca.pem
    serverName: orderer.example.com
    msp: crypto/ordererOrganizations/msp
`

func writeProfile(t *testing.T, body string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "connection.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return dir, path
}

func TestLoadDescribesAFabricNetworkWithPathsRelativeToTheProfile(t *testing.T) {
	dir, path := writeProfile(t, fabricProfile)
	p, err := profile.Load(path)
	require.NoError(t, err)
	require.Equal(t, "peer0.org1.example.com", p.Gateway.ServerName)
	require.Equal(t, filepath.Join(dir, "crypto/peerOrganizations/org1/tlsca/tlsca.org1-cert.pem"), p.Resolve(p.Gateway.TLSCACert))
	require.Len(t, p.Orderers, 1)
	require.Equal(t, "127.0.0.1:7050", p.Orderers[0].Address)

	id, err := p.Identity("Org1MSP", "user1")
	require.NoError(t, err)
	require.Equal(t, profile.Identity{
		MSPID:    "Org1MSP",
		Name:     "user1",
		CertPath: filepath.Join(dir, "crypto/peerOrganizations/org1/users/User1/msp/signcerts/cert.pem"),
		KeyPath:  "/abs/keystore/priv_sk",
	}, id)
}

func TestIdentityNamesWhatIsMissing(t *testing.T) {
	_, path := writeProfile(t, fabricProfile)
	p, err := profile.Load(path)
	require.NoError(t, err)
	cases := []struct {
		name, msp, id, wantErr string
	}{
		{"an unknown org is named", "Org9MSP", "user1", `looking up identity: field=mspID value="Org9MSP" rule=must be one of [Org1MSP]: unknown identity`},
		{"an unknown identity is named", "Org1MSP", "admin", `looking up identity: field=name value="admin" rule=must be one of [user1]: unknown identity`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Identity(tc.msp, tc.id)
			require.ErrorIs(t, err, profile.ErrUnknownIdentity)
			require.EqualError(t, err, tc.wantErr)
		})
	}
}

func TestLoadRefusesBadProfiles(t *testing.T) {
	valid := func(mutate func(*profile.Profile)) *profile.Profile {
		p := &profile.Profile{
			Channel: "aeo", Chaincode: "aeoledger",
			Gateway: profile.Endpoint{Address: "127.0.0.1:7051", TLSCACert: "tls.pem"},
			Orgs:    map[string]profile.Org{"AMSP": {Identities: map[string]profile.IdentityPath{"u": {Cert: "c", Key: "k"}}}},
		}
		mutate(p)
		return p
	}
	cases := []struct {
		name    string
		p       *profile.Profile
		wantErr string
	}{
		{"an upper-case channel is refused", valid(func(p *profile.Profile) { p.Channel = "AEO" }),
			`field=channel value="AEO" rule=must be a Fabric channel name (lower case letters, digits, '.', '-'): invalid connection profile`},
		{"a missing chaincode is refused", valid(func(p *profile.Profile) { p.Chaincode = "" }),
			`field=chaincode value="" rule=must be a chaincode name: invalid connection profile`},
		{"a gateway address without port is refused", valid(func(p *profile.Profile) { p.Gateway.Address = "127.0.0.1" }),
			`field=gateway.address value="127.0.0.1" rule=must be host:port: invalid connection profile`},
		{"a gateway without TLS CA is refused", valid(func(p *profile.Profile) { p.Gateway.TLSCACert = "" }),
			`field=gateway.tlsCACert value="" rule=must name the TLS CA certificate of the gateway: invalid connection profile`},
		{"a profile without orgs is refused", valid(func(p *profile.Profile) { p.Orgs = nil }),
			`field=orgs value="" rule=must list at least one organisation: invalid connection profile`},
		{"an identity without key is refused", valid(func(p *profile.Profile) {
			p.Orgs["AMSP"] = profile.Org{Identities: map[string]profile.IdentityPath{"u": {Cert: "c"}}}
		}), `field=orgs.AMSP.identities.u.key value="" rule=must not be empty: invalid connection profile`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "connection.yaml")
			err := tc.p.Save(path)
			require.ErrorIs(t, err, profile.ErrInvalid)
			require.EqualError(t, err, "saving profile: "+tc.wantErr)
			entries, _ := os.ReadDir(dir)
			require.Empty(t, entries, "a refused profile writes nothing")
		})
	}
}

func TestSaveThenLoadRoundTrips(t *testing.T) {
	_, path := writeProfile(t, fabricProfile)
	p, err := profile.Load(path)
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "copy.yaml")
	require.NoError(t, p.Save(out))
	q, err := profile.Load(out)
	require.NoError(t, err)
	require.Equal(t, p.Gateway, q.Gateway)
	require.Equal(t, p.Orgs, q.Orgs)
	require.Equal(t, p.Orderers, q.Orderers)
}

func TestLoadRefusesUnknownFields(t *testing.T) {
	_, path := writeProfile(t, fabricProfile+"surprise: 1\n")
	_, err := profile.Load(path)
	require.ErrorIs(t, err, profile.ErrInvalid)
	require.ErrorContains(t, err, "field surprise not found")
}

func TestCredentialsReadTheIdentityFiles(t *testing.T) {
	n, err := devnet.Init(filepath.Join(t.TempDir(), "net"), devnet.Options{Orgs: []string{"ExporterMSP"}})
	require.NoError(t, err)
	p, err := n.Profile()
	require.NoError(t, err)
	id, err := p.Identity("ExporterMSP", "user1")
	require.NoError(t, err)
	certPEM, key, err := id.Credentials()
	require.NoError(t, err)
	certs, err := msp.ParseCertificatesPEM(certPEM)
	require.NoError(t, err)
	require.True(t, key.PublicKey.Equal(certs[0].PublicKey), "the key belongs to the certificate")

	missing := profile.Identity{MSPID: "ExporterMSP", Name: "ghost", CertPath: filepath.Join(t.TempDir(), "none.pem"), KeyPath: id.KeyPath}
	_, _, err = missing.Credentials()
	require.ErrorIs(t, err, os.ErrNotExist)
}
