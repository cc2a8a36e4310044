package keystore_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/client/keystore"
)

const pass = "correct horse battery staple"

// openFast uses tiny scrypt parameters: the tests exercise the store, not scrypt.
func openFast(t *testing.T) *keystore.Store {
	t.Helper()
	ks, err := keystore.Open(filepath.Join(t.TempDir(), "keys"), keystore.WithScrypt(1<<4, 1))
	require.NoError(t, err)
	return ks
}

func TestNewStoresAnEncryptedKeyWithMode0600(t *testing.T) {
	ks, err := keystore.Open(filepath.Join(t.TempDir(), "keys"), keystore.WithLightScrypt())
	require.NoError(t, err)
	info, err := ks.New("carrier-handheld", pass)
	require.NoError(t, err)

	st, err := os.Stat(info.Path)
	require.NoError(t, err)
	assert.Equal(t, keystore.FileMode, st.Mode().Perm())
	dirSt, err := os.Stat(ks.Dir())
	require.NoError(t, err)
	assert.Equal(t, keystore.DirMode, dirSt.Mode().Perm())

	raw, err := os.ReadFile(info.Path)
	require.NoError(t, err)
	priv, err := ks.Load("carrier-handheld", pass)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), hexKey(crypto.FromECDSA(priv)), "the private key must not be stored in clear")
	assert.Contains(t, string(raw), `"kdf":"scrypt"`)
	assert.Contains(t, string(raw), `"n":4096`)
	assert.Equal(t, info.Address, crypto.PubkeyToAddress(priv.PublicKey).Hex())
}

func hexKey(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&0xf])
	}
	return string(out)
}

func TestFindAndLoadByNameOrAddress(t *testing.T) {
	ks := openFast(t)
	info, err := ks.New("sensor-7", pass)
	require.NoError(t, err)

	cases := []struct {
		name string
		ref  string
	}{
		{"by name", "sensor-7"},
		{"by checksummed address", info.Address},
		{"by lower-case address", strings.ToLower(info.Address)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ks.Find(tc.ref)
			require.NoError(t, err)
			assert.Equal(t, info, got)
			addr, err := ks.Address(tc.ref)
			require.NoError(t, err)
			assert.Equal(t, info.Address, addr)
			priv, err := ks.Load(tc.ref, pass)
			require.NoError(t, err)
			assert.Equal(t, info.Address, crypto.PubkeyToAddress(priv.PublicKey).Hex())
		})
	}
}

func TestBadRequestsAreRefusedAndWriteNothing(t *testing.T) {
	cases := []struct {
		name    string
		run     func(ks *keystore.Store) error
		wantIs  error
		wantMsg string
	}{
		{
			name:    "a name with upper-case letters is invalid",
			run:     func(ks *keystore.Store) error { _, err := ks.New("Exporter", pass); return err },
			wantIs:  keystore.ErrInvalidName,
			wantMsg: `field=name value="Exporter" rule=`,
		},
		{
			name:    "a name with a path separator is invalid",
			run:     func(ks *keystore.Store) error { _, err := ks.New("../evil", pass); return err },
			wantIs:  keystore.ErrInvalidName,
			wantMsg: `value="../evil"`,
		},
		{
			name:    "an empty passphrase is refused",
			run:     func(ks *keystore.Store) error { _, err := ks.New("nopass", ""); return err },
			wantIs:  keystore.ErrNoPassphrase,
			wantMsg: `storing key "nopass"`,
		},
		{
			name:    "an unknown name is not found",
			run:     func(ks *keystore.Store) error { _, err := ks.Load("ghost", pass); return err },
			wantIs:  keystore.ErrNotFound,
			wantMsg: `finding key "ghost"`,
		},
		{
			name: "an unknown address is not found",
			run: func(ks *keystore.Store) error {
				_, err := ks.Find("0x00000000000000000000000000000000000000aa")
				return err
			},
			wantIs:  keystore.ErrNotFound,
			wantMsg: "finding key 0x00000000000000000000000000000000000000AA",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ks := openFast(t)
			err := tc.run(ks)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.wantIs)
			assert.Contains(t, err.Error(), tc.wantMsg)
			entries, rerr := os.ReadDir(ks.Dir())
			require.NoError(t, rerr)
			assert.Empty(t, entries, "nothing may be written")
		})
	}
}

