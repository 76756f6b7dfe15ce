package pace

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
)

// t0 is the tests' clock origin: a whole Unix second, far above 1e9.
var t0 = time.Unix(1_700_000_000, 0)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

// p200 is a pacer at --rate 200 --burst 8: increase 10/s, hold 250ms.
var p200 = Config{Rate: 200, Burst: 8}.params()

// answer is an observation of status for a request sent at sent.
func answer(status int, sent time.Time) observation {
	return observation{status: status, sent: sent}
}

func TestParams(t *testing.T) {
	t.Parallel()
	p := p200
	if p.ceiling != 200 || p.burst != 8 || p.decrease != 0.5 || p.floor != 0.1 || p.increase != 10 ||
		p.hold != DefaultHold || p.maxPause != DefaultMaxPause {
		t.Errorf("params(200, 8) = %+v", p)
	}
	if p := (Config{Rate: 8}).params(); p.increase != 0.5 || p.burst != 1 {
		t.Errorf("params(8, 0): increase %g, burst %d; want 0.5, 1", p.increase, p.burst)
	}
	if p := (Config{Rate: 0.05, Burst: 2}).params(); p.floor != 0.05 {
		t.Errorf("params(0.05): floor %g, want the rate", p.floor)
	}
	if p := (Config{}).params(); !math.IsInf(p.ceiling, 1) || !math.IsInf(newState(p).rate, 1) {
		t.Errorf("params(0): ceiling %g, want +Inf", p.ceiling)
	}
}

func TestDecideStatuses(t *testing.T) {
	t.Parallel()
	below := newState(p200)
	below.rate, below.minRate, below.lastIncrease = 100, 100, t0
	tests := []struct {
		name string
		st   state
		o    observation
		want float64 // rate after
	}{
		{"429 halves", newState(p200), answer(429, t0), 100},
		{"503 halves", newState(p200), answer(503, t0), 100},
		{"500 says nothing", below, answer(500, t0), 100},
		{"502 says nothing", below, answer(502, t0), 100},
		{"no response says nothing", below, answer(0, t0), 100},
		{"200 recovers", below, answer(200, t0), 110},
		{"404 recovers", below, answer(404, t0), 110},
		{"floor", state{rate: 0.15, minRate: 0.15}, answer(429, t0), 0.1},
		{"at the floor", state{rate: 0.1, minRate: 0.1}, answer(429, t0), 0.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := decide(p200, tt.st, tt.o, t0.Add(time.Second))
			if math.Abs(st.rate-tt.want) > 1e-9 {
				t.Errorf("rate = %g, want %g", st.rate, tt.want)
			}
			if st.minRate > st.rate {
				t.Errorf("minRate %g above rate %g", st.minRate, st.rate)
			}
		})
	}
}

func TestDecideOneDecreasePerWindow(t *testing.T) {
	t.Parallel()
	st := newState(p200)
	steps := []struct {
		sent, now int // ms
		want      float64
		why       string
	}{
		{0, 10, 100, "first 429"},
		{1, 12, 100, "sent before the decrease, at the old rate"},
		{9, 30, 100, "sent before the decrease, at the old rate"},
		{15, 100, 100, "sent after the decrease, but within the hold"},
		{200, 259, 100, "within the hold"},
		{250, 260, 50, "sent after the decrease, hold over"},
		{255, 520, 50, "sent before the second decrease"},
		{600, 700, 25, "third window"},
	}
	for _, s := range steps {
		st = decide(p200, st, answer(429, ms(s.sent)), ms(s.now))
		if st.rate != s.want {
			t.Fatalf("429 sent at %dms, seen at %dms (%s): rate %g, want %g", s.sent, s.now, s.why, st.rate, s.want)
		}
	}
	if st.minRate != 25 {
		t.Errorf("minRate = %g, want 25", st.minRate)
	}

	// Sixteen requests in flight all come back 429: one decrease.
	st = newState(p200)
	for i := range 16 {
		st = decide(p200, st, answer(429, ms(i)), ms(20+i))
	}
	if st.rate != 100 {
		t.Errorf("after 16 in-flight 429s: rate %g, want 100", st.rate)
	}
}

