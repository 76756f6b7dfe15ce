package azotte_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
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
	// Resets and hangs may close the outage gate; its probes are answered too.
	var probesAnswered atomic.Int64
	c := newClient(t, url, func(c *azotte.Config) {
		c.Retries, c.Concurrency = 10, 8
		c.Observe = func(a azotte.Attempt) {
			if a.ID == azotte.PreflightID && a.Status == http.StatusOK {
				probesAnswered.Add(1)
			}
		}
	})
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
	if want := n + probesAnswered.Load(); s.Answered() != want {
		t.Errorf("sandbox answered %d, want %d (%d ids, %d probes)", s.Answered(), want, n, probesAnswered.Load())
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
			c := newClient(t, serve(t, tt.handler(&n)), nil)
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

// hang answers after a second, or when the client goes away; it answers
// the outage gate's probes at once.
func hang(w http.ResponseWriter, r *http.Request) {
	// The server notices a closed connection only once the body is read.
	body, _ := io.ReadAll(r.Body)
	if strings.Contains(string(body), azotte.PreflightID) {
		_, _ = io.WriteString(w, `{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`)
		return
	}
	select {
	case <-time.After(time.Second):
	case <-r.Context().Done():
	}
}

// TestValidateTimeout: an id whose requests time out while Azotte answers
// others (here the gate's probes, which share the timeout: hence not a
// shorter one) is a row error once its retries are spent.
func TestValidateTimeout(t *testing.T) {
	t.Parallel()
	url := serve(t, http.HandlerFunc(hang))
	c := newClient(t, url, func(c *azotte.Config) { c.Timeout = 250 * time.Millisecond; c.Retries = 1 })
	a, err := c.Validate(t.Context(), "crm-1")
	if err != nil {
		t.Fatalf("Validate error = %v, want a row error", err)
	}
	if a.Err == nil || a.Err.Error() != "timeout after 250ms (2 attempts)" {
		t.Errorf("Answer.Err = %v, want timeout after 250ms (2 attempts)", a.Err)
	}
	if !errors.Is(a.Err, context.DeadlineExceeded) {
		t.Errorf("Answer.Err %v does not unwrap to context.DeadlineExceeded", a.Err)
	}
}

func TestValidateConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	c := newClient(t, url, func(c *azotte.Config) { c.GiveUpAfter = 200 * time.Millisecond })
	a, err := c.Validate(t.Context(), "crm-1")
	var unreachable *azotte.UnreachableError
	if !errors.As(err, &unreachable) || unreachable.Cause != "connection refused" || unreachable.For < 200*time.Millisecond {
		t.Fatalf("Validate = %+v, %v; want an *UnreachableError: connection refused after 200ms", a, err)
	}
	if want := "cannot reach " + url + azotte.DefaultPath + ": connection refused (nothing answered for"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start with %q", err, want)
	}
	if a.Attempts != 1 {
		t.Errorf("%d attempts for the id, want 1: the gate probes while closed, the id waits", a.Attempts)
	}
}

func TestValidateCancel(t *testing.T) {
	t.Parallel()
	for _, during := range []string{"request", "backoff"} {
		t.Run("during "+during, func(t *testing.T) {
			t.Parallel()
			// ready tells that Validate reached the stage to cancel in: the
			// request arrived at the server, or the first attempt's answer
			// was observed and the backoff (an hour) began.
			ready := make(chan struct{}, 1)
			signal := func() {
				select {
				case ready <- struct{}{}:
				default:
				}
			}
			handler := fixed(new(atomic.Int64), 503, "")
			if during == "request" {
				handler = func(w http.ResponseWriter, r *http.Request) { signal(); hang(w, r) }
			}
			c := newClient(t, serve(t, handler), func(c *azotte.Config) {
				c.Retries, c.BackoffBase, c.BackoffMax = 5, time.Hour, time.Hour
				if during == "backoff" {
					c.Observe = func(a azotte.Attempt) {
						if a.Retry {
							signal()
						}
					}
				}
			})
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() {
				_, err := c.Validate(ctx, "crm-1")
				done <- err
			}()
			select {
			case <-ready:
			case err := <-done:
				t.Fatalf("Validate returned %v before it could be cancelled", err)
			}
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Validate error = %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second): // a hang, not a timing assertion
				t.Fatal("Validate did not return after cancel")
			}
		})
	}
}

