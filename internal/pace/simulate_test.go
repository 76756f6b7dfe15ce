package pace

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"golang.org/x/time/rate"
)

// simServer is a token bucket endpoint on a virtual clock, answering as the
// sandbox does: 429 with Retry-After over the rate and, with headers, the
// bucket's Remaining and Reset (Unix time, rounded up).
type simServer struct {
	lim        *rate.Limiter
	rate       float64
	headers    bool
	retryAfter time.Duration // Retry-After on a 429; 0: whole seconds until a token
}

// newSimServer returns a server allowing limit per second with burst,
// its bucket full at t0.
func newSimServer(limit float64, burst int, headers bool, retryAfter time.Duration) *simServer {
	s := &simServer{lim: rate.NewLimiter(rate.Limit(limit), burst), rate: limit, headers: headers, retryAfter: retryAfter}
	s.lim.AllowN(t0, 0)
	return s
}

func (s *simServer) serve(now time.Time) azotte.Attempt {
	ok := s.lim.AllowN(now, 1)
	tokens := s.lim.TokensAt(now)
	a := azotte.Attempt{Status: 200}
	if s.headers {
		full := now.Add(time.Duration((float64(s.lim.Burst()) - tokens) / s.rate * float64(time.Second)))
		reset := full.Unix()
		if full.Nanosecond() > 0 {
			reset++
		}
		a.Budget = azotte.Budget{Remaining: float64(max(0, int(tokens))), Reset: time.Unix(reset, 0), OK: true}
	}
	if !ok {
		a.Status = 429
		a.RetryAfter = time.Duration(max(1, math.Ceil((1-tokens)/s.rate))) * time.Second
		if s.retryAfter > 0 {
			a.RetryAfter = s.retryAfter
		}
	}
	return a
}

type simResult struct {
	sent, throttled int
	throttledAt     []time.Duration // when each 429 was sent, from the start
	throughput      float64         // answers per second
	settled         float64         // mean pacer rate over the second half
	minRate         float64
	paused          time.Duration
}

// simulate runs conc workers through an Adaptive pacer against srv for dur
// of virtual time; each request takes latency (±50%, seeded).
func simulate(cfg Config, srv *simServer, conc int, latency, dur time.Duration) simResult {
	a := NewAdaptive(cfg)
	rng := rand.New(rand.NewPCG(1, 2))
	type flight struct {
		done time.Time
		at   azotte.Attempt
	}
	var (
		w        waiter
		inflight []flight
		res      simResult
		samples  []float64
		sampleAt = t0
		end      = t0.Add(dur)
	)
	for now := t0; now.Before(end); {
		for !sampleAt.After(now) {
			if sampleAt.Sub(t0) >= dur/2 {
				samples = append(samples, a.st.current(sampleAt))
			}
			sampleAt = sampleAt.Add(100 * time.Millisecond)
		}
		next := end
		if len(inflight) < conc {
			a.mu.Lock()
			d := a.next(now, &w) // as if woken by every answer: next re-asks then
			a.mu.Unlock()
			if d == 0 {
				lat := latency/2 + time.Duration(rng.Int64N(int64(latency)+1))
				at := srv.serve(now.Add(lat / 2))
				at.Latency = lat
				inflight = append(inflight, flight{done: now.Add(lat), at: at})
				res.sent++
				if at.Status == 429 {
					res.throttled++
					res.throttledAt = append(res.throttledAt, now.Sub(t0))
				} else {
					res.throughput++
				}
				continue
			}
			next = now.Add(d)
		}
		for _, f := range inflight {
			if f.done.Before(next) {
				next = f.done
			}
		}
		now = next
		slices.SortFunc(inflight, func(x, y flight) int { return x.done.Compare(y.done) })
		keep := inflight[:0]
		for _, f := range inflight {
			if f.done.After(now) {
				keep = append(keep, f)
				continue
			}
			a.observeAt(f.at, f.done)
		}
		inflight = keep
	}
	res.throughput /= dur.Seconds()
	for _, s := range samples {
		res.settled += s / float64(len(samples))
	}
	res.minRate = a.MinRate()
	res.paused = a.Paused()
	return res
}

