package screening

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"Case, punctuation and legal forms are dropped.", "Anglo-Caribbean Co., Ltd.", []string{"ANGLO", "CARIBBEAN"}},
		{"Dotted and spaced initials become one legal form.", "CIMEX, S. A.", []string{"CIMEX"}},
		{"A legal form is split off a run of initials.", "B R C S.A.", []string{"BRC"}},
		{"Diacritics are removed.", "Société Générale d'Équipement", []string{"SOCIETE", "GENERALE", "DEQUIPEMENT"}},
		{"Letters NFD cannot split are spelled out.", "Straße Øresund Łódź", []string{"STRASSE", "ORESUND", "LODZ"}},
		{"The Arabic article is joined to its word.", "AL-ZAWAHIRI, Dr. Ayman", []string{"ALZAWAHIRI", "AYMAN"}},
		{"Connecting words are dropped.", "COMPANIA DE IMPORTACION Y EXPORTACION", []string{"COMPANIA", "IMPORTACION", "EXPORTACION"}},
		{"A name made only of dropped words keeps them.", "The Company", []string{"THE", "COMPANY"}},
		{"A name without letters or digits has no tokens.", " -- . ", nil},
		{"GmbH in any case is a legal form.", "Hansa Logistik GmbH", []string{"HANSA", "LOGISTIK"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Normalize(c.in); !slices.Equal(got, c.want) {
				t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestBlockingKeysShareAKeyAfterOneEdit(t *testing.T) {
	cases := []struct {
		name string
		a, b string
	}{
		{"A substitution in the prefix shares a key.", "SADERAT", "SAFERAT"},
		{"An insertion in the prefix shares a key.", "MELLI", "MEELLI"},
		{"A deletion in the prefix shares a key.", "TEJARAT", "TJARAT"},
		{"A transposition in the prefix shares a key.", "PETROCHEMICAL", "PETORCHEMICAL"},
		{"A typo after the prefix shares a key.", "PETROCHEMICAL", "PETROCHEMIKAL"},
		{"A four-letter word and its typo share a key.", "ABCD", "ABXD"},
		{"Transliteration variants share the skeleton key.", "MOHAMMED", "MUHAMMAD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ka, kb := blockingKeys(c.a), blockingKeys(c.b)
			if !slices.ContainsFunc(ka, func(k string) bool { return slices.Contains(kb, k) }) {
				t.Errorf("keys of %q %q and of %q %q share nothing", c.a, ka, c.b, kb)
			}
		})
	}
}

func TestLoadReadsThePublishedFormat(t *testing.T) {
	l := loadShared(t)
	if n := len(l.Entries()); n != 8976 {
		t.Errorf("entries = %d, want 8976 (the rows of ofac-sdn.csv)", n)
	}
	cases := []struct {
		name      string
		id        int
		wantName  string
		wantType  string
		programs  []string
		country   string
		aliasName string
	}{
		{"An entity takes the countries of its addresses abroad.", 306, "BANCO NACIONAL DE CUBA", "entity", []string{"CUBA"}, "ES", "NATIONAL BANK OF CUBA"},
		{"An entity takes the country of its programme.", 306, "BANCO NACIONAL DE CUBA", "entity", []string{"CUBA"}, "CU", ""},
		{"An individual keeps its type and its programme.", 2676, "AL ZAWAHIRI, Dr. Ayman", "individual", []string{"SDGT"}, "", "SALIM, Ahmad Fuad"},
		{"A vessel takes its flag as a country.", 4243, "SAND SWAN", "vessel", []string{"CUBA"}, "CY", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, ok := l.Entry(c.id)
			if !ok {
				t.Fatalf("Entry(%d) not found", c.id)
			}
			if e.Name != c.wantName || e.Type != c.wantType || !slices.Equal(e.Programs, c.programs) {
				t.Errorf("Entry(%d) = %q %q %q, want %q %q %q", c.id, e.Name, e.Type, e.Programs, c.wantName, c.wantType, c.programs)
			}
			if c.country != "" && !slices.Contains(e.Countries, c.country) {
				t.Errorf("Entry(%d).Countries = %q, want it to contain %q", c.id, e.Countries, c.country)
			}
			if c.aliasName != "" && !slices.ContainsFunc(e.Aliases, func(a Alias) bool { return a.Name == c.aliasName }) {
				t.Errorf("Entry(%d).Aliases = %v, want %q among them", c.id, e.Aliases, c.aliasName)
			}
		})
	}
}

func TestEveryListedCountrySpellingIsKnown(t *testing.T) {
	// Spellings deliberately left without a code (see ofacCountries).
	skipped := map[string]bool{"": true, "undetermined": true, "Netherlands Antilles": true, "Region: Kafia Kingi": true}
	var unknown []string
	err := rows(filepath.Join(sanctionsDir, AddressFile), 5, func(_ int, f []string) error {
		if !skipped[f[4]] && countryCode(f[4]) == "" && !slices.Contains(unknown, f[4]) {
			unknown = append(unknown, f[4])
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading addresses: %v", err)
	}
	if len(unknown) > 0 {
		t.Errorf("country spellings without a code: %q", unknown)
	}
	for name, code := range ofacCountries {
		if !validCountry(code) {
			t.Errorf("ofacCountries[%q] = %q, not an ISO 3166-1 alpha-2 code", name, code)
		}
	}
}

// writeList writes a small list in the published format into a new folder.
func writeList(t *testing.T, sdn, add, alt string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{SDNFile: sdn, AddressFile: add, AliasFile: alt} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	smallSDN = "10,\"ACME SHIPPING CO., LTD.\",-0- ,\"IRAN\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n" +
		"11,\"NORIEGA, Manuel Antonio\",\"individual\",\"CUBA] [SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 1934; nationality Panama.\"\r\n\x1a"
	smallAdd = "10,1,\"1 Road\",\"Tehran\",\"Iran\",-0- \r\n10,2,-0- ,-0- ,\"United Arab Emirates\",-0- \r\n"
	smallAlt = "10,5,\"aka\",\"ACME MARINE\",-0- \r\n"
)

func TestLoadRejectsMalformedRows(t *testing.T) {
	cases := []struct {
		name          string
		sdn, add, alt string
		want          string
	}{
		{"A non-numeric ent_num is refused.", "x1,\"A\",-0- ,\"P\"\r\n", "", "",
			`loading sdn list: ofac-sdn.csv line 1: field ent_num: value "x1": must be a positive integer`},
		{"A repeated ent_num is refused.", "1,\"A\",-0- ,\"P\"\r\n1,\"B\",-0- ,\"P\"\r\n", "", "",
			`loading sdn list: ofac-sdn.csv line 2: field ent_num: value "1": must be unique`},
		{"An empty name is refused.", "1,-0- ,-0- ,\"P\"\r\n", "", "",
			`loading sdn list: ofac-sdn.csv line 1: field SDN_Name: value "": must not be empty`},
		{"A short row is refused.", "1,\"A\"\r\n", "", "",
			`loading sdn list: ofac-sdn.csv line 1: field row: value "1,A": must have at least 4 fields, has 2`},
		{"An address of an unknown entry is refused.", smallSDN, "99,1,-0- ,-0- ,\"Iran\",-0- \r\n", "",
			`loading sdn addresses: ofac-add.csv line 1: field ent_num: value "99": must refer to an entry of ofac-sdn.csv`},
		{"An empty alias is refused.", smallSDN, "", "10,5,\"aka\",-0- ,-0- \r\n",
			`loading sdn aliases: ofac-alt.csv line 1: field alt_name: value "": must not be empty`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := Load(writeList(t, c.sdn, c.add, c.alt))
			if err == nil || err.Error() != c.want {
				t.Fatalf("Load error = %v, want %s", err, c.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("Load error %T does not wrap *ParseError", err)
			}
			if l != nil {
				t.Errorf("Load returned a list with the error")
			}
		})
	}
	t.Run("A missing file is reported with its name.", func(t *testing.T) {
		dir := writeList(t, smallSDN, smallAdd, smallAlt)
		if err := os.Remove(filepath.Join(dir, AliasFile)); err != nil {
			t.Fatal(err)
		}
		_, err := Load(dir)
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "opening ofac-alt.csv") {
			t.Errorf("Load error = %v, want a not-exist error naming ofac-alt.csv", err)
		}
	})
	t.Run("A threshold outside (0, 1] is refused.", func(t *testing.T) {
		_, err := Load(writeList(t, smallSDN, smallAdd, smallAlt), WithThreshold(1.5))
		want := `loading sdn list: screening query: field threshold: value "1.5": must be greater than 0 and at most 1`
		if err == nil || err.Error() != want {
			t.Errorf("Load error = %v, want %s", err, want)
		}
	})
}

func TestScreenSmallList(t *testing.T) {
	l, err := Load(writeList(t, smallSDN, smallAdd, smallAlt))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		q          Query
		wantID     int // 0: no hit
		wantAlias  bool
		wantReason string
	}{
		{"An exact name with another legal form is a hit.", Query{Name: "Acme Shipping GmbH"}, 10, false, "same words: ACME, SHIPPING"},
		{"A typo is a hit and says which word differs.", Query{Name: "ACME SHIPING LTD"}, 10, false, `word "SHIPING" resembles listed word "SHIPPING"`},
		{"An alias is a hit and says so.", Query{Name: "Acme Marine"}, 10, true, `matched alias (a.k.a.) "ACME MARINE" of listed party "ACME SHIPPING CO., LTD."`},
		{"A person's name in the other order is a hit.", Query{Name: "Manuel Antonio Noriega"}, 11, false, "same words: NORIEGA, MANUEL, ANTONIO"},
		{"A matching country raises the score and says so.", Query{Name: "Acme Shipping", Country: "AE"}, 10, false, "country AE is one of the listed party's countries"},
		{"The nationality in the remarks counts as a country.", Query{Name: "Manuel Antonio Noriega", Country: "PA"}, 11, false, "country PA is one of"},
		{"A different name is no hit.", Query{Name: "Hansa Logistik GmbH"}, 0, false, ""},
		{"Another country lowers the score and says so.", Query{Name: "ACME SHIPPING", Country: "DE"}, 10, false, "country DE is not among the listed party's countries (IR, AE): score lowered by 0.05"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hits, err := l.Screen(c.q)
			if err != nil {
				t.Fatal(err)
			}
			if c.wantID == 0 {
				if len(hits) != 0 {
					t.Fatalf("Screen(%+v) = %+v, want no hit", c.q, hits)
				}
				return
			}
			if len(hits) == 0 || hits[0].EntityID != c.wantID || hits[0].IsAlias != c.wantAlias {
				t.Fatalf("Screen(%+v) = %+v, want entity %d first (alias %v)", c.q, hits, c.wantID, c.wantAlias)
			}
			if !slices.ContainsFunc(hits[0].Reasons, func(r string) bool { return strings.Contains(r, c.wantReason) }) {
				t.Errorf("reasons %q lack %q", hits[0].Reasons, c.wantReason)
			}
			if hits[0].Score < l.Threshold() || hits[0].Score > 1 {
				t.Errorf("score %.3f outside [threshold, 1]", hits[0].Score)
			}
		})
	}
}