func TestDecideRecovery(t *testing.T) {
	t.Parallel()
	// A 503 teaches no ceiling: the rate recovers all the way to --rate.
	st := decide(p200, newState(p200), answer(503, t0), t0)
	if st.rate != 100 || st.learnt != 0 {
		t.Fatalf("rate, learnt = %g, %g after a 503, want 100, none", st.rate, st.learnt)
	}
	// Clean answers every 100ms: +10 per second, never above the ceiling.
	var at5s float64
	for i := 1; i <= 200; i++ {
		now := ms(100 * i)
		st = decide(p200, st, answer(200, now.Add(-10*time.Millisecond)), now)
		if st.rate > p200.ceiling {
			t.Fatalf("rate %g above the ceiling at %v", st.rate, now.Sub(t0))
		}
		if i == 50 {
			at5s = st.rate
		}
	}
	if math.Abs(at5s-150) > 1e-6 {
		t.Errorf("rate after 5s of clean answers = %g, want 150", at5s)
	}
	if st.rate != 200 || st.minRate != 100 {
		t.Errorf("after 20s: rate %g, minRate %g; want 200, 100", st.rate, st.minRate)
	}

	// A quiet spell does not jump back to the ceiling: one second's worth.
	st = decide(p200, newState(p200), answer(503, t0), t0)
	st = decide(p200, st, answer(200, ms(59_990)), ms(60_000))
	if st.rate != 110 {
		t.Errorf("first answer a minute after a 429: rate %g, want 110", st.rate)
	}
}

// cleanEvery feeds st clean answers every step from from until to (each
// sent 10ms before it is seen) and returns the state, failing t if the
// rate ever leaves floor..top or the learnt ceiling goes above --rate.
func cleanEvery(t *testing.T, p params, st state, step time.Duration, from, to time.Time) state {
	t.Helper()
	for now := from; now.Before(to); now = now.Add(step) {
		st = decide(p, st, answer(200, now.Add(-10*time.Millisecond)), now)
		if st.rate > st.top(p) || st.rate < p.floor || st.learnt > p.ceiling {
			t.Fatalf("at %v: rate %g, learnt %g, outside floor..top", now.Sub(t0), st.rate, st.learnt)
		}
	}
	return st
}

func TestDecideLearntCeiling(t *testing.T) {
	t.Parallel()
	// The first 429, too soon to measure: the rate that drew it is the
	// pacer's, 200/s. Ceiling 180, rate halved.
	st := decide(p200, newState(p200), answer(429, t0), ms(10))
	if st.rate != 100 || st.learnt != 180 || st.top(p200) != 180 {
		t.Fatalf("after a 429 at 200/s: rate %g, learnt %g; want 100, 180", st.rate, st.learnt)
	}
	// Fast recovery up to the ceiling (+10/s: 8s), then 1% of it per minute.
	st = cleanEvery(t, p200, st, 100*time.Millisecond, ms(100), ms(8_200))
	if st.rate != 180 {
		t.Errorf("8s after the 429: rate %g, want about 180 (the learnt ceiling)", st.rate)
	}
	st = cleanEvery(t, p200, st, 100*time.Millisecond, ms(8_200), ms(68_200))
	if math.Abs(st.rate-181.8) > 0.01 || st.rate != st.learnt {
		t.Errorf("a minute at the ceiling: rate %g, learnt %g; want both about 181.8 (+1%%)", st.rate, st.learnt)
	}

	// A second 429 lowers it again. Requests went out every 100ms: the
	// pacer allowed 181.8/s, but 10/s drew the 429.
	second := decide(p200, st, answer(429, ms(68_100)), ms(68_200))
	if math.Abs(second.learnt-9) > 0.05 || math.Abs(second.rate-5) > 0.05 || second.minRate != second.rate {
		t.Errorf("429 after 10/s sent: learnt %g, rate %g, minRate %g; want 9, 5, 5", second.learnt, second.rate, second.minRate)
	}

	// The ceiling climbs back to --rate, then --rate alone applies.
	p := Config{Rate: 200, Burst: 8, Probe: 0.5}.params() // +50% a minute
	st = decide(p, newState(p), answer(429, t0), ms(10))
	st = cleanEvery(t, p, st, 100*time.Millisecond, ms(100), ms(30_000))
	if st.rate != 200 || st.learnt != 0 {
		t.Errorf("probing at 50%%/min for 30s: rate %g, learnt %g; want 200, none", st.rate, st.learnt)
	}

	// Unlimited: no rate to cut, nothing learnt.
	p = Config{}.params()
	if st := decide(p, newState(p), answer(429, t0), ms(10)); st.learnt != 0 || !math.IsInf(st.rate, 1) {
		t.Errorf("unlimited after a 429: learnt %g, rate %g", st.learnt, st.rate)
	}
	// Never below the floor.
	if st := decide(p200, state{rate: 0.15, minRate: 0.15}, answer(429, t0), ms(10)); st.learnt != 0.135 || st.rate != 0.1 {
		t.Errorf("429 at 0.15/s: learnt %g, rate %g; want 0.135, the floor 0.1", st.learnt, st.rate)
	}
}