// TestSimulatedLongRun drives the pacer for ten virtual minutes against an
// endpoint enforcing 50/s (burst 50) with the client's ceiling at 200/s,
// 16 workers and 20ms latency: at most 2% of calls get 429 over a long
// run, and none when the endpoint announces its budget.
func TestSimulatedLongRun(t *testing.T) {
	t.Parallel()
	const serverRate = 50
	for _, headers := range []bool{false, true} {
		t.Run("headers="+strconv.FormatBool(headers), func(t *testing.T) {
			t.Parallel()
			srv := newSimServer(serverRate, serverRate, headers, 0)
			r := simulate(Config{Rate: 200, Burst: 8}, srv, 16, 20*time.Millisecond, 10*time.Minute)
			share := float64(r.throttled) / float64(r.sent)
			t.Logf("%d calls, %d throttled (%.2f%%), %.1f answers/s, pacer rate %.1f/s on average over the second half, lowest %.1f/s, paused %v",
				r.sent, r.throttled, 100*share, r.throughput, r.settled, r.minRate, r.paused.Round(time.Second))
			if r.throughput < 0.9*serverRate {
				t.Errorf("throughput %.1f/s, want at least 90%% of %d/s", r.throughput, serverRate)
			}
			if headers && r.throttled > 0 {
				t.Errorf("%d calls throttled despite the budget headers, want 0", r.throttled)
			}
			if share > 0.02 {
				t.Errorf("%.2f%% of calls throttled, want at most 2%%", 100*share)
			}
		})
	}
}

// TestSimulatedThrottling drives the pacer against endpoints that announce
// no budget and make every 429 cost a Retry-After pause: after the first
// few 429s have taught the limit, the pacer must stay just under it, so
// that 429s stay rare and the pauses do not eat the throughput.
func TestSimulatedThrottling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		limit        float64 // the endpoint's, per second
		burst        int
		retryAfter   time.Duration
		rate         float64 // --rate
		latency, dur time.Duration
		max429       int     // at most this many 429s in dur
		maxLate429   int     // at most this many in its second half, the limit found
		minUsed      float64 // answers per second over the limit, at least
	}{
		// Azotte's documented 500/min with a burst of 50.
		{"500/min, Retry-After 60s, --rate 20", 500.0 / 60, 50, time.Minute, 20, 100 * time.Millisecond, time.Hour, 12, 3, 0.8},
		{"500/min, Retry-After 10s, --rate 20", 500.0 / 60, 50, 10 * time.Second, 20, 100 * time.Millisecond, time.Hour, 12, 3, 0.85},
		// The pipeline benchmark's endpoint (BenchmarkThrottle).
		{"100/s burst 10, Retry-After 2s, --rate 400", 100, 10, 2 * time.Second, 400, 2 * time.Millisecond, time.Minute, 4, 1, 0.8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newSimServer(tt.limit, tt.burst, false, tt.retryAfter)
			r := simulate(Config{Rate: tt.rate, Burst: 8}, srv, 16, tt.latency, tt.dur)
			used := r.throughput / tt.limit
			late := 0
			for _, at := range r.throttledAt {
				if at >= tt.dur/2 {
					late++
				}
			}
			t.Logf("%d calls, %d throttled (sent at %v), used %.3f of the limit, pacer rate %.2f/s on average over the second half (limit %.2f/s), lowest %.2f/s, paused %v",
				r.sent, r.throttled, r.throttledAt, used, r.settled, tt.limit, r.minRate, r.paused.Round(time.Second))
			if r.throttled > tt.max429 || late > tt.maxLate429 {
				t.Errorf("%d 429s in %v, %d in its second half; want at most %d and %d", r.throttled, tt.dur, late, tt.max429, tt.maxLate429)
			}
			if used < tt.minUsed {
				t.Errorf("answers at %.3f of the limit, want at least %.2f", used, tt.minUsed)
			}
		})
	}
}