func TestScreenRejectsBadQueries(t *testing.T) {
	l, err := Load(writeList(t, smallSDN, smallAdd, smallAlt))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		q    Query
		want string
	}{
		{"A name without letters is refused.", Query{Name: " ,. "}, `screening query: field name: value " ,. ": must contain at least one letter or digit`},
		{"A country name instead of a code is refused.", Query{Name: "ACME", Country: "Iran"}, `screening query: field country: value "Iran": must be an upper-case ISO 3166-1 alpha-2 country code`},
		{"A lower-case code is refused.", Query{Name: "ACME", Country: "ir"}, `screening query: field country: value "ir": must be an upper-case ISO 3166-1 alpha-2 country code`},
		{"An unassigned code is refused.", Query{Name: "ACME", Country: "QQ"}, `screening query: field country: value "QQ": must be an upper-case ISO 3166-1 alpha-2 country code`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hits, err := l.Screen(c.q)
			if err == nil || err.Error() != c.want {
				t.Fatalf("Screen error = %v, want %s", err, c.want)
			}
			var qe *QueryError
			if !errors.As(err, &qe) || hits != nil {
				t.Errorf("Screen = %v, %T; want no hits and a *QueryError", hits, err)
			}
		})
	}
}

// TestIndexAgreesWithBruteForce checks that the index finds what a scan of
// every listed name finds, on the labelled queries.
func TestIndexAgreesWithBruteForce(t *testing.T) {
	if testing.Short() {
		t.Skip("scans the whole list for each query")
	}
	l := loadShared(t)
	set := buildLabelledSet(t, l, 7, 8, 10)
	same, differ := 0, 0
	for _, c := range set {
		fast, err := l.Screen(c.Query)
		if err != nil {
			t.Fatal(err)
		}
		slow, err := l.scanAll(c.Query)
		if err != nil {
			t.Fatal(err)
		}
		ids := func(hs []Hit) []int {
			var out []int
			for _, h := range hs {
				out = append(out, h.EntityID)
			}
			return out
		}
		if slices.Equal(ids(fast), ids(slow)) {
			same++
			continue
		}
		differ++
		t.Logf("%q: index %v, scan %v", c.Query.Name, ids(fast), ids(slow))
	}
	t.Logf("%d of %d queries give the same hits", same, same+differ)
	if differ*50 > same+differ {
		t.Errorf("%d of %d queries differ from the brute-force scan, want at most 2%%", differ, same+differ)
	}
}

