package devnode_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/client/keystore"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/devnode"
	"github.com/aeoledger/aeoledger/network/profile"
)

var fast = []keystore.Option{keystore.WithScrypt(16, 1)}

func TestInitCreatesEncryptedKeysWithAPrivatePassphrase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	res, err := devnode.Init(dir, devnode.InitOptions{KeystoreOptions: fast})
	require.NoError(t, err)
	assert.Equal(t, devnode.DefaultOrgs, res.Orgs)
	require.Len(t, res.Keys, len(devnode.DefaultKeys))

	keysDir := filepath.Join(dir, devnode.KeysDir)
	pass, err := keystore.ResolvePassphrase(keystore.PassphraseSource{Getenv: func(string) string { return "" }, DevDir: keysDir})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(pass), 32, "a generated passphrase of 24 random bytes")
	st, err := os.Stat(filepath.Join(keysDir, keystore.DevPassphraseFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	ks, err := keystore.Open(keysDir)
	require.NoError(t, err)
	for _, k := range res.Keys {
		_, err := ks.Load(k.Name, pass)
		assert.NoError(t, err, k.Name)
		assert.Equal(t, keystore.FileMode, k.Mode)
	}
}

func TestInitRefusesAFolderInUseAndLeavesItAlone(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600))
	_, err := devnode.Init(dir, devnode.InitOptions{KeystoreOptions: fast})
	require.ErrorContains(t, err, "rule=must be empty or absent")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "nothing may be written")
}

func TestStartPointsTheProfileAtTheNodesPort(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	res, err := devnode.Init(dir, devnode.InitOptions{KeystoreOptions: fast, Keys: []devnode.KeySpec{}})
	require.NoError(t, err)
	assert.Empty(t, res.Keys)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := devnode.Start(ctx, dir, devnode.StartOptions{Listen: "127.0.0.1:0", BatchTimeout: 10 * time.Millisecond, NoSync: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	defer func() { _ = n.Stop(context.Background()) }()
	p, err := profile.Load(res.Profile)
	require.NoError(t, err)
	assert.Equal(t, n.Addr(), p.Gateway.Address)
	assert.NotEqual(t, "127.0.0.1:0", p.Gateway.Address)
}
