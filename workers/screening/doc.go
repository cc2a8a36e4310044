// Package screening checks party names (partners, consignors, consignees,
// sellers) against the US OFAC Specially Designated Nationals (SDN) list.
//
// Load reads the list in its published CSV format (ofac-sdn.csv, ofac-add.csv,
// ofac-alt.csv: no header, "-0-" for an empty field) and builds an index.
// Screen returns every listed entity whose primary name or alias resembles the
// screened name at or above the list's threshold, with the reasons an officer
// needs to review the hit.
//
// # Matching
//
// Names are normalised before comparison: upper case, diacritics removed
// (NFD decomposition, combining marks dropped), punctuation removed, runs of
// single letters joined ("S. A." and "S.A." both become "SA"), the Arabic
// article joined to its word ("AL-NOOR", "AL NOOR" and "ALNOOR" are one
// token), and legal-form suffixes (LTD, LLC, GMBH, SA, ...), connecting words
// (OF, THE, DE, ...) and titles (DR, MR) dropped.
//
// Two names are compared token by token with Jaro-Winkler similarity
// (github.com/hbollon/go-edlib). Token pairs below TokenFloor count as no
// match. Tokens are paired one to one, best pairs first, and each pair is
// weighted by the inverse document frequency of the listed token, so a match
// on a rare word ("MELLI") counts far more than one on a common word
// ("BANK", "TRADING"). The score is
//
//	sum(sim * 2w) over pairs / (sum(2w) over pairs + w(unpaired query tokens) + MissingWeight * w(unpaired listed tokens))
//
// which is 1 for identical token sets, independent of word order. Listed
// tokens missing from the query weigh MissingWeight (less than 1) because a
// screened name often omits a middle name or part of a company name.
//
// # Country
//
// When the query names a country (ISO 3166-1 alpha-2) and the listed entity
// has known countries (a programme aimed at one country such as CUBA or
// DPRK3, addresses in ofac-add.csv, a vessel's flag, a nationality or
// citizenship in the remarks), a country in common raises the
// score by CountryMatchBonus and no country in common lowers it by
// CountryMismatchPenalty. The penalty is small on purpose: addresses on the
// list are incomplete and sanctioned parties trade through front companies
// abroad, so an exact name match still scores above DefaultThreshold in any
// country.
//
// # Index
//
// Every distinct listed token is indexed under blocking keys: the one-letter
// deletions of its first five letters (so any single typo, insertion,
// deletion or transposition there still shares a key) and a consonant
// skeleton (so MOHAMMED, MUHAMMAD and MOHAMED meet). Screening computes
// Jaro-Winkler only against the tokens that share a key with a query token,
// then scores only the names whose matched token weight can still reach the
// threshold. This is far cheaper than a scan of every listed name (see
// BenchmarkScreen).
package screening
