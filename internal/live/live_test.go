package live

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// start serves st on a free loopback port until the test ends.
func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := Start("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	st := new(stats.Stats)
	for range 7 {
		st.Count(verdict.Available)
	}
	st.Count(verdict.Taken)
	st.Rows.Add(8)
	st.ObserveAttempt(azotte.Attempt{Status: 200, Latency: 3 * time.Millisecond})
	st.ObserveAttempt(azotte.Attempt{Try: 2, Status: 429, Latency: time.Millisecond, Retry: true})
	st.ObserveAttempt(azotte.Attempt{Try: 3, Err: errors.New("timeout"), Latency: time.Hour, Retry: true})
	s := start(t, Config{Stats: st, Start: time.Unix(1_700_000_000, 0),
		Settings: report.Settings{Rate: 8}, Rate: func() float64 { return 4 },
		Progress: func() Progress { return Progress{Count: 8, Unit: "rows", Done: 250, Total: 1000} }})

	resp, body := get(t, "http://"+s.Addr()+"/metrics")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	one := func(name string, typ dto.MetricType, labels ...string) *dto.Metric {
		t.Helper()
		f := fams[name]
		if f == nil || f.GetType() != typ {
			t.Fatalf("%s: %v, want type %v", name, f, typ)
		}
		for _, m := range f.GetMetric() {
			if len(labels) == 0 || len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == labels[0] {
				return m
			}
		}
		t.Fatalf("%s%v: no sample", name, labels)
		return nil
	}
	counters := map[string]float64{"azvalidate_api_calls_total": 3, "azvalidate_retries_total": 2, "azvalidate_http_429_responses_total": 1}
	for name, want := range counters {
		if got := one(name, dto.MetricType_COUNTER).GetCounter().GetValue(); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := one("azvalidate_rows_total", dto.MetricType_COUNTER, "available").GetCounter().GetValue(); got != 7 {
		t.Errorf("rows{available} = %v, want 7", got)
	}
	if got := one("azvalidate_rows_total", dto.MetricType_COUNTER, "taken").GetCounter().GetValue(); got != 1 {
		t.Errorf("rows{taken} = %v, want 1", got)
	}
	gauges := map[string]float64{"azvalidate_rate_requests_per_second": 4, "azvalidate_rate_limit_requests_per_second": 8,
		"azvalidate_progress_ratio": 0.25, "azvalidate_start_timestamp_seconds": 1_700_000_000}
	for name, want := range gauges {
		if got := one(name, dto.MetricType_GAUGE).GetGauge().GetValue(); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	h := one("azvalidate_request_duration_seconds", dto.MetricType_HISTOGRAM).GetHistogram()
	if h.GetSampleCount() != 3 || h.GetSampleSum() != (time.Hour+4*time.Millisecond).Seconds() {
		t.Errorf("latency count %d sum %v, want 3 and 3600.004", h.GetSampleCount(), h.GetSampleSum())
	}
	// Cumulative buckets: 1ms and 3ms below 5ms; the hour only in +Inf.
	for _, b := range h.GetBucket() {
		want := uint64(0)
		switch ub := b.GetUpperBound(); {
		case math.IsInf(ub, 1):
			want = 3
		case ub >= 0.003:
			want = 2
		case ub >= 0.001:
			want = 1
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v holds %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
	for name, f := range fams {
		if strings.HasPrefix(name, "azvalidate_") && (f.GetType() == dto.MetricType_COUNTER) != strings.HasSuffix(name, "_total") {
			t.Errorf("%s has type %v: counters, and only they, end in _total", name, f.GetType())
		}
	}
}

func TestStatusPage(t *testing.T) {
	t.Parallel()
	st := new(stats.Stats)
	st.Count(verdict.Taken)
	st.Rows.Add(1)
	now := time.Date(2026, 3, 2, 2, 0, 10, 0, time.UTC)
	s := start(t, Config{Stats: st, Start: now.Add(-10 * time.Second), Input: "crm.csv", Now: func() time.Time { return now },
		Settings: report.Settings{BaseURL: "https://acme.example", Path: "/v", Tenant: "t-1", Rate: 8, Burst: 8, Concurrency: 16},
		Rate:     func() float64 { return 2 },
		Progress: func() Progress { return Progress{Count: 1, Unit: "rows", Done: 40, Total: 100} }})
	for i := range maxErrors + 2 {
		s.NoteAttempt(azotte.Attempt{ID: fmt.Sprintf("<id-%d>", i), Status: 500})
	}
	s.NoteAttempt(azotte.Attempt{ID: "throttled", Status: 429})
	s.NoteAttempt(azotte.Attempt{ID: "fine", Status: 200})

	resp, page := get(t, "http://"+s.Addr()+"/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`<meta http-equiv="refresh" content="5">`, "crm.csv", "40%", "ETA", "15 s", "taken", "https://acme.example/v",
		"2.0/s (limit 8/s: slowed by throttling)", "&lt;id-6&gt;", "&lt;id-2&gt;",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	// The last maxErrors failures only, never a 429 or a success.
	for _, gone := range []string{"&lt;id-1&gt;", "throttled", "fine", "<script", "src=", "@import"} {
		if strings.Contains(page, gone) {
			t.Errorf("status page holds %q", gone)
		}
	}
	if strings.Index(page, "&lt;id-6&gt;") > strings.Index(page, "&lt;id-5&gt;") {
		t.Error("recent errors are not newest first")
	}

	resp, body := get(t, "http://"+s.Addr()+"/healthz")
	if resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("/healthz: %s %q", resp.Status, body)
	}
	if resp, _ := get(t, "http://"+s.Addr()+"/nothing"); resp.StatusCode != 404 {
		t.Errorf("/nothing: %s, want 404", resp.Status)
	}
	if strings.Contains(page, "paused") {
		t.Error("the page says paused while nothing is")
	}
}

// TestStatusPagePause: while Azotte's Retry-After holds every request, the
// page says so, and gives no ETA.
func TestStatusPagePause(t *testing.T) {
	t.Parallel()
	const pause = "paused 23 h 59 min: Azotte answered 429 Retry-After 86400"
	s := start(t, Config{Stats: new(stats.Stats), Start: time.Now(), Input: "crm.csv",
		Pause:    func() string { return pause },
		Progress: func() Progress { return Progress{Count: 1, Unit: "rows", Done: 40, Total: 100} }})
	_, page := get(t, "http://"+s.Addr()+"/")
	for _, want := range []string{`<p class="pause"><strong>` + pause + `</strong></p>`, "none while paused"} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
}

func TestCloseFreesThePort(t *testing.T) {
	t.Parallel()
	s, err := Start("127.0.0.1:0", Config{})
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	if resp, _ := get(t, "http://"+addr+"/healthz"); resp.StatusCode != 200 {
		t.Fatalf("/healthz: %s", resp.Status)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Close", addr)
	}
	if _, err := Start(addr, Config{}); err != nil {
		t.Errorf("the port cannot be bound again after Close: %v", err)
	}
}

func TestResolveAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		flag, addr string
		loopback   bool
	}{
		{"9090", "127.0.0.1:9090", true},
		{":9090", "127.0.0.1:9090", true},
		{"127.0.0.1:0", "127.0.0.1:0", true},
		{"localhost:9090", "localhost:9090", true},
		{"[::1]:9090", "[::1]:9090", true},
		{"0.0.0.0:9090", "0.0.0.0:9090", false},
		{"[::]:9090", "[::]:9090", false},
		{"10.1.2.3:9090", "10.1.2.3:9090", false},
		{"metrics.internal:9090", "metrics.internal:9090", false},
	} {
		addr, lo, err := ResolveAddr(tc.flag)
		if err != nil || addr != tc.addr || lo != tc.loopback {
			t.Errorf("ResolveAddr(%q) = %q, %v, %v; want %q, %v", tc.flag, addr, lo, err, tc.addr, tc.loopback)
		}
	}
	for _, bad := range []string{"", "x", ":http", "1.2.3.4:70000", "a:b:c"} {
		if addr, _, err := ResolveAddr(bad); err == nil {
			t.Errorf("ResolveAddr(%q) = %q, want an error", bad, addr)
		}
	}
}
