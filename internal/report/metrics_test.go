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
	s, _ := simulate(t, 1000)
	s.Changes = Changes{BecameTaken: 3, BecameAvailable: 1}
	var buf bytes.Buffer
	if err := writeMetrics(&buf, s, math.NaN()); err != nil { // exit code 3: no success to record
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
		{"azvalidate_rows", nil, float64(s.Rows)},
		{"azvalidate_distinct_ids", nil, float64(s.DistinctIDs)},
		{"azvalidate_api_calls_total", nil, float64(s.APICalls)},
		{"azvalidate_retries_total", nil, float64(s.Retries)},
		{"azvalidate_http_429_total", nil, float64(s.Throttled)},
		{"azvalidate_journal_hits_total", nil, float64(s.JournalHits)},
		{"azvalidate_answer_changes_total", map[string]string{"to": "taken"}, 3},
		{"azvalidate_answer_changes_total", map[string]string{"to": "available"}, 1},
		{"azvalidate_duration_seconds", nil, s.ElapsedSeconds},
		{"azvalidate_last_run_timestamp_seconds", nil, end},
		{"azvalidate_exit_code", nil, float64(s.ExitCode)},
		{"azvalidate_interrupted", nil, 0},
		{"azvalidate_min_rate", nil, s.MinRate},
		{"azvalidate_request_latency_seconds", map[string]string{"quantile": "0.5"}, math.Round(s.LatencyMS.P50*1e6) / 1e9},
		{"azvalidate_request_latency_seconds", map[string]string{"quantile": "0.95"}, math.Round(s.LatencyMS.P95*1e6) / 1e9},
		{"azvalidate_request_latency_seconds", map[string]string{"quantile": "0.99"}, math.Round(s.LatencyMS.P99*1e6) / 1e9},
		{"azvalidate_request_latency_max_seconds", nil, math.Round(s.LatencyMS.Max*1e6) / 1e9},
	}
	for _, v := range verdict.All {
		samples = append(samples, sample{"azvalidate_rows_total", map[string]string{"verdict": v.String()}, float64(s.Verdicts[v.String()])})
	}
	for _, c := range samples {
		if got := value(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := len(fams["azvalidate_rows_total"].GetMetric()); n != len(verdict.All) {
		t.Errorf("azvalidate_rows_total has %d samples, want one per verdict", n)
	}
	for name, f := range fams {
		if f.GetHelp() == "" {
			t.Errorf("%s has no HELP", name)
		}
		if strings.HasSuffix(name, "_total") != (f.GetType() == dto.MetricType_COUNTER) {
			t.Errorf("%s has type %v: counters, and only they, end in _total", name, f.GetType())
		}
	}
	// Exit code 3 is no success: no last-success timestamp from this run.
	if _, ok := fams[lastSuccessMetric]; ok {
		t.Errorf("%s written for a run with exit code %d", lastSuccessMetric, s.ExitCode)
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
		if err := WriteMetricsFile(path, s); err != nil {
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
