package pace

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
)

// This file is the Adaptive pacer's decision logic: pure functions of
// (settings, state, observation, now), so that tests can drive it through
// any sequence of answers without sleeping. adaptive.go applies the state
// to a token bucket and to the workers' waits.

// params are an Adaptive pacer's fixed settings: a Config with its
// defaults applied.
type params struct {
	ceiling  float64       // requests per second at most; +Inf when unlimited
	burst    int           // bucket size at the ceiling, >= 1
	decrease float64       // rate factor on a throttle, in (0, 1)
	floor    float64       // lowest rate decreases reach, <= ceiling
	increase float64       // requests per second added per second of clean answers
	hold     time.Duration // least time between two decreases
	maxPause time.Duration // longest pause sat through; a longer one stops the asking
	until    time.Time     // a pause ending after it stops the asking; zero: no deadline
	pauseCap time.Duration // longest sleep of a pause, whatever its length; 0: none (tests)
	margin   float64       // learnt ceiling as a share of the rate that drew a 429, in (0, 1)
	probe    float64       // share of the learnt ceiling added per minute at it, > 0
}

// Measuring the rate that drew a 429: over about the last window, and not
// over less than minSpan (a burst would read as a huge rate).
const (
	window  = time.Minute
	minSpan = time.Second
)

// state is everything an Adaptive pacer has learnt; decide is its only
// writer. The zero time means "never" or "none". It is comparable, so
// that a change can be told.
type state struct {
	rate         float64   // the AIMD rate: floor..top; +Inf when unlimited
	learnt       float64   // the ceiling learnt from 429s, <= ceiling; 0: none yet (see top)
	sent         meter     // requests sent since the last decrease or pause
	minRate      float64   // lowest rate so far
	lastDecrease time.Time // when rate was last cut
	lastIncrease time.Time // clean answers after this raise the rate

	notBefore time.Time     // no request starts before this (Retry-After, budget exhausted)
	pauseWhy  string        // what asked for the pause that notBefore ends
	paused    time.Duration // total time notBefore held every worker

	// A pause longer than the run allows stops the asking for good.
	stopWait  time.Duration // how long it asked for; 0: not stopped
	stopUntil time.Time     // when it ends
	stopCause string        // the header that asked for it

	// The budget the rate-limit headers announced, valid until budgetEnd:
	// budgetLeft requests (net of the ones in flight) to spread until then.
	budgetLeft float64
	budgetRate float64 // budgetLeft / seconds until budgetEnd
	budgetEnd  time.Time
}

// observation is one attempt as decide sees it.
type observation struct {
	status     int           // HTTP status; 0 when no response arrived
	sent       time.Time     // when the request left
	retryAfter time.Duration // Retry-After, 0 when absent
	remaining  float64       // X-RateLimit-Remaining; meaningful when reset is set
	reset      time.Time     // X-RateLimit-Reset as a point in time; zero when either header is absent
	inFlight   int           // other requests started and not yet observed
}

// newState is a pacer's state before any answer: the ceiling applies.
func newState(p params) state {
	return state{rate: p.ceiling, minRate: p.ceiling}
}

// observe turns an attempt observed at now into an observation. inFlight is
// how many other requests have started and are not yet observed.
func observe(a azotte.Attempt, now time.Time, inFlight int) observation {
	o := observation{status: a.Status, sent: now.Add(-a.Latency), retryAfter: a.RetryAfter, inFlight: inFlight}
	if a.Budget.OK {
		o.remaining, o.reset = a.Budget.Remaining, a.Budget.Reset
	}
	return o
}