func TestProgrammeCountries(t *testing.T) {
	cases := []struct {
		name, program, want string
	}{
		{"A country programme names its country.", "CUBA", "CU"},
		{"A numbered programme names its country.", "DPRK3", "KP"},
		{"An executive-order programme names its country.", "VENEZUELA-EO13850", "VE"},
		{"A thematic programme names no country.", "SDGT", ""},
		{"A regional programme names no country.", "UKRAINE-EO13660", ""},
		{"A programme that only starts like a country's names none.", "CARIBBEAN", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := programCountry(c.program); got != c.want {
				t.Errorf("programCountry(%q) = %q, want %q", c.program, got, c.want)
			}
		})
	}
}

func TestScreenIsSafeForConcurrentUse(t *testing.T) {
	l := loadShared(t)
	queries := []Query{{Name: "Banco Nacional de Cuba"}, {Name: "Kim Jong Un"}, {Name: "Hansa Logistik GmbH"},
		{Name: "Islamic Revolutionary Guard Corps", Country: "IR"}, {Name: "ROSNEFT TRADING"}}
	want := make([][]Hit, len(queries))
	for i, q := range queries {
		hits, err := l.Screen(q)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = hits
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4*len(queries))
	for g := range 4 {
		wg.Go(func() {
			for k := range queries {
				i := (k + g) % len(queries)
				got, err := l.Screen(queries[i])
				if err != nil || !reflect.DeepEqual(got, want[i]) {
					errs <- fmt.Sprintf("goroutine %d, %q: got %v (%v), want %v", g, queries[i].Name, got, err, want[i])
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