// TestDecideDrawnRate checks that the ceiling follows the rate requests
// were actually sent at, not the pacer's allowance, measured from the last
// pause until the throttled request left.
func TestDecideDrawnRate(t *testing.T) {
	t.Parallel()
	send := func(p params, st state, every time.Duration, from, to time.Time) state {
		for sent := from; sent.Before(to); sent = sent.Add(every) {
			st = decide(p, st, answer(200, sent), sent.Add(5*time.Millisecond))
		}
		return st
	}
	tests := []struct {
		name   string
		pieces [][3]int // sends every [0] ms from [1] until [2] ms
		sent   int      // when the throttled request left, ms
		want   float64  // learnt ceiling: 0.9 of the rate that drew it
	}{
		{"50/s for 2s", [][3]int{{20, 0, 2000}}, 2000, 45},
		{"100/s for 90s: the last minute", [][3]int{{10, 0, 90_000}}, 90_000, 90},
		{"bursty: the mean", [][3]int{{1, 0, 100}, {100, 100, 3000}}, 3000, 0.9 * 129 / 3},
		{"100/s then 10/s: a blend of the windows", [][3]int{{10, 0, 60_000}, {100, 60_000, 90_000}}, 90_000, 0.9 * 55},
		{"too short to tell: the pacer's rate", [][3]int{{1, 0, 500}}, 500, 180},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := newState(p200)
			for _, pc := range tt.pieces {
				st = send(p200, st, time.Duration(pc[0])*time.Millisecond, ms(pc[1]), ms(pc[2]))
			}
			st = decide(p200, st, answer(429, ms(tt.sent)), ms(tt.sent+5))
			if math.Abs(st.learnt-tt.want) > 0.5 {
				t.Errorf("learnt %g, want %g", st.learnt, tt.want)
			}
		})
	}

	// After a pause, only what was sent since it ended counts: 20/s, then
	// a 503 with a 2s pause, then 80/s for 2s. (A fast increase, so that
	// the pacer's rate is back at 200/s by then.)
	p := Config{Rate: 200, Burst: 8, Increase: 1000}.params()
	st := newState(p)
	st = send(p, st, 50*time.Millisecond, t0, ms(3000))
	o := answer(503, ms(3000))
	o.retryAfter = 2 * time.Second
	st = decide(p, st, o, ms(3000))
	st = send(p, st, 12500*time.Microsecond, ms(5000), ms(7000))
	st = decide(p, st, answer(429, ms(7000)), ms(7005))
	if math.Abs(st.learnt-72) > 0.5 {
		t.Errorf("80/s since the pause: learnt %g, want 72", st.learnt)
	}
}