// throttled reports whether a status asks the client to slow down.
func throttled(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// clean reports whether a status says the server kept up: an answer or a
// client error. Other 5xx and missing responses say nothing about the rate.
func clean(status int) bool {
	return status >= 200 && status < 500 && status != http.StatusTooManyRequests
}

// decide returns the state after observing o at now.
//
// On 429 or 503: Retry-After pauses every worker until then (see hold),
// and the rate is cut to decrease times the rate that drew the
// answer: the rate requests were sent at, from the last decrease or pause
// until the throttled one left (see meter), or the pacer's rate when that
// is lower or too short to measure. A burst of throttled answers to requests sent at the old rate
// must not cut the rate again and again, so a decrease happens only for a
// request sent after the previous decrease (once per round trip) and at
// most once per hold.
//
// A 429 also sets the learnt ceiling to margin times the rate that drew it:
// without rate-limit headers, the only sign of the server's limit is a 429,
// and each one costs a Retry-After pause (Azotte's example says 60 s), so
// the rate must stay under the limit once found rather than find it again
// and again. Each further 429 lowers the ceiling again. A 503 cuts the rate
// but teaches no ceiling: it is overload or a fault, not the rate limit.
//
// On a clean answer below the ceiling, the rate grows by increase per
// second since the last increase or pause end, at most one second's worth
// per answer, so a quiet spell does not jump back to the ceiling. That fast
// recovery stops at the learnt ceiling; at it, the ceiling itself (and the
// rate with it) grows by probe of itself per minute, so that a limit that
// rose is found again, slowly, and a run pays a 429's pause a few times an
// hour rather than every cycle. Config.Rate caps both.
//
// Either way, rate-limit headers set the budget (see budget).
func decide(p params, st state, o observation, now time.Time) state {
	st.sent = st.sent.add(o.sent)
	switch {
	case throttled(o.status):
		if o.retryAfter > 0 {
			why := "Azotte answered " + strconv.Itoa(o.status) + " Retry-After " + strconv.Itoa(int(o.retryAfter.Round(time.Second)/time.Second))
			st = st.hold(p, now, o.retryAfter, "Retry-After", why)
		}
		if !math.IsInf(st.rate, 1) && !o.sent.Before(st.lastDecrease) && now.Sub(st.lastDecrease) >= p.hold {
			drawn := min(st.rate, st.sent.rate(o.sent))
			st.rate = max(p.floor, drawn*p.decrease)
			if o.status == http.StatusTooManyRequests {
				st.learnt = max(p.floor, drawn*p.margin)
				st.rate = min(st.rate, st.learnt)
			}
			st.minRate = min(st.minRate, st.rate)
			st.lastDecrease = now
			st.sent = meter{start: later(now, st.notBefore)}
		}
		st.lastIncrease = later(now, st.notBefore)
	case clean(o.status) && st.rate < p.ceiling:
		dt := now.Sub(st.lastIncrease)
		if dt <= 0 {
			break
		}
		dt = min(dt, time.Second)
		st.lastIncrease = now
		if top := st.top(p); st.rate < top {
			st.rate = min(top, st.rate+p.increase*dt.Seconds())
			break
		}
		st.learnt = min(p.ceiling, st.learnt*(1+p.probe*dt.Minutes()))
		st.rate = st.learnt
		if st.learnt >= p.ceiling {
			st.learnt = 0 // nothing left to learn: Config.Rate again
		}
	}
	if !o.reset.IsZero() {
		st = st.budget(p, o, now)
	}
	return st
}

// top is the highest rate in force: the learnt ceiling, or Config.Rate.
func (st state) top(p params) float64 {
	if st.learnt > 0 {
		return min(st.learnt, p.ceiling)
	}
	return p.ceiling
}

// meter counts requests by the time they were sent, since start, to tell
// the rate that drew a throttled answer. It covers about the last window:
// past that, it starts over and keeps the rate of the window before.
type meter struct {
	start time.Time // zero: nothing counted yet
	n     int       // requests sent at or after start
	prev  float64   // rate over the window before start; 0: none
}

// add counts a request sent at sent. One sent before start drew nothing
// since then (it left before a pause or decrease).
func (m meter) add(sent time.Time) meter {
	switch {
	case m.start.IsZero():
		m.start, m.n = sent, 1
	case sent.Before(m.start):
	case sent.Sub(m.start) >= window:
		m.prev = float64(m.n) / sent.Sub(m.start).Seconds()
		m.start, m.n = sent, 1
	default:
		m.n++
	}
	return m
}

// rate returns the rate requests were sent at over about the last window
// until end, or +Inf when too little time has passed to tell.
func (m meter) rate(end time.Time) float64 {
	span := end.Sub(m.start)
	switch {
	case m.start.IsZero(), m.prev == 0 && span < minSpan:
		return math.Inf(1)
	case m.prev == 0 || span >= window:
		return float64(m.n) / span.Seconds()
	}
	// Part of the window before start, at its rate.
	return (float64(m.n) + m.prev*(window-span).Seconds()) / window.Seconds()
}

// budget applies X-RateLimit-Remaining and -Reset: spread what is left,
// minus the requests still in flight (they will spend from it too), evenly
// until the reset. With nothing left, pause until the reset (see hold). A reset already past means the budget was renewed: no limit
// from headers until the next answer says otherwise.
func (st state) budget(p params, o observation, now time.Time) state {
	until := o.reset.Sub(now)
	switch {
	case until <= 0:
		st.budgetEnd = time.Time{}
	case o.remaining < 1:
		why := "Azotte's rate-limit budget is spent until " + o.reset.Format(time.TimeOnly) + " (X-RateLimit-Reset)"
		st = st.hold(p, now, until, "X-RateLimit-Reset", why)
		st.budgetEnd = time.Time{}
	default:
		st.budgetLeft = max(o.remaining-float64(o.inFlight), 0)
		st.budgetRate = st.budgetLeft / until.Seconds()
		st.budgetEnd = o.reset
	}
	return st
}

// hold pauses every request for d, as cause (the header) asked and why
// says, or, when the pause is longer than maxPause or would end after
// until, stops the asking: a run does not sit for hours on a spent quota,
// nor past its deadline. The stop is for good; a later run goes on.
func (st state) hold(p params, now time.Time, d time.Duration, cause, why string) state {
	if st.stopWait != 0 {
		return st // nothing starts again
	}
	end := now.Add(d)
	if d > p.maxPause || !p.until.IsZero() && end.After(p.until) {
		st.stopWait, st.stopUntil, st.stopCause = d, end, cause
		return st
	}
	if p.pauseCap > 0 {
		end = now.Add(min(d, p.pauseCap))
	}
	if end.After(st.notBefore) {
		st.pauseWhy = why
	}
	return st.pause(now, end)
}

// stopped is the asking's end, once a pause too long stopped it; else nil.
func (st state) stopped() error {
	if st.stopWait == 0 {
		return nil
	}
	return &azotte.PauseError{Wait: st.stopWait, Resume: st.stopUntil, Cause: st.stopCause}
}

// pause keeps every request from starting before until.
func (st state) pause(now, until time.Time) state {
	if !until.After(st.notBefore) {
		return st
	}
	if from := later(now, st.notBefore); until.After(from) {
		st.paused += until.Sub(from)
	}
	st.notBefore = until
	return st
}

// at returns what applies to a request at now: either a time before which
// it must not start (wait non-zero), or the rate (+Inf: unlimited) and
// burst for the token bucket. A budget whose remainder is all in flight
// holds requests until its reset or until the next answer tells more.
func (st state) at(p params, now time.Time) (limit float64, burst int, wait time.Time) {
	if now.Before(st.notBefore) {
		return 0, 0, st.notBefore
	}
	limit = st.rate
	budgeted := now.Before(st.budgetEnd)
	if budgeted {
		if st.budgetLeft < 1 {
			return 0, 0, st.budgetEnd
		}
		limit = min(limit, st.budgetRate)
	}
	// At the ceiling the configured burst applies; below it, at most one
	// second's worth, so that a throttled pacer does not resume with a burst.
	burst = p.burst
	if limit < p.ceiling {
		burst = max(1, min(p.burst, int(limit)))
	}
	if budgeted {
		burst = max(1, min(burst, int(st.budgetLeft)))
	}
	return limit, burst, time.Time{}
}

// current is the rate in force at now, pauses and holds aside.
func (st state) current(now time.Time) float64 {
	r := st.rate
	if now.Before(st.budgetEnd) && st.budgetLeft >= 1 {
		r = min(r, st.budgetRate)
	}
	return r
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
