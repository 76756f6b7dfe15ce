// Package stats holds a run's live counters and its latency histogram: safe
// for concurrent use by every goroutine of a run, in constant memory. The
// pipeline and the client update them; progress, the summary and the reports
// read them.
package stats

import (
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/verdict"
)

// Stats are the live counters of a run. All methods are safe for concurrent use.
type Stats struct {
	Rows atomic.Int64 // rows decided (written or filtered)
	// Input bytes (after decompression) up to the end of the last row
	// decided: what progress measures.
	InputDecided atomic.Int64
	DistinctIDs  atomic.Int64 // distinct usable ids seen
	Padded       atomic.Int64 // usable ids with surrounding white space (Trim off)
	Calls        atomic.Int64 // HTTP requests sent
	Retries      atomic.Int64 // requests that were repeats for the same id
	Throttled    atomic.Int64 // 429 answers
	JournalHits  atomic.Int64 // answers taken from the --state journal
	// Answers that differ from an expired journalled one, by direction.
	BecameTaken, BecameAvailable atomic.Int64
	// A budgeted run: distinct ids it did not ask (unchecked, or carrying
	// an expired answer), and rows carrying an expired answer.
	Waiting, StaleAnswers atomic.Int64
	oldest                atomic.Int64 // Unix second of the oldest answer a row carries; 0: none
	verdicts              [8]atomic.Int64
	Latency               Histogram
}

// ObserveAnswerTime notes the time of an answer some row carries.
func (s *Stats) ObserveAnswerTime(t time.Time) {
	if t.IsZero() {
		return
	}
	sec := t.Unix()
	for {
		o := s.oldest.Load()
		if o != 0 && o <= sec || s.oldest.CompareAndSwap(o, sec) {
			return
		}
	}
}

// OldestAnswer returns the time of the oldest answer observed, to the
// second; the zero time when none was.
func (s *Stats) OldestAnswer() time.Time {
	if sec := s.oldest.Load(); sec != 0 {
		return time.Unix(sec, 0).UTC()
	}
	return time.Time{}
}

// Count adds one row with verdict v.
func (s *Stats) Count(v verdict.Verdict) { s.verdicts[v].Add(1) }

// Verdict returns how many rows got v so far.
func (s *Stats) Verdict(v verdict.Verdict) int64 { return s.verdicts[v].Load() }

// ObserveAttempt records one HTTP exchange; it fits azotte.Config.Observe.
// Latency is recorded only for exchanges that ended in an answer or an error,
// so that an attempt that never started does not pull the quantiles down.
func (s *Stats) ObserveAttempt(a azotte.Attempt) {
	s.Calls.Add(1)
	if a.Status != 0 || a.Err != nil {
		s.Latency.Observe(a.Latency)
	}
	if a.Status == 429 {
		s.Throttled.Add(1)
	}
	if a.Try > 1 { // a repeat sent, not one planned: a pause may stop it
		s.Retries.Add(1)
	}
}

// Histogram bucket bounds: 100µs growing by 1.25x up to the first bound at or
// above 5 minutes (311s), plus one overflow bucket. Relative error of a
// quantile is thus at most 25%, in 69 counters whatever the number of calls.
const (
	firstBound = 100 * time.Microsecond
	growth     = 1.25
	numBounds  = 68
)

var bounds = func() (b [numBounds]time.Duration) {
	for i := range b {
		b[i] = time.Duration(math.Round(float64(firstBound) * math.Pow(growth, float64(i))))
	}
	return b
}()

// Histogram is a fixed-bucket latency histogram, safe for concurrent use.
// The zero value is ready to use.
type Histogram struct {
	counts [numBounds + 1]atomic.Int64 // counts[i]: durations in (bounds[i-1], bounds[i]]; the last one: above every bound
	max    atomic.Int64
	sum    atomic.Int64 // nanoseconds: a Prometheus histogram's _sum
}

// Observe adds one duration; a negative one counts as 0.
func (h *Histogram) Observe(d time.Duration) {
	d = max(d, 0)
	i, _ := slices.BinarySearch(bounds[:], d)
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// Quantile returns an upper estimate of the q-quantile (0 < q <= 1): the
// upper bound of the bucket holding it, never above Max. It returns 0 when
// nothing was observed.
func (h *Histogram) Quantile(q float64) time.Duration {
	var counts [numBounds + 1]int64
	var n int64
	for i := range h.counts {
		counts[i] = h.counts[i].Load()
		n += counts[i]
	}
	if n == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(q*float64(n))), 1)
	maxd := h.Max()
	var cum int64
	for i, c := range counts[:numBounds] {
		cum += c
		if cum >= rank {
			return min(bounds[i], maxd)
		}
	}
	return maxd
}

// Sum returns the total of the durations observed.
func (h *Histogram) Sum() time.Duration { return time.Duration(h.sum.Load()) }

// Max returns the largest duration observed.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }
