package screening

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	edlib "github.com/hbollon/go-edlib"
)

// A labelled query: a positive wants entity Want among the hits, a negative
// (Want == 0) wants no hit at all.
type labelled struct {
	Query Query
	Kind  string
	Want  int
	From  string // the listed name it was made from, for failure messages
}

// Kinds of labelled queries.
const (
	kindTypo       = "typo"
	kindTranspose  = "transposition"
	kindDropped    = "dropped token"
	kindReordered  = "reordered tokens"
	kindAlias      = "alias with typo"
	kindCompany    = "negative: generated company"
	kindNearListed = "negative: listed name with its rarest word replaced"
)

// Word lists for negatives. Real words and names a trading partner might
// carry; some (TRADING, INTERNATIONAL, GULF, ...) are frequent on the SDN
// list itself, so negatives share vocabulary with listed names.
var (
	distinctWords = strings.Fields(`BALTIC HANSA RHEIN ALPINE NORDIC ATLAS CEDAR ORION POLARIS
		MERIDIAN HORIZON SUMMIT PIONEER VANGUARD HARBOUR LIGHTHOUSE EVERGREEN SILVERLINE BLUEWATER
		REDWOOD OAKLAND MAPLE WILLOW FALCON EAGLE PHOENIX DOLPHIN CORAL LAGUNA SIERRA MONTANA
		DANUBE ELBE WESER MOSEL SAXONIA BAVARIA FLANDERS BRABANT ZEELAND FRISIA JUTLAND SCANIA
		LOMBARDY TUSCANY CATALINA ANDALUS GALICIA PORTO LISBOA VALENCIA NAPOLI TORINO GENOVA
		MUELLER SCHMIDT SCHNEIDER FISCHER WEBER BECKER HOFFMANN KOWALSKI NOWAK JANSSEN DEVRIES
		VANDAM PETERSEN LARSEN NIELSEN LINDQVIST BERGMAN DUBOIS MOREAU LAURENT BERNARD ROSSI
		BIANCHI ROMANO COLOMBO FERRARI TANAKA SUZUKI WATANABE OKAFOR MENSAH ADEYEMI KOVACS
		HORVATH NAGY PAPADOPOULOS NIKOLAIDIS ANDERSSON JOHANSSON OLSEN HANSEN CLARKE WHITFIELD
		ASHWORTH PEMBERTON KENSINGTON WESTBROOK FAIRVIEW GREENFIELD RIVERSIDE HIGHLAND LOWLAND
		SUNRISE SUNSET MOONSTONE STARLIGHT CRYSTAL GRANITE MARBLE COPPERFIELD IRONBRIDGE
		STONEBRIDGE BRIGHTWATER CLEARWATER DEEPWATER SEABREEZE WINDROSE COMPASS ANCHOR KEEL
		MISTRAL SIROCCO ZEPHYR AURORA BOREALIS TUNDRA SAVANNA PAMPAS PATAGONIA ANDES ALTAI
		TITAN HELIOS SELENE VESTA JUNO MINERVA APOLLO HERMES ATHENA NEPTUNE TRITON`)
	industryWords = strings.Fields(`LOGISTICS FREIGHT FORWARDING FOODS PHARMA TEXTILES MACHINERY
		ELECTRONICS CHEMICALS PACKAGING AUTOMOTIVE AGRO MARINE CONTAINERS WAREHOUSING TRANSPORT
		CARGO SUPPLY DISTRIBUTION IMPORTS EXPORTS COMMODITIES METALS PLASTICS PAPER TIMBER
		FURNITURE APPAREL FOOTWEAR COSMETICS BEVERAGES DAIRY SEAFOOD FRUIT GRAIN COFFEE TEA
		SPICES CERAMICS GLASS TOOLS INSTRUMENTS MEDICAL DIAGNOSTICS SOLAR ENERGY POWER CABLES`)
	// Words frequent on the SDN list: a negative may carry one or two.
	listedWords = strings.Fields(`TRADING SHIPPING INTERNATIONAL GENERAL INDUSTRIAL INVESTMENT
		GROUP HOLDING DEVELOPMENT ENGINEERING TECHNOLOGY SERVICES COMMERCIAL PETROLEUM STEEL OIL
		EXCHANGE GULF STAR GLOBAL NATIONAL UNITED EASTERN WESTERN NORTHERN SOUTHERN`)
	suffixWords = []string{"", "", "LTD.", "GMBH", "S.A.", "LLC", "B.V.", "CO., LTD.", "INC.", "S.R.L.", "PLC", "A.S.", "FZE", "PTE. LTD."}
)

