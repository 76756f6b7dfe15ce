package azotte

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultGiveUpAfter is how long requests may keep failing at the transport,
// with nothing answered, before a client gives up (Config.GiveUpAfter).
const DefaultGiveUpAfter = 60 * time.Second

// probeMax caps the wait between two probes of an outage: Azotte coming
// back is noticed within seconds, at a cost of a request every few seconds.
const probeMax = 5 * time.Second

// UnreachableError is Azotte answering nothing for Config.GiveUpAfter while
// every request failed at the transport (no HTTP response: connection
// refused, DNS, TLS, timeouts). It is fatal for a run: the rows still to ask
// would only wait for ever.
type UnreachableError struct {
	URL   string        // where the requests went, without a password
	Cause string        // the last failure: "connection refused"
	For   time.Duration // how long nothing was answered; 0 when the client's first request found it
}

func (e *UnreachableError) Error() string {
	msg := "cannot reach " + e.URL + ": " + e.Cause
	if e.For > 0 {
		msg += fmt.Sprintf(" (nothing answered for %v)", e.For.Round(100*time.Millisecond))
	}
	return msg
}

// MidRun reports whether Azotte went away during the run (resumable) rather
// than being unreachable from its first request (a setting to fix).
func (e *UnreachableError) MidRun() bool { return e.For > 0 }

// gate holds requests back while Azotte is unreachable: a half-open
// circuit breaker. A request that fails at the transport with nothing
// answered since it was sent closes it. While it is closed, requests wait in
// enter, and one of them at a time probes: it sends its own request, with a
// growing pause between probes. The first HTTP response, to a probe or to
// any request in flight, opens it again. The id that closed the gate probes
// only when no other id waits, and its failures count against its retries
// until another id fails too: so that one id whose requests always fail
// cannot pass for an outage, nor an outage for one id's problem.
type gate struct {
	giveUp    time.Duration
	base, max time.Duration // pause after the first failed probe, and the largest

	// closed and lastAnswer are read without mu on every request (the
	// common case: open); they change under mu, but for lastAnswer.
	closed     atomic.Bool
	lastAnswer atomic.Int64 // the last HTTP response of any request, as time since born
	born       time.Time

	mu       sync.Mutex
	since    time.Time // when the outage began: nothing answered since
	closer   string    // the id whose failure closed the gate
	waiting  int       // requests in enter
	probing  bool      // a waiter is probing
	failures int       // probes failed in a row
	next     time.Time // the earliest next probe
	cause    string    // the last transport failure
	closures uint64    // how many times the gate closed
	downAt   uint64    // the closure during which another id failed too
	changed  chan struct{}
}

func newGate(giveUp, base, max time.Duration) *gate {
	return &gate{giveUp: giveUp, base: base, max: max, changed: make(chan struct{}), born: time.Now()}
}

// signal wakes every waiter; the caller holds mu.
func (g *gate) signal() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// enter returns at once, probe false, while the gate is open. While it is
// closed it waits until the gate opens, or until it is this request's turn
// to probe: then probe is true, and the caller sends its request and tells
// probed. Once nothing has been answered for giveUp it returns an
// *UnreachableError naming url; when ctx is done, ctx's error.
func (g *gate) enter(ctx context.Context, url, id string) (probe bool, err error) {
	if !g.closed.Load() {
		return false, nil
	}
	g.mu.Lock()
	g.waiting++
	defer func() {
		g.waiting--
		g.signal() // the closer may probe now that one fewer waits
		g.mu.Unlock()
	}()
	for {
		if !g.closed.Load() {
			return false, nil
		}
		now := time.Now()
		deadline := g.since.Add(g.giveUp)
		if !now.Before(deadline) {
			return false, &UnreachableError{URL: url, Cause: g.cause, For: now.Sub(g.since)}
		}
		turn := id != g.closer || g.waiting == 1
		if !g.probing && turn && !now.Before(g.next) {
			g.probing = true
			return true, nil
		}
		wake := deadline
		if !g.probing && turn && g.next.Before(wake) {
			wake = g.next
		}
		changed := g.changed
		g.mu.Unlock()
		t := time.NewTimer(wake.Sub(now))
		select {
		case <-ctx.Done():
		case <-changed:
		case <-t.C:
		}
		t.Stop()
		g.mu.Lock()
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
	}
}

// probed ends a probe that enter granted; answered reports whether any HTTP
// response came (the caller told answered or failed first). A probe that
// was not sent (the pacer or ctx stopped it) is not a failure.
func (g *gate) probed(sent, answered bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.probing = false
	if sent && !answered {
		g.failures++
		g.next = time.Now().Add(g.pause(g.failures))
	}
	g.signal()
}

// answered notes an HTTP response (any status): Azotte is reachable.
func (g *gate) answered() {
	// Stored before closed is read: a failed that closes the gate after
	// this read sees this answer, newer than its request, and does not.
	g.lastAnswer.Store(int64(time.Since(g.born)))
	if !g.closed.Load() {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed.Load() {
		g.closed.Store(false)
		g.signal()
	}
}

// failed notes a request about id sent at start that got no HTTP response.
// When Azotte answered other requests since start, the failure may be the
// id's own: charged. When the gate is closed already, the outage goes on:
// another id failing is the proof that it is Azotte's, and not charged; the
// closing id's own failure is charged until that proof. Otherwise it closes
// the gate and returns the closure's number, for wasDown to decide.
func (g *gate) failed(start time.Time, cause, id string) (charged bool, closure uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cause = cause
	switch {
	case g.lastAnswer.Load() > int64(start.Sub(g.born)):
		return true, 0
	case g.closed.Load() && id != g.closer:
		g.downAt = g.closures
		return false, 0
	case g.closed.Load():
		return g.downAt < g.closures, 0
	}
	// Nothing answered since this request went out: the outage is at
	// least that old.
	g.closed.Store(true)
	g.since, g.closer = start, id
	g.failures, g.next = 0, time.Now().Add(g.base)
	g.closures++
	g.signal()
	return false, g.closures
}

// wasDown reports whether another id failed while the gate was closed the
// closure-th time (or later): an outage, not one id's failure, closed it.
// An id whose requests always fail thus spends its retries even when it
// alone keeps closing the gate.
func (g *gate) wasDown(closure uint64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.downAt >= closure
}

// pause is the wait after the n-th failed probe in a row: doubling from
// base, at most max. No jitter: only one request probes at a time.
func (g *gate) pause(n int) time.Duration {
	d := g.base
	for i := 1; i < n && d < g.max; i++ {
		d *= 2
	}
	return min(d, g.max)
}

// tlsCause says which certificate check failed, without Go's package
// prefixes; ok is false when err is no certificate error.
func tlsCause(err error) (string, bool) {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var msg string
	switch {
	case errors.As(err, &unknown):
		msg = unknown.Error()
	case errors.As(err, &host):
		msg = host.Error()
	case errors.As(err, &invalid):
		msg = invalid.Error()
	case errors.As(err, &verify):
		msg = verify.Err.Error()
	default:
		return "", false
	}
	return "TLS: " + strings.TrimPrefix(msg, "x509: "), true
}

// URL is where the client sends its requests, without a password.
func (c *Client) URL() string {
	if u, err := url.Parse(c.url); err == nil {
		return u.Redacted()
	}
	return c.url
}
