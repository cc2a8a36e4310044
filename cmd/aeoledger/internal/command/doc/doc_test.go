package doc_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/doc"
	"github.com/aeoledger/aeoledger/schemas"
)

func TestDocCommandsParseFlags(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	var anchor schemas.DocumentAnchor
	var path string
	require.NoError(t, cmdtest.Exec(doc.NewCmdAnchor(f, func(_ context.Context, o *doc.AnchorOptions) error { anchor, path = o.Anchor, o.Path; return nil }),
		"inv.pdf", "--type", "invoice", "--owner", "acme", "--shipment", "S1", "--declaration", "D1", "--name", "Invoice 4711", "--media-type", "application/pdf"))
	assert.Equal(t, "inv.pdf", path)
	assert.Equal(t, schemas.DocumentAnchor{DocType: "invoice", Owner: "acme", ShipmentID: "S1", DeclarationID: "D1", Name: "Invoice 4711", MediaType: "application/pdf"}, anchor)

	var expected string
	require.NoError(t, cmdtest.Exec(doc.NewCmdVerify(f, func(_ context.Context, o *doc.VerifyOptions) error { expected, path = o.Expected, o.Path; return nil }), "co.pdf", "--sha256", "ab"))
	assert.Equal(t, "ab", expected)
	assert.Equal(t, "co.pdf", path)

	cases := []struct {
		name string
		err  error
		want string
	}{
		{"anchor needs a type and an owner", cmdtest.Exec(doc.NewCmdAnchor(f, nil), "inv.pdf", "--type", "invoice"), "needs --type and --owner"},
		{"anchor needs a file", cmdtest.Exec(doc.NewCmdAnchor(f, nil), "--type", "invoice", "--owner", "a"), "expects a file"},
		{"verify needs a file", cmdtest.Exec(doc.NewCmdVerify(f, nil)), "expects a file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.ErrorContains(t, tc.err, tc.want) })
	}
}
