// Package sandbox imitates Azotte's validate endpoint as an http.Handler:
// auth checks, body checks, a rate limit announced in X-RateLimit headers,
// latency, random transient faults of selectable kinds and permanent faults
// for chosen ids, with counters for tests. It serves `azvalidate sandbox`,
// `validate --sandbox` and the project's tests, and imports only azotte's
// wire types.
//
// # Rate limit and its headers
//
// With Config.Rate > 0 the sandbox enforces a token bucket: Rate tokens
// per second, Burst tokens at most, one token per validate request that
// passes the auth checks; a request finding no token gets 429 with
// Retry-After (whole seconds until the next token, at least 1, or
// Config.RetryAfter when set). Unless
// Config.NoRateLimitHeaders is set, every such request's answer (the 429s
// included) describes that bucket:
//
//	X-RateLimit-Limit      the bucket's size (Burst)
//	X-RateLimit-Remaining  whole tokens left after this request
//	X-RateLimit-Reset      Unix time (seconds, rounded up) at which the bucket will be full again
//
// A 429 also carries X-RateLimit-Retry-After, equal to Retry-After.
//
// This is the bucket itself, not a window imitating it, so turning the
// headers off changes nothing but the hints. A client that spreads
// Remaining evenly until Reset, as Azotte's documentation suggests, never
// runs dry: while the bucket holds T of its B tokens, Reset is (B-T)/Rate
// seconds away, so the client sends T/((B-T)/Rate) per second, which
// exceeds the refill Rate only while T > B/2. Sending faster drains the
// bucket and slows the client down; it settles at Rate with about half the
// bucket in reserve, the headroom that absorbs requests in flight. Rounding
// Reset up to whole seconds only makes the client more careful.
package sandbox

import (
	"bufio"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/azotte/azvalidate/internal/azotte"
)

// maxRequestBody is far above any real request ({"externalId": "..."}).
const maxRequestBody = 64 << 10

// MaxIDBytes is the longest externalId the sandbox accepts, in bytes of
// UTF-8; a longer one, like an empty one, is answered 400 INVALID_REQUEST,
// as Azotte refuses ids it cannot store.
const MaxIDBytes = 255

// Config configures a Server.
type Config struct {
	Tenant, APIKey string          // required; requests must carry exactly these
	Taken          map[string]bool // ids answered isAvailable:false (compared exactly); not modified after New
	// Emails are the emails of the customers holding taken ids, which the
	// info call returns; a taken id without one gets a made-up address.
	// Not modified after New.
	Emails  map[string]string
	Latency time.Duration // mean added delay; each request sleeps uniformly in [Latency/2, 3*Latency/2]

	Rate               float64 // answers per second before 429 (0 = unlimited)
	Burst              int     // token bucket size (default max(1, int(Rate)))
	NoRateLimitHeaders bool    // with Rate > 0, do not send X-RateLimit-* (the 429-only path)
	// RetryAfter, when positive, is the Retry-After of every 429 for
	// exceeding Rate, in whole seconds (rounded up), as a server announcing
	// a fixed penalty sends it; 0: the seconds until the next token. It is
	// also that of injected 429 and 503 faults and FailIDs' (default 1 s):
	// FailRate 1 with Faults {Fault429} and RetryAfter 24h is a spent daily
	// quota.
	RetryAfter time.Duration

	FailRate float64 // probability 0..1 of a random transient fault per validate request
	Faults   []Fault // the kinds FailRate draws from, uniformly; empty: DefaultFaults()
	Seed     int64   // seed of the fault draws (0 = random)

	// FailIDs makes faults permanent for some ids: each listed id is
	// answered with its HTTP status (e.g. 404, 500) and an AzotteStatus
	// envelope naming it, on every request that passes the auth, rate and
	// body checks. A 429 or 503 also carries Retry-After (see RetryAfter). Not modified
	// after New.
	FailIDs map[string]int
}

