package pace

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/human"
)

// Config configures an Adaptive pacer. Zero tuning fields get the defaults
// documented on each.
type Config struct {
	// Rate is the ceiling in requests per second (--rate). 0 means no
	// limit: then there is no rate to cut, so 429s and 503s do not slow the
	// pacer down, but Retry-After pauses and X-RateLimit budgets still apply.
	Rate float64
	// Burst is how many requests may start at once at the ceiling
	// (--burst); below 1 means 1. Below the ceiling the burst is at most one
	// second's worth of the current rate.
	Burst int

	Decrease float64       // factor on the rate at a 429/503, in (0, 1); default 0.5
	Floor    float64       // lowest rate a decrease reaches; default 0.1/s (or Rate, if lower)
	Increase float64       // requests per second added per second of clean answers; default max(0.5, Rate/20)
	Hold     time.Duration // least time between two decreases; default 250ms
	Margin   float64       // ceiling learnt from a 429 as a share of the rate that drew it, in (0, 1); default 0.9
	Probe    float64       // share of the learnt ceiling added per minute of clean answers at it; default 0.01

	// MaxPause is the longest pause a Retry-After or an X-RateLimit-Reset
	// is obeyed for (--max-pause); default 15 min. A longer one, or one
	// ending after Until (--deadline), stops the asking: Wait returns an
	// *azotte.PauseError from then on, to every worker, without waiting.
	MaxPause time.Duration
	Until    time.Time
	// PauseCap, when positive, shortens every pause to at most itself while
	// judging it by its full length: tests drill pauses in milliseconds.
	PauseCap time.Duration
}

// Defaults of the tuning fields of Config.
const (
	DefaultDecrease = 0.5
	DefaultFloor    = 0.1
	DefaultHold     = 250 * time.Millisecond
	DefaultMaxPause = 15 * time.Minute
	DefaultMargin   = 0.9
	DefaultProbe    = 0.01
)

// params applies the defaults.
func (c Config) params() params {
	p := params{
		ceiling:  c.Rate,
		burst:    max(c.Burst, 1),
		decrease: c.Decrease,
		floor:    c.Floor,
		increase: c.Increase,
		hold:     c.Hold,
		maxPause: c.MaxPause,
		until:    c.Until,
		pauseCap: c.PauseCap,
		margin:   c.Margin,
		probe:    c.Probe,
	}
	if !(c.Rate > 0) || math.IsInf(c.Rate, 1) {
		p.ceiling = math.Inf(1)
	}
	if !(p.decrease > 0 && p.decrease < 1) {
		p.decrease = DefaultDecrease
	}
	if !(p.floor > 0) {
		p.floor = DefaultFloor
	}
	p.floor = min(p.floor, p.ceiling)
	if !(p.increase > 0) {
		p.increase = max(0.5, c.Rate/20)
	}
	if p.hold <= 0 {
		p.hold = DefaultHold
	}
	if p.maxPause <= 0 {
		p.maxPause = DefaultMaxPause
	}
	if !(p.margin > 0 && p.margin < 1) {
		p.margin = DefaultMargin
	}
	if !(p.probe > 0) || math.IsInf(p.probe, 1) {
		p.probe = DefaultProbe
	}
	return p
}

// Adaptive is a pacer shared by all workers that adapts to Azotte's answers:
// multiplicative decrease on 429 and 503, additive increase on clean
// answers up to the ceiling learnt from 429s and slow probing above it
// (never above Config.Rate), a pause of every worker for Retry-After, and
// pacing by the X-RateLimit-Remaining / -Reset budget when the API sends
// it. See decide for the rules.
//
// It implements azotte.Pacer and azotte.Feedback; azotte.Client calls
// Observe after every attempt whose Wait returned nil, which is also how
// Adaptive counts the requests in flight. All methods are safe for
// concurrent use.
type Adaptive struct {
	p   params
	lim *rate.Limiter // guarded by mu; only the gate holder reserves tokens

	// gate admits one waiter at a time to the token bucket, in arrival
	// order (blocked channel senders are served first in, first out). So
	// at most one reservation is outstanding, the gate holder's, and it can
	// be cancelled in full: a changed rate or pause takes effect at once,
	// where rate.Limiter.Wait would leave every worker asleep until a time
	// computed at the old rate (minutes, at a throttled 0.1/s).
	gate chan struct{}

	mu       sync.Mutex
	st       state
	inFlight int           // Waits granted minus attempts observed
	changed  chan struct{} // closed and replaced when st changes, to wake the waiter

}

var (
	_ azotte.Pacer    = (*Adaptive)(nil)
	_ azotte.Feedback = (*Adaptive)(nil)
)

// NewAdaptive returns a pacer for cfg.
func NewAdaptive(cfg Config) *Adaptive {
	p := cfg.params()
	return &Adaptive{
		p:       p,
		lim:     rate.NewLimiter(limitOf(p.ceiling), p.burst),
		gate:    make(chan struct{}, 1),
		st:      newState(p),
		changed: make(chan struct{}),
	}
}

func limitOf(r float64) rate.Limit {
	if math.IsInf(r, 1) {
		return rate.Inf
	}
	return rate.Limit(r)
}

