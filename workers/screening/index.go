package screening

import (
	"math"
	"strings"
)

// listedName is one searchable name: an entry's primary name or an alias.
type listedName struct {
	entry  int     // index into List.entries
	alias  int     // index into Entry.Aliases, -1 for the primary name
	tokens []int32 // vocabulary ids of the normalised tokens
	weight float64 // sum of the tokens' weights
}

// index holds the vocabulary of listed tokens and the blocking keys.
type index struct {
	vocab    []string         // token text by id
	ids      map[string]int32 // token text to id
	weight   []float64        // inverse document frequency by id
	maxW     float64          // weight given to a query token the list does not contain
	postings [][]int32        // token id to listed names containing it
	keys     map[string][]int32
}

func (ix *index) id(tok string) int32 {
	if id, ok := ix.ids[tok]; ok {
		return id
	}
	id := int32(len(ix.vocab))
	ix.ids[tok] = id
	ix.vocab = append(ix.vocab, tok)
	ix.postings = append(ix.postings, nil)
	return id
}

// build fills postings, weights and keys once every name is added.
func (ix *index) build(names []listedName) {
	df := make([]int, len(ix.vocab))
	for n, ln := range names {
		for i, t := range ln.tokens {
			// One posting per occurrence, so a repeated token adds its
			// weight twice when candidates are accumulated; but it counts
			// once towards the document frequency.
			ix.postings[t] = append(ix.postings[t], int32(n))
			if indexOf(ln.tokens[:i], t) < 0 {
				df[t]++
			}
		}
	}
	total := float64(len(names))
	ix.weight = make([]float64, len(ix.vocab))
	for t := range ix.vocab {
		ix.weight[t] = math.Log(1 + total/float64(df[t]))
	}
	ix.maxW = math.Log(1 + total)
	ix.keys = make(map[string][]int32, 4*len(ix.vocab))
	for t, tok := range ix.vocab {
		for _, k := range blockingKeys(tok) {
			ix.keys[k] = append(ix.keys[k], int32(t))
		}
	}
}

func indexOf(s []int32, v int32) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// blockingKeys returns the keys a token is filed under. Two tokens that
// differ by one substitution, insertion, deletion or adjacent transposition
// within their first five letters, or anywhere after them, share a
// deletion key; spelling variants with the same consonants share the
// skeleton key.
func blockingKeys(tok string) []string {
	r := []rune(tok)
	p := r
	if len(p) > 5 {
		p = p[:5]
	}
	keys := make([]string, 0, len(p)+2)
	if len(p) < 5 {
		keys = append(keys, string(p))
	}
	for i := range p {
		if len(p) == 1 {
			break
		}
		d := make([]rune, 0, len(p)-1)
		d = append(d, p[:i]...)
		d = append(d, p[i+1:]...)
		keys = append(keys, string(d))
	}
	if s := skeleton(r); s != "" {
		keys = append(keys, s)
	}
	return uniqueStrings(keys)
}

// skeleton is the first letter followed by the token's consonants without
// repeats, at most four letters, marked with '#' so it never equals a
// deletion key: MOHAMMED, MUHAMMAD and MOHAMED all give "#MD".
func skeleton(r []rune) string {
	if len(r) < 4 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('#')
	b.WriteRune(r[0])
	last, n := r[0], 1
	for _, c := range r[1:] {
		if strings.ContainsRune("AEIOUYHW", c) {
			continue
		}
		if c == last {
			continue
		}
		b.WriteRune(c)
		last = c
		n++
		if n == 4 {
			break
		}
	}
	return b.String()
}

func uniqueStrings(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		dup := false
		for _, p := range out {
			if p == s {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}
