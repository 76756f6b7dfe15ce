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
	"github.com/azotte/azvalidate/internal/verdict"
)

// lastSuccessMetric is the one metric WriteMetricsFile carries over from the
// file it replaces.
const lastSuccessMetric = "azvalidate_last_success_timestamp_seconds"

// succeeded reports whether a run finished: every row decided and written,
// with or without findings.
func succeeded(s Summary) bool { return (s.ExitCode == 0 || s.ExitCode == 1) && !s.Interrupted }

// writeMetrics writes the summary in the Prometheus text exposition format
// (version 0.0.4), as node_exporter's textfile collector reads it: every
// metric with # HELP and # TYPE, no timestamps. The counters are the last
// run's; a nightly job's file is replaced by each run.
//
// azvalidate_last_success_timestamp_seconds is last (NaN: not written);
// WriteMetricsFile passes the run's end when it finished (exit code 0 or 1)
// and the previous file's value otherwise, so that "time since the last
// success" can be alerted on.
func writeMetrics(w io.Writer, s Summary, lastSuccess float64) error {
	bw := bufio.NewWriter(w)
	family := func(name, typ, help string) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	sample := func(name, labels string, v float64) {
		fmt.Fprintf(bw, "%s%s %s\n", name, labels, promFloat(v))
	}
	one := func(name, typ, help string, v float64) {
		family(name, typ, help)
		sample(name, "", v)
	}

	family("azvalidate_rows_total", "counter", "Input rows of the last run, per verdict.")
	for _, v := range verdict.All {
		sample("azvalidate_rows_total", `{verdict="`+v.String()+`"}`, float64(s.Verdicts[v.String()]))
	}
	one("azvalidate_rows", "gauge", "Input rows decided in the last run.", float64(s.Rows))
	one("azvalidate_distinct_ids", "gauge", "Distinct usable ids in the last run.", float64(s.DistinctIDs))
	one("azvalidate_padded_ids", "gauge", "Ids with surrounding white space in the last run.", float64(s.PaddedIDs))
	one("azvalidate_api_calls_total", "counter", "HTTP requests sent to Azotte in the last run, retries included.", float64(s.APICalls))
	one("azvalidate_retries_total", "counter", "Repeated requests for the same id in the last run.", float64(s.Retries))
	one("azvalidate_http_429_total", "counter", "429 Too Many Requests answers in the last run.", float64(s.Throttled))
	one("azvalidate_journal_hits_total", "counter", "Answers reused from the --state journal in the last run.", float64(s.JournalHits))
	family("azvalidate_answer_changes_total", "counter", "Ids whose answer differs from an expired journalled one, by the new answer.")
	sample("azvalidate_answer_changes_total", `{to="taken"}`, float64(s.Changes.BecameTaken))
	sample("azvalidate_answer_changes_total", `{to="available"}`, float64(s.Changes.BecameAvailable))
	one("azvalidate_duration_seconds", "gauge", "Wall time of the last run.", s.ElapsedSeconds)
	one("azvalidate_rows_per_second", "gauge", "Rows decided per second in the last run.", s.RowsPerSecond)
	family("azvalidate_request_latency_seconds", "gauge",
		"Request latency quantiles of the last run (histogram bucket upper bounds, at most 25% high).")
	for _, q := range []struct {
		label string
		ms    float64
	}{{"0.5", s.LatencyMS.P50}, {"0.95", s.LatencyMS.P95}, {"0.99", s.LatencyMS.P99}} {
		sample("azvalidate_request_latency_seconds", `{quantile="`+q.label+`"}`, msSeconds(q.ms))
	}
	one("azvalidate_request_latency_max_seconds", "gauge", "Slowest request of the last run.", msSeconds(s.LatencyMS.Max))
	one("azvalidate_min_rate", "gauge", "Lowest request rate the pacer slowed down to, in requests per second (0 = unlimited).", s.MinRate)
	one("azvalidate_exit_code", "gauge", "Exit code of the last run (0 all available, 1 findings, 2 usage or credentials, 3 row errors, 130/143 interrupted).", float64(s.ExitCode))
	one("azvalidate_interrupted", "gauge", "1 when the last run was stopped by a signal.", bool01(s.Interrupted))
	one("azvalidate_last_run_timestamp_seconds", "gauge", "Unix time at which the last run ended.", unixSeconds(s.End))
	if !math.IsNaN(lastSuccess) {
		one(lastSuccessMetric, "gauge", "Unix time at which the last run that finished (exit code 0 or 1) ended.", lastSuccess)
	}
	return bw.Flush()
}

// WriteMetricsFile writes the metrics to path atomically (a temporary file
// renamed into place), so that node_exporter never reads half a file. Name it
// *.prom in the textfile collector's folder. When this run did not succeed,
// the last success timestamp of the file it replaces is kept.
func WriteMetricsFile(path string, s Summary) error {
	last := math.NaN()
	if succeeded(s) {
		last = unixSeconds(s.End)
	} else if old, err := os.ReadFile(path); err == nil {
		last = previousSample(old, lastSuccessMetric)
	}
	if err := output.WriteFile(path, func(w io.Writer) error { return writeMetrics(w, s, last) }); err != nil {
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
