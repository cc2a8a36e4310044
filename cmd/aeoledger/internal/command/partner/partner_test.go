package partner_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/partner"
)

func TestRegisterParsesFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		check   func(t *testing.T, o *partner.RegisterOptions)
		wantErr string
	}{
		{
			name: "identity, roles and keys come from flags",
			args: []string{"--id", "nordic-lines", "--name", "Nordic Lines A/S", "--country", "DK", "--role", "carrier", "--role", "forwarder",
				"--key", "carrier", "--public-key", "0x04ab=sensor", "--aeo-cert", "DKAEOF0001", "--partner-msp", "CarrierMSP", "--json"},
			check: func(t *testing.T, o *partner.RegisterOptions) {
				assert.Equal(t, "nordic-lines", o.Partner.ID)
				assert.Equal(t, "Nordic Lines A/S", o.Partner.LegalName)
				assert.Equal(t, []string{"carrier", "forwarder"}, o.Partner.Roles)
				assert.Equal(t, "CarrierMSP", o.Partner.MSPID)
				assert.Equal(t, "DKAEOF0001", o.Partner.AEOCertificate)
				assert.Equal(t, []string{"carrier"}, o.KeyNames)
				assert.Equal(t, []string{"0x04ab=sensor"}, o.PublicKeys)
				assert.True(t, o.JSON)
			},
		},
		{name: "a file alone is enough", args: []string{"--file", "p.json"}, check: func(t *testing.T, o *partner.RegisterOptions) { assert.Equal(t, "p.json", o.File) }},
		{name: "without a file the roles are required", args: []string{"--id", "x", "--name", "X", "--country", "NL"}, wantErr: "at least one --role"},
		{name: "positional arguments are refused", args: []string{"nordic-lines"}, wantErr: "takes no arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got *partner.RegisterOptions
			err := cmdtest.Exec(partner.NewCmdRegister(f, func(_ context.Context, o *partner.RegisterOptions) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				var fe *cmdutil.FlagError
				assert.True(t, errors.As(err, &fe))
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			tc.check(t, got)
		})
	}
}

func TestKeyCommandsParseFlags(t *testing.T) {
	cases := []struct {
		name    string
		revoke  bool
		args    []string
		want    []string // partner, key, reason/public key
		wantErr string
	}{
		{name: "add-key takes a keystore key", args: []string{"nordic-lines", "--key", "handheld"}, want: []string{"nordic-lines", "handheld", ""}},
		{name: "add-key takes a raw public key", args: []string{"nordic-lines", "--public-key", "0x04ab"}, want: []string{"nordic-lines", "", "0x04ab"}},
		{name: "add-key needs exactly one key source", args: []string{"nordic-lines", "--key", "a", "--public-key", "0x04"}, wantErr: "exactly one of --key or --public-key"},
		{name: "add-key needs a partner", args: []string{"--key", "a"}, wantErr: "expects a partner ID"},
		{name: "revoke-key takes partner, key and reason", revoke: true, args: []string{"nordic-lines", "0xabc", "--reason", "lost"}, want: []string{"nordic-lines", "0xabc", "lost"}},
		{name: "revoke-key needs a reason", revoke: true, args: []string{"nordic-lines", "0xabc"}, wantErr: "field=--reason"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got []string
			var err error
			if tc.revoke {
				err = cmdtest.Exec(partner.NewCmdRevokeKey(f, func(_ context.Context, o *partner.RevokeKeyOptions) error {
					got = []string{o.PartnerID, o.Key, o.Reason}
					return nil
				}), tc.args...)
			} else {
				err = cmdtest.Exec(partner.NewCmdAddKey(f, func(_ context.Context, o *partner.AddKeyOptions) error {
					got = []string{o.PartnerID, o.KeyName, o.PublicKey}
					return nil
				}), tc.args...)
			}
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestReadCommandsTakeTheirArguments(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	var shown string
	require.NoError(t, cmdtest.Exec(partner.NewCmdShow(f, func(_ context.Context, o *partner.ShowOptions) error { shown = o.ID; return nil }), "acme-export", "--json"))
	assert.Equal(t, "acme-export", shown)
	listed := false
	require.NoError(t, cmdtest.Exec(partner.NewCmdList(f, func(_ context.Context, o *partner.ListOptions) error { listed = o.JSON; return nil }), "--json"))
	assert.True(t, listed)
	require.ErrorContains(t, cmdtest.Exec(partner.NewCmdShow(f, nil)), "expects a partner ID or key address")
}