// countingPacer counts Wait calls and never waits.
type countingPacer struct{ n atomic.Int64 }

func (p *countingPacer) Wait(ctx context.Context) error {
	p.n.Add(1)
	return ctx.Err()
}

func TestValidatePacerAndObserve(t *testing.T) {
	t.Parallel()
	var (
		n        atomic.Int64
		pacer    countingPacer
		mu       sync.Mutex
		attempts []azotte.Attempt
	)
	url := serve(t, fixed(&n, 503, "", "Retry-After: 2"))
	c := newClient(t, url, func(c *azotte.Config) {
		c.Pacer = &pacer
		c.Observe = func(a azotte.Attempt) {
			mu.Lock()
			attempts = append(attempts, a)
			mu.Unlock()
		}
	})
	a, err := c.Validate(t.Context(), "crm-1")
	if err != nil || a.Attempts != 3 {
		t.Fatalf("Validate = %+v, %v; want 3 attempts", a, err)
	}
	if pacer.n.Load() != 3 {
		t.Errorf("Pacer.Wait called %d times, want 3", pacer.n.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(attempts) != 3 {
		t.Fatalf("Observe called %d times, want 3", len(attempts))
	}
	for i, at := range attempts {
		wantRetry := i < 2
		if at.Status != 503 || at.RetryAfter != 2*time.Second || at.Retry != wantRetry || at.Budget.OK || at.Err != nil {
			t.Errorf("attempt %d = %+v, want 503, RetryAfter 2s, Retry %v, no budget", i, at, wantRetry)
		}
	}
}

// feedbackPacer is a countingPacer that also records, per Observe, the
// Wait count at that time and the status observed.
type feedbackPacer struct {
	countingPacer
	mu       sync.Mutex
	observed []azotte.Attempt
	waitsAt  []int64
}

func (p *feedbackPacer) Observe(a azotte.Attempt) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.observed = append(p.observed, a)
	p.waitsAt = append(p.waitsAt, p.n.Load())
}

func TestValidateFeedback(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.Header().Set(azotte.HeaderRateRemaining, "0")
			w.Header().Set(azotte.HeaderRateReset, "1700000030")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set(azotte.HeaderRateRemaining, "7")
		w.Header().Set(azotte.HeaderRateReset, "2.5") // seconds from the answer
		_, _ = io.WriteString(w, `{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`)
	}))
	var pacer feedbackPacer
	var order []string
	c := newClient(t, url, func(c *azotte.Config) {
		c.Pacer = &pacer
		c.Observe = func(a azotte.Attempt) {
			pacer.mu.Lock()
			order = append(order, fmt.Sprintf("observe after %d feedback", len(pacer.observed)))
			pacer.mu.Unlock()
		}
	})
	began := time.Now()
	a, err := c.Validate(t.Context(), "crm-1")
	ended := time.Now()
	if err != nil || a.Err != nil || !a.IsAvailable || a.Attempts != 2 {
		t.Fatalf("Validate = %+v, %v; want available after 2 attempts", a, err)
	}
	pacer.mu.Lock()
	defer pacer.mu.Unlock()
	if len(pacer.observed) != 2 {
		t.Fatalf("Feedback.Observe called %d times, want 2", len(pacer.observed))
	}
	if got := pacer.observed[0]; got.Status != 429 || got.RetryAfter != time.Second || !got.Retry ||
		!got.Budget.OK || got.Budget.Remaining != 0 || !got.Budget.Reset.Equal(time.Unix(1_700_000_030, 0)) {
		t.Errorf("first attempt = %+v, want 429, Retry-After 1s, Retry, a budget of 0 until 1700000030", got)
	}
	if got := pacer.observed[1]; got.Status != 200 || got.Retry || !got.Budget.OK || got.Budget.Remaining != 7 ||
		got.Budget.Reset.Before(began.Add(2500*time.Millisecond)) || got.Budget.Reset.After(ended.Add(2500*time.Millisecond)) {
		t.Errorf("second attempt = %+v, want 200, no retry, a budget of 7 for 2.5s from the answer", got)
	}
	if pacer.waitsAt[0] != 1 || pacer.waitsAt[1] != 2 {
		t.Errorf("Observe came after Wait counts %v, want [1 2] (one Observe per granted Wait)", pacer.waitsAt)
	}
	if want := []string{"observe after 1 feedback", "observe after 2 feedback"}; fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("Config.Observe calls = %q, want %q (feedback first)", order, want)
	}
}

