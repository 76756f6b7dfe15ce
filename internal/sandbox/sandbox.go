// Package sandbox imitates Azotte's validate endpoint as an http.Handler:
// auth checks, body checks, a rate limit, latency and random transient faults,
// with counters for tests. It serves `azvalidate sandbox`, `validate
// --sandbox` and the project's tests, and imports only azotte's wire types.
package sandbox

import (
	"bufio"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
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

// Config configures a Server.
type Config struct {
	Tenant, APIKey string          // required; requests must carry exactly these
	Taken          map[string]bool // ids answered isAvailable:false (compared exactly); not modified after New
	Latency        time.Duration   // mean added delay; each request sleeps uniformly in [Latency/2, 3*Latency/2]
	Rate           float64         // answers per second before 429 (0 = unlimited)
	Burst          int             // token bucket burst (default max(1, int(Rate)))
	FailRate       float64         // probability 0..1 of a random transient fault per validate request
	Seed           int64           // seed of the fault draws (0 = random)
}

// Server is the sandbox endpoint. It is safe for concurrent use; its
// counters may be read while it serves.
type Server struct {
	cfg     Config
	limiter *rate.Limiter // nil: unlimited

	rngMu sync.Mutex
	rng   *rand.Rand // fault draws; guarded by rngMu

	requests, answered    atomic.Int64
	inFlight, maxInFlight atomic.Int64

	callsMu sync.Mutex
	// calls counts requests per id. Keys are hashes of the ids, not the ids,
	// so that a long in-process run costs ~20 bytes per distinct id instead
	// of a copy of every id; a 64-bit collision is negligible for tests.
	calls    map[uint64]int
	hashSeed maphash.Seed
}

// New returns a Server for cfg. An empty Tenant or APIKey matches no request.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, calls: make(map[uint64]int), hashSeed: maphash.MakeSeed()}
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

// Answered returns how many 200 SUCCESS answers were given.
func (s *Server) Answered() int64 { return s.answered.Load() }

// MaxInFlight returns the highest number of validate requests being handled
// at once so far.
func (s *Server) MaxInFlight() int64 { return s.maxInFlight.Load() }

// Calls returns how many validate requests carried id in their body,
// whatever the outcome.
func (s *Server) Calls(id string) int {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	return s.calls[maphash.String(s.hashSeed, id)]
}

// ServeHTTP serves POST on both validate paths and GET /healthz.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case azotte.DefaultPath, azotte.LegacyPath:
		s.validate(w, r)
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

// validate checks a request in the order Azotte would plausibly apply:
// method, auth, rate, content type, body; then a random fault, latency and
// the answer.
func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxInFlight.Load()
		if n <= m || s.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}

	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	// The body is read before the auth check only so that Calls counts
	// every request that carried an id, refused ones included; it is still
	// judged after auth, rate and content type.
	data, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	id, idErr := parseRequest(data)
	if idErr == nil {
		s.count(id)
	}

	if t := r.Header.Get(azotte.HeaderTenant); t == "" || t != s.cfg.Tenant {
		writeStatus(w, http.StatusForbidden, "FORBIDDEN")
		return
	}
	if k := r.Header.Get(azotte.HeaderAPIKey); k == "" ||
		subtle.ConstantTimeCompare([]byte(k), []byte(s.cfg.APIKey)) != 1 {
		w.WriteHeader(http.StatusUnauthorized) // Azotte documents 401 without a body
		return
	}
	if wait, ok := s.allow(); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		writeStatus(w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
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
	case id == "":
		writeStatus(w, http.StatusBadRequest, "INVALID_REQUEST")
		return
	}

	if s.fault(w) {
		return
	}
	if !s.delay(r.Context()) {
		// Client gone or server shutting down; a client still listening
		// should retry rather than read an empty 200.
		w.Header().Set("Retry-After", "1")
		writeStatus(w, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
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

func (s *Server) count(id string) {
	h := maphash.String(s.hashSeed, id)
	s.callsMu.Lock()
	s.calls[h]++
	s.callsMu.Unlock()
}

// allow takes a token from the rate limiter. When none is left it returns
// false and the whole seconds (at least 1) until one will be.
func (s *Server) allow() (retryAfter int, ok bool) {
	if s.limiter == nil {
		return 0, true
	}
	now := time.Now()
	if s.limiter.AllowN(now, 1) {
		return 0, true
	}
	missing := 1 - s.limiter.TokensAt(now)
	return max(1, int(math.Ceil(missing/s.cfg.Rate))), false
}

// fault draws whether this request fails transiently and, if so, writes
// one of the faults a client must survive. It reports whether it did.
func (s *Server) fault(w http.ResponseWriter) bool {
	if s.cfg.FailRate <= 0 {
		return false
	}
	s.rngMu.Lock()
	hit := s.rng.Float64() < s.cfg.FailRate
	kind := s.rng.IntN(4)
	s.rngMu.Unlock()
	if !hit {
		return false
	}
	switch kind {
	case 0:
		writeStatus(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR")
	case 1: // what a proxy in front of the API sends
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>\n")
	case 2:
		w.Header().Set("Retry-After", "1")
		writeStatus(w, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	default: // a 200 cut short, with a matching Content-Length
		w.Header().Set("Content-Type", azotte.ResponseContentType)
		_, _ = w.Write(answerAvailable[:len(answerAvailable)/2])
	}
	return true
}

// delay sleeps the configured latency with jitter; false if ctx ended first.
func (s *Server) delay(ctx context.Context) bool {
	if s.cfg.Latency <= 0 {
		return true
	}
	d := s.cfg.Latency/2 + rand.N(s.cfg.Latency+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// writeStatus writes an AzotteStatus envelope with the given code.
func writeStatus(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", azotte.ResponseContentType)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"status":{"messageCode":"`+code+`"}}`)
}

// ReadTaken reads ids, one per line, for Config.Taken. Blank (or all white
// space) lines and lines starting with # are skipped, as is a UTF-8 byte order
// mark; otherwise a line is kept exactly as written apart from its line ending
// (\n or \r\n), since Azotte compares ids exactly.
func ReadTaken(r io.Reader) (map[string]bool, error) {
	taken := make(map[string]bool)
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
		taken[line] = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read taken ids: %w", err)
	}
	return taken, nil
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
