package azotte_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/sandbox"
)

const (
	tenant = "6f1c2a9e-0000-4000-8000-000000000001"
	key    = "sk_dev_acme_sample_123456789"
)

// serve starts h over loopback for the test's lifetime and returns its URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// newSandbox returns a sandbox with the test credentials and "crm-taken"
// taken, plus its URL.
func newSandbox(t *testing.T, cfg sandbox.Config) (*sandbox.Server, string) {
	t.Helper()
	if cfg.Tenant == "" {
		cfg.Tenant, cfg.APIKey = tenant, key
	}
	if cfg.Taken == nil {
		cfg.Taken = map[string]bool{"crm-taken": true}
	}
	s := sandbox.New(cfg)
	return s, serve(t, s)
}

// newClient returns a client for url with fast test settings, then edit.
func newClient(t *testing.T, url string, edit func(*azotte.Config)) *azotte.Client {
	t.Helper()
	cfg := azotte.Config{
		BaseURL:     url,
		Tenant:      tenant,
		APIKey:      key,
		Timeout:     5 * time.Second,
		Retries:     2,
		BackoffBase: time.Millisecond,
		BackoffMax:  5 * time.Millisecond,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := azotte.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fixed answers every request with status, body and extra header lines
// ("Name: value"), counting the requests in n.
func fixed(n *atomic.Int64, status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		for _, h := range headers {
			name, value, _ := strings.Cut(h, ": ")
			w.Header().Set(name, value)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestValidateAnswers(t *testing.T) {
	t.Parallel()
	_, url := newSandbox(t, sandbox.Config{})
	c := newClient(t, url, nil)
	for id, want := range map[string]bool{"crm-1": true, "crm-taken": false, "CRM-TAKEN": true} {
		a, err := c.Validate(t.Context(), id)
		if err != nil || a.Err != nil {
			t.Fatalf("Validate(%q) = %+v, %v", id, a, err)
		}
		if a.IsAvailable != want || a.MessageCode != azotte.MessageSuccess || a.Attempts != 1 {
			t.Errorf("Validate(%q) = %+v, want IsAvailable %v, SUCCESS, 1 attempt", id, a, want)
		}
		if string(a.Status) != `{"messageCode":"SUCCESS"}` {
			t.Errorf("Status = %s, want the envelope as returned", a.Status)
		}
	}
}

func TestValidateSendsContract(t *testing.T) {
	t.Parallel()
	const id = "crm \"9981\" \\ é \x01 \u2028 <&>"
	var (
		mu   sync.Mutex
		got  *http.Request
		body []byte
	)
	s, _ := newSandbox(t, sandbox.Config{})
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, body = r, b
		mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		s.ServeHTTP(w, r)
	}))
	c := newClient(t, url+"/", func(c *azotte.Config) { c.Path = azotte.LegacyPath })
	if a, err := c.Validate(t.Context(), id); err != nil || a.Err != nil || !a.IsAvailable {
		t.Fatalf("Validate = %+v, %v", a, err)
	}

	mu.Lock()
	defer mu.Unlock()
	if got.Method != http.MethodPost || got.URL.Path != azotte.LegacyPath {
		t.Errorf("request %s %s, want POST %s", got.Method, got.URL.Path, azotte.LegacyPath)
	}
	for name, want := range map[string]string{
		"Content-Type":      "application/json",
		"Accept":            "application/json",
		"User-Agent":        "azvalidate",
		azotte.HeaderTenant: tenant,
		azotte.HeaderAPIKey: key,
	} {
		if v := got.Header.Get(name); v != want {
			t.Errorf("header %s = %q, want %q", name, v, want)
		}
	}
	var req azotte.ValidateRequest
	if err := json.Unmarshal(body, &req); err != nil || req.ExternalID != id {
		t.Errorf("body %s decodes to %q, %v; want %q", body, req.ExternalID, err, id)
	}
	if s.Requests() != 1 || s.Answered() != 1 {
		t.Errorf("sandbox saw %d requests and answered %d, want 1 and 1", s.Requests(), s.Answered())
	}
}

func TestValidateCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    sandbox.Config
		status int
	}{
		{"wrong key", sandbox.Config{Tenant: tenant, APIKey: "sk_other"}, http.StatusUnauthorized},
		{"wrong tenant", sandbox.Config{Tenant: "other-tenant", APIKey: key}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, url := newSandbox(t, tt.cfg)
			c := newClient(t, url, func(c *azotte.Config) { c.Retries = 5 })
			a, err := c.Validate(t.Context(), "crm-1")
			var ce *azotte.CredentialsError
			if !errors.As(err, &ce) || ce.Status != tt.status || ce.Tenant != tenant {
				t.Fatalf("Validate error = %v, want *CredentialsError %d", err, tt.status)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("error %q contains the API key", err)
			}
			if a.Attempts != 1 || s.Requests() != 1 {
				t.Errorf("Attempts %d, requests %d; want 1, 1 (no retry)", a.Attempts, s.Requests())
			}
		})
	}
}

