package devnet_test

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/attrmgr"
	"github.com/stretchr/testify/require"
)

func TestInitWritesAUsableNetwork(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	n, err := devnet.Init(dir, devnet.Options{Attributes: map[string]map[string]string{"CarrierMSP/user1": {"aeo.role": "carrier"}}})
	require.NoError(t, err)

	require.Equal(t, "aeo", n.Channel)
	require.Equal(t, "aeoledger", n.Chaincode)
	require.Equal(t, devnet.DefaultOrgs, n.AppOrgIDs())
	require.Equal(t, "ExporterMSP", n.Peer.MSPID)
	require.Equal(t, "OrdererMSP", n.Orderer.MSPID)

	mgr, err := n.LoadMSPs()
	require.NoError(t, err)
	require.Equal(t, []string{"CarrierMSP", "CustomsMSP", "ExporterMSP", "IssuerMSP", "OrdererMSP"}, mgr.MSPIDs())

	prof, err := n.Profile()
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:7051", prof.Gateway.Address)
	for _, org := range devnet.DefaultOrgs {
		for name, role := range map[string]msp.Role{"admin": msp.RoleAdmin, "user1": msp.RoleClient} {
			id, err := prof.Identity(org, name)
			require.NoError(t, err)
			signer, err := msp.LoadSigningIdentity(org, filepath.Dir(filepath.Dir(id.CertPath)))
			require.NoError(t, err)
			ser, _ := signer.Serialize()
			got, err := mgr.Deserialize(ser)
			require.NoError(t, err, "%s/%s", org, name)
			require.Equal(t, role, got.Role)
			attrs, err := attrmgr.New().GetAttributesFromCert(got.Certificate)
			require.NoError(t, err)
			require.Equal(t, name, attrs.Attrs["hf.EnrollmentID"])
			info, err := os.Stat(id.KeyPath)
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), id.KeyPath)
		}
	}
	carrier, err := prof.Identity("CarrierMSP", "user1")
	require.NoError(t, err)
	certs, err := msp.ParseCertificatesPEM(mustRead(t, carrier.CertPath))
	require.NoError(t, err)
	attrs, err := attrmgr.New().GetAttributesFromCert(certs[0])
	require.NoError(t, err)
	require.Equal(t, "carrier", attrs.Attrs["aeo.role"])

	// The TLS server certificate serves 127.0.0.1 and localhost under the gateway's TLS CA.
	tlsCfg, err := prof.GatewayTLS()
	require.NoError(t, err)
	server, err := msp.ParseCertificatesPEM(mustRead(t, n.Peer.TLSCert))
	require.NoError(t, err)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		_, err := server[0].Verify(x509.VerifyOptions{Roots: tlsCfg.RootCAs, DNSName: host})
		require.NoError(t, err, host)
	}

	// Every private key in the folder is 0600.
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		require.NoError(t, err)
		if strings.HasSuffix(p, "priv_sk") || strings.HasSuffix(p, "server.key") {
			require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), p)
		}
		return nil
	})
	require.NoError(t, err)
}

func TestInitRefusesBadInputAndWritesNothing(t *testing.T) {
	cases := []struct {
		name    string
		prepare func(dir string)
		opts    devnet.Options
		wantErr string
	}{
		{"a folder that already holds files is refused", func(dir string) {
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("x"), 0o644))
		}, devnet.Options{}, `initialising dev network: field=dir value="DIR" rule=must be empty or absent: invalid dev network`},
		{"an org name that is no MSP ID is refused", nil, devnet.Options{Orgs: []string{"Bad Org"}},
			`initialising dev network: field=orgs value="Bad Org" rule=must be an MSP ID (letter, then letters, digits, '.', '-'): invalid dev network`},
		{"a duplicate org is refused", nil, devnet.Options{Orgs: []string{"AMSP", "AMSP"}},
			`initialising dev network: field=orgs value="AMSP" rule=must be unique and not OrdererMSP: invalid dev network`},
		{"an application org named OrdererMSP is refused", nil, devnet.Options{Orgs: []string{"OrdererMSP"}},
			`initialising dev network: field=orgs value="OrdererMSP" rule=must be unique and not OrdererMSP: invalid dev network`},
		{"a peer org outside the orgs is refused", nil, devnet.Options{Orgs: []string{"AMSP"}, PeerOrg: "BMSP"},
			`initialising dev network: field=peerOrg value="BMSP" rule=must be one of the orgs: invalid dev network`},
		{"a user called admin is refused", nil, devnet.Options{Users: []string{"admin"}},
			`initialising dev network: field=users value="admin" rule=must be a lower-case name other than admin: invalid dev network`},
		{"a negative validity is refused", nil, devnet.Options{Validity: -time.Hour},
			`initialising dev network: field=validity value="-1h0m0s" rule=must be positive: invalid dev network`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "net")
			if tc.prepare != nil {
				tc.prepare(dir)
			}
			before := listTree(t, parent)
			_, err := devnet.Init(dir, tc.opts)
			require.ErrorIs(t, err, devnet.ErrInvalid)
			require.EqualError(t, err, strings.ReplaceAll(tc.wantErr, "DIR", dir))
			require.Equal(t, before, listTree(t, parent), "nothing may be written")
		})
	}
}

func TestLoadRefusesAFolderWithoutNodeFile(t *testing.T) {
	dir := t.TempDir()
	_, err := devnet.Load(dir)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func listTree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		require.NoError(t, err)
		out = append(out, p)
		return nil
	}))
	return out
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	return raw
}
