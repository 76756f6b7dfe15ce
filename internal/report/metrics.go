package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

// lastSuccessMetric is the one metric WriteMetricsFile carries over from the
// file it replaces.
const lastSuccessMetric = "azvalidate_last_success_timestamp_seconds"

// succeeded reports whether a run finished: every row decided and written,
// with or without findings.
func succeeded(s Summary) bool { return (s.ExitCode == 0 || s.ExitCode == 1) && !s.Interrupted }

// MetricsFile says what a metrics file describes beside its Summary.
type MetricsFile struct {
	// Running marks a snapshot of a run under way (azvalidate_running 1):
	// it has no exit code, no interruption and no end yet.
	Running bool
	// Latency is the run's latency histogram, for the latency summary's
	// _sum and _count; nil when no request could have been made (a run
	// that failed on its configuration): no latency is written.
	Latency *stats.Histogram
}

// writeMetrics writes the summary in the Prometheus text exposition format
// (version 0.0.4), as node_exporter's textfile collector reads it: every
// metric with # HELP and # TYPE, no timestamps. Every value is the last
// run's, so every one is a gauge (or the latency summary), never a counter:
// a nightly job's file is replaced by each run and its values fall back,
// which a counter must not do. The live endpoint (--listen) has the
// counters.
//
// azvalidate_last_success_timestamp_seconds is last (NaN: not written);
// WriteMetricsFile passes the run's end when it finished (exit code 0 or 1)
// and the previous file's value otherwise, so that "time since the last
// success" can be alerted on.
func writeMetrics(w io.Writer, s Summary, m MetricsFile, lastSuccess float64) error {
	bw := bufio.NewWriter(w)
	family := func(name, typ, help string) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	sample := func(name, labels string, v float64) {
		fmt.Fprintf(bw, "%s%s %s\n", name, labels, promFloat(v))
	}
	gauge := func(name, help string, v float64) {
		family(name, "gauge", help)
		sample(name, "", v)
	}

	gauge("azvalidate_running", "1 while the run this file describes is under way (the file is rewritten every --progress-interval), 0 once it ended.", bool01(m.Running))
	family("azvalidate_rows", "gauge", "Input rows of the last run, per verdict.")
	for _, v := range verdict.All {
		sample("azvalidate_rows", `{verdict="`+v.String()+`"}`, float64(s.Verdicts[v.String()]))
	}
	gauge("azvalidate_distinct_ids", "Distinct usable ids in the last run.", float64(s.DistinctIDs))
	gauge("azvalidate_padded_ids", "Ids with surrounding white space in the last run.", float64(s.PaddedIDs))
	gauge("azvalidate_api_calls", "HTTP requests sent to Azotte in the last run, retries included.", float64(s.APICalls))
	gauge("azvalidate_retries", "Repeated requests for the same id in the last run.", float64(s.Retries))
	gauge("azvalidate_http_429_responses", "429 Too Many Requests answers in the last run.", float64(s.Throttled))
	gauge("azvalidate_journal_hits", "Answers reused from the --state journal in the last run.", float64(s.JournalHits))
	family("azvalidate_answer_changes", "gauge", "Ids whose answer differs from an expired journalled one in the last run, by the new answer.")
	sample("azvalidate_answer_changes", `{to="taken"}`, float64(s.Changes.BecameTaken))
	sample("azvalidate_answer_changes", `{to="available"}`, float64(s.Changes.BecameAvailable))
	gauge("azvalidate_waiting_ids", "Distinct ids a budget (--max-calls, --deadline) left unasked in the last run.", float64(s.WaitingIDs))
	gauge("azvalidate_start_timestamp_seconds", "Unix time at which the last run started.", unixSeconds(s.Start))
	gauge("azvalidate_duration_seconds", "Wall time of the last run (so far, while it runs).", s.ElapsedSeconds)
	gauge("azvalidate_rows_per_second", "Rows decided per second in the last run.", s.RowsPerSecond)
	if h := m.Latency; h != nil {
		const name = "azvalidate_request_duration_seconds"
		family(name, "summary", "Request latency of the last run (quantiles: histogram bucket upper bounds, at most 25% high).")
		for _, q := range []struct {
			label string
			ms    float64
		}{{"0.5", s.LatencyMS.P50}, {"0.95", s.LatencyMS.P95}, {"0.99", s.LatencyMS.P99}} {
			sample(name, `{quantile="`+q.label+`"}`, msSeconds(q.ms))
		}
		var n int64
		for _, b := range h.Buckets() {
			n += b.Count
		}
		sample(name+"_sum", "", h.Sum().Seconds())
		sample(name+"_count", "", float64(n))
		gauge("azvalidate_request_duration_max_seconds", "Slowest request of the last run.", msSeconds(s.LatencyMS.Max))
	}
	gauge("azvalidate_rate_limit_requests_per_second", "The --rate of the last run (0 = unlimited).", s.Settings.Rate)
	gauge("azvalidate_min_rate_requests_per_second", "Lowest request rate the pacer slowed down to in the last run (0 = unlimited).", s.MinRate)
	if !m.Running {
		gauge("azvalidate_exit_code", "Exit code of the last run (0 all available, 1 findings, 2 usage, configuration or credentials, 3 row errors, 130/143 interrupted).", float64(s.ExitCode))
		gauge("azvalidate_interrupted", "1 when the last run was stopped by a signal.", bool01(s.Interrupted))
		gauge("azvalidate_last_run_timestamp_seconds", "Unix time at which the last run ended.", unixSeconds(s.End))
	}
	if !math.IsNaN(lastSuccess) {
		gauge(lastSuccessMetric, "Unix time at which the last run that finished (exit code 0 or 1) ended.", lastSuccess)
	}
	return bw.Flush()
}

// WriteMetricsFile writes the metrics to path atomically (a temporary file
// renamed into place), so that node_exporter never reads half a file. Name it
// *.prom in the textfile collector's folder. Unless this run ended with
// success, the last success timestamp of the file it replaces is kept: a
// snapshot of a run under way, a failure, an interrupt.
func WriteMetricsFile(path string, s Summary, m MetricsFile) error {
	last := math.NaN()
	if !m.Running && succeeded(s) {
		last = unixSeconds(s.End)
	} else if old, err := os.ReadFile(path); err == nil {
		last = previousSample(old, lastSuccessMetric)
	}
	if err := output.WriteFile(path, func(w io.Writer) error { return writeMetrics(w, s, m, last) }); err != nil {
		return fmt.Errorf("write metrics %s: %w", path, err)
	}
	return nil
}

// previousSample finds the value of an unlabelled sample in an exposition
// written by writeMetrics; NaN when there is none.
func previousSample(b []byte, name string) float64 {
	for line := range bytes.Lines(b) {
		rest, ok := strings.CutPrefix(string(line), name+" ")
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64); err == nil {
			return v
		}
	}
	return math.NaN()
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// msSeconds turns milliseconds (as in Summary.LatencyMS) into seconds,
// rounded to the nanosecond the histogram measured, not to float noise.
func msSeconds(ms float64) float64 { return math.Round(ms*1e6) / 1e9 }

// promFloat formats v as the text format wants (+Inf, -Inf, NaN), in the
// shortest form that reads back the same, without an exponent where people
// would not write one (timestamps, byte counts).
func promFloat(v float64) string {
	switch a := math.Abs(v); {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	case a == 0 || a >= 1e-6 && a < 1e15:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
