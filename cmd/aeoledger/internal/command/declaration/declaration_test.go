package declaration_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/declaration"
	"github.com/aeoledger/aeoledger/schemas"
)

func TestDeclarationCommandsParseFlags(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	cases := []struct {
		name    string
		run     func() (any, error)
		want    any
		wantErr string
	}{
		{
			name: "submit reads a file and overrides id and shipment",
			run: func() (any, error) {
				var got declaration.SubmitOptions
				err := cmdtest.Exec(declaration.NewCmdSubmit(f, func(_ context.Context, o *declaration.SubmitOptions) error {
					got = *o
					got.IO, got.Client = nil, nil
					return nil
				}),
					"--file", "d.json", "--id", "D2", "--shipment", "S2")
				return got, err
			},
			want: declaration.SubmitOptions{File: "d.json", ID: "D2", ShipmentID: "S2"},
		},
		{
			name:    "submit needs a file",
			run:     func() (any, error) { return nil, cmdtest.Exec(declaration.NewCmdSubmit(f, nil)) },
			wantErr: "field=--file",
		},
		{
			name: "amend collects field, old, new and reason",
			run: func() (any, error) {
				var got schemas.Amendment
				err := cmdtest.Exec(declaration.NewCmdAmend(f, func(_ context.Context, o *declaration.AmendOptions) error { got = o.Amendment; return nil }),
					"D1", "--field", "hsCode", "--old", "080810", "--new", "080830", "--reason", "pears")
				return got, err
			},
			want: schemas.Amendment{DeclarationID: "D1", Field: "hsCode", OldValue: "080810", NewValue: "080830", Reason: "pears"},
		},
		{
			name: "amend needs a reason",
			run: func() (any, error) {
				return nil, cmdtest.Exec(declaration.NewCmdAmend(f, nil), "D1", "--field", "hsCode", "--new", "1")
			},
			wantErr: "needs --field, --new and --reason",
		},
		{
			name: "approve takes the declaration and the amendment",
			run: func() (any, error) {
				var got []string
				err := cmdtest.Exec(declaration.NewCmdApprove(f, func(_ context.Context, o *declaration.ApproveOptions) error {
					got = []string{o.DeclarationID, o.AmendmentID, o.Reject}
					return nil
				}), "D1", "A1", "--reject", "wrong line")
				return got, err
			},
			want: []string{"D1", "A1", "wrong line"},
		},
		{
			name: "a rejection needs a reason",
			run: func() (any, error) {
				return nil, cmdtest.Exec(declaration.NewCmdApprove(f, nil), "D1", "A1", "--reject", "")
			},
			wantErr: "field=--reject",
		},
		{
			name:    "show needs the declaration",
			run:     func() (any, error) { return nil, cmdtest.Exec(declaration.NewCmdShow(f, nil)) },
			wantErr: "expects a declaration ID",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.run()
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
