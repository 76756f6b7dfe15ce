package azotte

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Answer is what Azotte said about one id, or why it said nothing usable.
type Answer struct {
	IsAvailable bool
	MessageCode string          // status.messageCode, "" when absent
	Status      json.RawMessage // the status envelope as returned; nil when none
	Err         error           // non-nil: no usable answer after retries (a row error); never holds the key
	Attempts    int             // HTTP attempts made for this id
	At          time.Time       // when Azotte gave the answer; zero when Err is set
}

// Attempt describes one HTTP exchange, for statistics and adaptive pacers.
type Attempt struct {
	ID         string        // the id asked about
	Info       bool          // an info call (who holds ID), not a validate call
	Try        int           // 1 for the first attempt for ID, 2 for the first retry, ...
	Status     int           // HTTP status; 0 when no response arrived
	Latency    time.Duration // from sending the request to reading the body
	Err        error         // transport, timeout or body error; nil otherwise
	RetryAfter time.Duration // parsed Retry-After, 0 when absent
	Budget     Budget        // parsed X-RateLimit-Remaining and -Reset; not OK when absent
	Retry      bool          // the client will try this id again
}

// Pacer decides when the next request may start; it is shared by all workers
// and must be safe for concurrent use.
type Pacer interface {
	Wait(ctx context.Context) error
}

// Feedback is implemented by pacers that adapt to Azotte's answers. When
// Config.Pacer implements it, the client calls Observe after every attempt
// (once per Wait that returned nil), before Config.Observe. Observe must be
// safe for concurrent use.
type Feedback interface {
	Observe(Attempt)
}

// Config configures a Client. Zero values get the defaults New applies.
type Config struct {
	BaseURL           string // e.g. https://acme.sandbox.azotte.com
	Path              string // default DefaultPath
	Tenant            string // sent as x-tn
	APIKey            string // sent as x-api-key; a secret, never printed
	AllowInsecureHTTP bool   // allow http:// to a non-loopback host

	HTTPClient  *http.Client  // nil: a client on NewTransport(Concurrency)
	Concurrency int           // sizes the idle connection pool
	Timeout     time.Duration // per attempt; default 15s
	Retries     int           // further attempts after the first; negative = 0
	BackoffBase time.Duration // first backoff ceiling; default 500ms
	BackoffMax  time.Duration // largest backoff (and Retry-After honoured); default 60s
	GiveUpAfter time.Duration // while requests fail at the transport, how long with nothing answered until Validate returns an *UnreachableError; default 60s

	Pacer   Pacer            // nil: unpaced; also told every attempt if it implements Feedback
	Observe func(Attempt)    // called after every attempt; must be safe for concurrent use
	Now     func() time.Time // the clock that stamps answers (Answer.At); nil: time.Now
}

// refusalWindow is how many first answers, all HTTP 400, make an EndpointError.
const refusalWindow = 20

// Defaults New applies to zero Config fields.
const (
	DefaultTimeout     = 15 * time.Second
	DefaultBackoffBase = 500 * time.Millisecond
	DefaultBackoffMax  = 60 * time.Second
)

const (
	userAgent = "azvalidate"
	// maxBody caps what is read of a response: an answer is tens of bytes,
	// so anything near this is not an answer.
	maxBody = 1 << 20
	// maxDrain bounds what is read past maxBody so the connection can be
	// reused; a longer body costs a new connection instead of a long read.
	maxDrain = 64 << 10
)

// Client makes Azotte's validate call with retries. It is safe for concurrent
// use; one Client is meant to be shared by all workers.
type Client struct {
	cfg      Config
	url      string // BaseURL + Path
	infoURL  string // BaseURL + InfoPath(Path); "" when Path does not end in "validate"
	hc       *http.Client
	feedback Feedback    // cfg.Pacer, when it adapts; nil otherwise
	header   http.Header // every request's headers, built once, cloned per request
	gate     *gate       // holds requests back while Azotte is unreachable
	opener   *opener     // holds requests back until the first has proven the endpoint

	// The first answers, for EndpointError: how many, how many were 400,
	// and whether any was not.
	answers, refused atomic.Int64
	accepted         atomic.Bool
}

func (c *Client) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

