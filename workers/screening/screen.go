package screening

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	edlib "github.com/hbollon/go-edlib"
)

// Matching parameters. They were chosen on a labelled set generated with a
// different seed from the one TestScreeningQuality asserts on; see the
// package documentation for what each one does.
const (
	// DefaultThreshold is the score at or above which a listed name is a hit.
	DefaultThreshold = 0.88
	// TokenFloor is the Jaro-Winkler similarity below which two tokens do
	// not match at all.
	TokenFloor = 0.82
	// MissingWeight scales the weight of listed tokens the query lacks.
	MissingWeight = 0.40
	// CountryMatchBonus is added when the query's country is one of the
	// listed party's countries.
	CountryMatchBonus = 0.03
	// CountryMismatchPenalty is subtracted when the listed party has known
	// countries and the query's country is none of them.
	CountryMismatchPenalty = 0.05
)

// List is a loaded, indexed SDN list. It is safe for concurrent use by
// several goroutines once Load has returned.
type List struct {
	entries   []Entry
	names     []listedName
	ix        index
	threshold float64
	floor     float64 // TokenFloor; a field so tests can explore other values
	missing   float64 // MissingWeight; likewise
	scratch   *sync.Pool
}

// Option configures Load.
type Option func(*config) error

type config struct {
	threshold float64
}

func defaultConfig() config { return config{threshold: DefaultThreshold} }

// WithThreshold sets the score at or above which a name is a hit.
func WithThreshold(t float64) Option {
	return func(c *config) error {
		if !(t > 0 && t <= 1) {
			return &QueryError{Field: "threshold", Value: fmt.Sprint(t), Rule: "must be greater than 0 and at most 1"}
		}
		c.threshold = t
		return nil
	}
}

func newList(entries []Entry, cfg config) *List {
	l := &List{entries: entries, threshold: cfg.threshold, floor: TokenFloor, missing: MissingWeight,
		ix: index{ids: map[string]int32{}}}
	add := func(entry, alias int, name string) {
		toks := Normalize(name)
		if len(toks) == 0 {
			return
		}
		ln := listedName{entry: entry, alias: alias}
		for _, t := range toks {
			ln.tokens = append(ln.tokens, l.ix.id(t))
		}
		l.names = append(l.names, ln)
	}
	for i, e := range entries {
		add(i, -1, e.Name)
		for j, a := range e.Aliases {
			add(i, j, a.Name)
		}
	}
	l.ix.build(l.names)
	l.scratch = &sync.Pool{New: func() any { return &scratch{acc: make([]float64, len(l.names))} }}
	for i := range l.names {
		for _, t := range l.names[i].tokens {
			l.names[i].weight += l.ix.weight[t]
		}
	}
	return l
}

// Threshold is the score at or above which Screen reports a hit.
func (l *List) Threshold() float64 { return l.threshold }

// Entries returns the listed parties in file order. The slice is shared:
// do not modify it.
func (l *List) Entries() []Entry { return l.entries }

// Entry returns the listed party with the given ent_num.
func (l *List) Entry(id int) (Entry, bool) {
	i, ok := slices.BinarySearchFunc(l.entries, id, func(e Entry, id int) int { return e.ID - id })
	if ok {
		return l.entries[i], true
	}
	for _, e := range l.entries { // the published file is sorted, but do not rely on it
		if e.ID == id {
			return e, true
		}
	}
	return Entry{}, false
}

// Query is a name to screen, with its country when known.
type Query struct {
	Name    string
	Country string // ISO 3166-1 alpha-2, upper case; "" when unknown
}

// Hit is a listed party whose name or alias resembles the screened name.
type Hit struct {
	EntityID    int      // ent_num on the SDN list
	MatchedName string   // the listed name or alias that matched, as published
	PrimaryName string   // the party's SDN_Name
	IsAlias     bool     // MatchedName is an alias
	AliasType   string   // "aka", "fka" or "nka" when IsAlias
	Score       float64  // 0..1, after the country adjustment
	Type        string   // individual, entity, vessel or aircraft
	Programs    []string // sanctions programmes
	Countries   []string // the party's known countries (alpha-2)
	Reasons     []string // why it matched, in words an officer can check
}

