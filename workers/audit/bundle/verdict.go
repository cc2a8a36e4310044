package bundle

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Categories name what a failed check is about. They are the words the
// issue uses: the record, the signature, the transaction, the block link or
// the certificate; plus bundle for the file itself (format, encoding,
// digest).
const (
	CatBundle      = "bundle"
	CatRecord      = "record"
	CatSignature   = "signature"
	CatTransaction = "transaction"
	CatBlockLink   = "block-link"
	CatCertificate = "certificate"
)

// Check is one verification step and its outcome.
type Check struct {
	Category string `json:"category"`
	Name     string `json:"name"`
	OK       bool   `json:"ok"`
	Detail   string `json:"detail,omitempty"`
}

// ItemVerdict is the outcome for one bundled object version: its own
// checks and those of its transaction and block.
type ItemVerdict struct {
	Kind    string  `json:"kind"`
	ID      string  `json:"id"`
	TxID    string  `json:"txId"`
	Block   uint64  `json:"block"`
	TxIndex int     `json:"txIndex"`
	OK      bool    `json:"ok"`
	Checks  []Check `json:"checks"`
}

// Verdict is the outcome of verifying a bundle. OK is true only when every
// check of the bundle and of every item passed. Anchored says the header
// chain reached the caller's trust anchor; without one, the chain is only
// checked up to the bundle's own checkpoint, which the auditor must compare
// with a value they trust.
type Verdict struct {
	Format      string        `json:"format"`
	FileSHA256  string        `json:"fileSha256"`
	Channel     string        `json:"channel,omitempty"`
	Chaincode   string        `json:"chaincode,omitempty"`
	Query       Query         `json:"query"`
	Checkpoint  Checkpoint    `json:"checkpoint"`
	TrustAnchor string        `json:"trustAnchor"`
	Anchored    bool          `json:"anchored"`
	OK          bool          `json:"ok"`
	Checks      []Check       `json:"checks"`
	Items       []ItemVerdict `json:"items"`
}

// Failures lists every failed check, bundle-level first, each prefixed with
// the item it belongs to.
func (v *Verdict) Failures() []string {
	var out []string
	for _, c := range v.Checks {
		if !c.OK {
			out = append(out, fmt.Sprintf("bundle: %s: %s: %s", c.Category, c.Name, c.Detail))
		}
	}
	for _, it := range v.Items {
		for _, c := range it.Checks {
			if !c.OK {
				out = append(out, fmt.Sprintf("%s %s: %s: %s: %s", it.Kind, it.ID, c.Category, c.Name, c.Detail))
			}
		}
	}
	return out
}

// FailedCategories lists the distinct categories of failed checks.
func (v *Verdict) FailedCategories() []string {
	seen := map[string]bool{}
	var out []string
	add := func(cs []Check) {
		for _, c := range cs {
			if !c.OK && !seen[c.Category] {
				seen[c.Category] = true
				out = append(out, c.Category)
			}
		}
	}
	add(v.Checks)
	for _, it := range v.Items {
		add(it.Checks)
	}
	return out
}

// JSON is the machine-readable verdict (`--json`).
func (v *Verdict) JSON() ([]byte, error) {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding verdict: %w", err)
	}
	return append(out, '\n'), nil
}

// WriteText writes the human-readable verdict: the bundle's checks, then one
// line per item with PASS or FAIL and, under a failed item, what failed.
func (v *Verdict) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "evidence bundle %s  sha256 %s\n", v.Format, v.FileSHA256)
	fmt.Fprintf(&b, "channel %s, chaincode %s, %d items, checkpoint block %d hash %s\n",
		v.Channel, v.Chaincode, len(v.Items), v.Checkpoint.Block, v.Checkpoint.Hash)
	if v.Anchored {
		fmt.Fprintf(&b, "trust anchor %s: reached by the header chain\n", v.TrustAnchor)
	} else {
		fmt.Fprintf(&b, "trust anchor: none given; the chain is checked up to the bundle's checkpoint %d:%s - compare it with a hash you trust (--trust-anchor)\n",
			v.Checkpoint.Block, v.Checkpoint.Hash)
	}
	for _, c := range v.Checks {
		fmt.Fprintf(&b, "  %s %-11s %s", mark(c.OK), c.Category, c.Name)
		if c.Detail != "" {
			fmt.Fprintf(&b, ": %s", c.Detail)
		}
		b.WriteByte('\n')
	}
	failedItems := 0
	for _, it := range v.Items {
		word := "PASS"
		if !it.OK {
			word = "FAIL"
			failedItems++
		}
		fmt.Fprintf(&b, "%s %s %s (tx %s, block %d #%d)\n", word, it.Kind, it.ID, short(it.TxID), it.Block, it.TxIndex)
		for _, c := range it.Checks {
			if c.OK && it.OK {
				continue
			}
			if c.OK {
				continue
			}
			fmt.Fprintf(&b, "     %s %s: %s\n", c.Category, c.Name, c.Detail)
		}
		if it.OK {
			var names []string
			for _, c := range it.Checks {
				names = append(names, c.Name)
			}
			fmt.Fprintf(&b, "     checked: %s\n", strings.Join(names, ", "))
		}
	}
	switch {
	case v.OK && v.Anchored:
		fmt.Fprintf(&b, "RESULT: VERIFIED - %d items, anchored at %s\n", len(v.Items), v.TrustAnchor)
	case v.OK:
		fmt.Fprintf(&b, "RESULT: VERIFIED (UNANCHORED) - %d items; pass --trust-anchor to pin the checkpoint\n", len(v.Items))
	default:
		fmt.Fprintf(&b, "RESULT: FAILED - %d of %d items failed; failed: %s\n", failedItems, len(v.Items), strings.Join(v.FailedCategories(), ", "))
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("writing verdict: %w", err)
	}
	return nil
}

func mark(ok bool) string {
	if ok {
		return "ok  "
	}
	return "FAIL"
}

func short(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