func TestDecideRetryAfter(t *testing.T) {
	t.Parallel()
	o := answer(429, t0)
	o.retryAfter = 2 * time.Second
	st := decide(p200, newState(p200), o, ms(10))
	if want := ms(2010); !st.notBefore.Equal(want) || st.paused != 2*time.Second {
		t.Fatalf("notBefore %v, paused %v; want %v, 2s", st.notBefore.Sub(t0), st.paused, want.Sub(t0))
	}
	for _, now := range []time.Time{ms(10), ms(1000), ms(2009)} {
		if _, _, wait := st.at(p200, now); !wait.Equal(ms(2010)) {
			t.Errorf("at(%v): wait until %v, want 2.01s", now.Sub(t0), wait.Sub(t0))
		}
	}
	if limit, burst, wait := st.at(p200, ms(2010)); !wait.IsZero() || limit != 100 || burst != 8 {
		t.Errorf("at(2.01s) = %g, %d, %v; want 100, 8, no wait", limit, burst, wait)
	}

	// In-flight answers during the pause do not raise the rate.
	st = decide(p200, st, answer(200, ms(5)), ms(1500))
	if st.rate != 100 {
		t.Errorf("clean answer during the pause: rate %g, want 100", st.rate)
	}
	// A shorter Retry-After does not shorten the pause; a longer one extends it.
	o.retryAfter = time.Second
	st = decide(p200, st, o, ms(20))
	if !st.notBefore.Equal(ms(2010)) {
		t.Errorf("shorter Retry-After moved the pause to %v", st.notBefore.Sub(t0))
	}
	o.retryAfter = 3 * time.Second
	st = decide(p200, st, o, ms(1000))
	if !st.notBefore.Equal(ms(4000)) || st.paused != 4*time.Second-10*time.Millisecond {
		t.Errorf("longer Retry-After: notBefore %v, paused %v; want 4s, 3.99s", st.notBefore.Sub(t0), st.paused)
	}
	if st.pauseWhy != "Azotte answered 429 Retry-After 3" || st.stopped() != nil {
		t.Errorf("pause %q, stopped %v; want the cause named, not stopped", st.pauseWhy, st.stopped())
	}
	// Longer than maxPause, or ending after the deadline: the asking
	// stops, for good, and nothing waits for it.
	short := p200
	short.until = ms(5000)
	for _, tc := range []struct {
		p  params
		ra time.Duration
	}{{p200, time.Hour}, {short, 10 * time.Second}} {
		o.retryAfter = tc.ra
		st = decide(tc.p, newState(tc.p), o, t0)
		var pe *azotte.PauseError
		if !errors.As(st.stopped(), &pe) || pe.Wait != tc.ra || !pe.Resume.Equal(t0.Add(tc.ra)) || pe.Cause != "Retry-After" || !st.notBefore.IsZero() {
			t.Errorf("Retry-After %v (deadline %v): stopped %+v, notBefore %v; want a stop naming it, no pause", tc.ra, tc.p.until.Sub(t0), pe, st.notBefore.Sub(t0))
		}
		o.retryAfter = time.Second
		if st = decide(tc.p, st, o, ms(10)); st.stopped() == nil || !st.notBefore.IsZero() {
			t.Errorf("a short Retry-After after the stop: stopped %v, notBefore %v; want still stopped", st.stopped(), st.notBefore)
		}
	}
	// pauseCap shortens the sleep, not the judgement.
	capped := p200
	capped.pauseCap = 20 * time.Millisecond
	o.retryAfter = 10 * time.Second
	if st := decide(capped, newState(capped), o, t0); !st.notBefore.Equal(ms(20)) || st.stopped() != nil {
		t.Errorf("pauseCap: notBefore %v, stopped %v; want 20ms, no stop", st.notBefore.Sub(t0), st.stopped())
	}
	o.retryAfter = time.Hour
	if st := decide(capped, newState(capped), o, t0); st.stopped() == nil {
		t.Error("pauseCap: a Retry-After of 1h did not stop the asking")
	}
	// A 503's Retry-After pauses too.
	o = answer(503, t0)
	o.retryAfter = time.Second
	if st := decide(p200, newState(p200), o, t0); !st.notBefore.Equal(ms(1000)) || st.rate != 100 {
		t.Errorf("503 Retry-After 1s: notBefore %v, rate %g; want 1s, 100", st.notBefore.Sub(t0), st.rate)
	}
	// A Retry-After on another status is the client's business, not the pacer's.
	o = answer(500, t0)
	o.retryAfter = time.Second
	if st := decide(p200, newState(p200), o, t0); !st.notBefore.IsZero() {
		t.Errorf("500 Retry-After paused until %v", st.notBefore.Sub(t0))
	}
}

func TestDecideUnlimited(t *testing.T) {
	t.Parallel()
	p := Config{}.params()
	o := answer(429, t0)
	o.retryAfter = time.Second
	st := decide(p, newState(p), o, t0)
	if !math.IsInf(st.rate, 1) || !math.IsInf(st.minRate, 1) {
		t.Errorf("unlimited after a 429: rate %g, minRate %g; want +Inf (no rate to cut)", st.rate, st.minRate)
	}
	if _, _, wait := st.at(p, ms(500)); !wait.Equal(ms(1000)) {
		t.Errorf("unlimited still honours Retry-After: wait %v, want 1s", wait.Sub(t0))
	}
	if limit, burst, _ := st.at(p, ms(1000)); !math.IsInf(limit, 1) || burst != 1 {
		t.Errorf("after the pause: limit %g, burst %d; want +Inf, 1", limit, burst)
	}
	// Header budgets apply.
	o = answer(200, t0)
	o.remaining, o.reset = 10, ms(2000)
	if limit, _, _ := decide(p, newState(p), o, t0).at(p, t0); limit != 5 {
		t.Errorf("unlimited with a budget of 10 over 2s: limit %g, want 5", limit)
	}
}

func TestDecideBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		start     state
		status    int
		remaining float64
		reset     time.Time // the budget's reset
		none      bool      // no budget in the answer
		inFlight  int
		at        time.Time // when to ask at; zero: t0
		limit     float64
		burst     int
		wait      time.Time // non-zero: a pause or hold until then
		stop      bool      // the asking stops (a pause too long)
	}{
		{name: "spread until the reset", remaining: 50, reset: ms(2000), limit: 25, burst: 8},
		{name: "small budget", remaining: 20, reset: ms(4000), limit: 5, burst: 5},
		{name: "in flight spend it too", remaining: 50, reset: ms(2000), inFlight: 10, limit: 20, burst: 8},
		{name: "budget above the rate", remaining: 1000, reset: ms(1000), limit: 200, burst: 8},
		{name: "budget above a cut rate", start: state{rate: 40, minRate: 40, lastIncrease: t0}, remaining: 1000, reset: ms(1000), limit: 40, burst: 8},
		{name: "small budget, small burst", remaining: 3, reset: ms(1000), limit: 3, burst: 3},
		{name: "fractional budget", remaining: 2.5, reset: ms(1000), limit: 2.5, burst: 2},
		{name: "reset past: renewed", remaining: 0, reset: ms(-2000), limit: 200, burst: 8},
		{name: "none left: pause until the reset", remaining: 0, reset: ms(1500), wait: ms(1500)},
		{name: "none left for longer than maxPause: stop", remaining: 0, reset: t0.Add(time.Hour), limit: 200, burst: 8, stop: true},
		{name: "less than one left: pause", remaining: 0.5, reset: ms(1000), wait: ms(1000)},
		{name: "all in flight: hold", remaining: 3, reset: ms(2000), inFlight: 5, wait: ms(2000)},
		{name: "budget over", remaining: 10, reset: ms(2000), at: ms(2000), limit: 200, burst: 8},
		{name: "after the pause", remaining: 0, reset: ms(1000), at: ms(1000), limit: 200, burst: 8},
		{name: "no budget", none: true, limit: 200, burst: 8},
		{name: "429 with a budget", status: 429, remaining: 30, reset: ms(1000), limit: 30, burst: 8},
		{name: "429 with a small budget", status: 429, remaining: 1, reset: ms(1000), limit: 1, burst: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := tt.start
			if st.rate == 0 {
				st = newState(p200)
			}
			status := tt.status
			if status == 0 {
				status = 200
			}
			a := azotte.Attempt{Status: status, Budget: azotte.Budget{Remaining: tt.remaining, Reset: tt.reset, OK: !tt.none}}
			st = decide(p200, st, observe(a, t0, tt.inFlight), t0)
			at := tt.at
			if at.IsZero() {
				at = t0
			}
			if stopped := st.stopped() != nil; stopped != tt.stop {
				t.Errorf("stopped %v, want %v", stopped, tt.stop)
			}
			limit, burst, wait := st.at(p200, at)
			if !wait.Equal(tt.wait) || math.Abs(limit-tt.limit) > 1e-9 || burst != tt.burst {
				t.Errorf("at(%v) = limit %g, burst %d, wait %v; want %g, %d, %v", at.Sub(t0),
					limit, burst, wait.Sub(t0), tt.limit, tt.burst, tt.wait.Sub(t0))
			}
		})
	}
}

func TestAtBurst(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rate  float64
		burst int
	}{{200, 8}, {100, 8}, {8, 8}, {4.9, 4}, {1, 1}, {0.1, 1}}
	for _, tt := range tests {
		st := state{rate: tt.rate}
		if _, burst, _ := st.at(p200, t0); burst != tt.burst {
			t.Errorf("rate %g: burst %d, want %d", tt.rate, burst, tt.burst)
		}
	}
	// A ceiling below the burst keeps the configured burst at the ceiling.
	p := Config{Rate: 2, Burst: 8}.params()
	if _, burst, _ := newState(p).at(p, t0); burst != 8 {
		t.Errorf("--rate 2 --burst 8 at the ceiling: burst %d, want 8", burst)
	}
}
