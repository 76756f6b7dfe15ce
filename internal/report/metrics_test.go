package report

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/azotte/azvalidate/internal/verdict"
)

// parseMetrics parses an exposition with Prometheus' own text parser.
func parseMetrics(t *testing.T, b []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not the Prometheus text format: %v\n%s", err, b)
	}
	return fams
}

// value returns the value of name's sample whose labels include labels.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Errorf("no metric %s", name)
		return math.NaN()
	}
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := len(got) == len(labels)
		for k, v := range labels {
			match = match && got[k] == v
		}
		if !match {
			continue
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue()
		}
		t.Errorf("%s has type %v", name, f.GetType())
	}
	t.Errorf("no sample %s%v", name, labels)
	return math.NaN()
}

func TestWriteMetrics(t *testing.T) {
	t.Parallel()
	s, a := simulate(t, 1000)
	s.Changes = Changes{BecameTaken: 3, BecameAvailable: 1}
	s.Settings.Rate = 8
	var buf bytes.Buffer
	h := a.cfg.Latency
	if err := writeMetrics(&buf, s, MetricsFile{Latency: h}, math.NaN()); err != nil { // exit code 3: no success to record
		t.Fatal(err)
	}
	fams := parseMetrics(t, buf.Bytes())
	end := float64(s.End.UnixMilli()) / 1000
	type sample struct {
		name   string
		labels map[string]string
		want   float64
	}
	samples := []sample{
		{"azvalidate_running", nil, 0},
		{"azvalidate_distinct_ids", nil, float64(s.DistinctIDs)},
		{"azvalidate_api_calls", nil, float64(s.APICalls)},
		{"azvalidate_retries", nil, float64(s.Retries)},
		{"azvalidate_http_429_responses", nil, float64(s.Throttled)},
		{"azvalidate_journal_hits", nil, float64(s.JournalHits)},
		{"azvalidate_answer_changes", map[string]string{"to": "taken"}, 3},
		{"azvalidate_answer_changes", map[string]string{"to": "available"}, 1},
		{"azvalidate_duration_seconds", nil, s.ElapsedSeconds},
		{"azvalidate_start_timestamp_seconds", nil, float64(s.Start.UnixMilli()) / 1000},
		{"azvalidate_last_run_timestamp_seconds", nil, end},
		{"azvalidate_exit_code", nil, float64(s.ExitCode)},
		{"azvalidate_interrupted", nil, 0},
		{"azvalidate_rate_limit_requests_per_second", nil, 8},
		{"azvalidate_min_rate_requests_per_second", nil, s.MinRate},
		{"azvalidate_request_duration_max_seconds", nil, math.Round(s.LatencyMS.Max*1e6) / 1e9},
	}
	for _, v := range verdict.All {
		samples = append(samples, sample{"azvalidate_rows", map[string]string{"verdict": v.String()}, float64(s.Verdicts[v.String()])})
	}
	for _, c := range samples {
		if got := value(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := len(fams["azvalidate_rows"].GetMetric()); n != len(verdict.All) {
		t.Errorf("azvalidate_rows has %d samples, want one per verdict", n)
	}

	// Latency: a summary, its quantiles the Summary's, its count and sum
	// the histogram's.
	lat := fams["azvalidate_request_duration_seconds"]
	if lat.GetType() != dto.MetricType_SUMMARY {
		t.Fatalf("azvalidate_request_duration_seconds has type %v, want summary", lat.GetType())
	}
	sum := lat.GetMetric()[0].GetSummary()
	if sum.GetSampleCount() != uint64(s.APICalls) || sum.GetSampleSum() != h.Sum().Seconds() {
		t.Errorf("latency count %d sum %v, want %d and %v", sum.GetSampleCount(), sum.GetSampleSum(), s.APICalls, h.Sum().Seconds())
	}
	wantQ := map[float64]float64{0.5: s.LatencyMS.P50, 0.95: s.LatencyMS.P95, 0.99: s.LatencyMS.P99}
	for _, q := range sum.GetQuantile() {
		if want := math.Round(wantQ[q.GetQuantile()]*1e6) / 1e9; q.GetValue() != want || want == 0 {
			t.Errorf("latency quantile %v = %v, want %v", q.GetQuantile(), q.GetValue(), want)
		}
	}
	if len(sum.GetQuantile()) != len(wantQ) {
		t.Errorf("%d latency quantiles, want %d", len(sum.GetQuantile()), len(wantQ))
	}

	// Every value is the last run's: gauges (and the summary), no counter,
	// no _total, and units in the names of rates.
	for name, f := range fams {
		if f.GetHelp() == "" {
			t.Errorf("%s has no HELP", name)
		}
		if f.GetType() == dto.MetricType_COUNTER || strings.HasSuffix(name, "_total") {
			t.Errorf("%s: type %v; a file of the last run's values holds no counter and no _total", name, f.GetType())
		}
		if strings.Contains(name, "rate") && !strings.HasSuffix(name, "_requests_per_second") {
			t.Errorf("%s: a rate without its unit", name)
		}
	}
	// Exit code 3 is no success: no last-success timestamp from this run.
	if _, ok := fams[lastSuccessMetric]; ok {
		t.Errorf("%s written for a run with exit code %d", lastSuccessMetric, s.ExitCode)
	}
}

// TestWriteMetricsRunning: a snapshot of a run under way says so, has no
// exit code or end yet, and keeps the previous file's last success.
func TestWriteMetricsRunning(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "azvalidate.prom")
	s, a := simulate(t, 200)
	s.ExitCode = 0
	if err := WriteMetricsFile(path, s, MetricsFile{Latency: a.cfg.Latency}); err != nil {
		t.Fatal(err)
	}
	prev := unixSeconds(s.End)
	s.Start, s.End = s.End.Add(24*time.Hour), s.End.Add(25*time.Hour)
	if err := WriteMetricsFile(path, s, MetricsFile{Running: true, Latency: a.cfg.Latency}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	fams := parseMetrics(t, b)
	if got := value(t, fams, "azvalidate_running", nil); got != 1 {
		t.Errorf("azvalidate_running = %v, want 1", got)
	}
	if got := value(t, fams, lastSuccessMetric, nil); got != prev {
		t.Errorf("%s = %v, want the previous run's %v", lastSuccessMetric, got, prev)
	}
	for _, name := range []string{"azvalidate_exit_code", "azvalidate_interrupted", "azvalidate_last_run_timestamp_seconds"} {
		if _, ok := fams[name]; ok {
			t.Errorf("%s in the snapshot of a run under way", name)
		}
	}
}

// TestWriteMetricsConfigFailure: a run that failed on its configuration
// has no latency histogram; its file has the exit code and no latency.
func TestWriteMetricsConfigFailure(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	end := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	s := Summary{Header: Header{Start: end, End: end}, ExitCode: 2}
	if err := writeMetrics(&buf, s, MetricsFile{}, math.NaN()); err != nil {
		t.Fatal(err)
	}
	fams := parseMetrics(t, buf.Bytes())
	if got := value(t, fams, "azvalidate_exit_code", nil); got != 2 {
		t.Errorf("azvalidate_exit_code = %v, want 2", got)
	}
	if got := value(t, fams, "azvalidate_rows", map[string]string{"verdict": "available"}); got != 0 {
		t.Errorf("azvalidate_rows{available} = %v, want 0", got)
	}
	for _, name := range []string{"azvalidate_request_duration_seconds", "azvalidate_request_duration_max_seconds"} {
		if _, ok := fams[name]; ok {
			t.Errorf("%s written without a histogram", name)
		}
	}
}

func TestWriteMetricsFileLastSuccess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "azvalidate.prom")
	s, _ := simulate(t, 100)
	read := func() map[string]*dto.MetricFamily {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return parseMetrics(t, b)
	}
	base, day := s.End, 24*time.Hour
	endOf := func(step int) float64 { return unixSeconds(base.Add(time.Duration(step+1) * day)) }
	for i, tc := range []struct {
		name        string
		exit        int
		interrupted bool
		successStep int // the step whose end is the last success; -1: none yet
	}{
		{"a failure with no earlier file", 3, false, -1},
		{"a success with findings", 1, false, 1},
		{"a failure keeps the last success", 2, false, 1},
		{"an interrupt keeps it too", 130, true, 1},
		{"a clean success replaces it", 0, false, 4},
	} {
		s.End = base.Add(time.Duration(i+1) * day)
		s.ExitCode, s.Interrupted = tc.exit, tc.interrupted
		if err := WriteMetricsFile(path, s, MetricsFile{}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		fams := read()
		if got := value(t, fams, "azvalidate_last_run_timestamp_seconds", nil); got != endOf(i) {
			t.Errorf("step %d, %s: last run %v, want %v", i, tc.name, got, endOf(i))
		}
		f, ok := fams[lastSuccessMetric]
		switch {
		case tc.successStep < 0 && ok:
			t.Errorf("step %d, %s: %s present", i, tc.name, lastSuccessMetric)
		case tc.successStep >= 0 && (!ok || f.GetMetric()[0].GetGauge().GetValue() != endOf(tc.successStep)):
			t.Errorf("step %d, %s: %s = %v, want %v", i, tc.name, lastSuccessMetric, f, endOf(tc.successStep))
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("folder holds %d files, want only the metrics file (no temporary file left)", len(entries))
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("metrics file mode %v (err %v), want 0644 so that node_exporter can read it", st.Mode().Perm(), err)
	}
}