// buildLabelledSet makes perKind positives of each kind from the listed
// individuals and entities, and negatives of both negative kinds, with a
// fixed seed. Negatives that come close to any listed name by the
// independent rule in closeToListed are thrown away and regenerated.
func buildLabelledSet(tb testing.TB, l *List, seed uint64, perKind, negPerKind int) []labelled {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	var pool []int // entries that are parties (not vessels or aircraft)
	var withAlias []int
	for i, e := range l.entries {
		if e.Type == "individual" || e.Type == "entity" {
			pool = append(pool, i)
			if len(e.Aliases) > 0 {
				withAlias = append(withAlias, i)
			}
		}
	}
	var set []labelled
	add := func(kind string, from string, want int, name string, n *int) {
		if name == "" || len(Normalize(name)) == 0 {
			return
		}
		set = append(set, labelled{Query: Query{Name: name}, Kind: kind, Want: want, From: from})
		*n++
	}
	for _, kind := range []string{kindTypo, kindTranspose, kindDropped, kindReordered} {
		for n, tries := 0, 0; n < perKind && tries < 100*perKind; tries++ {
			e := l.entries[pool[rng.IntN(len(pool))]]
			add(kind, e.Name, e.ID, perturb(rng, kind, e.Name), &n)
		}
	}
	for n, tries := 0, 0; n < perKind && tries < 100*perKind; tries++ {
		e := l.entries[withAlias[rng.IntN(len(withAlias))]]
		a := e.Aliases[rng.IntN(len(e.Aliases))]
		add(kindAlias, a.Name, e.ID, perturb(rng, kindTypo, a.Name), &n)
	}
	guard := newCloseness(l)
	for n, tries := 0, 0; n < negPerKind && tries < 100*negPerKind; tries++ {
		name := generatedCompany(rng)
		if !guard.closeToListed(name) {
			add(kindCompany, "", 0, name, &n)
		}
	}
	var entities []int
	for i, e := range l.entries {
		if e.Type == "entity" && len(Normalize(e.Name)) >= 2 {
			entities = append(entities, i)
		}
	}
	for n, tries := 0, 0; n < negPerKind && tries < 100*negPerKind; tries++ {
		e := l.entries[entities[rng.IntN(len(entities))]]
		name := replaceRarest(l, rng, e.Name)
		if name != "" && !guard.closeToListed(name) {
			add(kindNearListed, e.Name, 0, name, &n)
		}
	}
	return set
}

// words splits a published name into words, dropping commas.
func words(name string) []string {
	return strings.FieldsFunc(name, func(r rune) bool { return r == ' ' || r == ',' })
}

