package anomaly

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// volumeDecl is a declaration whose fields other than its importer and HS
// code stay the same, so that only the volume detector has anything to say.
func volumeDecl(id, date, importer, hs6 string) Declaration {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		panic(err)
	}
	return Declaration{ID: id, Date: t, Office: "30", ProcessType: "B", ImportType: "11", ImportUse: "21",
		PaymentType: "11", Transport: "10", Declarant: "D1", Importer: importer, Seller: "S1", HS6: hs6,
		Departure: "CN", Origin: "CN", TaxRate: 8, TaxType: "A", OriginIndicator: "Y", NetMass: 10, ItemPrice: 1000}
}

// volumeHistoryRows is a year of declarations: QUIET lodges HS 392690 on the
// 6th of every month and HS 847130 once, on 2020-01-06; REGULAR lodges five
// declarations of HS 847130 at the start of every month.
func volumeHistoryRows() []Declaration {
	var rows []Declaration
	rows = append(rows, volumeDecl("Q-847130", "2020-01-06", "QUIET", "847130"))
	for m := time.January; m <= time.December; m++ {
		rows = append(rows, volumeDecl(fmt.Sprintf("Q-%02d", m), fmt.Sprintf("2020-%02d-06", m), "QUIET", "392690"))
		for d := 1; d <= 5; d++ {
			rows = append(rows, volumeDecl(fmt.Sprintf("R-%02d-%d", m, d), fmt.Sprintf("2020-%02d-%02d", m, d), "REGULAR", "847130"))
		}
	}
	return rows
}

// burst is n declarations of one importer and code on one day.
func burst(prefix string, n int, date, importer, hs6 string) []Declaration {
	out := make([]Declaration, n)
	for i := range out {
		out[i] = volumeDecl(fmt.Sprintf("%s-%d", prefix, i), date, importer, hs6)
	}
	return out
}

func volumeReason(r Result) (Reason, bool) {
	i := slices.IndexFunc(r.Reasons, func(x Reason) bool { return x.Code == "volume_spike:hs6" })
	if i < 0 {
		return Reason{}, false
	}
	return r.Reasons[i], true
}

func TestVolumeSpikeComparesAnImporterWithItsOwnHistory(t *testing.T) {
	history := volumeHistoryRows()
	cfg := DefaultConfig()
	cfg.Unsupervised = true
	m, err := Train(history, cfg)
	if err != nil {
		t.Fatal(err)
	}
	prior := m.Baselines.Volume.PriorMean["hs6"]
	tests := []struct {
		name    string
		observe []Declaration // observed by the stream first, in this order
		judge   Declaration
		want    string // the start of the volume reason; "" for none
	}{
		{
			name:    "a burst of a code lodged once a year before is a spike",
			observe: burst("B", 4, "2021-01-05", "QUIET", "847130"),
			judge:   volumeDecl("J", "2021-01-05", "QUIET", "847130"),
			// The window 2020-12-07..2021-01-05 holds the five; the 336
			// days from 2020-01-06 before it hold the one.
			want: "importer QUIET lodged 5 declarations of HS 847130 in the 30 days to 2021-01-05, against a usual 0.089 per 30 days (1 in the 336 days before)",
		},
		{
			name:    "earlier declarations within the window count",
			observe: burst("B", 4, "2020-12-20", "QUIET", "847130"),
			judge:   volumeDecl("J", "2021-01-05", "QUIET", "847130"),
			want:    "importer QUIET lodged 5 declarations of HS 847130 in the 30 days to 2021-01-05, against a usual 0.089 per 30 days (1 in the 336 days before)",
		},
		{
			name:    "declarations dated after the judged one are not counted",
			observe: burst("B", 4, "2021-01-06", "QUIET", "847130"),
			judge:   volumeDecl("J", "2021-01-05", "QUIET", "847130"),
		},
		{
			name:    "declarations older than the window are not counted in it",
			observe: burst("B", 4, "2020-12-06", "QUIET", "847130"),
			judge:   volumeDecl("J", "2021-01-05", "QUIET", "847130"),
		},
		{
			name:    "the same declaration observed again is counted once",
			observe: slices.Repeat([]Declaration{volumeDecl("J", "2021-01-05", "QUIET", "847130")}, 4),
			judge:   volumeDecl("J", "2021-01-05", "QUIET", "847130"),
		},
		{
			name:    "an importer's usual volume is no spike",
			observe: burst("B", 4, "2021-01-04", "REGULAR", "847130"),
			judge:   volumeDecl("J", "2021-01-04", "REGULAR", "847130"),
		},
		{
			name:    "a new importer's burst that the population makes ordinary is no spike",
			observe: burst("B", 7, "2021-01-05", "NEWCO", "847130"),
			judge:   volumeDecl("J", "2021-01-05", "NEWCO", "847130"),
		},
		{
			name:    "two declarations are no spike",
			observe: burst("B", 1, "2021-01-05", "QUIET", "847130"),
			judge:   volumeDecl("J", "2021-01-05", "QUIET", "847130"),
		},
		{
			name: "an importer without a window of history is compared with all importers",
			// REGULAR makes bursts ordinary in this history: the prior
			// expects about three others, so it takes many more.
			observe: burst("B", 19, "2021-01-05", "NEWCO", "847130"),
			judge:   volumeDecl("J", "2021-01-05", "NEWCO", "847130"),
			want: fmt.Sprintf("importer NEWCO lodged 20 declarations of HS 847130 in the 30 days to 2021-01-05; the importer has less than 30 days of earlier history, and an ordinary declaration has on average %s others of the same importer and HS within 30 days",
				rateText(prior)),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := m.NewStream()
			for i := range tc.observe {
				s.Observe(&tc.observe[i])
			}
			r, found := volumeReason(s.Explain(&tc.judge))
			switch {
			case tc.want == "" && found:
				t.Fatalf("reported a spike: %q", r.Text)
			case tc.want != "" && !found:
				t.Fatalf("no spike reported, want %q", tc.want)
			case tc.want != "" && !strings.HasPrefix(r.Text, tc.want+"; fewer than "):
				t.Fatalf("reason %q\nwant it to start %q", r.Text, tc.want)
			}
		})
	}
}

