package azotte

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
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
	For   time.Duration // how long nothing was answered; 0 for a preflight
}

func (e *UnreachableError) Error() string {
	msg := "cannot reach " + e.URL + ": " + e.Cause
	if e.For > 0 {
		msg += fmt.Sprintf(" (nothing answered for %v)", e.For.Round(100*time.Millisecond))
	}
	return msg
}

// gate holds requests back while Azotte is unreachable. A request that
// fails at the transport with nothing answered since it was sent closes it.
// While it is closed, requests wait in enter, and one of them at a time
// probes: it asks about PreflightID (an id of no export, so that one id
// whose requests always fail cannot pass for an outage, nor an outage for
// one id's problem), with a growing pause between probes. The first HTTP
// response, to a probe or to any request in flight, opens it again.
type gate struct {
	giveUp    time.Duration
	base, max time.Duration                                           // pause after the first failed probe, and the largest
	probe     func(ctx context.Context) (answered bool, cause string) // one probe request

	// closed and lastAnswer are read without mu on every request (the
	// common case: open); they change under mu, but for lastAnswer.
	closed     atomic.Bool
	lastAnswer atomic.Int64 // the last HTTP response of any request, as time since born
	born       time.Time

	mu       sync.Mutex
	since    time.Time // when the outage began: nothing answered since
	probing  bool      // a waiter is probing
	failures int       // probes failed in a row
	next     time.Time // the earliest next probe
	cause    string    // the last transport failure
	closures uint64    // how many times the gate closed
	downAt   uint64    // the closure during which a probe last failed
	changed  chan struct{}
}

func newGate(giveUp, base, max time.Duration, probe func(context.Context) (bool, string)) *gate {
	return &gate{giveUp: giveUp, base: base, max: max, probe: probe, changed: make(chan struct{}), born: time.Now()}
}

// signal wakes every waiter; the caller holds mu.
func (g *gate) signal() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// enter returns nil at once while the gate is open. While it is closed it
// waits, probing in turn with the other waiters, until the gate opens or
// ctx is done; once nothing has been answered for giveUp it returns an
// *UnreachableError naming url.
func (g *gate) enter(ctx context.Context, url string) error {
	if !g.closed.Load() {
		return nil
	}
	g.mu.Lock()
	for {
		if !g.closed.Load() {
			g.mu.Unlock()
			return nil
		}
		now := time.Now()
		deadline := g.since.Add(g.giveUp)
		if !now.Before(deadline) {
			err := &UnreachableError{URL: url, Cause: g.cause, For: now.Sub(g.since)}
			g.mu.Unlock()
			return err
		}
		if !g.probing && !now.Before(g.next) {
			g.probing = true
			g.mu.Unlock()
			answered, cause := g.probe(ctx)
			g.mu.Lock()
			g.probing = false
			g.signal()
			if ctx.Err() != nil {
				g.mu.Unlock()
				return ctx.Err()
			}
			if answered {
				g.lastAnswer.Store(int64(time.Since(g.born)))
				g.closed.Store(false)
			} else {
				g.cause, g.downAt = cause, g.closures
				g.failures++
				g.next = time.Now().Add(g.pause(g.failures))
			}
			continue
		}
		wake := deadline
		if !g.probing && g.next.Before(wake) {
			wake = g.next
		}
		changed := g.changed
		g.mu.Unlock()
		t := time.NewTimer(wake.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-changed:
		case <-t.C:
		}
		t.Stop()
		g.mu.Lock()
	}
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

// failed notes a request sent at start that got no HTTP response. When
// Azotte answered other requests since start, the failure may be the id's
// own: charged. When the gate is closed already, the outage made it fail:
// not charged. Otherwise it closes the gate and returns the closure's
// number, for wasDown to decide.
func (g *gate) failed(start time.Time, cause string) (charged bool, closure uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cause = cause
	switch {
	case g.lastAnswer.Load() > int64(start.Sub(g.born)):
		return true, 0
	case g.closed.Load():
		return false, 0
	}
	// Nothing answered since this request went out: the outage is at
	// least that old.
	g.closed.Store(true)
	g.since = start
	g.failures, g.next = 0, time.Now().Add(g.base)
	g.closures++
	g.signal()
	return false, g.closures
}

// wasDown reports whether a probe failed while the gate was closed the
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

// PreflightID is the id a preflight asks about: one that no export holds.
const PreflightID = "azvalidate-preflight"

// Probe is the outcome of one preflight request.
type Probe struct {
	Status      int    // HTTP status; 0 when no response arrived
	MessageCode string // status.messageCode of the body, if any
	Location    string // a redirect's target
	Err         error  // the transport error when no response arrived
	Cause       string // Err in a few words: "connection refused", "TLS: ..."
}

// Preflight asks about PreflightID once, without retries, so that a run
// can tell before it starts whether Azotte is reachable and takes the
// credentials. Config.Observe sees it (it is a call); the pacer does not:
// one request before the run takes none of a budget's time.
func (c *Client) Preflight(ctx context.Context) (Probe, error) {
	r := c.try(ctx, http.MethodPost, c.url, requestBody(PreflightID), judge)
	if ctx.Err() != nil {
		return Probe{}, ctx.Err()
	}
	if c.cfg.Observe != nil {
		c.cfg.Observe(Attempt{ID: PreflightID, Try: 1, Status: r.status, Latency: r.latency, Err: r.err,
			RetryAfter: r.retryAfter, Budget: r.budget})
	}
	p := Probe{Status: r.status, MessageCode: r.answer.MessageCode}
	if r.status == 0 {
		p.Err, p.Cause = r.err, r.cause
		if p.Cause == "" && r.err != nil {
			p.Cause = r.err.Error()
		}
		return p, nil
	}
	c.gate.answered()
	if r.header != nil {
		p.Location = r.header.Get("Location")
	}
	return p, nil
}

// probe asks about PreflightID once for the gate, and reports whether any
// HTTP response came. It is observed as a retry: a request made on behalf
// of the ids waiting at the gate.
func (c *Client) probe(ctx context.Context) (answered bool, cause string) {
	if c.cfg.Pacer != nil {
		if err := c.cfg.Pacer.Wait(ctx); err != nil {
			return false, "pacer: " + err.Error()
		}
	}
	r := c.try(ctx, http.MethodPost, c.url, requestBody(PreflightID), judge)
	if ctx.Err() != nil {
		return false, ""
	}
	c.observe(Attempt{ID: PreflightID, Try: 1, Status: r.status, Latency: r.latency, Err: r.err,
		RetryAfter: r.retryAfter, Budget: r.budget, Retry: true})
	return r.status != 0, r.cause
}

// URL is where the client sends its requests, without a password.
func (c *Client) URL() string {
	if u, err := url.Parse(c.url); err == nil {
		return u.Redacted()
	}
	return c.url
}
