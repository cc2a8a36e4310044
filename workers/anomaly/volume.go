package anomaly

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/mathext"
)

// HS-code volume spikes per importer.
//
// For each importer and HS code (the HS6 code and its four-digit heading)
// the detector counts the declarations in a trailing window (30 days by
// default, ending on the declaration's own day) and asks how likely that
// many are under the importer's own rate for the code.
//
// The rate is a Gamma-Poisson estimate. The Gamma prior has the
// population's mean (how many other declarations of the same importer and
// code an ordinary declaration has in its window) and the weight of one
// window of history. It is updated with the importer's declarations of the
// code before the window, over the time the importer was seen before it,
// and with the declaration being judged: given that a declaration of the
// code arrived, its rate is likely higher than the prior alone says (for a
// Poisson process with a Gamma-distributed rate, the other events around an
// event follow the size-biased Gamma(shape+1, rate)). Without that last
// step a code's second declaration after a quiet year would look as
// surprising as a burst. The count of the other declarations in the window
// is then negative binomial, and its tail is the raw signal.
//
// The minimum-history rule: the importer's own history enters only once it
// spans at least one full window before the current one. Until then, as in
// the first weeks of data, the count is judged by the prior alone.
//
// The counts use only declarations dated on or before the declaration's
// day: the model's training history, cut at that day, and the declarations
// a [Stream] has observed. Nothing later is seen, so the detector works the
// same on a live stream as on a replay.

// volumeContexts are the codes a spike is counted on.
var volumeContexts = []struct {
	name  string
	label string
	code  func(d *Declaration) string
}{
	{"hs6", "HS", func(d *Declaration) string { return d.HS6 }},
	{"hs4", "HS heading", func(d *Declaration) string { return d.HS6[:4] }},
}

// volumePriorWindows is the weight of the population prior, in windows of
// the importer's own history: after three windows (a quarter at 30 days)
// of history the importer's own rate counts as much as the population's.
const volumePriorWindows = 3

// volumeMaxTail is the largest chance of the count, under the importer's
// usual rate, that is still reported as a spike: a count its usual rate
// reaches in one window of twenty is no spike.
const volumeMaxTail = 0.05

// volumeTemper maps a tail probability p to a strength 1 - p^(1/volumeTemper)
// in [0, 1). Any increasing map ranks the same way; this one keeps spikes
// with p far below 1e-16 apart in float64, and it makes the noisy-or of the
// HS6 and heading strengths the strength of the product of their tails.
const volumeTemper = 16

// volumeEvent is one declaration counted towards an importer and code.
type volumeEvent struct {
	Day int32  `json:"d"` // days since 1970-01-01
	ID  string `json:"i"`
}

func compareEvents(a, b volumeEvent) int {
	return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.ID, b.ID))
}