// QueryError reports a bad screening input: the field, its value and the
// rule it broke.
type QueryError struct {
	Field string
	Value string
	Rule  string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("screening query: field %s: value %q: %s", e.Field, e.Value, e.Rule)
}

// query is a validated, normalised Query.
type query struct {
	Query
	tokens  []string
	weights []float64 // weight of each token when it stays unpaired
}

func (l *List) prepare(q Query) (query, error) {
	toks := Normalize(q.Name)
	if len(toks) == 0 {
		return query{}, &QueryError{Field: "name", Value: q.Name, Rule: "must contain at least one letter or digit"}
	}
	if q.Country != "" && !validCountry(q.Country) {
		return query{}, &QueryError{Field: "country", Value: q.Country, Rule: "must be an upper-case ISO 3166-1 alpha-2 country code"}
	}
	toks = l.dropMisspeltLegalForms(toks)
	pq := query{Query: q, tokens: toks, weights: make([]float64, len(toks))}
	for i, t := range toks {
		pq.weights[i] = l.ix.maxW
		if id, ok := l.ix.ids[t]; ok {
			pq.weights[i] = l.ix.weight[id]
		}
	}
	return pq, nil
}

// Screen returns the listed parties whose primary name or an alias scores at
// or above the list's threshold, best first, one hit per party (its best
// matching name).
//
// Errors: *QueryError when the name has no letter or digit or the country
// is not an alpha-2 code. Nothing is screened then.
func (l *List) Screen(q Query) ([]Hit, error) {
	pq, err := l.prepare(q)
	if err != nil {
		return nil, err
	}
	// Similar listed tokens for each query token, found through the keys.
	sims := make([]map[int32]float64, len(pq.tokens))
	matched := map[int32]bool{}
	for i, tok := range pq.tokens {
		sims[i] = map[int32]float64{}
		for _, k := range blockingKeys(tok) {
			for _, t := range l.ix.keys[k] {
				if _, done := sims[i][t]; done {
					continue
				}
				s := similarity(tok, l.ix.vocab[t])
				sims[i][t] = s
				if s >= l.floor {
					matched[t] = true
				}
			}
		}
	}
	// Weight of each candidate name's tokens that some query token matches,
	// in a dense scratch slice: common tokens reach thousands of names.
	sc := l.scratch.Get().(*scratch)
	defer l.scratch.Put(sc)
	for t := range matched {
		w := l.ix.weight[t]
		for _, n := range l.ix.postings[t] {
			if sc.acc[n] == 0 {
				sc.touched = append(sc.touched, n)
			}
			sc.acc[n] += w
		}
	}
	bonus := 0.0
	if q.Country != "" {
		bonus = CountryMatchBonus
	}
	sim := func(qi int, t int32) float64 { return sims[qi][t] }
	var scored []scoredName
	for _, n := range sc.touched {
		p := sc.acc[n]
		sc.acc[n] = 0 // leave the scratch clean for the next query
		ln := &l.names[n]
		// Upper bound of the score: every matched token paired perfectly,
		// no unpaired query token.
		if bound := 2 * p / (2*p + l.missing*(ln.weight-p)); bound+bonus < l.threshold {
			continue
		}
		if sn, ok := l.scoreName(pq, int(n), sim); ok {
			scored = append(scored, sn)
		}
	}
	sc.touched = sc.touched[:0]
	return l.hits(pq, scored), nil
}

// scratch is per-query working memory, pooled.
type scratch struct {
	acc     []float64 // matched weight by listed name
	touched []int32   // names with acc > 0
}