func TestValidateSurvivesFaults(t *testing.T) {
	t.Parallel()
	s, url := newSandbox(t, sandbox.Config{FailRate: 0.5, Seed: 1})
	// Resets and hangs may close the outage gate; its probes are requests
	// about the ids, answered once.
	c := newClient(t, url, func(c *azotte.Config) { c.Retries, c.Concurrency = 10, 8 })
	const n = 64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := "crm-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
			a, err := c.Validate(t.Context(), id)
			if err != nil || a.Err != nil || !a.IsAvailable {
				t.Errorf("Validate(%q) = %+v, %v", id, a, err)
			}
		})
	}
	wg.Wait()
	if s.Answered() != n {
		t.Errorf("sandbox answered %d, want %d: each id once", s.Answered(), n)
	}
	if s.Requests() <= n {
		t.Errorf("sandbox saw %d requests for %d ids; want retries", s.Requests(), n)
	}
}

func TestValidateRowErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		handler  func(*atomic.Int64) http.Handler
		id       string
		err      string // substring of Answer.Err
		code     string // Answer.MessageCode
		attempts int    // with Retries 2
	}{
		{
			name:    "permanent 503",
			handler: func(n *atomic.Int64) http.Handler { return fixed(n, 503, "", "Retry-After: 1") },
			err:     "HTTP 503 after 3 attempts", attempts: 3,
		},
		{
			name: "500 with messageCode",
			handler: func(n *atomic.Int64) http.Handler {
				return fixed(n, 500, `{"status":{"messageCode":"SQL_DATABASE_FAILURE"}}`)
			},
			err: "HTTP 500 SQL_DATABASE_FAILURE after 3 attempts", code: "SQL_DATABASE_FAILURE", attempts: 3,
		},
		{
			name: "404 not retried",
			handler: func(n *atomic.Int64) http.Handler {
				return fixed(n, 404, `{"status":{"messageCode":"CUSTOMER_NOT_FOUND"}}`)
			},
			err: "HTTP 404 CUSTOMER_NOT_FOUND", code: "CUSTOMER_NOT_FOUND", attempts: 1,
		},
		{
			name:    "409 without body",
			handler: func(n *atomic.Int64) http.Handler { return fixed(n, 409, "") },
			err:     "HTTP 409", attempts: 1,
		},
		{
			name: "200 with other messageCode",
			handler: func(n *atomic.Int64) http.Handler {
				return fixed(n, 200, `{"isAvailable":false,"status":{"messageCode":"INVALID_REQUEST"}}`)
			},
			err: "messageCode INVALID_REQUEST", code: "INVALID_REQUEST", attempts: 1,
		},
		{
			name: "200 with HTML",
			handler: func(n *atomic.Int64) http.Handler {
				return fixed(n, 200, "<html>maintenance</html>", "Content-Type: text/html")
			},
			err: "HTTP 200 with unexpected body: not JSON", attempts: 3,
		},
		{
			name:    "200 truncated",
			handler: func(n *atomic.Int64) http.Handler { return fixed(n, 200, `{"isAvailable":tr`) },
			err:     "HTTP 200 with unexpected body: truncated JSON (3 attempts)", attempts: 3,
		},
		{
			name: "200 without isAvailable",
			handler: func(n *atomic.Int64) http.Handler {
				return fixed(n, 200, `{"status":{"messageCode":"SUCCESS"}}`)
			},
			err: "no isAvailable", code: "SUCCESS", attempts: 3,
		},
		{
			name: "redirect not followed",
			handler: func(n *atomic.Int64) http.Handler {
				return fixed(n, 307, "", "Location: https://elsewhere.example/validate")
			},
			err: "HTTP 307: redirect to https://elsewhere.example/validate not followed", attempts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int64
			c := newClient(t, serve(t, provenFirst(tt.handler(&n))), nil)
			if a, err := c.Validate(t.Context(), "crm-0"); err != nil || a.Err != nil {
				t.Fatalf("Validate(crm-0) = %+v, %v; want an answer", a, err)
			}
			a, err := c.Validate(t.Context(), "crm-1")
			if err != nil {
				t.Fatalf("Validate error = %v, want a row error", err)
			}
			if a.Err == nil || !strings.Contains(a.Err.Error(), tt.err) {
				t.Errorf("Answer.Err = %v, want it to contain %q", a.Err, tt.err)
			}
			if a.MessageCode != tt.code {
				t.Errorf("MessageCode = %q, want %q", a.MessageCode, tt.code)
			}
			if a.Attempts != tt.attempts || n.Load() != int64(tt.attempts) {
				t.Errorf("Attempts = %d, requests = %d, want %d", a.Attempts, n.Load(), tt.attempts)
			}
		})
	}
}

