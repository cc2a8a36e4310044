package ledger

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/msp"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	blk, _ := pem.Decode(raw)
	require.NotNil(t, blk, "no PEM block in %s", path)
	cert, err := x509.ParseCertificate(blk.Bytes)
	require.NoError(t, err)
	return cert
}

// ordererSignerCheck makes a development network and returns its folder, its
// orderer organisation's folder and trustedSigner trusting that MSP only.
func ordererSignerCheck(t *testing.T) (dir, org string, check func(uint64, time.Time, string, *x509.Certificate) error) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "net")
	_, err := devnet.Init(dir, devnet.Options{})
	require.NoError(t, err)
	org = filepath.Join(dir, "organizations", "OrdererMSP")
	m, err := msp.Load("OrdererMSP", filepath.Join(org, "msp"))
	require.NoError(t, err)
	return dir, org, trustedSigner(map[string]*msp.MSP{"OrdererMSP": m}, []string{"OrdererMSP"})
}

func TestOnlyOrdererIdentitiesMaySignBlocks(t *testing.T) {
	dir, org, check := ordererSignerCheck(t)

	tests := []struct {
		name, mspID, cert, wantErr string
	}{
		{name: "the orderer's own identity signs blocks", mspID: "OrdererMSP",
			cert: filepath.Join(org, "orderers", "orderer0", "msp", "signcerts", "cert.pem")},
		{name: "an admin of the orderer organisation is refused", mspID: "OrdererMSP",
			cert:    filepath.Join(org, "users", "admin", "msp", "signcerts", "cert.pem"),
			wantErr: "has role admin: rule=blocks must be signed by an orderer identity"},
		{name: "a client of the orderer organisation is refused", mspID: "OrdererMSP",
			cert:    filepath.Join(org, "users", "user1", "msp", "signcerts", "cert.pem"),
			wantErr: "has role client: rule=blocks must be signed by an orderer identity"},
		{name: "an organisation that is not a trusted orderer is refused", mspID: "ExporterMSP",
			cert:    filepath.Join(dir, "organizations", "ExporterMSP", "users", "admin", "msp", "signcerts", "cert.pem"),
			wantErr: "signer MSP ExporterMSP is not a trusted orderer organisation [OrdererMSP]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := check(7, time.Now(), tc.mspID, readCert(t, tc.cert))
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.wantErr)
		})
	}
}

// TestBlockSignersAreCheckedAtTheBlocksTime: evidence must keep verifying
// after the orderer's certificate expires, and a block dated outside the
// certificate's validity must not.
func TestBlockSignersAreCheckedAtTheBlocksTime(t *testing.T) {
	_, org, check := ordererSignerCheck(t)
	cert := readCert(t, filepath.Join(org, "orderers", "orderer0", "msp", "signcerts", "cert.pem"))

	assert.NoError(t, check(3, cert.NotBefore.Add(time.Minute), "OrdererMSP", cert), "a block from within the validity")
	assert.NoError(t, check(3, cert.NotAfter.Add(-time.Minute), "OrdererMSP", cert), "a block from just before expiry")
	assert.ErrorIs(t, check(3, cert.NotAfter.Add(time.Minute), "OrdererMSP", cert), msp.ErrExpired, "a block dated after expiry")
	assert.ErrorIs(t, check(3, cert.NotBefore.Add(-time.Minute), "OrdererMSP", cert), msp.ErrExpired, "a block dated before the certificate")
	assert.NoError(t, check(3, time.Time{}, "OrdererMSP", cert), "no block time: checked at now")
}
