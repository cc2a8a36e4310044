package screen_test

import (
	"context"
	"encoding/json"
	"github.com/aeoledger/aeoledger/internal/shareddata"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/screen"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/worker"
)

// sanctionsDir is ../shared/data/sanctions beside the repository.
func sanctionsDir(t *testing.T) string {
	return shareddata.Path(t, "sanctions")
}

func TestScreenParsesFlags(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		args    []string
		want    screen.Options
		wantErr string
	}{
		{name: "name, country and list come from the arguments", args: []string{"Banco Nacional de Cuba", "--country", "CU", "--sanctions", "/sdn", "--json"},
			want: screen.Options{Name: "Banco Nacional de Cuba", Country: "CU", Sanctions: "/sdn", JSON: true}},
		{name: "the list folder may come from the environment", env: map[string]string{worker.EnvSanctions: "/env/sdn"}, args: []string{"Acme"},
			want: screen.Options{Name: "Acme", Sanctions: "/env/sdn"}},
		{name: "a threshold is taken", args: []string{"Acme", "--sanctions", "/sdn", "--threshold", "0.9"},
			want: screen.Options{Name: "Acme", Sanctions: "/sdn", Threshold: 0.9}},
		{name: "the list folder is required", args: []string{"Acme"}, wantErr: `field=--sanctions value="" rule=the folder of the OFAC SDN list is required`},
		{name: "a threshold above 1 is refused", args: []string{"Acme", "--sanctions", "/sdn", "--threshold", "2"}, wantErr: `field=--threshold value="2" rule=must be greater than 0 and at most 1`},
		{name: "two names are refused", args: []string{"Acme", "Corp", "--sanctions", "/sdn"}, wantErr: "expects one name to screen (quote names with spaces) (got 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(tc.env)
			var got *screen.Options
			err := cmdtest.Exec(screen.NewCmdScreen(f, func(_ context.Context, o *screen.Options) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				var fe *cmdutil.FlagError
				assert.ErrorAs(t, err, &fe)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			got.IO = nil
			assert.Equal(t, tc.want, *got)
		})
	}
}

func TestClearParsesFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{name: "subject, reason and officer are taken", args: []string{"--subject", "SHP-1", "--reason", "other entity", "--officer", "J. Jansen"},
			want: []string{"SHP-1", "other entity", "J. Jansen"}},
		{name: "the subject is required", args: []string{"--reason", "x"}, wantErr: `field=--subject value="" rule=`},
		{name: "a blank reason is refused", args: []string{"--subject", "SHP-1", "--reason", "  "}, wantErr: `field=--reason value="  " rule=a clearance needs the reason`},
		{name: "positional arguments are refused", args: []string{"SHP-1"}, wantErr: "takes no arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got []string
			err := cmdtest.Exec(screen.NewCmdClear(f, func(_ context.Context, o *screen.ClearOptions) error {
				got = []string{o.Subject, o.Reason, o.Officer}
				return nil
			}), tc.args...)
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

func TestScreenAgainstTheSDNList(t *testing.T) {
	dir := sanctionsDir(t)
	cases := []struct {
		name      string
		args      []string
		wantEntry int // 0: no hit
		wantErr   string
		wantCode  cmdutil.ExitCode
	}{
		{name: "a listed bank with a typo and its country is a hit", args: []string{"Banco Nacional de Cubba", "--country", "CU"}, wantEntry: 306},
		{name: "an unlisted company is no hit", args: []string{"Fresh Market Handels GmbH", "--country", "DE"}},
		{name: "a bad country is invalid input", args: []string{"Acme", "--country", "XX"}, wantCode: cmdutil.ExitInvalid,
			wantErr: `screening: field=country value="XX" rule=must be an upper-case ISO 3166-1 alpha-2 country code`},
		{name: "a name without letters is invalid input", args: []string{"..."}, wantCode: cmdutil.ExitInvalid,
			wantErr: `screening: field=name value="..." rule=must contain at least one letter or digit`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, out, _ := cmdtest.Factory(nil)
			err := cmdtest.Exec(screen.NewCmdScreen(f, nil), append(tc.args, "--sanctions", dir, "--json")...)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				assert.Equal(t, tc.wantCode, cmdutil.ExitCodeFor(err))
				assert.Empty(t, out.String(), "nothing is printed")
				return
			}
			require.NoError(t, err)
			var res screen.Result
			require.NoError(t, json.Unmarshal([]byte(out.String()), &res))
			if tc.wantEntry == 0 {
				assert.Empty(t, res.Hits)
				return
			}
			require.NotEmpty(t, res.Hits)
			assert.Equal(t, tc.wantEntry, res.Hits[0].EntryID)
			assert.GreaterOrEqual(t, res.Hits[0].Score, res.Threshold)
			assert.NotEmpty(t, res.Hits[0].Reasons)
		})
	}
}
