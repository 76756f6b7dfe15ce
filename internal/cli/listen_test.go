package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// lineWriter is stderr for a run a test watches while it runs: it keeps
// every line and sends the listening address as soon as it is logged.
type lineWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	addr chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for line := range strings.Lines(string(p)) {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Addr != "" {
			w.addr <- rec.Addr
		}
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func parseProm(t *testing.T, b []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not the Prometheus text format: %v\n%s", err, b)
	}
	return fams
}

// rowsBy reads name{verdict=...} (a counter live, a gauge in the file).
func rowsBy(fams map[string]*dto.MetricFamily, name string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range fams[name].GetMetric() {
		out[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	return out
}

func total(m map[string]float64) (n float64) {
	for _, v := range m {
		n += v
	}
	return n
}

func scrape(t *testing.T, url string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// TestListenLive runs a paced validate (300 distinct ids at 100/s, about
// 3 s) with --listen and --metrics-file, and looks at it while it runs.
func TestListenLive(t *testing.T) {
	t.Parallel()
	text, ids, taken := genCSV(330, 300)
	e := newEndpoint(t, sandbox.Config{Taken: taken})
	dir := t.TempDir()
	metrics, out := filepath.Join(dir, "azvalidate.prom"), filepath.Join(dir, "out.csv")
	args := e.args("--rate", "100", "--burst", "1", "--listen", "127.0.0.1:0", "--metrics-file", metrics,
		"--progress-interval", "100ms", "--log-format", "json", "-o", out, "-")
	args = slices.DeleteFunc(args, func(a string) bool { return a == "--quiet" }) // the address is logged
	stderr := &lineWriter{addr: make(chan string, 1)}
	codec := make(chan int, 1)
	go func() {
		codec <- Run(context.Background(), args, testEnv(strings.NewReader(text), io.Discard, stderr))
	}()
	var addr string
	select {
	case addr = <-stderr.addr:
	case code := <-codec:
		t.Fatalf("exit %d before listening:\n%s", code, stderr)
	case <-time.After(20 * time.Second):
		t.Fatalf("no listening address logged:\n%s", stderr)
	}
	base := "http://" + addr

	// Two scrapes: the rows per verdict grow between them.
	liveRows := func() map[string]float64 {
		code, _, b := scrape(t, base+"/metrics")
		if code != 200 {
			t.Fatalf("/metrics: %d", code)
		}
		return rowsBy(parseProm(t, b), "azvalidate_rows_total")
	}
	first := liveRows()
	if len(first) != 6 || total(first) >= float64(len(ids)) {
		t.Fatalf("first scrape: %v; want every verdict and the run under way", first)
	}
	var second map[string]float64
	waitFor(t, "rows to grow between two scrapes", func() bool {
		second = liveRows()
		return total(second) > total(first)
	})
	for v, n := range first {
		if second[v] < n {
			t.Errorf("rows{%s} fell from %v to %v", v, n, second[v])
		}
	}

	code, ctype, page := scrape(t, base+"/")
	if code != 200 || !strings.HasPrefix(ctype, "text/html") || !bytes.Contains(page, []byte(`http-equiv="refresh"`)) {
		t.Errorf("/: %d %s, want 200 text/html refreshing itself", code, ctype)
	}
	if bytes.Contains(page, []byte(testKey)) {
		t.Error("the status page shows the API key")
	}

	// The metrics file exists while the run goes on, with partial counts.
	var mid map[string]*dto.MetricFamily
	waitFor(t, "the metrics file to appear mid-run", func() bool {
		b, err := os.ReadFile(metrics)
		if err != nil {
			return false
		}
		mid = parseProm(t, b)
		return true
	})
	if r := mid["azvalidate_running"].GetMetric()[0].GetGauge().GetValue(); r != 1 {
		t.Errorf("mid-run file: azvalidate_running = %v, want 1", r)
	}
	if n := total(rowsBy(mid, "azvalidate_rows")); n >= float64(len(ids)) {
		t.Errorf("mid-run file holds %v rows, want a part of %d", n, len(ids))
	}

	var exit int
	select {
	case exit = <-codec:
	case <-time.After(60 * time.Second):
		t.Fatal("the run did not end")
	}
	if exit != 1 {
		t.Fatalf("exit %d, want 1 (taken ids)\n%s", exit, stderr)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("%s still open after the run", addr)
	}

	// After: the final counts, the same as the output's.
	fams := parseProm(t, must(t, metrics))
	want := map[string]float64{}
	for _, rec := range readCSV(t, string(must(t, out)))[1:] {
		want[rec[5]]++
	}
	for v, n := range rowsBy(fams, "azvalidate_rows") {
		if n != want[v] {
			t.Errorf("final file: rows{%s} = %v, want %v", v, n, want[v])
		}
	}
	for name, v := range map[string]float64{"azvalidate_running": 0, "azvalidate_exit_code": 1} {
		if got := fams[name].GetMetric()[0].GetGauge().GetValue(); got != v {
			t.Errorf("final file: %s = %v, want %v", name, got, v)
		}
	}
}

// TestMetricsFileConfigFailure: a run without its API key (cron without the
// environment) still records exit code 2, and keeps the last success.
func TestMetricsFileConfigFailure(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	metrics := filepath.Join(t.TempDir(), "azvalidate.prom")
	if r := run(t, "externalId\na-1\n", e.args("--metrics-file", metrics, "-")...); r.code != 0 {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}
	gauge := func(fams map[string]*dto.MetricFamily, name string) float64 {
		t.Helper()
		f, ok := fams[name]
		if !ok {
			t.Fatalf("no %s", name)
		}
		return f.GetMetric()[0].GetGauge().GetValue()
	}
	success := gauge(parseProm(t, must(t, metrics)), "azvalidate_last_success_timestamp_seconds")

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no API key", []string{"validate", "--base-url", e.url, "--tenant", testTenant, "--metrics-file", metrics, "-"}},
		{"no input file", e.args("--metrics-file", metrics, filepath.Join(t.TempDir(), "missing.csv"))},
		{"listen address in use", e.args("--metrics-file", metrics, "--listen", e.url[len("http://"):], "-")},
	} {
		r := run(t, "externalId\na-1\n", tc.args...)
		if r.code != 2 {
			t.Fatalf("%s: exit %d, want 2\n%s", tc.name, r.code, r.stderr)
		}
		fams := parseProm(t, must(t, metrics))
		if got := gauge(fams, "azvalidate_exit_code"); got != 2 {
			t.Errorf("%s: azvalidate_exit_code = %v, want 2", tc.name, got)
		}
		if got := gauge(fams, "azvalidate_last_success_timestamp_seconds"); got != success {
			t.Errorf("%s: last success %v, want the first run's %v", tc.name, got, success)
		}
	}
}

// TestMetricsFileConfigFailureSparesOtherFiles: when the metrics file is
// also another file of the run (refused), a failure does not overwrite it.
func TestMetricsFileConfigFailureSparesOtherFiles(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	in := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(in, []byte("externalId\na-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", e.args("--metrics-file", in, in)...)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	if got := string(must(t, in)); got != "externalId\na-1\n" {
		t.Errorf("the input was overwritten: %q", got)
	}
}