// CloseIdleConnections closes the connections kept alive for reuse, so that
// a server shutting down after the run need not wait for them.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// New checks cfg and fills in its defaults. Its errors never contain the key.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("azotte: base URL is required")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("azotte: base URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("azotte: base URL %s: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("azotte: base URL %s has no host", u.Redacted())
	}
	if u.Scheme == "http" && !cfg.AllowInsecureHTTP && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("refusing plain http to host %s: the API key would travel unencrypted; use https or --allow-insecure-http", u.Hostname())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("azotte: base URL %s must not have a query or fragment", u.Redacted())
	}
	if cfg.Tenant == "" {
		return nil, errors.New("azotte: tenant is required")
	}
	if cfg.APIKey == "" {
		return nil, errors.New("azotte: API key is required")
	}

	if cfg.Path == "" {
		cfg.Path = DefaultPath
	}
	if !strings.HasPrefix(cfg.Path, "/") {
		cfg.Path = "/" + cfg.Path
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.GiveUpAfter <= 0 {
		cfg.GiveUpAfter = DefaultGiveUpAfter
	}
	cfg.Retries = max(cfg.Retries, 0)
	hc := cfg.HTTPClient
	if hc == nil {
		// No client-level Timeout: each attempt has its own context deadline,
		// which also covers reading the body.
		hc = &http.Client{Transport: NewTransport(max(cfg.Concurrency, 1)), CheckRedirect: noRedirect}
	}
	fb, _ := cfg.Pacer.(Feedback)
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set("Accept", "application/json")
	header.Set("User-Agent", userAgent)
	header.Set(HeaderTenant, cfg.Tenant)
	header.Set(HeaderAPIKey, cfg.APIKey)
	base := strings.TrimRight(cfg.BaseURL, "/")
	c := &Client{cfg: cfg, url: base + cfg.Path, hc: hc, feedback: fb, header: header}
	if p, ok := InfoPath(cfg.Path); ok {
		c.infoURL = base + p
	}
	c.gate = newGate(cfg.GiveUpAfter, cfg.BackoffBase, min(cfg.BackoffMax, probeMax))
	c.opener = newOpener()
	return c, nil
}

// Validate asks Azotte whether id is free, retrying transient failures.
//
// A row-level failure (no answer after retries, an unexpected 4xx, a
// messageCode other than SUCCESS) is returned in Answer.Err with a nil error.
// An HTTP 400 with Azotte's status envelope is a *RefusedError in
// Answer.Err. The error is non-nil only when the run should stop: a
// *CredentialsError (HTTP 401 or 403), an *EndpointError (the client's
// first 20 answers all HTTP 400), or ctx's error once ctx is done.
func (c *Client) Validate(ctx context.Context, id string) (Answer, error) {
	if !utf8.ValidString(id) {
		// JSON cannot carry these bytes; encoding would send a different id
		// (with U+FFFD) and report its answer as this one's.
		return Answer{Err: errors.New("id is not valid UTF-8: it cannot be sent as JSON")}, nil
	}
	body := requestBody(id)
	r, attempts, err := c.exchange(ctx, id, false, func(actx context.Context) result {
		return c.try(actx, http.MethodPost, c.url, body, judge)
	})
	if err != nil {
		return Answer{Attempts: attempts}, err
	}
	if err := c.checkEndpoint(r.status); err != nil {
		return Answer{Attempts: attempts}, err
	}
	if r.retry { // transient, but out of attempts
		r.answer.Err = r.exhausted(attempts)
	}
	r.answer.Attempts = attempts
	if r.answer.Err == nil {
		r.answer.At = c.now()
	}
	return r.answer, nil
}

// exchange makes attempts with send, each after the pacer's leave, until one
// is final or the id's retries run out, and returns it with the number of
// attempts. The client's first request goes alone (see opener). While
// Azotte is unreachable (the outage gate is closed) it waits rather than
// spend the id's retries on a dead endpoint, or probes with its own
// request. Its error is fatal for the run: ctx's, the pacer's (a
// *PauseError among them), the gate's *UnreachableError, a
// *CredentialsError, or the first request's *EndpointError. Every attempt
// is told to the pacer's Feedback and to Config.Observe.
func (c *Client) exchange(ctx context.Context, id string, info bool, send func(context.Context) result) (result, int, error) {
	first, err := c.opener.wait(ctx)
	if err != nil {
		return result{}, 0, err
	}
	if first {
		defer func() {
			if first { // still undecided: stopped by ctx or the pacer
				c.opener.release()
			}
		}()
	}
	spent := 0            // attempts charged to the id's retries
	var held *heldAttempt // the last attempt, when it closed the outage gate
	for attempt := 1; ; attempt++ {
		probe, err := c.gate.enter(ctx, c.URL(), id)
		if held != nil {
			// The attempt that closed the gate counts, unless another id
			// failed too while it was closed: then the outage made it fail.
			if err == nil && !c.gate.wasDown(held.closure) {
				spent++
			}
			held.a.Retry = err == nil && spent <= c.cfg.Retries
			c.observe(held.a)
			if err == nil && !held.a.Retry {
				if probe {
					c.gate.probed(false, false)
				}
				return held.r, held.a.Try, nil
			}
			held = nil
		}
		if err != nil {
			return result{}, attempt - 1, err
		}
		if c.cfg.Pacer != nil {
			if err := c.cfg.Pacer.Wait(ctx); err != nil {
				if probe {
					c.gate.probed(false, false)
				}
				if ctx.Err() != nil {
					return result{}, attempt - 1, ctx.Err()
				}
				var pause *PauseError
				if errors.As(err, &pause) {
					return result{}, attempt - 1, err
				}
				return result{}, attempt - 1, fmt.Errorf("azotte: pacer: %w", err)
			}
		}
		start := time.Now()
		r := send(ctx)
		cancelled := ctx.Err() != nil
		a := Attempt{ID: id, Info: info, Try: attempt, Status: r.status, Latency: r.latency, Err: r.err,
			RetryAfter: r.retryAfter, Budget: r.budget}
		if first && !cancelled {
			refusal, decided := c.judgeFirst(r, attempt, info)
			if !decided { // no response, for a reason that may pass
				spent++
				a.Retry = true
				c.observe(a)
				if err := sleep(ctx, c.backoff(attempt, 0)); err != nil {
					return result{}, attempt, err
				}
				continue
			}
			c.opener.settle(refusal)
			first = false
			if refusal != nil {
				c.observe(a)
				return result{}, attempt, refusal
			}
		}
		charged := true
		switch {
		case cancelled:
		case r.status == 0 && r.retry: // no HTTP response
			var closure uint64
			charged, closure = c.gate.failed(start, r.cause, id)
			if closure != 0 {
				held = &heldAttempt{a: a, r: r, closure: closure}
				if probe {
					c.gate.probed(true, false)
				}
				continue // observed once the gate has decided
			}
		default:
			c.gate.answered()
		}
		if probe {
			c.gate.probed(!cancelled, r.status != 0)
		}
		if charged {
			spent++
		}
		a.Retry = r.retry && spent <= c.cfg.Retries && !cancelled
		c.observe(a)
		if cancelled {
			return result{}, attempt, ctx.Err()
		}
		if r.status == http.StatusUnauthorized || r.status == http.StatusForbidden {
			return result{}, attempt, &CredentialsError{Status: r.status, Tenant: c.cfg.Tenant}
		}
		if !a.Retry {
			return r, attempt, nil
		}
		if !charged {
			continue // the gate paces the probes
		}
		if err := sleep(ctx, c.backoff(spent, c.retryAfter(r))); err != nil {
			return result{}, attempt, err
		}
	}
}

