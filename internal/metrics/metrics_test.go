package metrics

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

// simulate counts a made-up validation of n rows through Stats, the way
// the pipeline does, and returns its summary (exit code 3) and latency
// histogram: mostly distinct ids, some duplicates, taken, invalid and
// error rows, random latencies, a few 429s and their retries.
func simulate(t testing.TB, n int) (report.Summary, *stats.Histogram) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	st := new(stats.Stats)
	for seq := range n {
		v := verdict.Available
		switch x := rng.IntN(100); {
		case seq%97 == 0:
			v = verdict.Invalid
		case x < 4:
			v = verdict.Duplicate
		default:
			st.DistinctIDs.Add(1)
			if rng.IntN(10) == 0 {
				st.Padded.Add(1)
			}
			id := fmt.Sprintf("C-%07d", seq)
			st.ObserveAttempt(azotte.Attempt{ID: id, Status: 200, Latency: time.Duration(rng.ExpFloat64() * float64(20*time.Millisecond))})
			switch {
			case rng.IntN(25) == 0:
				v = verdict.Taken
			case rng.IntN(150) == 0:
				st.ObserveAttempt(azotte.Attempt{ID: id, Try: 2, Status: 429, Retry: true, Latency: time.Millisecond})
				v = verdict.Error
			case rng.IntN(50) == 0:
				st.JournalHits.Add(1)
			}
		}
		st.Count(v)
		st.Rows.Add(1)
	}
	sum := report.Summary{
		Header: report.Header{
			Tool: "azvalidate", Version: "v1.4.0", Command: "validate",
			Start: start, End: start.Add(time.Duration(n) * 3 * time.Millisecond),
			Input: report.InputInfo{Name: "crm-export-2026-03.csv.gz"},
		},
		Settings: report.Settings{Concurrency: 16, Rate: 8, Burst: 8},
		MinRate:  4.5,
		ExitCode: 3,
	}
	sum.Fill(st)
	return sum, &st.Latency
}

