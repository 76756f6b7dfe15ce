package stats

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/verdict"
)

func TestBounds(t *testing.T) {
	t.Parallel()
	if bounds[0] != 100*time.Microsecond {
		t.Errorf("first bound %v, want 100µs", bounds[0])
	}
	if last, prev := bounds[numBounds-1], bounds[numBounds-2]; last < 5*time.Minute || prev >= 5*time.Minute {
		t.Errorf("bounds end at %v (previous %v), want the first bound at or above 5m", last, prev)
	}
}

func TestHistogramQuantile(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	for _, tc := range []struct {
		name    string
		observe []time.Duration
		q       float64
		lo, hi  time.Duration // the estimate must lie in [lo, hi]
	}{
		{"empty", nil, 0.5, 0, 0},
		{"one value is its own quantiles", []time.Duration{7 * ms}, 0.99, 7 * ms, 7 * ms},
		{"median of 1..100ms", series(1, 100, ms), 0.50, 50 * ms, 50 * ms * 5 / 4},
		{"p95 of 1..100ms", series(1, 100, ms), 0.95, 95 * ms, 95 * ms * 5 / 4},
		{"p99 of 1..100ms", series(1, 100, ms), 0.99, 99 * ms, 100 * ms},
		{"p100 is the max", series(1, 100, ms), 1, 100 * ms, 100 * ms},
		{"tiny values", []time.Duration{time.Microsecond, 2 * time.Microsecond}, 0.5, time.Microsecond, 2 * time.Microsecond},
		{"beyond the last bucket", []time.Duration{time.Hour, time.Hour}, 0.5, time.Hour, time.Hour},
		{"negative counts as zero", []time.Duration{-time.Second}, 0.5, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var h Histogram
			for _, d := range tc.observe {
				h.Observe(d)
			}
			if got := h.Quantile(tc.q); got < tc.lo || got > tc.hi {
				t.Errorf("Quantile(%v) = %v, want within [%v, %v]", tc.q, got, tc.lo, tc.hi)
			}
		})
	}
}

func series(from, to int, unit time.Duration) []time.Duration {
	var d []time.Duration
	for i := from; i <= to; i++ {
		d = append(d, time.Duration(i)*unit)
	}
	return d
}

func TestHistogramMax(t *testing.T) {
	t.Parallel()
	var h Histogram
	for _, d := range []time.Duration{3 * time.Millisecond, 9 * time.Second, time.Millisecond} {
		h.Observe(d)
	}
	if got := h.Max(); got != 9*time.Second {
		t.Errorf("Max = %v, want 9s", got)
	}
	if got := h.Sum(); got != 9*time.Second+4*time.Millisecond {
		t.Errorf("Sum = %v, want 9.004s", got)
	}
}

func TestStatsConcurrent(t *testing.T) {
	t.Parallel()
	var s Stats
	const workers, each = 8, 1000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				s.Count(verdict.All[(w+i)%len(verdict.All)])
				s.Rows.Add(1)
				switch i % 4 {
				case 0:
					s.ObserveAttempt(azotte.Attempt{Status: 200, Latency: time.Duration(i) * time.Microsecond})
				case 1:
					s.ObserveAttempt(azotte.Attempt{Try: 2, Status: 429, Latency: time.Millisecond, Retry: true})
				case 2:
					s.ObserveAttempt(azotte.Attempt{Try: 3, Err: errors.New("timeout"), Latency: 15 * time.Second, Retry: true})
				case 3:
					s.ObserveAttempt(azotte.Attempt{}) // never sent: no latency
				}
				_ = s.Latency.Quantile(0.99) // readers run alongside writers
			}
		})
	}
	wg.Wait()

	n := int64(workers * each)
	rows, calls, throttled, retries := s.Rows.Load(), s.Calls.Load(), s.Throttled.Load(), s.Retries.Load()
	if rows != n || calls != n || throttled != n/4 || retries != n/2 {
		t.Errorf("rows %d calls %d 429s %d retries %d, want %d %d %d %d",
			rows, calls, throttled, retries, n, n, n/4, n/2)
	}
	var verdicts int64
	for _, v := range verdict.All {
		verdicts += s.Verdict(v)
	}
	if verdicts != n {
		t.Errorf("verdict counts add up to %d, want %d", verdicts, n)
	}
	var observed int64
	for i := range s.Latency.counts {
		observed += s.Latency.counts[i].Load()
	}
	if observed != n*3/4 {
		t.Errorf("%d latencies observed, want %d", observed, n*3/4)
	}
	if m := s.Latency.Max(); m != 15*time.Second {
		t.Errorf("max latency %v, want 15s", m)
	}
}

func TestHistogramBuckets(t *testing.T) {
	t.Parallel()
	var h Histogram
	for _, d := range []time.Duration{0, 100 * time.Microsecond, 101 * time.Microsecond, time.Second, time.Hour} {
		h.Observe(d)
	}
	b := h.Buckets()
	if len(b) != numBounds+1 {
		t.Fatalf("%d buckets, want %d", len(b), numBounds+1)
	}
	var total int64
	for i, x := range b {
		total += x.Count
		if i > 0 && x.Lower != b[i-1].Upper {
			t.Errorf("bucket %d starts at %v, previous ends at %v", i, x.Lower, b[i-1].Upper)
		}
	}
	if total != 5 || b[0].Count != 2 || b[1].Count != 1 || b[len(b)-1].Count != 1 {
		t.Errorf("counts: total %d, first %d, second %d, overflow %d; want 5, 2, 1, 1",
			total, b[0].Count, b[1].Count, b[len(b)-1].Count)
	}
}