// scanAll is the brute-force baseline: every listed name, every token pair,
// Jaro-Winkler computed directly. Screen must agree with it.
func (l *List) scanAll(q Query) ([]Hit, error) {
	pq, err := l.prepare(q)
	if err != nil {
		return nil, err
	}
	sim := func(qi int, t int32) float64 { return similarity(pq.tokens[qi], l.ix.vocab[t]) }
	var scored []scoredName
	for n := range l.names {
		if sn, ok := l.scoreName(pq, n, sim); ok {
			scored = append(scored, sn)
		}
	}
	return l.hits(pq, scored), nil
}

func similarity(a, b string) float64 {
	if a == b {
		return 1
	}
	return float64(edlib.JaroWinklerSimilarity(a, b))
}

type pair struct {
	q    int     // query token index
	c    int     // listed token position in the name
	sim  float64 // Jaro-Winkler similarity
	crux float64 // listed token weight
}

type scoredName struct {
	name    int
	score   float64
	pairs   []pair
	country string // reason about the country, "" if none
}

// scoreName pairs tokens one to one, best similarity first, and computes the
// weighted score described in the package documentation.
func (l *List) scoreName(pq query, n int, sim func(int, int32) float64) (scoredName, bool) {
	ln := &l.names[n]
	var cands []pair
	for qi := range pq.tokens {
		for ci, t := range ln.tokens {
			if s := sim(qi, t); s >= l.floor {
				cands = append(cands, pair{q: qi, c: ci, sim: s, crux: l.ix.weight[t]})
			}
		}
	}
	if len(cands) == 0 {
		return scoredName{}, false
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].sim != cands[j].sim {
			return cands[i].sim > cands[j].sim
		}
		if cands[i].crux != cands[j].crux {
			return cands[i].crux > cands[j].crux
		}
		if cands[i].q != cands[j].q {
			return cands[i].q < cands[j].q
		}
		return cands[i].c < cands[j].c
	})
	var usedQ, usedC uint64 // names have far fewer than 64 tokens; longer ones are cut below
	var pairs []pair
	num, den := 0.0, 0.0
	for _, p := range cands {
		if p.q >= 64 || p.c >= 64 || usedQ&(1<<p.q) != 0 || usedC&(1<<p.c) != 0 {
			continue
		}
		usedQ |= 1 << p.q
		usedC |= 1 << p.c
		pairs = append(pairs, p)
		num += p.sim * 2 * p.crux
		den += 2 * p.crux
	}
	for qi, w := range pq.weights {
		if qi >= 64 || usedQ&(1<<qi) == 0 {
			den += w
		}
	}
	for ci, t := range ln.tokens {
		if ci >= 64 || usedC&(1<<ci) == 0 {
			den += l.missing * l.ix.weight[t]
		}
	}
	sn := scoredName{name: n, score: num / den, pairs: pairs}
	if pq.Country != "" {
		if countries := l.entries[ln.entry].Countries; len(countries) > 0 {
			if slices.Contains(countries, pq.Country) {
				sn.score += CountryMatchBonus
				sn.country = fmt.Sprintf("country %s is one of the listed party's countries: score raised by %.2f", pq.Country, CountryMatchBonus)
			} else {
				sn.score -= CountryMismatchPenalty
				sn.country = fmt.Sprintf("country %s is not among the listed party's countries (%s): score lowered by %.2f",
					pq.Country, strings.Join(countries, ", "), CountryMismatchPenalty)
			}
		}
	}
	if sn.score > 1 {
		sn.score = 1
	}
	return sn, sn.score >= l.threshold
}

// hits keeps the best name per listed party and explains it.
func (l *List) hits(pq query, scored []scoredName) []Hit {
	best := map[int]scoredName{}
	for _, sn := range scored {
		e := l.names[sn.name].entry
		if cur, ok := best[e]; !ok || sn.score > cur.score || (sn.score == cur.score && sn.name < cur.name) {
			best[e] = sn
		}
	}
	out := make([]Hit, 0, len(best))
	for e, sn := range best {
		out = append(out, l.hit(pq, e, sn))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].EntityID < out[j].EntityID
	})
	return out
}

