package anomaly

import (
	"slices"
)

// Stream scores declarations one after another, as a worker following the
// ledger meets them: every declaration it observes or scores counts towards
// the volume windows of the declarations judged after it. A declaration the
// model was trained on, or one already observed, is counted once.
//
// A Stream is not safe for concurrent use; the [Model] it reads is not
// changed.
type Stream struct {
	m      *Model
	recent *volumeLog
}

// NewStream starts a stream whose history is the model's training data.
func (m *Model) NewStream() *Stream {
	return &Stream{m: m, recent: newVolumeLog()}
}

// Observe counts d towards later volume windows without judging it.
func (s *Stream) Observe(d *Declaration) {
	s.m.Baselines.Volume.observe(s.recent, d)
}

// Score observes d and judges it against the history and every declaration
// observed so far that is dated on or before d's day.
func (s *Stream) Score(d *Declaration) Result {
	s.Observe(d)
	return s.m.score(d, false, s.recent)
}

// Explain is [Stream.Score] with up to five reasons, including those below
// the review threshold.
func (s *Stream) Explain(d *Declaration) Result {
	s.Observe(d)
	return s.m.score(d, true, s.recent)
}

// ScoreAll scores rows as one stream in date order. Declarations carry a
// date and no time, so the declarations of one day are taken as
// simultaneous: all of a day's rows are observed before any of them is
// judged. A row's volume window therefore holds the rows dated up to and
// including its own day, and none dated later. The results are in the order
// of rows.
func (m *Model) ScoreAll(rows []Declaration) []Result {
	return m.scoreAll(rows, false)
}

// ExplainAll is [Model.ScoreAll] with up to five reasons for every row.
func (m *Model) ExplainAll(rows []Declaration) []Result {
	return m.scoreAll(rows, true)
}

func (m *Model) scoreAll(rows []Declaration, explain bool) []Result {
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return rows[a].Date.Compare(rows[b].Date) })
	s := m.NewStream()
	out := make([]Result, len(rows))
	eachDay(rows, order, func(day []int) {
		for _, i := range day {
			s.Observe(&rows[i])
		}
		for _, i := range day {
			out[i] = m.score(&rows[i], explain, s.recent)
		}
	})
	return out
}

// eachDay calls fn with each run of indexes in order (sorted by date) whose
// rows share a calendar day.
func eachDay(rows []Declaration, order []int, fn func(day []int)) {
	for start := 0; start < len(order); {
		day := dayOf(rows[order[start]].Date)
		end := start + 1
		for end < len(order) && dayOf(rows[order[end]].Date) == day {
			end++
		}
		fn(order[start:end])
		start = end
	}
}