func TestVolumeCountsTheHistoryUpToTheDayOnly(t *testing.T) {
	history := volumeHistoryRows()
	v := fitVolume(history, 30)
	// REGULAR's declaration of 2020-03-03 is in the history. Its window,
	// 2020-02-03..2020-03-03, holds 02-03, 02-04, 02-05, 03-01, 03-02 and
	// itself, once; 03-04 and 03-05 are later and not counted. The 33 days
	// from 2020-01-01 before the window hold 01-01..01-05, 02-01 and 02-02.
	d := volumeDecl("R-03-3", "2020-03-03", "REGULAR", "847130")
	vc := v.count(0, &d, nil)
	if vc.inWindow != 6 || vc.before != 7 || math.Abs(vc.exposure-33.0/30) > 1e-12 {
		t.Fatalf("got %d in the window, %d before over %.3f windows; want 6, 7 over 1.100", vc.inWindow, vc.before, vc.exposure)
	}
	// With less than a full window of history, the importer's own
	// history is not used.
	d = volumeDecl("R-02-1", "2020-02-01", "REGULAR", "847130")
	if vc := v.count(0, &d, nil); vc.inWindow != 4 || vc.before != 0 || vc.exposure != 0 {
		t.Fatalf("got %d in the window, %d before over %.3f windows; want 4, 0 over 0", vc.inWindow, vc.before, vc.exposure)
	}
}

func TestScoreAllCountsTheWholeDayAndNothingLater(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Unsupervised = true
	m, err := Train(volumeHistoryRows(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Given out of date order: the burst's eight declarations on
	// 2021-01-06, and one on 2021-01-05 that must not see them.
	rows := append(burst("B", 8, "2021-01-06", "NEWCO", "847130"), volumeDecl("early", "2021-01-05", "NEWCO", "847130"))
	results := m.ExplainAll(rows)
	for i, r := range results {
		if r.DeclarationID != rows[i].ID {
			t.Fatalf("result %d is for %s, want %s", i, r.DeclarationID, rows[i].ID)
		}
		_, found := volumeReason(r)
		if want := rows[i].ID != "early"; found != want {
			t.Errorf("%s: spike reported %v, want %v", rows[i].ID, found, want)
		}
	}
	// A stream fed the same rows in date order gives the same results.
	s := m.NewStream()
	for _, i := range []int{8, 0, 1, 2, 3, 4, 5, 6, 7} {
		for j := range rows {
			if j != i && rows[j].Date.Equal(rows[i].Date) {
				s.Observe(&rows[j])
			}
		}
		got := s.Explain(&rows[i])
		if got.Risk != results[i].Risk || len(got.Reasons) != len(results[i].Reasons) {
			t.Errorf("%s: stream gave %+v, ScoreAll %+v", rows[i].ID, got, results[i])
		}
	}
}

// TestVolumeSpikeIsFoundFromTheFirstWeekOfData fits the baselines on the
// first week of train.csv alone and scores the second week as a stream, in
// which one importer's declaration of the first week is repeated three
// times on each of two days. From the burst's fourth declaration on (the
// original included), the spike is reported and ranks in the top 2%.
func TestVolumeSpikeIsFoundFromTheFirstWeekOfData(t *testing.T) {
	all, _ := fullData(t)
	week := func(from, to string) []Declaration {
		var out []Declaration
		for _, d := range all {
			if day := d.Date.Format(time.DateOnly); day >= from && day <= to {
				out = append(out, d)
			}
		}
		return out
	}
	first, second := week("2020-01-01", "2020-01-07"), slices.Clone(week("2020-01-08", "2020-01-14"))
	cfg := DefaultConfig()
	cfg.Unsupervised = true
	m, err := Train(first, cfg)
	if err != nil {
		t.Fatal(err)
	}
	src := first[len(first)/2]
	perDay := map[string]int{}
	var spike []int
	for i := range second {
		if day := second[i].Date.Format(time.DateOnly); (day == "2020-01-09" || day == "2020-01-10") && perDay[day] < 3 {
			perDay[day]++
			id, date := second[i].ID, second[i].Date
			second[i] = src
			second[i].ID, second[i].Date = id, date
			spike = append(spike, i)
		}
	}
	if len(spike) != 6 {
		t.Fatalf("planted %d repeats, want 6", len(spike))
	}
	results := m.ExplainAll(second)
	risk := make([]float64, len(results))
	for i, r := range results {
		risk[i] = r.Risk
	}
	top := rankOrder(risk)[:int(math.Ceil(0.02*float64(len(risk))))]
	for _, i := range spike {
		lodged := 1 // the original, in the first week
		for _, j := range spike {
			if !second[j].Date.After(second[i].Date) {
				lodged++
			}
		}
		r, found := volumeReason(results[i])
		t.Logf("%s, %d of the burst lodged by then: risk %.3f, reason %q", second[i].Date.Format(time.DateOnly), lodged, results[i].Risk, r.Text)
		if lodged >= 4 && (!found || !slices.Contains(top, i)) {
			t.Errorf("%s, %d of the burst lodged by then: spike reported %v, in the top 2%% %v",
				second[i].Date.Format(time.DateOnly), lodged, found, slices.Contains(top, i))
		}
	}
}
