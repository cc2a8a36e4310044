package root_test

import (
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/root"
)

// noJSON lists the runnable commands that print no result to format:
// a server and a narrated walkthrough.
var noJSON = map[string]bool{"aeoledger node start": true, "aeoledger demo": true}

func walk(c *cobra.Command, visit func(*cobra.Command)) {
	visit(c)
	for _, sub := range c.Commands() {
		walk(sub, visit)
	}
}

func TestEveryCommandHasExamplesAndRunnableOnesTakeJSON(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	rootCmd := root.NewCmdRoot(f)
	runnable := 0
	walk(rootCmd, func(c *cobra.Command) {
		if c.Name() == "help" || c.Name() == "completion" || (!c.Runnable() && !c.HasSubCommands()) {
			return // cobra's own commands and help topics
		}
		t.Run(c.CommandPath(), func(t *testing.T) {
			assert.NotEmpty(t, c.Example, "every command's help has examples")
			assert.NotEmpty(t, c.Short)
			if c.Runnable() && !c.HasSubCommands() {
				runnable++
				assert.Equal(t, !noJSON[c.CommandPath()], c.Flags().Lookup("json") != nil, "--json")
			}
		})
	})
	assert.GreaterOrEqual(t, runnable, 30, "the whole command tree is wired")
}

func TestTheIssueCommandTreeExists(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	rootCmd := root.NewCmdRoot(f)
	for _, path := range [][]string{
		{"node", "start"}, {"network", "init"}, {"keys", "new"}, {"keys", "list"}, {"keys", "address"},
		{"partner", "register"}, {"partner", "list"}, {"partner", "add-key"}, {"partner", "revoke-key"},
		{"shipment", "create"}, {"shipment", "show"}, {"shipment", "list"},
		{"event", "record", "container"}, {"event", "record", "seal"}, {"event", "record", "origin"}, {"event", "record", "sensor"}, {"event", "record", "pod"},
		{"declaration", "submit"}, {"declaration", "amend"}, {"declaration", "approve"}, {"declaration", "show"},
		{"doc", "anchor"}, {"doc", "verify"}, {"trace", "shipment"}, {"trace", "container"}, {"trace", "seal"},
		{"history"}, {"ledger", "verify"}, {"demo"},
	} {
		c, rest, err := rootCmd.Find(path)
		assert.NoError(t, err, "%v", path)
		assert.Empty(t, rest, "%v", path)
		assert.True(t, c.Runnable() && !c.HasSubCommands(), "%v", path)
	}
}