// Wait blocks until a request may start, or returns ctx's error once ctx is
// done, or the *azotte.PauseError of a pause too long (see Config.MaxPause).
func (a *Adaptive) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Unlimited and nothing to wait for: no need to queue.
	a.mu.Lock()
	if err := a.st.stopped(); err != nil {
		a.mu.Unlock()
		return err
	}
	if limit, _, wait := a.st.at(a.p, time.Now()); wait.IsZero() && math.IsInf(limit, 1) {
		a.inFlight++
		a.mu.Unlock()
		return nil
	}
	a.mu.Unlock()

	select {
	case a.gate <- struct{}{}:
	default:
		select {
		case a.gate <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-a.gate }()
	var w waiter
	for {
		a.mu.Lock()
		if err := a.st.stopped(); err != nil {
			if w.r != nil {
				w.r.Cancel()
			}
			a.mu.Unlock()
			return err
		}
		d := a.next(time.Now(), &w)
		changed := a.changed
		a.mu.Unlock()
		if d == 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			a.mu.Lock()
			if w.r != nil {
				w.r.Cancel()
			}
			a.mu.Unlock()
			return ctx.Err()
		case <-changed: // next cancels the reservation and asks again
			t.Stop()
		case <-t.C:
		}
	}
}

// waiter is the gate holder's reservation, if it has one.
type waiter struct {
	r  *rate.Reservation // nil: none
	at time.Time         // when r's token is due
}

// next grants the gate holder a request at now and returns 0, or returns
// how long to sleep before asking again (unless the state changes first).
// The token is reserved while sleeping, so a late wake-up loses none; as
// the only reservation outstanding it can be cancelled in full when the
// pace changes before it is due. a.mu is held.
func (a *Adaptive) next(now time.Time, w *waiter) time.Duration {
	limit, burst, wait := a.st.at(a.p, now)
	if w.r != nil {
		due := !now.Before(w.at)
		if !due {
			w.r.CancelAt(now) // the pace changed or a budget ended: ask again
		}
		w.r = nil
		if due && wait.IsZero() {
			a.inFlight++
			return 0
		}
		// Due, but a pause began meanwhile: that token is spent.
	}
	if !wait.IsZero() {
		return max(wait.Sub(now), time.Microsecond)
	}
	if l := limitOf(limit); a.lim.Limit() != l {
		a.lim.SetLimitAt(now, l)
	}
	if a.lim.Burst() != burst {
		a.lim.SetBurstAt(now, burst)
	}
	r := a.lim.ReserveN(now, 1) // always ok: burst >= 1, no deadline
	d := r.DelayFrom(now)
	if d == 0 {
		a.inFlight++
		return 0
	}
	w.r, w.at = r, now.Add(d)
	if now.Before(a.st.budgetEnd) {
		d = min(d, a.st.budgetEnd.Sub(now)) // the limit may rise when the budget ends
	}
	return d
}

// Observe feeds one attempt's outcome to the pacer. It must be called once
// for every Wait that returned nil, after the attempt (azotte.Client does).
func (a *Adaptive) Observe(at azotte.Attempt) { a.observeAt(at, time.Now()) }

func (a *Adaptive) observeAt(at azotte.Attempt, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inFlight = max(a.inFlight-1, 0)
	next := decide(a.p, a.st, observe(at, now, a.inFlight), now)
	// The meter changes with every answer but does not move the schedule:
	// the waiter need not wake for it.
	old := a.st
	a.st = next
	old.sent, next.sent = meter{}, meter{}
	if next != old {
		close(a.changed)
		a.changed = make(chan struct{})
	}
}

// Rate returns the request rate allowed now, in requests per second: the
// adaptive rate, or the rate-limit headers' budget when lower. 0 means no
// limit. Pauses are not rates; see Pause.
func (a *Adaptive) Rate() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return finite(a.st.current(time.Now()))
}

// MinRate returns the lowest rate that 429s and 503s drove the pacer to, in
// requests per second: Config.Rate when it was never throttled, 0 when
// unlimited. Budgets from rate-limit headers are not included: they follow
// the server's bucket from moment to moment, and a budget well followed
// never throttles.
func (a *Adaptive) MinRate() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return finite(a.st.minRate)
}

// Pause says, while every worker is held by a Retry-After or a spent
// rate-limit budget, for how much longer and why, as progress lines and
// the status page show it: "paused 14 s: Azotte answered 429 Retry-After
// 15"; "" when requests may start.
func (a *Adaptive) Pause() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	left := time.Until(a.st.notBefore)
	if left <= 0 {
		return ""
	}
	return "paused " + human.Span(left.Truncate(time.Second)) + ": " + a.st.pauseWhy
}

// Paused returns how long, in total, every worker was held by Retry-After
// or a spent rate-limit budget (a pause under way counts in full).
func (a *Adaptive) Paused() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.st.paused
}

// finite maps +Inf (no limit) to 0, which also keeps JSON summaries valid.
func finite(r float64) float64 {
	if math.IsInf(r, 1) {
		return 0
	}
	return r
}
