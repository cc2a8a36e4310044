package screening

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// legalForms are company-type words dropped from names wherever they stand:
// "ACME TRADING CO., LTD." and "ACME TRADING" are the same party.
var legalForms = setOf(
	"LTD", "LIMITED", "CO", "COMPANY", "INC", "INCORPORATED", "CORP", "CORPORATION",
	"LLC", "LLP", "LP", "PLC", "SA", "SAS", "SARL", "SRL", "SPA", "SL", "SAC", "CV",
	"GMBH", "AG", "KG", "BV", "NV", "PTE", "PVT", "PTY", "OOO", "ZAO", "OAO", "PAO", "AO",
	"JSC", "PJSC", "CJSC", "OJSC", "FZE", "FZCO", "FZC", "FZLLC", "DMCC", "CIA", "CIE",
	"LTDA", "SDN", "BHD", "AB", "AS", "OY", "KFT", "SRO", "EIRL", "EURL", "JV",
)

// connectors are articles, prepositions and titles that carry no identity.
var connectors = setOf(
	"THE", "OF", "AND", "FOR", "DE", "DEL", "DA", "DO", "DOS", "DAS", "DI", "DU", "DES",
	"LA", "LE", "LES", "LOS", "LAS", "Y", "E", "ET", "UND", "DER", "DIE",
	"DR", "MR", "MRS", "MS",
)

// articles are joined to the word after them, so that "AL-NOOR", "AL NOOR"
// and "ALNOOR" become the same token.
var articles = setOf("AL", "EL")

// foldRunes spells letters that NFD does not decompose into base letters.
var foldRunes = map[rune]string{
	'ß': "SS", 'Æ': "AE", 'æ': "AE", 'Ø': "O", 'ø': "O", 'Œ': "OE", 'œ': "OE",
	'Ł': "L", 'ł': "L", 'Đ': "D", 'đ': "D", 'Þ': "TH", 'þ': "TH", 'ı': "I",
}

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// Normalize returns the tokens a name is compared by: upper case, without
// diacritics, punctuation, legal forms and connecting words, with the
// articles AL and EL joined to the following word. Dropping words never
// leaves a name empty: "THE COMPANY" keeps its words.
func Normalize(name string) []string {
	var b strings.Builder
	for _, r := range norm.NFD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// combining mark left by NFD: drop the accent, keep the letter
		case foldRunes[r] != "":
			b.WriteString(foldRunes[r])
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToUpper(r))
		case r == '.' || r == '\'' || r == '\u2019' || r == '`':
			// joins: "S.A." is "SA", "GAMA'AT" is "GAMAAT"
		default:
			b.WriteByte(' ')
		}
	}
	raw := strings.Fields(b.String())
	if len(raw) == 0 {
		return nil
	}
	tokens := joinInitials(raw)
	tokens = joinArticles(tokens)
	kept := tokens[:0:0]
	for _, t := range tokens {
		if !legalForms[t] && !connectors[t] {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		return tokens
	}
	return kept
}

// joinInitials joins runs of single letters: "S A" becomes "SA".
func joinInitials(in []string) []string {
	out := make([]string, 0, len(in))
	for i := 0; i < len(in); {
		if len([]rune(in[i])) != 1 {
			out = append(out, in[i])
			i++
			continue
		}
		j := i
		for j < len(in) && len([]rune(in[j])) == 1 {
			j++
		}
		run := strings.Join(in[i:j], "")
		// "B R C S. A." is the company BRC, legal form SA: split a
		// trailing legal form off the run.
		for k := i + 1; k < j-1; k++ {
			if tail := strings.Join(in[k:j], ""); legalForms[tail] {
				run = strings.Join(in[i:k], "")
				out = append(out, run)
				run = tail
				break
			}
		}
		out = append(out, run)
		i = j
	}
	return out
}

// joinArticles joins AL and EL to the word after them.
func joinArticles(in []string) []string {
	out := make([]string, 0, len(in))
	for i := 0; i < len(in); i++ {
		if articles[in[i]] && i+1 < len(in) {
			out = append(out, in[i]+in[i+1])
			i++
			continue
		}
		out = append(out, in[i])
	}
	return out
}
