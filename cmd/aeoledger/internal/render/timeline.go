package render

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/schemas"
)

// Checked is a trace item with the client's own re-verification.
type Checked struct {
	Item  schemas.TraceItem `json:"item"`
	Local client.LocalCheck `json:"localCheck"`
	OK    bool              `json:"ok"`
}

// Check re-verifies every item locally; OK needs both the contract's status
// and the local signature check to pass.
func Check(items []schemas.TraceItem) (out []Checked, problems int) {
	out = make([]Checked, len(items))
	for i, it := range items {
		lc := client.VerifyItem(it)
		ok := lc.OK && (it.Status == schemas.StatusVerified || it.Status == schemas.StatusContractGenerated)
		if !ok {
			problems++
		}
		out[i] = Checked{Item: it, Local: lc, OK: ok}
	}
	return out, problems
}

// Timeline prints checked records as a table a compliance officer can read:
// when, where, what, who signed it, and whether it verifies.
func Timeline(w io.Writer, title string, checked []Checked) {
	verified := 0
	for _, c := range checked {
		if c.OK {
			verified++
		}
	}
	fmt.Fprintf(w, "%s: %d records, %d verified", title, len(checked), verified)
	if verified < len(checked) {
		fmt.Fprintf(w, ", %d NOT VERIFIED", len(checked)-verified)
	}
	fmt.Fprintln(w)
	if len(checked) == 0 {
		return
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  WHEN (UTC)\tWHERE\tWHAT\tSIGNED BY\tCHECK")
	for _, c := range checked {
		tp := c.Item.Record.Record
		signer := "the contract"
		if c.Item.SignerPartner != "" {
			signer = c.Item.SignerPartner + " (" + c.Item.SignerMSP + ")"
		}
		lines := Wrap(Summary(&tp), whatWidth)
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", when(tp.EventTime), tp.Location.UNLocode, lines[0], signer, mark(c))
		for _, l := range lines[1:] {
			fmt.Fprintf(tw, "  \t\t  %s\t\t\n", l)
		}
	}
	_ = tw.Flush()
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	fmt.Fprintln(w, "  ✓ verified: the record's ID is the SHA-256 of its RFC 8785 form and its secp256k1 signature")
	fmt.Fprintln(w, "    recovers to a key the partner held at the time; re-checked here, not taken from the node.")
}

// whatWidth keeps the timeline within a wide terminal.
const whatWidth = 72

// Wrap breaks s into lines of at most width runes at spaces (a longer word
// stays whole).
func Wrap(s string, width int) []string {
	var lines []string
	var cur []rune
	for _, word := range strings.Fields(s) {
		w := []rune(word)
		if len(cur) > 0 && len(cur)+1+len(w) > width {
			lines = append(lines, string(cur))
			cur = nil
		}
		if len(cur) > 0 {
			cur = append(cur, ' ')
		}
		cur = append(cur, w...)
	}
	if len(cur) > 0 || len(lines) == 0 {
		lines = append(lines, string(cur))
	}
	return lines
}

func mark(c Checked) string {
	switch {
	case !c.Local.OK:
		return "✗ local check failed: " + c.Local.Detail
	case c.Item.Status == schemas.StatusVerified:
		return "✓ verified"
	case c.Item.Status == schemas.StatusContractGenerated:
		return "✓ raised by the contract"
	default:
		out := "✗ " + c.Item.Status
		if c.Item.StatusDetail != "" {
			out += ": " + c.Item.StatusDetail
		}
		return out
	}
}

func when(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339Nano, rfc3339)
	if err != nil {
		return rfc3339
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// Indent prefixes every line of s.
func Indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}