// dayOf numbers the calendar day of t (in t's own location) from 1970-01-01.
func dayOf(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func dayText(day int32) string {
	return time.Unix(int64(day)*86400, 0).UTC().Format(time.DateOnly)
}

// volumeLog holds declarations per importer and code, in (day, ID) order.
type volumeLog struct {
	// Events maps a context name ("hs6", "hs4") to importer|code keys and
	// their declarations.
	Events map[string]map[string][]volumeEvent `json:"events"`
	// First is the first day each importer was seen.
	First map[string]int32 `json:"first"`
}

func newVolumeLog() *volumeLog {
	l := &volumeLog{Events: map[string]map[string][]volumeEvent{}, First: map[string]int32{}}
	for _, c := range volumeContexts {
		l.Events[c.name] = map[string][]volumeEvent{}
	}
	return l
}

func volumeKey(d *Declaration, code string) string { return d.Importer + "|" + code }

// has reports whether the log holds declaration id on day under key.
func (l *volumeLog) has(ctx, key string, ev volumeEvent) bool {
	if l == nil {
		return false
	}
	_, found := slices.BinarySearchFunc(l.Events[ctx][key], ev, compareEvents)
	return found
}

// insert adds ev under key, keeping the order; a declaration already
// there is not added twice.
func (l *volumeLog) insert(ctx, key string, ev volumeEvent) {
	evs := l.Events[ctx][key]
	i, found := slices.BinarySearchFunc(evs, ev, compareEvents)
	if !found {
		l.Events[ctx][key] = slices.Insert(evs, i, ev)
	}
}

func (l *volumeLog) seeImporter(importer string, day int32) {
	if f, ok := l.First[importer]; !ok || day < f {
		l.First[importer] = day
	}
}

// firstDay is the first day importer was seen, if it was seen on or before day.
func (l *volumeLog) firstDay(importer string, day int32) (int32, bool) {
	if l == nil {
		return 0, false
	}
	f, ok := l.First[importer]
	return f, ok && f <= day
}

// between counts the events of key with from <= Day <= to.
func (l *volumeLog) between(ctx, key string, from, to int32) int {
	if l == nil {
		return 0
	}
	evs := l.Events[ctx][key]
	lo, _ := slices.BinarySearchFunc(evs, volumeEvent{Day: from}, compareEvents)
	hi, _ := slices.BinarySearchFunc(evs, volumeEvent{Day: to + 1}, compareEvents)
	return hi - lo
}

// volumeHistory is the training history of the volume detector.
type volumeHistory struct {
	Window int        `json:"window_days"`
	Log    *volumeLog `json:"log"`
	// PriorMean is, per context, the mean number of other declarations of
	// the same importer and code in an ordinary declaration's window.
	PriorMean map[string]float64 `json:"prior_mean"`
}

// check makes sure a decoded history can be scored with (the tail
// probability needs a positive prior and window, the counts sorted
// events), and gives a context without declarations an empty map.
func (v *volumeHistory) check() error {
	switch {
	case v == nil:
		return errors.New("missing")
	case v.Window < 1:
		return fmt.Errorf("window %d days must be at least 1", v.Window)
	case v.Log == nil || v.Log.First == nil:
		return errors.New("no declarations log")
	}
	for _, c := range volumeContexts {
		if p := v.PriorMean[c.name]; !(p > 0) || math.IsInf(p, 0) {
			return fmt.Errorf("prior mean %g for %s must be positive", p, c.name)
		}
		if v.Log.Events[c.name] == nil {
			v.Log.Events[c.name] = map[string][]volumeEvent{}
		}
		for k, evs := range v.Log.Events[c.name] {
			if !slices.IsSortedFunc(evs, compareEvents) {
				return fmt.Errorf("declarations of %s %q are out of order", c.name, k)
			}
		}
	}
	return nil
}

// fitVolume builds the volume history from rows, ignoring their labels.
func fitVolume(rows []Declaration, window int) *volumeHistory {
	v := &volumeHistory{Window: window, Log: newVolumeLog(), PriorMean: map[string]float64{}}
	for i := range rows {
		d := &rows[i]
		ev := volumeEvent{Day: dayOf(d.Date), ID: d.ID}
		for _, c := range volumeContexts {
			k := volumeKey(d, c.code(d))
			v.Log.Events[c.name][k] = append(v.Log.Events[c.name][k], ev)
		}
		v.Log.seeImporter(d.Importer, ev.Day)
	}
	for _, keys := range v.Log.Events {
		for k, evs := range keys {
			slices.SortFunc(evs, compareEvents)
			keys[k] = slices.CompactFunc(evs, func(a, b volumeEvent) bool { return compareEvents(a, b) == 0 })
		}
	}
	// The prior: how many others share a declaration's importer, code and
	// window, seen as a stream (its own day included, nothing later).
	// Add-one smoothing keeps the prior positive on a history without any.
	for _, c := range volumeContexts {
		others := 0
		for i := range rows {
			d := &rows[i]
			t := dayOf(d.Date)
			others += v.Log.between(c.name, volumeKey(d, c.code(d)), t-int32(window)+1, t) - 1
		}
		v.PriorMean[c.name] = (float64(others) + 1) / (float64(len(rows)) + 1)
	}
	return v
}

// observe adds d to recent unless the history already holds it.
func (v *volumeHistory) observe(recent *volumeLog, d *Declaration) {
	ev := volumeEvent{Day: dayOf(d.Date), ID: d.ID}
	for _, c := range volumeContexts {
		k := volumeKey(d, c.code(d))
		if !v.Log.has(c.name, k, ev) {
			recent.insert(c.name, k, ev)
		}
	}
	recent.seeImporter(d.Importer, ev.Day)
}

// volumeCount is what the detector knows about d's importer and code.
type volumeCount struct {
	inWindow int     // declarations in the window, d included
	before   int     // declarations before the window, in the trusted history
	exposure float64 // trusted history before the window, in windows
	tail     float64 // chance of at least inWindow-1 others in a window
}

// count judges d's importer and code in context c, from the history and
// the declarations recent has observed, up to d's day.
func (v *volumeHistory) count(c int, d *Declaration, recent *volumeLog) volumeCount {
	ctx := volumeContexts[c].name
	key := volumeKey(d, volumeContexts[c].code(d))
	t := dayOf(d.Date)
	w := int32(v.Window)
	from := t - w + 1
	var vc volumeCount
	vc.inWindow = v.Log.between(ctx, key, from, t) + recent.between(ctx, key, from, t)
	ev := volumeEvent{Day: t, ID: d.ID}
	if !v.Log.has(ctx, key, ev) && !recent.has(ctx, key, ev) {
		vc.inWindow++ // d itself, not yet observed
	}
	first := t
	if f, ok := v.Log.firstDay(d.Importer, t); ok {
		first = min(first, f)
	}
	if f, ok := recent.firstDay(d.Importer, t); ok {
		first = min(first, f)
	}
	// The minimum-history rule: the importer's own history counts only once
	// it spans a full window before this one.
	if from-first >= w {
		vc.exposure = float64(from-first) / float64(w)
		vc.before = v.Log.between(ctx, key, first, from-1) + recent.between(ctx, key, first, from-1)
	}
	others := vc.inWindow - 1
	if others <= 0 {
		vc.tail = 1
		return vc
	}
	// Gamma(shape, rate) posterior of the key's rate per window, size-biased
	// by d itself (+1); the count of others in a window is then negative
	// binomial with r = shape and success probability q = rate/(rate+1):
	// P(X >= k) = I_{1-q}(k, r).
	shape := v.PriorMean[ctx]*volumePriorWindows + float64(vc.before) + 1
	rate := volumePriorWindows + vc.exposure
	vc.tail = mathext.RegIncBeta(float64(others), shape, 1/(rate+1))
	return vc
}

// volumeSignals adds a signal for every context in which d's importer
// declared the code unusually often in the window.
func (v *volumeHistory) volumeSignals(d *Declaration, recent *volumeLog, minCount int, add func(code string, s float64, text func() string)) {
	if v == nil || d.Importer == "" {
		return
	}
	for c, spec := range volumeContexts {
		vc := v.count(c, d, recent)
		if vc.inWindow < minCount || vc.tail > volumeMaxTail {
			continue
		}
		s := 1 - math.Pow(vc.tail, 1.0/volumeTemper)
		add("volume_spike:"+spec.name, s, func() string {
			t := dayOf(d.Date)
			head := fmt.Sprintf("importer %s lodged %d declarations of %s %s in the %d days to %s",
				d.Importer, vc.inWindow, spec.label, spec.code(d), v.Window, dayText(t))
			if vc.exposure == 0 {
				return head + fmt.Sprintf("; the importer has less than %d days of earlier history, and an ordinary declaration has on average %s others of the same importer and %s within %d days",
					v.Window, rateText(v.PriorMean[spec.name]), spec.label, v.Window)
			}
			days := int(math.Round(vc.exposure * float64(v.Window)))
			return head + fmt.Sprintf(", against a usual %s per %d days (%d in the %d days before)",
				rateText(float64(vc.before)/vc.exposure), v.Window, vc.before, days)
		})
	}
}

func rateText(x float64) string {
	switch {
	case x == 0:
		return "0"
	case x < 0.1:
		return fmt.Sprintf("%.2g", x)
	default:
		return fmt.Sprintf("%.1f", x)
	}
}
