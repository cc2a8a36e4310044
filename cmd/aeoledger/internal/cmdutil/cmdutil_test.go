package cmdutil_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/client/keystore"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/network/profile"
	"github.com/aeoledger/aeoledger/schemas"
)

func TestExitCodeFor(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("doing it: %w", err) }
	cases := []struct {
		name string
		err  error
		want cmdutil.ExitCode
	}{
		{"success", nil, cmdutil.ExitOK},
		{"a flag error is usage", cmdutil.FlagErrorf("bad"), cmdutil.ExitUsage},
		{"an explicit exit error keeps its code", &cmdutil.ExitError{Code: cmdutil.ExitConflict, Err: errors.New("x")}, cmdutil.ExitConflict},
		{"a field error is invalid input", wrap(&schemas.FieldError{Field: "a"}), cmdutil.ExitInvalid},
		{"a contract INVALID is invalid input", wrap(&client.ContractError{Code: client.CodeInvalid}), cmdutil.ExitInvalid},
		{"a bad key name is invalid input", wrap(keystore.ErrInvalidName), cmdutil.ExitInvalid},
		{"a bad profile is invalid input", wrap(profile.ErrInvalid), cmdutil.ExitInvalid},
		{"FORBIDDEN", wrap(&client.ContractError{Code: client.CodeForbidden}), cmdutil.ExitForbidden},
		{"a wrong passphrase is forbidden", wrap(keystore.ErrBadPassphrase), cmdutil.ExitForbidden},
		{"NOT_FOUND", wrap(&client.ContractError{Code: client.CodeNotFound}), cmdutil.ExitNotFound},
		{"an unknown key is not found", wrap(keystore.ErrNotFound), cmdutil.ExitNotFound},
		{"an unknown identity is not found", wrap(profile.ErrUnknownIdentity), cmdutil.ExitNotFound},
		{"CONFLICT", wrap(&client.ContractError{Code: client.CodeConflict}), cmdutil.ExitConflict},
		{"DUPLICATE", wrap(&client.ContractError{Code: client.CodeDuplicate}), cmdutil.ExitConflict},
		{"an existing key is a conflict", wrap(keystore.ErrExists), cmdutil.ExitConflict},
		{"BAD_SIGNATURE", wrap(&client.ContractError{Code: client.CodeBadSignature}), cmdutil.ExitBadSignature},
		{"an unreachable node", wrap(client.ErrUnavailable), cmdutil.ExitUnavailable},
		{"a failed verification", wrap(cmdutil.ErrVerificationFailed), cmdutil.ExitVerifyFailed},
		{"an interrupt", wrap(context.Canceled), cmdutil.ExitCancelled},
		{"anything else", errors.New("disk full"), cmdutil.ExitGeneric},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, cmdutil.ExitCodeFor(tc.err)) })
	}
}

func TestFactoryResolvesGlobals(t *testing.T) {
	cases := []struct {
		name         string
		env          map[string]string
		flags        cmdutil.Globals
		wantProfile  string
		wantKeystore string
	}{
		{"defaults", nil, cmdutil.Globals{}, "aeonet/connection.yaml", "aeonet/keys"},
		{"environment", map[string]string{cmdutil.EnvProfile: "/n/c.yaml", cmdutil.EnvKeystore: "/k"}, cmdutil.Globals{}, "/n/c.yaml", "/k"},
		{"flags beat the environment", map[string]string{cmdutil.EnvProfile: "/n/c.yaml"}, cmdutil.Globals{Profile: "/m/c.yaml", Keystore: "/ks"}, "/m/c.yaml", "/ks"},
		{"the keystore follows the profile", map[string]string{cmdutil.EnvProfile: "/n/c.yaml"}, cmdutil.Globals{}, "/n/c.yaml", "/n/keys"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(tc.env)
			*f.Globals = tc.flags
			assert.Equal(t, tc.wantProfile, f.ProfilePath())
			assert.Equal(t, filepath.Clean(tc.wantKeystore), filepath.Clean(f.KeystoreDir()))
		})
	}
}

func TestFactoryIdentityNeedsAnMSPWhenTheProfileHasSeveral(t *testing.T) {
	p := &profile.Profile{Orgs: map[string]profile.Org{"AMSP": {}, "BMSP": {}}}
	f, _, _ := cmdtest.Factory(nil)
	_, _, err := f.Identity(p, "admin")
	var fe *cmdutil.FlagError
	require.ErrorAs(t, err, &fe)
	assert.Contains(t, err.Error(), "field=--msp")

	f, _, _ = cmdtest.Factory(map[string]string{cmdutil.EnvMSP: "BMSP"})
	msp, id, err := f.Identity(p, "admin")
	require.NoError(t, err)
	assert.Equal(t, []string{"BMSP", "admin"}, []string{msp, id}, "the command's preferred identity applies")

	f.Globals.Identity = "user2"
	_, id, err = f.Identity(p, "admin")
	require.NoError(t, err)
	assert.Equal(t, "user2", id, "--identity wins")

	single := &profile.Profile{Orgs: map[string]profile.Org{"OnlyMSP": {}}}
	f, _, _ = cmdtest.Factory(nil)
	msp, id, err = f.Identity(single, "")
	require.NoError(t, err)
	assert.Equal(t, []string{"OnlyMSP", "user1"}, []string{msp, id})
}

func TestMissingProfileSaysHowToCreateOne(t *testing.T) {
	f, _, _ := cmdtest.Factory(map[string]string{cmdutil.EnvProfile: filepath.Join(t.TempDir(), "nope.yaml")})
	_, err := f.Client("")
	require.ErrorContains(t, err, "run `aeoledger network init` or pass --profile")
}
