package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/sandbox"
)

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
