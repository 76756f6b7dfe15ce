// Package budget chooses which ids a budgeted run asks (--max-calls,
// --deadline). Ids with no answer yet come first, in input order; then ids
// whose journalled answer has expired, oldest answer first. A Selector is
// told every distinct id once, in input order, and keeps only as many
// candidates as the run can ask, so its memory is bounded by the budget, not
// by the export.
package budget

import (
	"container/heap"
	"math"
	"slices"
	"strings"
	"time"
)

// Budget bounds a run. Zero fields do not bound it.
type Budget struct {
	MaxCalls int           // ids asked at most (retries not counted)
	Deadline time.Duration // no new id is asked after this much time
}

// Set reports whether b bounds anything.
func (b Budget) Set() bool { return b.MaxCalls > 0 || b.Deadline > 0 }

// Capacity is the most ids a run under b can ask at rate requests per
// second (0: unlimited): MaxCalls, or what the deadline allows at the rate,
// whichever is less; -1 when nothing bounds it.
func (b Budget) Capacity(rate float64) int {
	n := -1
	if b.Deadline > 0 && rate > 0 {
		n = int(math.Ceil(b.Deadline.Seconds() * rate))
	}
	if b.MaxCalls > 0 && (n < 0 || b.MaxCalls < n) {
		n = b.MaxCalls
	}
	return n
}

// Selector collects the ids a run should ask, in the order it should ask
// them. It may be told an id more than once (a row repeating it): it keeps
// each once, and counts what it is told. It is not safe for concurrent use.
type Selector struct {
	capacity int // candidates kept at most; -1: all

	unanswered []string
	stale      staleHeap           // the oldest stale answers, newest on top
	asked      map[string]struct{} // the ids in unanswered (they never leave it)
	inHeap     map[string]struct{} // the ids in stale

	counts Counts
}

// Counts are the distinct ids a Selector was told about, by what the
// journal holds for them.
type Counts struct {
	Unanswered int64 // no answer at all
	Stale      int64 // an answer older than --state-max-age
	Fresh      int64 // a fresh answer: never asked
}

// NewSelector returns a Selector keeping at most capacity ids (-1: all).
func NewSelector(capacity int) *Selector {
	return &Selector{capacity: capacity, asked: make(map[string]struct{}), inHeap: make(map[string]struct{})}
}

// Full reports whether s holds as many never-answered ids as it may keep:
// nothing it is told from now on changes Ids.
func (s *Selector) Full() bool {
	return s.capacity >= 0 && len(s.unanswered) >= s.capacity
}

// Unanswered tells s about an id with no answer.
func (s *Selector) Unanswered(id string) {
	s.counts.Unanswered++
	if s.Full() {
		return
	}
	if _, ok := s.asked[id]; !ok {
		id = strings.Clone(id) // a row's ID shares memory with its whole record
		s.asked[id] = struct{}{}
		s.unanswered = append(s.unanswered, id)
	}
}

// Stale tells s about an id whose answer, given at, has expired.
func (s *Selector) Stale(id string, at time.Time) {
	s.counts.Stale++
	room := s.capacity - len(s.unanswered)
	if _, ok := s.inHeap[id]; ok {
		return
	}
	switch {
	case s.capacity < 0 || s.stale.Len() < room:
		heap.Push(&s.stale, staleID{id: id, at: at})
		s.inHeap[id] = struct{}{}
	case room > 0 && at.Before(s.stale.items[0].at):
		// Older than the newest one kept: it takes that one's place.
		delete(s.inHeap, s.stale.items[0].id)
		s.stale.items[0] = staleID{id, at, s.stale.n}
		s.stale.n++
		heap.Fix(&s.stale, 0)
		s.inHeap[id] = struct{}{}
	}
}

// Fresh tells s about a distinct id with a fresh answer.
func (s *Selector) Fresh() { s.counts.Fresh++ }

// Counts returns what s was told.
func (s *Selector) Counts() Counts { return s.counts }

// Ids returns the ids to ask, in order: unanswered in input order, then
// stale ones oldest answer first (ties in input order), at most the
// capacity in all.
func (s *Selector) Ids() []string {
	ids := slices.Clone(s.unanswered)
	stale := slices.Clone(s.stale.items)
	slices.SortStableFunc(stale, func(a, b staleID) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	for _, st := range stale {
		if s.capacity >= 0 && len(ids) >= s.capacity {
			break
		}
		ids = append(ids, st.id)
	}
	return ids
}

// Runs is how many runs that each ask perRun ids (<= 0: unbounded) it
// takes to answer every id of c that needs an answer; 0 when none does.
func Runs(c Counts, perRun int) int64 {
	need := c.Unanswered + c.Stale
	switch {
	case need == 0:
		return 0
	case perRun <= 0:
		return 1
	}
	return (need + int64(perRun) - 1) / int64(perRun)
}

type staleID struct {
	id  string
	at  time.Time
	seq int // input order, to break ties
}

// staleHeap is a max-heap by answer time: its top is the newest answer
// kept, the first to give way to an older one.
type staleHeap struct {
	items []staleID
	n     int // ids pushed so far, for seq
}

func (h *staleHeap) Len() int { return len(h.items) }
func (h *staleHeap) Less(i, j int) bool {
	if c := h.items[i].at.Compare(h.items[j].at); c != 0 {
		return c > 0
	}
	return h.items[i].seq > h.items[j].seq
}
func (h *staleHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *staleHeap) Push(x any) {
	st := x.(staleID)
	st.seq = h.n
	h.n++
	h.items = append(h.items, st)
}
func (h *staleHeap) Pop() any {
	last := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return last
}
