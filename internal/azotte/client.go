package azotte

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
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

// CredentialsError is Azotte refusing the tenant or key (HTTP 401 or 403).
// It is fatal for a run: every further call would be refused too.
type CredentialsError struct {
	Status int
	Tenant string
}

func (e *CredentialsError) Error() string {
	return fmt.Sprintf("azotte refused the credentials (HTTP %d) for tenant %q: check --tenant/AZOTTE_TENANT and the key in AZOTTE_API_KEY or --api-key-file", e.Status, e.Tenant)
}

// RefusedError is Azotte refusing one id with HTTP 400 and its status
// envelope (BAD_REQUEST, INVALID_REQUEST, e.g. an id too long): a finding
// about the row, not a failure to retry, as asking again gets the same.
type RefusedError struct {
	Status      int
	MessageCode string
}

func (e *RefusedError) Error() string {
	return "Azotte refused the id: " + strings.TrimPrefix(statusText(e.Status, e.MessageCode), "HTTP ")
}

// EndpointError is every one of a client's first answers being HTTP 400:
// the requests, not the ids, are wrong (a path or base URL that reaches
// something other than the validate call). It is fatal for a run.
type EndpointError struct {
	Status  int    // 400
	Answers int    // how many answers were all refused
	URL     string // where the requests went
}

func (e *EndpointError) Error() string {
	return fmt.Sprintf("every request was refused (HTTP %d, the first %d answers from %s): check --base-url and --path", e.Status, e.Answers, e.URL)
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
	c.gate = newGate(cfg.GiveUpAfter, cfg.BackoffBase, min(cfg.BackoffMax, probeMax), c.probe)
	return c, nil
}

// noRedirect stops the default client from following redirects: it would
// resend x-api-key to wherever the Location points, and Go strips only its
// own well-known secret headers on a cross-host redirect.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// isLoopback reports whether host is localhost or a loopback address
// (127.0.0.0/8, ::1), the only hosts plain http may reach by default.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// NewTransport returns a clone of http.DefaultTransport (proxy from the
// environment, verified TLS, HTTP/2) whose idle pool keeps at least conns
// connections to one host, so that conns workers reuse their connections
// instead of opening new ones.
func NewTransport(conns int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	conns = max(conns, 1)
	t.MaxIdleConns = max(t.MaxIdleConns, conns)
	t.MaxIdleConnsPerHost = max(conns, http.DefaultMaxIdleConnsPerHost)
	t.MaxConnsPerHost = 0
	t.ForceAttemptHTTP2 = true
	return t
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
// attempts. While Azotte is unreachable (the outage gate is closed) it waits
// rather than spend the id's retries on a dead endpoint. Its error is fatal
// for the run: ctx's, the pacer's, the gate's *UnreachableError, or a
// *CredentialsError. Every attempt is told to the pacer's Feedback and to
// Config.Observe.
func (c *Client) exchange(ctx context.Context, id string, info bool, send func(context.Context) result) (result, int, error) {
	spent := 0            // attempts charged to the id's retries
	var held *heldAttempt // the last attempt, when it closed the outage gate
	for attempt := 1; ; attempt++ {
		// While Azotte is unreachable, wait here (the gate probes) rather
		// than spend the id's retries on a dead endpoint.
		err := c.gate.enter(ctx, c.URL())
		if held != nil {
			// The attempt that closed the gate counts, unless the gate's
			// probes found Azotte down: then the outage made it fail.
			if err == nil && !c.gate.wasDown(held.closure) {
				spent++
			}
			held.a.Retry = err == nil && spent <= c.cfg.Retries
			c.observe(held.a)
			if err == nil && !held.a.Retry {
				return held.r, held.a.Try, nil
			}
			held = nil
		}
		if err != nil {
			return result{}, attempt - 1, err
		}
		if c.cfg.Pacer != nil {
			if err := c.cfg.Pacer.Wait(ctx); err != nil {
				if ctx.Err() != nil {
					return result{}, attempt - 1, ctx.Err()
				}
				return result{}, attempt - 1, fmt.Errorf("azotte: pacer: %w", err)
			}
		}
		start := time.Now()
		r := send(ctx)
		cancelled := ctx.Err() != nil
		a := Attempt{ID: id, Info: info, Try: attempt, Status: r.status, Latency: r.latency, Err: r.err,
			RetryAfter: r.retryAfter, Budget: r.budget}
		charged := true
		switch {
		case cancelled:
		case r.status == 0 && r.retry: // no HTTP response
			var closure uint64
			charged, closure = c.gate.failed(start, r.cause)
			if closure != 0 {
				held = &heldAttempt{a: a, r: r, closure: closure}
				continue // observed once the gate has decided
			}
		default:
			c.gate.answered()
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
		if err := sleep(ctx, c.backoff(spent, r.retryAfter)); err != nil {
			return result{}, attempt, err
		}
	}
}

// exhausted is the error of a transient result once attempts ran out.
func (r result) exhausted(attempts int) error {
	return &exhaustedError{cause: r.cause, attempts: attempts, status: r.err == nil, err: r.err}
}

// heldAttempt is an attempt that closed the outage gate, kept until the gate tells
// whether it counts against the id's retries.
type heldAttempt struct {
	a       Attempt
	r       result
	closure uint64
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

// requestBody encodes {"externalId": id}. json.Marshal of a string escapes
// exactly what JSON requires (strconv.Quote's Go escapes are not all JSON).
func requestBody(id string) []byte {
	const pre, post = `{"externalId":"`, `"}`
	if plainJSON(id) {
		// The common case (crm-1001): nothing to escape, so no encoder.
		b := make([]byte, 0, len(pre)+len(id)+len(post))
		return append(append(append(b, pre...), id...), post...)
	}
	q, _ := json.Marshal(id) // a valid UTF-8 string always encodes
	b := make([]byte, 0, len(q)+16)
	b = append(b, `{"externalId":`...)
	b = append(b, q...)
	return append(b, '}')
}

// plainJSON reports whether s can stand between JSON quotes as it is: printable
// ASCII without a quote or backslash (and without <, >, & which encoding/json
// would escape, so that both paths send the same bytes).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
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

// judge classifies a response by status and body, following Azotte's
// documentation: 2xx + SUCCESS is an answer; 429 and 5xx gateway errors are
// transient; any other status is a row error (401/403 are handled by the
// caller). The content type is ignored: Azotte's own is not application/json.
func judge(r *result, data []byte) {
	v, parseErr := parseBody(data)
	r.answer = Answer{MessageCode: v.code, Status: v.status}
	switch s := r.status; {
	case s >= 200 && s < 300:
		switch {
		case parseErr != nil:
			r.err = parseErr
			r.retry = true
			r.cause = fmt.Sprintf("HTTP %d with unexpected body: %v", s, parseErr)
		case v.code != "" && v.code != MessageSuccess:
			r.answer.Err = fmt.Errorf("messageCode %s", v.code)
		case v.isAvailable == nil:
			r.err = errors.New("no isAvailable")
			r.retry = true
			r.cause = fmt.Sprintf("HTTP %d with unexpected body: no isAvailable", s)
		case v.code == "":
			r.answer.Err = errors.New("answer without messageCode")
		default:
			r.answer.IsAvailable = *v.isAvailable
		}
	case s == http.StatusTooManyRequests, s == http.StatusInternalServerError, s == http.StatusBadGateway,
		s == http.StatusServiceUnavailable, s == http.StatusGatewayTimeout:
		r.retry = true
		r.cause = statusText(s, v.code)
	case s == http.StatusBadRequest && v.code != "":
		r.answer.Err = &RefusedError{Status: s, MessageCode: v.code}
	case s >= 300 && s < 400 && r.header.Get("Location") != "":
		r.answer.Err = fmt.Errorf("%s: redirect to %s not followed", statusText(s, v.code), r.header.Get("Location"))
	default:
		r.answer.Err = errors.New(statusText(s, v.code))
	}
}

// statusText is "HTTP 404" or "HTTP 404 CUSTOMER_NOT_FOUND".
func statusText(status int, code string) string {
	if code == "" {
		return "HTTP " + strconv.Itoa(status)
	}
	return "HTTP " + strconv.Itoa(status) + " " + code
}

// body is what parseBody found; code and status are filled in even when
// err is set, as far as the body allowed.
type body struct {
	isAvailable *bool
	code        string
	status      json.RawMessage
}

// parseBody parses a ValidateResponse. Its error is a short reason fit for
// a row's detail.
func parseBody(data []byte) (body, error) {
	if len(data) > maxBody {
		return body{}, errors.New("larger than 1 MiB")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return body{}, errors.New("empty body")
	}
	if b, ok := parseCompact(data); ok {
		return b, nil
	}
	var v ValidateResponse
	if err := json.Unmarshal(data, &v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn) && truncated(data):
			return body{}, errors.New("truncated JSON")
		case errors.As(err, &syn):
			return body{}, fmt.Errorf("not JSON: %q", excerpt(data))
		case errors.As(err, &typ) && typ.Field != "":
			return body{}, fmt.Errorf("%s is a JSON %s", typ.Field, typ.Value)
		case errors.As(err, &typ):
			return body{}, fmt.Errorf("a JSON %s, not an object", typ.Value)
		default:
			return body{}, err
		}
	}
	b := body{isAvailable: v.IsAvailable}
	if len(v.Status) > 0 && string(v.Status) != "null" {
		b.status = v.Status
		var s Status
		if err := json.Unmarshal(v.Status, &s); err != nil {
			return b, errors.New("status is not an object")
		}
		b.code = s.MessageCode
	}
	return b, nil
}

// truncated reports whether data is the start of a JSON value cut short.
// Unmarshal does not tell (a cut in a literal is an "invalid character");
// a Decoder does, with io.ErrUnexpectedEOF.
func truncated(data []byte) bool {
	var v json.RawMessage
	return errors.Is(json.NewDecoder(bytes.NewReader(data)).Decode(&v), io.ErrUnexpectedEOF)
}

// excerpt returns the start of a body for an error message.
func excerpt(data []byte) string {
	const n = 40
	data = bytes.TrimSpace(data)
	if len(data) <= n {
		return string(data)
	}
	return strings.ToValidUTF8(string(data[:n]), "") + "..."
}

// transportCause says briefly why no (complete) response arrived.
func (c *Client) transportCause(actx context.Context, err error) string {
	if errors.Is(actx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("timeout after %v", c.cfg.Timeout)
	}
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the server"
	case errors.As(err, &dns):
		return fmt.Sprintf("DNS lookup of %s: %s", dns.Name, dns.Err)
	}
	if s, ok := tlsCause(err); ok {
		return s
	}
	// url.Error repeats the method and URL; the inner error is the news.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// exhaustedError is a row's error once retries ran out. It unwraps to the
// last transport or body error, if any, so errors.Is finds timeouts.
type exhaustedError struct {
	cause    string
	attempts int
	status   bool // cause is a bare HTTP status
	err      error
}

func (e *exhaustedError) Error() string {
	n := strconv.Itoa(e.attempts) + " attempts"
	if e.attempts == 1 {
		n = "1 attempt"
	}
	if e.status {
		return e.cause + " after " + n // HTTP 503 after 6 attempts
	}
	return e.cause + " (" + n + ")" // timeout after 15s (6 attempts)
}

func (e *exhaustedError) Unwrap() error { return e.err }

// backoff returns how long to wait after the given attempt (1-based): full
// jitter over an exponentially growing ceiling, but at least what the server
// asked for in Retry-After; both capped to BackoffMax.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	ceiling := c.cfg.BackoffBase
	for i := 1; i < attempt && ceiling < c.cfg.BackoffMax; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, c.cfg.BackoffMax)
	return max(rand.N(ceiling+1), min(retryAfter, c.cfg.BackoffMax))
}

// sleep waits d or until ctx is done, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ParseRetryAfter parses a Retry-After value, either delay-seconds or an
// HTTP-date (then relative to now; a date in the past is 0). ok is false
// when v is neither.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	// ParseUint gives its maximum on overflow: a huge delay stays huge.
	if n, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		return time.Duration(min(n, math.MaxInt64/uint64(time.Second))) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// parseCompact reads the answer as Azotte and the sandbox send it,
// {"isAvailable":B,"status":{"messageCode":"C"}} with no white space and C
// without escapes, without encoding/json's reflection. ok is false for any
// other body, which parseBody then decodes in full.
func parseCompact(data []byte) (b body, ok bool) {
	const head, mid, code, tail = `{"isAvailable":`, `,"status":`, `{"messageCode":"`, `"}}`
	rest, found := bytes.CutPrefix(data, []byte(head))
	if !found {
		return body{}, false
	}
	var avail bool
	switch {
	case bytes.HasPrefix(rest, []byte("true")):
		avail, rest = true, rest[4:]
	case bytes.HasPrefix(rest, []byte("false")):
		rest = rest[5:]
	default:
		return body{}, false
	}
	if rest, found = bytes.CutPrefix(rest, []byte(mid)); !found {
		return body{}, false
	}
	status := rest
	if rest, found = bytes.CutPrefix(rest, []byte(code)); !found {
		return body{}, false
	}
	c, found := bytes.CutSuffix(rest, []byte(tail))
	if !found || bytes.ContainsAny(c, "\\\"") || !utf8.Valid(c) {
		return body{}, false
	}
	status = status[:len(status)-1] // without the outer closing brace
	for _, ch := range c {
		if ch < 0x20 {
			return body{}, false
		}
	}
	b.isAvailable = &avail
	b.status = json.RawMessage(status)
	b.code = string(c)
	return b, true
}