func (l *List) hit(pq query, e int, sn scoredName) Hit {
	entry := &l.entries[e]
	ln := &l.names[sn.name]
	h := Hit{
		EntityID:    entry.ID,
		MatchedName: entry.Name,
		PrimaryName: entry.Name,
		Score:       sn.score,
		Type:        entry.Type,
		Programs:    slices.Clone(entry.Programs),
		Countries:   slices.Clone(entry.Countries),
	}
	h.Reasons = append(h.Reasons, fmt.Sprintf("score %.2f is at or above the threshold %.2f", sn.score, l.threshold))
	if ln.alias >= 0 {
		a := entry.Aliases[ln.alias]
		h.IsAlias, h.AliasType, h.MatchedName = true, a.Type, a.Name
		h.Reasons = append(h.Reasons, fmt.Sprintf("matched %s %q of listed party %q", aliasWord(a.Type), a.Name, entry.Name))
	} else {
		h.Reasons = append(h.Reasons, fmt.Sprintf("matched listed name %q", entry.Name))
	}
	var same, missing, extra []string
	pairedQ := map[int]bool{}
	pairedC := map[int]bool{}
	pairs := slices.Clone(sn.pairs)
	slices.SortFunc(pairs, func(a, b pair) int { return a.c - b.c }) // in listed word order
	for _, p := range pairs {
		pairedQ[p.q], pairedC[p.c] = true, true
		listed := l.ix.vocab[ln.tokens[p.c]]
		if pq.tokens[p.q] == listed {
			same = append(same, listed)
			continue
		}
		h.Reasons = append(h.Reasons, fmt.Sprintf("word %q resembles listed word %q (similarity %.2f)", pq.tokens[p.q], listed, p.sim))
	}
	for ci, t := range ln.tokens {
		if !pairedC[ci] {
			missing = append(missing, l.ix.vocab[t])
		}
	}
	for qi, t := range pq.tokens {
		if !pairedQ[qi] {
			extra = append(extra, t)
		}
	}
	if len(same) > 0 {
		h.Reasons = append(h.Reasons, "same words: "+strings.Join(same, ", "))
	}
	if len(missing) > 0 {
		h.Reasons = append(h.Reasons, "listed words missing from the screened name: "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		h.Reasons = append(h.Reasons, "screened words not in the listed name: "+strings.Join(extra, ", "))
	}
	if sn.country != "" {
		h.Reasons = append(h.Reasons, sn.country)
	}
	return h
}

func aliasWord(t string) string {
	switch t {
	case "fka":
		return "former name (f.k.a.)"
	case "nka":
		return "new name (n.k.a.)"
	default:
		return "alias (a.k.a.)"
	}
}

// dropMisspeltLegalForms drops query words that are not on the list but
// are one typo or transposition away from a legal form of four letters or
// more ("LIMITD", "COMAPNY", "CORPORATVION"): they would otherwise count as
// a distinctive word the listed name lacks.
func (l *List) dropMisspeltLegalForms(toks []string) []string {
	kept := make([]string, 0, len(toks))
	for _, t := range toks {
		if _, listed := l.ix.ids[t]; !listed && len(t) >= 3 && nearLegalForm(t) {
			continue
		}
		kept = append(kept, t)
	}
	if len(kept) == 0 {
		return toks
	}
	return kept
}

func nearLegalForm(t string) bool {
	for _, f := range longLegalForms {
		if edlib.OSADamerauLevenshteinDistance(t, f) <= 1 {
			return true
		}
	}
	return false
}

// longLegalForms are the legal forms long enough for a one-edit typo to be
// recognisable.
var longLegalForms = func() []string {
	var out []string
	for f := range legalForms {
		if len(f) >= 4 {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}()