// fileOf writes the file view of r, with no last success to carry over.
func fileOf(t *testing.T, r Run) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := encode(&buf, reading{Run: r, lastSuccess: math.NaN()}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

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

func TestFile(t *testing.T) {
	t.Parallel()
	s, h := simulate(t, 1000)
	s.Changes = report.Changes{BecameTaken: 3, BecameAvailable: 1}
	s.Settings.Rate = 8
	fams := parseMetrics(t, fileOf(t, Run{Summary: s, Latency: h})) // exit code 3: no success to record
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

// TestFileRunning: a snapshot of a run under way says so, has no
// exit code or end yet, and keeps the previous file's last success.
func TestFileRunning(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "azvalidate.prom")
	s, h := simulate(t, 200)
	s.ExitCode = 0
	if err := WriteFile(path, Run{Summary: s, Latency: h}); err != nil {
		t.Fatal(err)
	}
	prev := unixSeconds(s.End)
	s.Start, s.End = s.End.Add(24*time.Hour), s.End.Add(25*time.Hour)
	if err := WriteFile(path, Run{Summary: s, Latency: h, Running: true}); err != nil {
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

// TestFileConfigFailure: a run that failed on its configuration
// has no latency histogram; its file has the exit code and no latency.
func TestFileConfigFailure(t *testing.T) {
	t.Parallel()
	end := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	s := report.Summary{Header: report.Header{Start: end, End: end}, ExitCode: 2}
	fams := parseMetrics(t, fileOf(t, Run{Summary: s}))
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

func TestFileLastSuccess(t *testing.T) {
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
		if err := WriteFile(path, Run{Summary: s}); err != nil {
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

// gather collects c through a registry, as both expositions do.
func gather(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	list, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	fams := map[string]*dto.MetricFamily{}
	for _, f := range list {
		fams[f.GetName()] = f
	}
	return fams
}

// The names each exposition has had since before the two shared one set:
// a figure dropped from either fails here.
var (
	fileNames = []string{
		"azvalidate_running", "azvalidate_rows", "azvalidate_distinct_ids", "azvalidate_padded_ids",
		"azvalidate_api_calls", "azvalidate_retries", "azvalidate_http_429_responses", "azvalidate_journal_hits",
		"azvalidate_answer_changes", "azvalidate_waiting_ids", "azvalidate_start_timestamp_seconds",
		"azvalidate_duration_seconds", "azvalidate_rows_per_second", "azvalidate_request_duration_seconds",
		"azvalidate_request_duration_max_seconds", "azvalidate_rate_limit_requests_per_second",
		"azvalidate_min_rate_requests_per_second", "azvalidate_exit_code", "azvalidate_interrupted",
		"azvalidate_last_run_timestamp_seconds", "azvalidate_last_success_timestamp_seconds",
	}
	liveNames = []string{
		"azvalidate_rows_total", "azvalidate_distinct_ids_total", "azvalidate_api_calls_total",
		"azvalidate_retries_total", "azvalidate_http_429_responses_total", "azvalidate_journal_hits_total",
		"azvalidate_answer_changes_total", "azvalidate_request_duration_seconds",
		"azvalidate_rate_requests_per_second", "azvalidate_rate_limit_requests_per_second",
		"azvalidate_progress_ratio", "azvalidate_start_timestamp_seconds",
	}
)

// TestViews: each view has its names, no more and no fewer, and every
// figure both show has the same value in both, whatever its type.
func TestViews(t *testing.T) {
	t.Parallel()
	s, h := simulate(t, 1000)
	s.Changes = report.Changes{BecameTaken: 3, BecameAvailable: 1}
	s.ExitCode = 0
	done := Run{Summary: s, Latency: h}
	under := Run{Summary: s, Latency: h, Running: true, Rate: 4, Progress: 0.25}
	var buf bytes.Buffer
	if err := encode(&buf, reading{Run: done, lastSuccess: unixSeconds(s.End)}); err != nil {
		t.Fatal(err)
	}
	inFile := parseMetrics(t, buf.Bytes())
	onLive := gather(t, NewCollector(func() Run { return under }))

	for _, c := range []struct {
		view  string
		fams  map[string]*dto.MetricFamily
		names []string
	}{{"file", inFile, fileNames}, {"/metrics", onLive, liveNames}} {
		for _, name := range c.names {
			if _, ok := c.fams[name]; !ok {
				t.Errorf("%s: no %s", c.view, name)
			}
		}
		if len(c.fams) != len(c.names) {
			t.Errorf("%s: %d metrics, want %d", c.view, len(c.fams), len(c.names))
		}
	}

	byLabel := func(f *dto.MetricFamily) map[string]float64 {
		out := map[string]float64{}
		for _, m := range f.GetMetric() {
			key := ""
			for _, l := range m.GetLabel() {
				key += l.GetName() + "=" + l.GetValue()
			}
			switch f.GetType() {
			case dto.MetricType_GAUGE:
				out[key] = m.GetGauge().GetValue()
			case dto.MetricType_COUNTER:
				out[key] = m.GetCounter().GetValue()
			case dto.MetricType_SUMMARY:
				out[key+"count"], out[key+"sum"] = float64(m.GetSummary().GetSampleCount()), m.GetSummary().GetSampleSum()
			case dto.MetricType_HISTOGRAM:
				out[key+"count"], out[key+"sum"] = float64(m.GetHistogram().GetSampleCount()), m.GetHistogram().GetSampleSum()
			}
		}
		return out
	}
	shared := 0
	for _, m := range set {
		if m.help[file] == "" || m.help[live] == "" {
			continue
		}
		shared++
		liveName, wantLive, wantFile := m.name, dto.MetricType_GAUGE, dto.MetricType_GAUGE
		switch m.kind {
		case count:
			liveName, wantLive = m.name+"_total", dto.MetricType_COUNTER
		case latency:
			wantLive, wantFile = dto.MetricType_HISTOGRAM, dto.MetricType_SUMMARY
		}
		f, l := inFile[m.name], onLive[liveName]
		if f.GetType() != wantFile || l.GetType() != wantLive {
			t.Errorf("%s: file %v, /metrics %s %v; want %v and %v", m.name, f.GetType(), liveName, l.GetType(), wantFile, wantLive)
			continue
		}
		fv, lv := byLabel(f), byLabel(l)
		if len(fv) != len(lv) || len(fv) == 0 {
			t.Errorf("%s: %d samples in the file, %d on /metrics", m.name, len(fv), len(lv))
		}
		for k, v := range fv {
			if lv[k] != v {
				t.Errorf("%s{%s}: %v in the file, %v on /metrics", m.name, k, v, lv[k])
			}
		}
	}
	if shared == 0 {
		t.Error("no figure in both views")
	}
}

// TestFileAfterUpgrade: the last success written by an azvalidate before
// the file was encoded by the Prometheus library (no exponent, its own
// order) is kept by a failed run after it.
func TestFileAfterUpgrade(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "azvalidate.prom")
	const old = `# HELP azvalidate_running 1 while the run this file describes is under way (the file is rewritten every --progress-interval), 0 once it ended.
# TYPE azvalidate_running gauge
azvalidate_running 0
# HELP azvalidate_exit_code Exit code of the last run (0 all available, 1 findings, 2 usage, configuration or credentials, 3 row errors, 130/143 interrupted).
# TYPE azvalidate_exit_code gauge
azvalidate_exit_code 0
# HELP azvalidate_last_success_timestamp_seconds Unix time at which the last run that finished (exit code 0 or 1) ended.
# TYPE azvalidate_last_success_timestamp_seconds gauge
azvalidate_last_success_timestamp_seconds 1772443800.123
`
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC)
	if err := WriteFile(path, Run{Summary: report.Summary{Header: report.Header{Start: end, End: end}, ExitCode: 2}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if got := value(t, parseMetrics(t, b), lastSuccessMetric, nil); got != 1772443800.123 {
		t.Errorf("%s = %v, want the earlier file's 1772443800.123", lastSuccessMetric, got)
	}
}

// TestReadme: the monitoring page, which README.md links for reading the
// metrics, names every metric of both views.
func TestReadme(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../docs/monitoring.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append(fileNames, liveNames...) {
		if !bytes.Contains(readme, []byte("`"+name)) {
			t.Errorf("docs/monitoring.md does not name %s", name)
		}
	}
}
