// Package report keeps a run's counters and latency histogram (safe for
// concurrent use, constant memory) and renders the summary as a text table and
// as JSON, plus progress on stderr.
package report

import (
	"sync/atomic"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/verdict"
)

// Stats are the live counters of a run. All methods are safe for concurrent use.
type Stats struct {
	Rows        atomic.Int64 // rows decided (written or filtered)
	DistinctIDs atomic.Int64 // distinct usable ids seen
	Padded      atomic.Int64 // usable ids with surrounding white space (Trim off)
	Calls       atomic.Int64 // HTTP requests sent
	Retries     atomic.Int64 // requests that were repeats for the same id
	Throttled   atomic.Int64 // 429 answers
	JournalHits atomic.Int64 // answers taken from the --state journal
	verdicts    [8]atomic.Int64
	Latency     Histogram
}

// Count adds one row with verdict v.
func (s *Stats) Count(v verdict.Verdict) { s.verdicts[v].Add(1) }

// Verdict returns how many rows got v so far.
func (s *Stats) Verdict(v verdict.Verdict) int64 { return s.verdicts[v].Load() }

// ObserveAttempt records one HTTP exchange; it fits azotte.Config.Observe.
func (s *Stats) ObserveAttempt(a azotte.Attempt) {
	panic("unimplemented")
}

// Histogram is a fixed-bucket latency histogram, safe for concurrent use.
type Histogram struct{}

// Observe adds one duration.
func (h *Histogram) Observe(d time.Duration) { panic("unimplemented") }

// Quantile returns an upper estimate of the q-quantile (0 < q <= 1); 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration { panic("unimplemented") }

// Max returns the largest duration observed.
func (h *Histogram) Max() time.Duration { panic("unimplemented") }