// Server is the sandbox endpoint. It is safe for concurrent use; its
// counters may be read while it serves.
type Server struct {
	cfg     Config
	faults  []Fault       // cfg.Faults or the default
	limMu   sync.Mutex    // makes taking a token and reading what is left one step
	limiter *rate.Limiter // nil: unlimited; guarded by limMu

	rngMu sync.Mutex
	rng   *rand.Rand // fault draws; guarded by rngMu

	requests, answered atomic.Int64
	infoRequests       atomic.Int64
	throttled, faulted atomic.Int64
}

// New returns a Server for cfg. An empty Tenant or APIKey matches no request.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, faults: cfg.Faults}
	if len(s.faults) == 0 {
		s.faults = DefaultFaults()
	}
	if cfg.Rate > 0 {
		burst := cfg.Burst
		if burst <= 0 {
			burst = max(1, int(cfg.Rate))
		}
		s.limiter = rate.NewLimiter(rate.Limit(cfg.Rate), burst)
	}
	seed := uint64(cfg.Seed)
	if seed == 0 {
		seed = rand.Uint64()
	}
	s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return s
}

// Requests returns how many validate requests arrived, whatever the outcome
// (401, 405, 429, faults included).
func (s *Server) Requests() int64 { return s.requests.Load() }

// InfoRequests returns how many info requests arrived, whatever the outcome.
func (s *Server) InfoRequests() int64 { return s.infoRequests.Load() }

// Answered returns how many 200 SUCCESS answers were given.
func (s *Server) Answered() int64 { return s.answered.Load() }

// Throttled returns how many requests got 429 for exceeding the rate
// (injected 429 faults not included).
func (s *Server) Throttled() int64 { return s.throttled.Load() }

// Faulted returns how many random transient faults were injected.
func (s *Server) Faulted() int64 { return s.faulted.Load() }

// ServeHTTP serves POST on both validate paths, GET on both info paths and
// GET /healthz.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case azotte.DefaultPath, azotte.LegacyPath:
		s.validate(w, r)
	case azotte.DefaultInfoPath, azotte.LegacyInfoPath:
		s.info(w, r)
	case "/healthz":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	default:
		http.NotFound(w, r)
	}
}

// allow answers 405 to a request whose method is not method, and reports
// whether it is.
func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// validate checks a request in the order Azotte would plausibly apply:
// method, auth, rate, content type, body; then a random fault, latency and
// the answer.
func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if !allow(w, r, http.MethodPost) {
		return
	}

	// The body is read here but judged after auth, rate and content type.
	data, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	id, idErr := parseRequest(data)

	if !s.admit(w, r) {
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeStatus(w, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE")
		return
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(readErr, &tooLarge):
		writeStatus(w, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")
		return
	case readErr != nil || idErr != nil:
		writeStatus(w, http.StatusBadRequest, "BAD_REQUEST")
		return
	case id == "" || len(id) > MaxIDBytes:
		writeStatus(w, http.StatusBadRequest, "INVALID_REQUEST")
		return
	}

	if status, ok := s.cfg.FailIDs[id]; ok {
		if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", s.faultRetryAfter())
		}
		writeStatus(w, status, messageCode(status))
		return
	}
	if s.disturbed(w, r) {
		return
	}
	w.Header().Set("Content-Type", azotte.ResponseContentType)
	if s.cfg.Taken[id] {
		_, _ = w.Write(answerTaken)
	} else {
		_, _ = w.Write(answerAvailable)
	}
	s.answered.Add(1)
}

// admit checks a request's tenant, key and rate, in that order, and answers
// it when one fails (403, 401 without a body, 429); it reports whether the
// request may go on. Validate and info requests share the one bucket.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) bool {
	if t := r.Header.Get(azotte.HeaderTenant); t == "" || t != s.cfg.Tenant {
		writeStatus(w, http.StatusForbidden, "FORBIDDEN")
		return false
	}
	if k := r.Header.Get(azotte.HeaderAPIKey); k == "" ||
		subtle.ConstantTimeCompare([]byte(k), []byte(s.cfg.APIKey)) != 1 {
		w.WriteHeader(http.StatusUnauthorized) // Azotte documents 401 without a body
		return false
	}
	if q := s.take(); q.limited {
		if !s.cfg.NoRateLimitHeaders {
			q.setHeaders(w.Header())
		}
		if !q.ok {
			s.throttled.Add(1)
			w.Header().Set("Retry-After", strconv.Itoa(q.retryAfter))
			if !s.cfg.NoRateLimitHeaders {
				w.Header().Set(azotte.HeaderRateRetryAfter, strconv.Itoa(q.retryAfter))
			}
			writeStatus(w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
			return false
		}
	}
	return true
}

// The two possible answers, encoded once.
var (
	answerAvailable = []byte(`{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`)
	answerTaken     = []byte(`{"isAvailable":false,"status":{"messageCode":"SUCCESS"}}`)
)

// parseRequest returns the externalId of a request body; an error when the
// body is not a JSON object with a string externalId.
func parseRequest(data []byte) (string, error) {
	var req struct {
		ExternalID json.RawMessage `json:"externalId"`
	}
	if err := json.Unmarshal(data, &req); err != nil {
		return "", err
	}
	// null would unmarshal into a string without complaint.
	if len(req.ExternalID) == 0 || string(req.ExternalID) == "null" {
		return "", errors.New("externalId missing")
	}
	var id string
	if err := json.Unmarshal(req.ExternalID, &id); err != nil {
		return "", err
	}
	return id, nil
}

// messageCode is the AzotteStatus code for an HTTP status: Azotte's own
// where it documents one, else the status text in upper snake case.
func messageCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "BAD_REQUEST"
	case http.StatusNotFound:
		return "CUSTOMER_NOT_FOUND"
	case http.StatusConflict:
		return "CUSTOMER_ALREADY_STORED"
	case http.StatusTooManyRequests:
		return "TOO_MANY_REQUESTS"
	case http.StatusServiceUnavailable:
		return "SERVICE_UNAVAILABLE"
	}
	if status < 300 || status >= 500 {
		return "INTERNAL_SERVER_ERROR"
	}
	return strings.ToUpper(strings.ReplaceAll(http.StatusText(status), " ", "_"))
}

// writeStatus writes an AzotteStatus envelope with the given code.
func writeStatus(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", azotte.ResponseContentType)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"status":{"messageCode":"`+code+`"}}`)
}

// ReadTaken reads ids for Config.Taken and their holders' emails for
// Config.Emails. Blank (or all white space) lines and lines starting with #
// are skipped, as is a UTF-8 byte order mark. A line is `id,email` when
// what follows its last comma looks like an address (an @ and no white
// space); otherwise it is an id kept exactly as written apart from its line
// ending (\n or \r\n), since Azotte compares ids exactly.
func ReadTaken(r io.Reader) (taken map[string]bool, emails map[string]string, err error) {
	taken, emails = make(map[string]bool), make(map[string]string)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for first := true; sc.Scan(); first = false {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if first {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.LastIndexByte(line, ','); i >= 0 {
			if e := line[i+1:]; strings.Contains(e, "@") && !strings.ContainsAny(e, " \t\v\f") {
				line = line[:i]
				emails[line] = e
			}
		}
		taken[line] = true
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read taken ids: %w", err)
	}
	return taken, emails, nil
}

// Listen opens a TCP listener on addr; "" means a free loopback port.
func Listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	return net.Listen("tcp", addr)
}

// Serve serves s on ln until ctx is done, then shuts down gracefully and
// returns nil. Requests in their latency sleep end at once with a 503.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
		// Request contexts derive from ctx, so shutdown cuts latency sleeps
		// short instead of waiting them out.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close() // handlers did not finish in time; cut them off
	}
	<-errc // http.ErrServerClosed
	return nil
}
