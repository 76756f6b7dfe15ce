package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/sandbox/sandboxtest"
)

const (
	tenant = "6f1c2a9e-0000-4000-8000-000000000001"
	key    = "sk_dev_acme_sample_123456789"
)

// start serves a sandbox for cfg (Tenant and APIKey filled in when empty).
func start(t *testing.T, cfg sandbox.Config) (*sandbox.Server, *httptest.Server) {
	s, _, srv := startRecorded(t, cfg)
	return s, srv
}

// startRecorded is start with a Recorder in front of the sandbox.
func startRecorded(t *testing.T, cfg sandbox.Config) (*sandbox.Server, *sandboxtest.Recorder, *httptest.Server) {
	t.Helper()
	if cfg.Tenant == "" {
		cfg.Tenant, cfg.APIKey = tenant, key
	}
	s := sandbox.New(cfg)
	rec := sandboxtest.Record(s)
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return s, rec, srv
}

// request describes one call; zero fields get a valid request's values.
type request struct {
	method, path, contentType, body string
	tenant, key                     *string
}

func str(s string) *string { return &s }

// do sends rq and reads the whole answer, failing the test on transport errors.
func do(t *testing.T, srv *httptest.Server, rq request) (*http.Response, string) {
	t.Helper()
	resp, body, err := send(srv, rq)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// send is do for goroutines other than the test's.
func send(srv *httptest.Server, rq request) (*http.Response, string, error) {
	if rq.method == "" {
		rq.method = http.MethodPost
	}
	if rq.path == "" {
		rq.path = azotte.DefaultPath
	}
	if rq.contentType == "" {
		rq.contentType = "application/json"
	}
	if rq.body == "" {
		rq.body = `{"externalId":"crm-1"}`
	}
	if rq.tenant == nil {
		rq.tenant = str(tenant)
	}
	if rq.key == nil {
		rq.key = str(key)
	}
	req, err := http.NewRequest(rq.method, srv.URL+rq.path, strings.NewReader(rq.body))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", rq.contentType)
	if *rq.tenant != "" {
		req.Header.Set(azotte.HeaderTenant, *rq.tenant)
	}
	if *rq.key != "" {
		req.Header.Set(azotte.HeaderAPIKey, *rq.key)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func TestServeHTTP(t *testing.T) {
	t.Parallel()
	const (
		available = `{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`
		taken     = `{"isAvailable":false,"status":{"messageCode":"SUCCESS"}}`
	)
	tests := []struct {
		name       string
		req        request
		status     int
		body       string // exact, when not ""
		header     string // "Name: value" expected, when not ""
		noBody     bool
		answerType bool // Content-Type is azotte.ResponseContentType
	}{
		{name: "available", req: request{}, status: 200, body: available, answerType: true},
		{name: "taken", req: request{body: `{"externalId":"crm-taken"}`}, status: 200, body: taken, answerType: true},
		{name: "taken compared exactly", req: request{body: `{"externalId":"CRM-TAKEN"}`}, status: 200, body: available},
		{name: "legacy path", req: request{path: azotte.LegacyPath, body: `{"externalId":"crm-taken"}`}, status: 200, body: taken},
		{name: "charset param", req: request{contentType: "application/json; charset=utf-8"}, status: 200, body: available},
		{name: "extra fields", req: request{body: `{"externalId":"crm-1","x":1}`}, status: 200, body: available},
		{name: "GET on validate", req: request{method: http.MethodGet}, status: 405, header: "Allow: POST"},
		{name: "PUT on legacy", req: request{method: http.MethodPut, path: azotte.LegacyPath}, status: 405, header: "Allow: POST"},
		{name: "unknown path", req: request{path: "/api/v2/c2a/customer/validate"}, status: 404},
		{name: "no tenant", req: request{tenant: str("")}, status: 403, body: `{"status":{"messageCode":"FORBIDDEN"}}`},
		{name: "wrong tenant", req: request{tenant: str("other")}, status: 403, body: `{"status":{"messageCode":"FORBIDDEN"}}`},
		{name: "no key", req: request{key: str("")}, status: 401, noBody: true},
		{name: "wrong key", req: request{key: str(key + "x")}, status: 401, noBody: true},
		{name: "auth before content type", req: request{key: str("bad"), contentType: "text/plain"}, status: 401, noBody: true},
		{name: "text/plain", req: request{contentType: "text/plain"}, status: 415},
		{name: "bad media type", req: request{contentType: "application/"}, status: 415},
		{name: "too large", req: request{body: `{"externalId":"` + strings.Repeat("a", 70<<10) + `"}`}, status: 413},
		{name: "not JSON", req: request{body: `externalId=crm-1`}, status: 400, body: `{"status":{"messageCode":"BAD_REQUEST"}}`},
		{name: "truncated JSON", req: request{body: `{"externalId":"crm`}, status: 400, body: `{"status":{"messageCode":"BAD_REQUEST"}}`},
		{name: "array", req: request{body: `["crm-1"]`}, status: 400, body: `{"status":{"messageCode":"BAD_REQUEST"}}`},
		{name: "missing id", req: request{body: `{"id":"crm-1"}`}, status: 400, body: `{"status":{"messageCode":"BAD_REQUEST"}}`},
		{name: "null id", req: request{body: `{"externalId":null}`}, status: 400, body: `{"status":{"messageCode":"BAD_REQUEST"}}`},
		{name: "number id", req: request{body: `{"externalId":42}`}, status: 400, body: `{"status":{"messageCode":"BAD_REQUEST"}}`},
		{name: "empty id", req: request{body: `{"externalId":""}`}, status: 400, body: `{"status":{"messageCode":"INVALID_REQUEST"}}`},
		{name: "id of the longest length", req: request{body: `{"externalId":"` + strings.Repeat("é", sandbox.MaxIDBytes/2) + `x"}`}, status: 200, body: `{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`},
		{name: "id one byte too long", req: request{body: `{"externalId":"` + strings.Repeat("x", sandbox.MaxIDBytes+1) + `"}`}, status: 400, body: `{"status":{"messageCode":"INVALID_REQUEST"}}`},
		{name: "healthz", req: request{method: http.MethodGet, path: "/healthz"}, status: 200, body: "ok\n"},
	}
	_, srv := start(t, sandbox.Config{Taken: map[string]bool{"crm-taken": true}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, srv, tt.req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d (body %q)", resp.StatusCode, tt.status, body)
			}
			if tt.body != "" && body != tt.body {
				t.Errorf("body = %q, want %q", body, tt.body)
			}
			if tt.noBody && body != "" {
				t.Errorf("body = %q, want none", body)
			}
			if tt.header != "" {
				name, value, _ := strings.Cut(tt.header, ": ")
				if got := resp.Header.Get(name); got != value {
					t.Errorf("%s = %q, want %q", name, got, value)
				}
			}
			if ct := resp.Header.Get("Content-Type"); tt.answerType && ct != azotte.ResponseContentType {
				t.Errorf("Content-Type = %q, want %q", ct, azotte.ResponseContentType)
			}
		})
	}
}

func TestCounters(t *testing.T) {
	t.Parallel()
	s, rec, srv := startRecorded(t, sandbox.Config{Latency: 20 * time.Millisecond})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, _, err := send(srv, request{body: `{"externalId":"a"}`}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	do(t, srv, request{key: str("wrong"), body: `{"externalId":"b"}`})
	do(t, srv, request{method: http.MethodGet, path: "/healthz"})

	if got := s.Requests(); got != 9 {
		t.Errorf("Requests = %d, want 9", got)
	}
	if got := s.Answered(); got != 8 {
		t.Errorf("Answered = %d, want 8", got)
	}
	if got := rec.Calls("a"); got != 8 {
		t.Errorf("Calls(a) = %d, want 8", got)
	}
	if got := rec.Calls("b"); got != 1 {
		t.Errorf("Calls(b) = %d, want 1 (a refused request still counts)", got)
	}
	if got := rec.Calls("c"); got != 0 {
		t.Errorf("Calls(c) = %d, want 0", got)
	}
	if got := rec.MaxInFlight(); got < 1 || got > 8 {
		t.Errorf("MaxInFlight = %d, want 1..8", got)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	s, srv := start(t, sandbox.Config{Rate: 0.5, Burst: 2})
	for i := range 2 {
		if resp, body := do(t, srv, request{}); resp.StatusCode != 200 {
			t.Fatalf("request %d within burst: status %d %s", i, resp.StatusCode, body)
		}
	}
	resp, body := do(t, srv, request{})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status = %d, want 429", resp.StatusCode)
	}
	if body != `{"status":{"messageCode":"TOO_MANY_REQUESTS"}}` {
		t.Errorf("body = %q", body)
	}
	// One token every 2s.
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 2 {
		t.Errorf("Retry-After = %q, want 1 or 2", resp.Header.Get("Retry-After"))
	}
	if s.Requests() != 3 || s.Answered() != 2 {
		t.Errorf("Requests, Answered = %d, %d; want 3, 2", s.Requests(), s.Answered())
	}
}

func TestRateLimitRetryAfter(t *testing.T) {
	t.Parallel()
	for _, headers := range []bool{true, false} {
		t.Run(fmt.Sprint("headers=", headers), func(t *testing.T) {
			t.Parallel()
			_, srv := start(t, sandbox.Config{Rate: 0.01, Burst: 1, RetryAfter: 1500 * time.Millisecond, NoRateLimitHeaders: !headers})
			if resp, body := do(t, srv, request{}); resp.StatusCode != 200 {
				t.Fatalf("first request: status %d %s", resp.StatusCode, body)
			}
			resp, _ := do(t, srv, request{})
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "2" {
				t.Errorf("status %d, Retry-After %q; want 429 with the configured 1.5s rounded up, 2 (not the 100s until a token)", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			want := ""
			if headers {
				want = "2"
			}
			if got := resp.Header.Get(azotte.HeaderRateRetryAfter); got != want {
				t.Errorf("%s = %q, want %q", azotte.HeaderRateRetryAfter, got, want)
			}
		})
	}
}

func TestRateLimitHeaders(t *testing.T) {
	t.Parallel()
	_, srv := start(t, sandbox.Config{Rate: 2, Burst: 3})
	for i := range 3 {
		before := time.Now()
		resp, body := do(t, srv, request{})
		if resp.StatusCode != 200 {
			t.Fatalf("request %d within burst: status %d %s", i, resp.StatusCode, body)
		}
		if got := resp.Header.Get(azotte.HeaderRateLimit); got != "3" {
			t.Errorf("request %d: %s = %q, want 3 (the bucket size)", i, azotte.HeaderRateLimit, got)
		}
		// Tokens refill during the test; whole tokens left are 2-i, or one more.
		rem, err := strconv.Atoi(resp.Header.Get(azotte.HeaderRateRemaining))
		if err != nil || rem < 2-i || rem > 3-i {
			t.Errorf("request %d: %s = %q, want %d", i, azotte.HeaderRateRemaining, resp.Header.Get(azotte.HeaderRateRemaining), 2-i)
		}
		// The bucket is full again (1+i)/2 seconds later, give or take the
		// refill, rounded up to a whole Unix second.
		reset, err := strconv.ParseInt(resp.Header.Get(azotte.HeaderRateReset), 10, 64)
		full := before.Add(time.Duration(1+i) * time.Second / 2)
		if err != nil || reset < full.Add(-time.Second).Unix() || reset > full.Unix()+1 {
			t.Errorf("request %d: %s = %q, want about %d (Unix time of a full bucket)", i, azotte.HeaderRateReset, resp.Header.Get(azotte.HeaderRateReset), full.Unix())
		}
	}
	resp, _ := do(t, srv, request{})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status = %d, want 429", resp.StatusCode)
	}
	h := resp.Header
	if h.Get(azotte.HeaderRateRemaining) != "0" || h.Get(azotte.HeaderRateLimit) != "3" || h.Get(azotte.HeaderRateReset) == "" {
		t.Errorf("429 rate-limit headers = %v, want Limit 3, Remaining 0, a Reset", h)
	}
	if h.Get(azotte.HeaderRateRetryAfter) != h.Get("Retry-After") || h.Get("Retry-After") != "1" {
		t.Errorf("429 Retry-After = %q, X-RateLimit-Retry-After = %q; want 1 and 1", h.Get("Retry-After"), h.Get(azotte.HeaderRateRetryAfter))
	}
}

func TestNoRateLimitHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  sandbox.Config
	}{
		{"switched off", sandbox.Config{Rate: 1, Burst: 1, NoRateLimitHeaders: true}},
		{"no rate", sandbox.Config{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, srv := start(t, tt.cfg)
			for range 2 {
				resp, _ := do(t, srv, request{})
				for _, name := range []string{azotte.HeaderRateLimit, azotte.HeaderRateRemaining, azotte.HeaderRateReset, azotte.HeaderRateRetryAfter} {
					if v := resp.Header.Get(name); v != "" {
						t.Errorf("status %d: %s = %q, want none", resp.StatusCode, name, v)
					}
				}
			}
			if tt.cfg.Rate > 0 && s.Throttled() != 1 {
				t.Errorf("Throttled = %d, want 1 (the limit holds without its headers)", s.Throttled())
			}
		})
	}
}

// TestHeadersPaceAClient checks the claim of the package documentation: a
// client that spreads X-RateLimit-Remaining evenly until X-RateLimit-Reset
// never meets a 429, while sending close to the rate.
func TestHeadersPaceAClient(t *testing.T) {
	t.Parallel()
	const rate = 40
	s, srv := start(t, sandbox.Config{Rate: rate})
	deadline := time.Now().Add(1500 * time.Millisecond)
	began := time.Now()
	next := time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(time.Until(next))
		resp, _ := do(t, srv, request{})
		rem, _ := strconv.ParseFloat(resp.Header.Get(azotte.HeaderRateRemaining), 64)
		reset, _ := strconv.ParseInt(resp.Header.Get(azotte.HeaderRateReset), 10, 64)
		until := time.Until(time.Unix(reset, 0))
		switch {
		case until <= 0:
			next = time.Now()
		case rem < 1:
			next = time.Now().Add(until)
		default:
			next = time.Now().Add(time.Duration(float64(until) / rem))
		}
	}
	got := float64(s.Answered()) / time.Since(began).Seconds()
	t.Logf("answered %d in %v: %.1f/s against a rate of %d/s (burst %d), %d throttled", s.Answered(), time.Since(began).Round(time.Millisecond), got, rate, rate, s.Throttled())
	if s.Throttled() != 0 {
		t.Errorf("%d requests throttled, want 0", s.Throttled())
	}
	if got < 0.5*rate {
		t.Errorf("sent %.1f/s, want close to %d/s", got, rate)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault sandbox.Fault
		check func(t *testing.T, resp *http.Response, body string, err error)
	}{
		{sandbox.Fault500, status(500, `{"status":{"messageCode":"INTERNAL_SERVER_ERROR"}}`, "")},
		{sandbox.Fault502, func(t *testing.T, resp *http.Response, body string, err error) {
			status(502, "", "")(t, resp, body, err)
			if !strings.Contains(body, "<html>") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("502 body %q (%s), want an HTML page", body, resp.Header.Get("Content-Type"))
			}
		}},
		{sandbox.Fault503, status(503, `{"status":{"messageCode":"SERVICE_UNAVAILABLE"}}`, "1")},
		{sandbox.Fault429, status(429, `{"status":{"messageCode":"TOO_MANY_REQUESTS"}}`, "1")},
		{sandbox.FaultReset, func(t *testing.T, resp *http.Response, body string, err error) {
			if err == nil {
				t.Fatalf("status %d, body %q; want a connection reset", resp.StatusCode, body)
			}
			if !strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "EOF") {
				t.Errorf("error %v, want a connection reset", err)
			}
		}},
		{sandbox.FaultGarbage, func(t *testing.T, resp *http.Response, body string, err error) {
			status(200, "", "")(t, resp, body, err)
			var v struct {
				IsAvailable *bool `json:"isAvailable"`
			}
			if json.Unmarshal([]byte(body), &v) == nil && v.IsAvailable != nil {
				t.Errorf("200 body %q is an answer; want garbage", body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			t.Parallel()
			s, srv := start(t, sandbox.Config{FailRate: 1, Faults: []sandbox.Fault{tt.fault}, Seed: 7})
			for range 6 {
				resp, body, err := send(srv, request{})
				tt.check(t, resp, body, err)
			}
			if s.Answered() != 0 || s.Faulted() != 6 || s.Requests() != 6 {
				t.Errorf("Answered, Faulted, Requests = %d, %d, %d; want 0, 6, 6", s.Answered(), s.Faulted(), s.Requests())
			}
		})
	}
}

// status checks an injected fault's status, body (when not "") and
// Retry-After (when not "").
func status(code int, body, retryAfter string) func(*testing.T, *http.Response, string, error) {
	return func(t *testing.T, resp *http.Response, got string, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != code {
			t.Fatalf("status = %d, want %d (body %q)", resp.StatusCode, code, got)
		}
		if body != "" && got != body {
			t.Errorf("body = %q, want %q", got, body)
		}
		if ra := resp.Header.Get("Retry-After"); ra != retryAfter {
			t.Errorf("Retry-After = %q, want %q", ra, retryAfter)
		}
	}
}

func TestFaultHang(t *testing.T) {
	t.Parallel()
	s, srv := start(t, sandbox.Config{FailRate: 1, Faults: []sandbox.Fault{sandbox.FaultHang}})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+azotte.DefaultPath, strings.NewReader(`{"externalId":"crm-1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(azotte.HeaderTenant, tenant)
	req.Header.Set(azotte.HeaderAPIKey, key)
	began := time.Now()
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("status %d, want no answer before the client's timeout", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) < 150*time.Millisecond {
		t.Errorf("error %v after %v, want the client's deadline after 200ms", err, time.Since(began))
	}
	if s.Faulted() != 1 || s.Answered() != 0 {
		t.Errorf("Faulted, Answered = %d, %d; want 1, 0", s.Faulted(), s.Answered())
	}
	// The handler ends once the client is gone: srv.Close in Cleanup waits
	// for it, so a hang that outlived its client would hang the test.
}

func TestFaultsMixed(t *testing.T) {
	t.Parallel()
	s, srv := start(t, sandbox.Config{FailRate: 0.5, Seed: 3})
	seen := map[string]int{}
	for range 200 {
		resp, _, err := send(srv, request{})
		switch {
		case err != nil:
			seen["reset"]++
		case resp.StatusCode == 200 && resp.Header.Get("Content-Type") == azotte.ResponseContentType:
			seen["200"]++
		default:
			seen[strconv.Itoa(resp.StatusCode)]++
		}
	}
	// 200 draws at 50% over the six default kinds: each kind about 17 times.
	for _, k := range []string{"500", "502", "503", "429", "reset", "200"} {
		if seen[k] == 0 {
			t.Errorf("no %s among %v", k, seen)
		}
	}
	if f := s.Faulted(); f < 70 || f > 130 {
		t.Errorf("Faulted = %d of 200 at FailRate 0.5", f)
	}
	if s.Answered()+s.Faulted() != 200 {
		t.Errorf("Answered %d + Faulted %d != 200", s.Answered(), s.Faulted())
	}
}

func TestFailIDs(t *testing.T) {
	t.Parallel()
	s, rec, srv := startRecorded(t, sandbox.Config{FailIDs: map[string]int{"crm-gone": 404, "crm-broken": 500, "crm-busy": 503}})
	tests := []struct {
		id         string
		status     int
		body       string
		retryAfter string
	}{
		{"crm-gone", 404, `{"status":{"messageCode":"CUSTOMER_NOT_FOUND"}}`, ""},
		{"crm-broken", 500, `{"status":{"messageCode":"INTERNAL_SERVER_ERROR"}}`, ""},
		{"crm-busy", 503, `{"status":{"messageCode":"SERVICE_UNAVAILABLE"}}`, "1"},
		{"crm-fine", 200, `{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`, ""},
	}
	for range 3 { // permanent: the same every time
		for _, tt := range tests {
			resp, body := do(t, srv, request{body: `{"externalId":"` + tt.id + `"}`})
			if resp.StatusCode != tt.status || body != tt.body || resp.Header.Get("Retry-After") != tt.retryAfter {
				t.Errorf("%s: %d %q Retry-After %q; want %d %q %q", tt.id, resp.StatusCode, body, resp.Header.Get("Retry-After"), tt.status, tt.body, tt.retryAfter)
			}
		}
	}
	if rec.Calls("crm-gone") != 3 || s.Answered() != 3 {
		t.Errorf("Calls(crm-gone), Answered = %d, %d; want 3, 3", rec.Calls("crm-gone"), s.Answered())
	}
	// Auth still comes first.
	if resp, _ := do(t, srv, request{key: str("bad"), body: `{"externalId":"crm-gone"}`}); resp.StatusCode != 401 {
		t.Errorf("bad key for a failing id: status %d, want 401", resp.StatusCode)
	}
}

func TestParseFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []sandbox.Fault
		err  bool
	}{
		{"500,502,503,429,reset,hang,garbage", sandbox.AllFaults(), false},
		{"all", sandbox.AllFaults(), false},
		{" Reset , hang,reset", []sandbox.Fault{sandbox.FaultReset, sandbox.FaultHang}, false},
		{"429", []sandbox.Fault{sandbox.Fault429}, false},
		{"404", nil, true},
		{"", nil, true},
		{"500,", nil, true},
	}
	for _, tt := range tests {
		got, err := sandbox.ParseFaults(tt.in)
		if (err != nil) != tt.err || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("ParseFaults(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	var names []string
	for _, f := range sandbox.DefaultFaults() {
		names = append(names, f.String())
	}
	if got := strings.Join(names, ","); got != "500,502,503,429,reset,garbage" {
		t.Errorf("DefaultFaults = %s", got)
	}
}

func TestReadTaken(t *testing.T) {
	t.Parallel()
	in := "\uFEFFcrm-1\r\n# comment\n\n  \ncrm-2\n crm-3 \r\n#\nCRM-1\ncrm-4"
	got, err := sandbox.ReadTaken(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"crm-1": true, "crm-2": true, " crm-3 ": true, "CRM-1": true, "crm-4": true}
	if len(got) != len(want) {
		t.Errorf("ReadTaken = %v, want %v", got, want)
	}
	for id := range want {
		if !got[id] {
			t.Errorf("ReadTaken lacks %q (got %v)", id, got)
		}
	}
}

func TestServeShutdown(t *testing.T) {
	t.Parallel()
	ln, err := sandbox.Listen("")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sandbox.New(sandbox.Config{Tenant: tenant, APIKey: key}).Serve(ctx, ln) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz status = %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil after shutdown", err)
	}
}

func TestReadTakenEmails(t *testing.T) {
	t.Parallel()
	in := "crm-1,jane@example.com\r\ncrm-2\ncrm,3\ncrm-4,a b@example.com\n"
	taken, emails, err := sandbox.ReadTakenEmails(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	wantTaken := []string{"crm-1", "crm-2", "crm,3", "crm-4,a b@example.com"}
	if len(taken) != len(wantTaken) || len(emails) != 1 || emails["crm-1"] != "jane@example.com" {
		t.Errorf("ReadTakenEmails = %v, %v", taken, emails)
	}
	for _, id := range wantTaken {
		if !taken[id] {
			t.Errorf("lacks %q", id)
		}
	}
}

// TestInfo: the info call has validate's auth and shares its rate bucket.
func TestInfo(t *testing.T) {
	t.Parallel()
	s := sandbox.New(sandbox.Config{Tenant: "t", APIKey: "k", Taken: map[string]bool{"a": true}, Rate: 1, Burst: 2})
	get := func(method, path, key string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		r.Header.Set("x-tn", "t")
		r.Header.Set("x-api-key", key)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	if w := get(http.MethodGet, "/api/c2a/customer/info?exId=a", "wrong"); w.Code != http.StatusUnauthorized {
		t.Errorf("wrong key: %d", w.Code)
	}
	if w := get(http.MethodPost, "/api/c2a/customer/info?exId=a", "k"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", w.Code)
	}
	w := get(http.MethodGet, "/api/v1/c2a/customer/info?exId=a", "k")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"customerUrn":"`+sandbox.OwnerURN("a")+`"`) {
		t.Errorf("taken: %d %s", w.Code, w.Body)
	}
	// The bucket of 2 is spent: the next request, of either kind, gets 429.
	if w := get(http.MethodGet, "/api/v1/c2a/customer/info?exId=b", "k"); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "CUSTOMER_NOT_FOUND") {
		t.Errorf("free: %d %s", w.Code, w.Body)
	}
	if w := get(http.MethodGet, "/api/v1/c2a/customer/info?exId=a", "k"); w.Code != http.StatusTooManyRequests {
		t.Errorf("over the rate: %d", w.Code)
	}
	if s.InfoRequests() != 5 {
		t.Errorf("InfoRequests %d, want 5", s.InfoRequests())
	}
}
