package sandbox_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
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

func TestReadTaken(t *testing.T) {
	t.Parallel()
	in := "\uFEFFcrm-1\r\n# comment\n\n  \ncrm-2\n crm-3 \r\n#\nCRM-1\ncrm-4"
	got, _, err := sandbox.ReadTaken(strings.NewReader(in))
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
	taken, emails, err := sandbox.ReadTaken(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	wantTaken := []string{"crm-1", "crm-2", "crm,3", "crm-4,a b@example.com"}
	if len(taken) != len(wantTaken) || len(emails) != 1 || emails["crm-1"] != "jane@example.com" {
		t.Errorf("ReadTaken = %v, %v", taken, emails)
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