func letterCount(w string) int {
	n := 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

// significant reports whether a word survives normalisation as its own word.
func significant(w string) bool {
	toks := Normalize(w)
	return len(toks) == 1 && !legalForms[toks[0]] && !connectors[toks[0]] && !articles[toks[0]]
}

// perturb applies one kind of change to a published name, or returns ""
// when the name does not allow it.
func perturb(rng *rand.Rand, kind, name string) string {
	ws := words(name)
	var long []int // words with at least four letters
	var sig []int
	for i, w := range ws {
		if letterCount(w) >= 4 {
			long = append(long, i)
		}
		if significant(w) {
			sig = append(sig, i)
		}
	}
	switch kind {
	case kindTypo, kindTranspose:
		if len(long) == 0 {
			return ""
		}
		i := long[rng.IntN(len(long))]
		r := []rune(ws[i])
		var letters []int
		for j, c := range r {
			if unicode.IsLetter(c) {
				letters = append(letters, j)
			}
		}
		if kind == kindTranspose {
			var at []int
			for k := 0; k+1 < len(letters); k++ {
				a, b := letters[k], letters[k+1]
				if b == a+1 && r[a] != r[b] {
					at = append(at, a)
				}
			}
			if len(at) == 0 {
				return ""
			}
			a := at[rng.IntN(len(at))]
			r[a], r[a+1] = r[a+1], r[a]
		} else {
			j := letters[rng.IntN(len(letters))]
			c := rune('A' + rng.IntN(26))
			switch rng.IntN(3) {
			case 0: // substitution
				for c == unicode.ToUpper(r[j]) {
					c = rune('A' + rng.IntN(26))
				}
				r[j] = c
			case 1: // insertion
				r = slices.Insert(r, j, c)
			default: // deletion
				r = slices.Delete(r, j, j+1)
			}
		}
		ws[i] = string(r)
	case kindDropped:
		if len(sig) < 3 {
			return ""
		}
		// An individual is listed as "SURNAMES, Given names". Keep at
		// least one word of each part: "Jose Maria" is not a screenable
		// form of "SISON, Jose Maria", but "MATA Noel" is one of
		// "MATA MATA, Noel".
		surnames := len(words(strings.SplitN(name, ",", 2)[0]))
		if !strings.Contains(name, ",") {
			surnames = -1 // not a person's name
		}
		var droppable []int
		for _, i := range sig {
			if surnames < 0 {
				droppable = append(droppable, i)
				continue
			}
			before, after := 0, 0
			for _, j := range sig {
				if j == i {
					continue
				}
				if j < surnames {
					before++
				} else {
					after++
				}
			}
			if before > 0 && after > 0 {
				droppable = append(droppable, i)
			}
		}
		if len(droppable) == 0 {
			return ""
		}
		i := droppable[rng.IntN(len(droppable))]
		ws = slices.Delete(ws, i, i+1)
	case kindReordered:
		if len(sig) < 2 {
			return ""
		}
		orig := slices.Clone(ws)
		for tries := 0; slices.Equal(ws, orig) && tries < 10; tries++ {
			rng.Shuffle(len(ws), func(a, b int) { ws[a], ws[b] = ws[b], ws[a] })
		}
		if slices.Equal(ws, orig) {
			return ""
		}
	}
	return strings.Join(ws, " ")
}

func pick(rng *rand.Rand, from []string) string { return from[rng.IntN(len(from))] }

// generatedCompany makes a plausible trading-partner name.
func generatedCompany(rng *rand.Rand) string {
	var parts []string
	switch rng.IntN(4) {
	case 0: // HORIZON FREIGHT GMBH
		parts = []string{pick(rng, distinctWords), pick(rng, industryWords)}
	case 1: // BALTIC TRADING LOGISTICS LTD.
		parts = []string{pick(rng, distinctWords), pick(rng, listedWords), pick(rng, industryWords)}
	case 2: // MUELLER & NOWAK SHIPPING
		parts = []string{pick(rng, distinctWords), "&", pick(rng, distinctWords), pick(rng, listedWords)}
	default: // GLOBAL PHOENIX INTERNATIONAL
		parts = []string{pick(rng, listedWords), pick(rng, distinctWords), pick(rng, listedWords)}
	}
	if s := pick(rng, suffixWords); s != "" {
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// replaceRarest swaps the listed name's rarest word for a word from the
// distinct list: "BANK SADERAT IRAN" may become "BANK HORIZON IRAN".
func replaceRarest(l *List, rng *rand.Rand, name string) string {
	ws := words(name)
	best, bestW := -1, -1.0
	for i, w := range ws {
		if !significant(w) {
			continue
		}
		tok := Normalize(w)[0]
		wt := l.ix.maxW
		if id, ok := l.ix.ids[tok]; ok {
			wt = l.ix.weight[id]
		}
		if wt > bestW {
			best, bestW = i, wt
		}
	}
	if best < 0 {
		return ""
	}
	ws[best] = pick(rng, distinctWords)
	return strings.Join(ws, " ")
}

// closeness decides, without the scorer under test, whether a name is
// close to a listed name: it uses Levenshtein distance, not Jaro-Winkler,
// and no token weights.
type closeness struct {
	l    *List
	keys map[string][]int32 // whole-token deletion keys to vocabulary ids
}

func newCloseness(l *List) *closeness {
	c := &closeness{l: l, keys: map[string][]int32{}}
	for id, tok := range l.ix.vocab {
		for _, k := range deletions(tok) {
			c.keys[k] = append(c.keys[k], int32(id))
		}
	}
	return c
}

func deletions(tok string) []string {
	r := []rune(tok)
	out := []string{tok}
	for i := range r {
		out = append(out, string(r[:i])+string(r[i+1:]))
	}
	return out
}

// near reports whether two tokens are at most one edit apart.
func near(a, b string) bool { return a == b || edlib.LevenshteinDistance(a, b) <= 1 }

// closeToListed: a name is close to a listed name when, after
// normalisation, every word of one has a word at most one edit away in the
// other, or the sorted words as one string are at least 80% similar by
// Levenshtein distance.
func (c *closeness) closeToListed(name string) bool {
	toks := Normalize(name)
	cands := map[int32]bool{}
	for _, t := range toks {
		for _, k := range deletions(t) {
			for _, id := range c.keys[k] {
				if near(t, c.l.ix.vocab[id]) {
					for _, n := range c.l.ix.postings[id] {
						cands[n] = true
					}
				}
			}
		}
	}
	sorted := slices.Sorted(slices.Values(toks))
	joined := strings.Join(sorted, " ")
	for n := range cands {
		listed := make([]string, len(c.l.names[n].tokens))
		for i, id := range c.l.names[n].tokens {
			listed[i] = c.l.ix.vocab[id]
		}
		if covered(toks, listed) || covered(listed, toks) {
			return true
		}
		sort.Strings(listed)
		other := strings.Join(listed, " ")
		d := edlib.LevenshteinDistance(joined, other)
		if 1-float64(d)/float64(max(len([]rune(joined)), len([]rune(other)))) >= 0.8 {
			return true
		}
	}
	return false
}

// covered reports whether every token of a has a near token in b.
func covered(a, b []string) bool {
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y string) bool { return near(x, y) }) {
			return false
		}
	}
	return true
}