// retryAfter is how long r asks its id to wait before the next attempt. A
// pacer that adapts holds every request for a Retry-After itself (or stops
// the run when it is too long), so the id need not sleep through it too.
func (c *Client) retryAfter(r result) time.Duration {
	if c.feedback != nil {
		return 0
	}
	return r.retryAfter
}

// exhausted is the error of a transient result once attempts ran out.
func (r result) exhausted(attempts int) error {
	return &exhaustedError{cause: r.cause, attempts: attempts, status: r.err == nil, err: r.err}
}

// observe tells the pacer (when it adapts) and Config.Observe about a.
func (c *Client) observe(a Attempt) {
	if c.feedback != nil {
		c.feedback.Observe(a)
	}
	if c.cfg.Observe != nil {
		c.cfg.Observe(a)
	}
}

// checkEndpoint notes a final answer's status and returns an *EndpointError
// when it is the last of refusalWindow first answers that were all HTTP 400.
func (c *Client) checkEndpoint(status int) error {
	if c.accepted.Load() || c.answers.Load() >= refusalWindow {
		return nil
	}
	if c.answers.Add(1) > refusalWindow {
		return nil
	}
	if status != http.StatusBadRequest {
		c.accepted.Store(true)
		return nil
	}
	if c.refused.Add(1) == refusalWindow && !c.accepted.Load() {
		where := c.url
		if u, err := url.Parse(c.url); err == nil {
			where = u.Redacted() // no password from the base URL in a message
		}
		return &EndpointError{Status: status, Answers: refusalWindow, URL: where}
	}
	return nil
}

// result is one attempt's outcome.
type result struct {
	status     int           // 0 when no response arrived
	header     http.Header   // nil when no response arrived
	latency    time.Duration // request sent to body read
	retryAfter time.Duration // from Retry-After or X-RateLimit-Retry-After
	budget     Budget        // from X-RateLimit-Remaining and -Reset
	err        error         // transport, timeout or body error
	retry      bool          // transient: worth another attempt
	cause      string        // why, when retry: "HTTP 503", "timeout after 15s"
	answer     Answer        // the answer or row error, when not retry (validate)
	owner      Owner         // the same for an info call
}

// try makes one attempt under its own deadline and has judge classify
// the answer. body is nil for a GET.
func (c *Client) try(ctx context.Context, method, url string, body []byte, judge func(*result, []byte)) result {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, url, rd)
	if err != nil { // the URL was checked in New; kept for safety
		return result{err: err, answer: Answer{Err: err}, owner: Owner{Err: err}}
	}
	req.Header = c.header.Clone() // one allocation instead of one per header
	if body == nil {
		req.Header.Del("Content-Type")
	}

	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return result{latency: time.Since(start), err: err, retry: true, cause: c.transportCause(actx, err)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
	_ = resp.Body.Close()
	r := result{
		status:  resp.StatusCode,
		header:  resp.Header,
		latency: time.Since(start),
	}
	now := time.Now()
	if v := resp.Header.Get("Retry-After"); v != "" {
		r.retryAfter, _ = ParseRetryAfter(v, now)
	} else if v := resp.Header.Get(HeaderRateRetryAfter); v != "" {
		r.retryAfter, _ = ParseRetryAfter(v, now)
	}
	r.budget = ParseBudget(resp.Header, now)
	if err != nil { // the body was cut off: as transient as a failed connection
		r.err, r.retry, r.cause = err, true, c.transportCause(actx, err)
		return r
	}
	judge(&r, data)
	return r
}