// provenFirst answers requests about crm-0 as available and passes the
// others to h: a client's first request, which proves the endpoint, then
// the answers under test.
func provenFirst(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `"crm-0"`) {
			_, _ = io.WriteString(w, `{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	})
}

// TestFirstAnswer: the client's first answer proves the endpoint or stops
// every request: a redirect, a 404 or 405 (not the validate call) and a
// refused key are fatal, with no other request made; a busy 503 proves
// Azotte is there.
func TestFirstAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		status  int
		headers []string
		want    string // the fatal error; "" for a row error
	}{
		{"redirect", 308, []string{"Location: https://elsewhere.example/validate"}, "answered HTTP 308, a redirect to https://elsewhere.example/validate (not followed: it would carry the key); check --base-url"},
		{"not found", 404, nil, "answered HTTP 404: it is not Azotte's validate call; check --base-url and --path"},
		{"method not allowed", 405, nil, "answered HTTP 405: it is not Azotte's validate call"},
		{"wrong key", 401, nil, "azotte refused the credentials (HTTP 401)"},
		{"busy", 503, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int64
			c := newClient(t, serve(t, fixed(&n, tc.status, "", tc.headers...)), func(c *azotte.Config) { c.Retries = 1 })
			a, err := c.Validate(t.Context(), "crm-1")
			if tc.want == "" {
				if err != nil || a.Err == nil {
					t.Fatalf("Validate = %+v, %v; want a row error", a, err)
				}
				if _, err := c.Validate(t.Context(), "crm-2"); err != nil {
					t.Errorf("second Validate: %v, want a row error", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate error %v, want %q", err, tc.want)
			}
			if _, err2 := c.Validate(t.Context(), "crm-2"); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("second Validate: %v, want the first's error", err2)
			}
			if n.Load() != 1 {
				t.Errorf("%d requests, want 1", n.Load())
			}
		})
	}
}

func TestValidateEmptyIDFromSandbox(t *testing.T) {
	t.Parallel()
	s, url := newSandbox(t, sandbox.Config{})
	a, err := newClient(t, url, nil).Validate(t.Context(), "")
	var refused *azotte.RefusedError
	if err != nil || !errors.As(a.Err, &refused) || refused.MessageCode != "INVALID_REQUEST" || a.Attempts != 1 {
		t.Fatalf("Validate(\"\") = %+v, %v; want a RefusedError INVALID_REQUEST in 1 attempt", a, err)
	}
	if got, want := a.Err.Error(), "Azotte refused the id: 400 INVALID_REQUEST"; got != want {
		t.Errorf("Err = %q, want %q", got, want)
	}
	if s.Requests() != 1 {
		t.Errorf("requests = %d, want 1", s.Requests())
	}
}

// A 400 without Azotte's envelope (a proxy's page) is no refusal of the id:
// it stays an HTTP error.
func TestValidate400WithoutEnvelope(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	a, err := newClient(t, serve(t, fixed(&n, 400, "<html>bad request</html>")), nil).Validate(t.Context(), "crm-1")
	var refused *azotte.RefusedError
	if err != nil || a.Err == nil || errors.As(a.Err, &refused) || a.Err.Error() != "HTTP 400" {
		t.Errorf("Validate = %+v, %v; want the row error HTTP 400, not a refusal", a, err)
	}
}

// A client whose first 20 answers are all 400 stops the run; one other
// answer among them makes 400s row findings for good.
func TestValidateEveryRequestRefused(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	c := newClient(t, serve(t, fixed(&n, 400, `{"status":{"messageCode":"BAD_REQUEST"}}`)), nil)
	for i := 1; i <= 19; i++ {
		a, err := c.Validate(t.Context(), fmt.Sprintf("crm-%d", i))
		if err != nil || a.Err == nil {
			t.Fatalf("answer %d: %+v, %v; want a row refusal", i, a, err)
		}
	}
	_, err := c.Validate(t.Context(), "crm-20")
	var ep *azotte.EndpointError
	if !errors.As(err, &ep) || !strings.Contains(err.Error(), "check --base-url and --path") {
		t.Fatalf("20th answer: error %v, want an EndpointError", err)
	}
	if strings.Contains(err.Error(), key) {
		t.Error("the key leaked into the error")
	}

	var served atomic.Int64
	mixed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) == 5 {
			_, _ = io.WriteString(w, `{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`)
			return
		}
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"status":{"messageCode":"INVALID_REQUEST"}}`)
	})
	c = newClient(t, serve(t, mixed), nil)
	for i := 1; i <= 40; i++ {
		if _, err := c.Validate(t.Context(), fmt.Sprintf("crm-%d", i)); err != nil {
			t.Fatalf("answer %d: %v; one answer was not 400, so none is fatal", i, err)
		}
	}
}

func (p *countingPacer) Wait(ctx context.Context) error {
	p.n.Add(1)
	return ctx.Err()
}

func (p *feedbackPacer) Observe(a azotte.Attempt) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.observed = append(p.observed, a)
	p.waitsAt = append(p.waitsAt, p.n.Load())
}
