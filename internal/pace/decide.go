package pace

import (
	"math"
	"net/http"
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
	maxPause time.Duration // longest pause a Retry-After or Reset imposes
}

// state is everything an Adaptive pacer has learnt; decide is its only
// writer. The zero time means "never" or "none".
type state struct {
	rate         float64   // the AIMD rate: floor..ceiling; +Inf when unlimited
	minRate      float64   // lowest rate so far
	lastDecrease time.Time // when rate was last cut
	lastIncrease time.Time // clean answers after this raise the rate

	notBefore time.Time     // no request starts before this (Retry-After, budget exhausted)
	paused    time.Duration // total time notBefore held every worker

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
// On 429 or 503: Retry-After pauses every worker until then (at most
// maxPause), and the rate is multiplied by decrease, down to floor. A
// burst of throttled answers to requests sent at the old rate must not cut
// the rate again and again, so a decrease happens only for a request sent
// after the previous decrease (once per round trip) and at most once per
// hold.
//
// On a clean answer below the ceiling, the rate grows by increase per
// second since the last increase or pause end, at most one second's worth
// per answer, so a quiet spell does not jump back to the ceiling.
//
// Either way, rate-limit headers set the budget (see budget).
func decide(p params, st state, o observation, now time.Time) state {
	switch {
	case throttled(o.status):
		if o.retryAfter > 0 {
			st = st.pause(now, now.Add(min(o.retryAfter, p.maxPause)))
		}
		if !math.IsInf(st.rate, 1) && !o.sent.Before(st.lastDecrease) && now.Sub(st.lastDecrease) >= p.hold {
			st.rate = max(p.floor, st.rate*p.decrease)
			st.minRate = min(st.minRate, st.rate)
			st.lastDecrease = now
		}
		st.lastIncrease = later(now, st.notBefore)
	case clean(o.status) && st.rate < p.ceiling:
		if dt := now.Sub(st.lastIncrease); dt > 0 {
			st.rate = min(p.ceiling, st.rate+p.increase*min(dt, time.Second).Seconds())
			st.lastIncrease = now
		}
	}
	if !o.reset.IsZero() {
		st = st.budget(p, o, now)
	}
	return st
}

// budget applies X-RateLimit-Remaining and -Reset: spread what is left,
// minus the requests still in flight (they will spend from it too), evenly
// until the reset. With nothing left, pause until the reset (at most
// maxPause). A reset already past means the budget was renewed: no limit
// from headers until the next answer says otherwise.
func (st state) budget(p params, o observation, now time.Time) state {
	until := o.reset.Sub(now)
	switch {
	case until <= 0:
		st.budgetEnd = time.Time{}
	case o.remaining < 1:
		st = st.pause(now, now.Add(min(until, p.maxPause)))
		st.budgetEnd = time.Time{}
	default:
		st.budgetLeft = max(o.remaining-float64(o.inFlight), 0)
		st.budgetRate = st.budgetLeft / until.Seconds()
		st.budgetEnd = o.reset
	}
	return st
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