func TestExistingKeysAreNeverOverwritten(t *testing.T) {
	ks := openFast(t)
	first, err := ks.New("issuer", pass)
	require.NoError(t, err)
	before, err := os.ReadFile(first.Path)
	require.NoError(t, err)

	_, err = ks.New("issuer", pass)
	require.ErrorIs(t, err, keystore.ErrExists)

	priv, err := ks.Load("issuer", pass)
	require.NoError(t, err)
	_, err = ks.Import("issuer-copy", priv, pass)
	require.ErrorIs(t, err, keystore.ErrExists, "the same address under a second name is refused")

	after, err := os.ReadFile(first.Path)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	all, err := ks.List()
	require.NoError(t, err)
	assert.Len(t, all, 1)
}

func TestWrongPassphraseIsReportedWithoutLeakingIt(t *testing.T) {
	ks := openFast(t)
	_, err := ks.New("customs", pass)
	require.NoError(t, err)
	_, err = ks.Load("customs", "guess-123")
	require.ErrorIs(t, err, keystore.ErrBadPassphrase)
	assert.NotContains(t, err.Error(), "guess-123")
}

func TestLoadTightensALooseKeyFile(t *testing.T) {
	ks := openFast(t)
	info, err := ks.New("loose", pass)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(info.Path, 0o644))

	listed, err := ks.Find("loose")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), listed.Mode, "list shows the real mode so operators can see it")

	_, err = ks.Load("loose", pass)
	require.NoError(t, err)
	st, err := os.Stat(info.Path)
	require.NoError(t, err)
	assert.Equal(t, keystore.FileMode, st.Mode().Perm())
}

func TestListIsSortedAndIgnoresOtherFiles(t *testing.T) {
	ks := openFast(t)
	for _, n := range []string{"pod-scanner", "exporter", "carrier"} {
		_, err := ks.New(n, pass)
		require.NoError(t, err)
	}
	require.NoError(t, os.WriteFile(filepath.Join(ks.Dir(), "README.txt"), []byte("hi"), 0o600))
	require.NoError(t, keystore.WritePassphraseFile(filepath.Join(ks.Dir(), keystore.DevPassphraseFile), pass))

	all, err := ks.List()
	require.NoError(t, err)
	var names []string
	for _, i := range all {
		names = append(names, i.Name)
	}
	assert.Equal(t, []string{"carrier", "exporter", "pod-scanner"}, names)
}

func TestWithScryptRejectsBadParameters(t *testing.T) {
	cases := []struct {
		name string
		n, p int
		want string
	}{
		{"N that is not a power of two", 1000, 1, "scrypt N 1000: must be a power of two"},
		{"p of zero", 1024, 0, "scrypt p 0: must be at least 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys")
			_, err := keystore.Open(dir, keystore.WithScrypt(tc.n, tc.p))
			require.ErrorContains(t, err, tc.want)
			_, statErr := os.Stat(dir)
			assert.True(t, errors.Is(statErr, os.ErrNotExist), "no directory may be created")
		})
	}
}

func TestResolvePassphraseOrder(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(file, []byte("from-file\nignored"), 0o600))
	envFile := filepath.Join(dir, "envpw")
	require.NoError(t, os.WriteFile(envFile, []byte("from-env-file\r\n"), 0o600))
	devDir := filepath.Join(dir, "keys")
	require.NoError(t, os.MkdirAll(devDir, 0o700))
	require.NoError(t, keystore.WritePassphraseFile(filepath.Join(devDir, keystore.DevPassphraseFile), "from-dev"))
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	cases := []struct {
		name string
		src  keystore.PassphraseSource
		want string
	}{
		{"an explicit file wins", keystore.PassphraseSource{File: file, Getenv: env(map[string]string{keystore.EnvPassphrase: "x"}), DevDir: devDir}, "from-file"},
		{"the variable comes next", keystore.PassphraseSource{Getenv: env(map[string]string{keystore.EnvPassphrase: "from-env", keystore.EnvPassphraseFile: envFile}), DevDir: devDir}, "from-env"},
		{"then the file named by the variable", keystore.PassphraseSource{Getenv: env(map[string]string{keystore.EnvPassphraseFile: envFile}), DevDir: devDir}, "from-env-file"},
		{"then the dev network file", keystore.PassphraseSource{Getenv: env(nil), DevDir: devDir}, "from-dev"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := keystore.ResolvePassphrase(tc.src)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}

	_, err := keystore.ResolvePassphrase(keystore.PassphraseSource{Getenv: env(nil)})
	require.ErrorIs(t, err, keystore.ErrNoPassphrase)
}