func TestValidatePacerCancelled(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	c := newClient(t, serve(t, fixed(&n, 200, "")), func(c *azotte.Config) { c.Pacer = new(countingPacer) })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Validate(ctx, "crm-1"); !errors.Is(err, context.Canceled) {
		t.Errorf("Validate error = %v, want context.Canceled", err)
	}
	if n.Load() != 0 {
		t.Errorf("%d requests sent after the pacer refused", n.Load())
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  azotte.Config
		err  string // substring; "" = accepted
	}{
		{"https", azotte.Config{BaseURL: "https://acme.sandbox.azotte.com"}, ""},
		{"http localhost", azotte.Config{BaseURL: "http://localhost:8080"}, ""},
		{"http 127.0.0.2", azotte.Config{BaseURL: "http://127.0.0.2:8080"}, ""},
		{"http ::1", azotte.Config{BaseURL: "http://[::1]:8080"}, ""},
		{"http remote", azotte.Config{BaseURL: "http://acme.sandbox.azotte.com"}, "refusing plain http to host acme.sandbox.azotte.com"},
		{"http private IP", azotte.Config{BaseURL: "http://10.0.0.1"}, "refusing plain http"},
		{"http remote allowed", azotte.Config{BaseURL: "http://acme.sandbox.azotte.com", AllowInsecureHTTP: true}, ""},
		{"no base URL", azotte.Config{}, "base URL is required"},
		{"ftp", azotte.Config{BaseURL: "ftp://acme.example"}, "scheme must be http or https"},
		{"no scheme", azotte.Config{BaseURL: "acme.sandbox.azotte.com"}, "scheme must be http or https"},
		{"query", azotte.Config{BaseURL: "https://acme.example/?a=1"}, "query"},
		{"no host", azotte.Config{BaseURL: "http:///validate"}, "has no host"},
		{"no tenant", azotte.Config{BaseURL: "https://acme.example", Tenant: "-"}, "tenant is required"},
		{"no key", azotte.Config{BaseURL: "https://acme.example", APIKey: "-"}, "API key is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			// "-" marks a field the case leaves empty; others get test values.
			for _, f := range []struct {
				p *string
				v string
			}{{&cfg.Tenant, tenant}, {&cfg.APIKey, key}} {
				switch *f.p {
				case "-":
					*f.p = ""
				case "":
					*f.p = f.v
				}
			}
			_, err := azotte.New(cfg)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("New = %v, want accepted", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("New = %v, want an error containing %q", err, tt.err)
			case err != nil && strings.Contains(err.Error(), key):
				t.Errorf("New error %q contains the API key", err)
			}
		})
	}
}

func TestNewTransport(t *testing.T) {
	t.Parallel()
	tr := azotte.NewTransport(300)
	if tr.MaxIdleConnsPerHost < 300 || tr.MaxIdleConns < 300 || tr.MaxConnsPerHost != 0 || !tr.ForceAttemptHTTP2 {
		t.Errorf("NewTransport(300) = idle %d, idle/host %d, conns/host %d, h2 %v",
			tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost, tr.ForceAttemptHTTP2)
	}
	if tr.TLSClientConfig != nil && tr.TLSClientConfig.InsecureSkipVerify {
		t.Error("NewTransport skips TLS verification")
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"1", time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Sunday, 01-Mar-26 12:01:00 GMT", time.Minute, true},
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0, true}, // in the past
		{"", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := azotte.ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
