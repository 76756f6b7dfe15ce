package azotte_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
)

// hang answers requests about crm-slow after a second, or when the client
// goes away; it answers every other id at once.
func hang(w http.ResponseWriter, r *http.Request) {
	// The server notices a closed connection only once the body is read.
	body, _ := io.ReadAll(r.Body)
	if !strings.Contains(string(body), `"crm-slow"`) {
		_, _ = io.WriteString(w, `{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`)
		return
	}
	select {
	case <-time.After(time.Second):
	case <-r.Context().Done():
	}
}

// TestValidateTimeout: an id whose requests time out while Azotte answers
// others is a row error once its retries are spent.
func TestValidateTimeout(t *testing.T) {
	t.Parallel()
	url := serve(t, http.HandlerFunc(hang))
	c := newClient(t, url, func(c *azotte.Config) { c.Timeout = 250 * time.Millisecond; c.Retries = 1 })
	if a, err := c.Validate(t.Context(), "crm-1"); err != nil || a.Err != nil {
		t.Fatalf("Validate(crm-1) = %+v, %v; want an answer", a, err)
	}
	a, err := c.Validate(t.Context(), "crm-slow")
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
	c := newClient(t, url, func(c *azotte.Config) { c.GiveUpAfter = time.Hour })
	a, err := c.Validate(t.Context(), "crm-1")
	var unreachable *azotte.UnreachableError
	if !errors.As(err, &unreachable) || unreachable.Cause != "connection refused" {
		t.Fatalf("Validate = %+v, %v; want an *UnreachableError: connection refused", a, err)
	}
	// The first request finds it: no waiting for GiveUpAfter, no retry.
	if want := "cannot reach " + url + azotte.DefaultPath + ": connection refused"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if a.Attempts != 1 {
		t.Errorf("%d attempts, want 1: nothing listens, asking again cannot help", a.Attempts)
	}
	// Every later request gets the same error without one of its own.
	if _, err := c.Validate(t.Context(), "crm-2"); !errors.As(err, &unreachable) {
		t.Errorf("second Validate: %v, want the *UnreachableError", err)
	}
}

// TestFirstRequestTimesOut: the client's first request times out three
// times: Azotte is unreachable, and the requests waiting behind it return
// that without a request of their own.
func TestFirstRequestTimesOut(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = io.ReadAll(r.Body)
		<-r.Context().Done() // never answers
	}))
	c := newClient(t, url, func(c *azotte.Config) { c.Timeout, c.Retries, c.Concurrency = 100*time.Millisecond, 5, 4 })
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			_, err := c.Validate(t.Context(), "crm-"+strconv.Itoa(i))
			errs <- err
		}()
	}
	for range 4 {
		var u *azotte.UnreachableError
		if err := <-errs; !errors.As(err, &u) || u.Cause != "timeout after 100ms" || u.For != 0 {
			t.Errorf("Validate error %v, want cannot reach: timeout after 100ms", err)
		}
	}
	if got := n.Load(); got != 3 {
		t.Errorf("%d requests, want 3 (the first request's attempts)", got)
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
				_, err := c.Validate(ctx, "crm-slow")
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
