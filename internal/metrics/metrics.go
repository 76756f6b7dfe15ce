// Package metrics owns a run's Prometheus metrics: one set of figures
// (names, help, types, labels and where each value comes from), defined
// once in this file, and its two expositions, both encoded by the
// Prometheus client library:
//
//   - the --metrics-file (WriteFile): the last run's values, all gauges,
//     for node_exporter's textfile collector;
//   - --listen's /metrics (NewCollector): the running process's, counts as
//     counters (_total).
//
// Both read a Run: a report.Summary of the run (so far) and what only a
// run under way knows.
package metrics

import (
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

// Run is what the metrics describe.
type Run struct {
	// Summary is the run so far (its counters filled from stats.Stats), or
	// the run's final summary.
	Summary report.Summary
	// Latency is the run's latency histogram; nil when no request could
	// have been made (a run that failed on its configuration): no latency
	// is exposed.
	Latency *stats.Histogram
	// Running marks a run under way (azvalidate_running 1 in the file): it
	// has no exit code, no interruption and no end yet.
	Running bool
	// Rate is the pacer's rate now, in requests per second (0: unlimited);
	// /metrics only.
	Rate float64
	// Progress is the share of the input decided, 0 to 1; negative when
	// the size is unknown (no azvalidate_progress_ratio). /metrics only.
	Progress float64
}

// view is one of the two expositions.
type view int

const (
	file view = iota // --metrics-file: the last run's values
	live             // /metrics: the running process's
	views
)

// kind is how a figure is typed in each view.
type kind int

const (
	// gauge is a gauge in both views.
	gauge kind = iota
	// count only grows while a run runs: a counter named with _total on
	// /metrics, a gauge in the file. The file is replaced by each run and
	// its values fall back, which a counter must not do.
	count
	// latency is the request latency: a summary in the file (its quantiles
	// the Summary's), a histogram of the run's own buckets on /metrics.
	latency
)

// reading is what one exposition reads: the run, and what the file
// carries over from the file it replaces.
type reading struct {
	Run
	lastSuccess float64 // the file's last success, Unix seconds; NaN: none
}

// metric is one figure of a run.
type metric struct {
	name string // as in the file; a count's name on /metrics adds _total
	kind kind
	// help is the HELP text in each view; "": the view does not show it.
	help [views]string
	// label names the one label, whose values are labels (one sample
	// each); "": an unlabelled metric.
	label  string
	labels []string
	// value is the sample of label (or of the metric when unlabelled);
	// unused for latency.
	value func(r *reading, label string) float64
	// present says whether r has this figure at all; nil: always.
	present func(r *reading) bool
}

// set is every figure of a run, in both views. A new figure is one entry.
var set = []metric{
	{name: "azvalidate_running", kind: gauge,
		help:  [views]string{file: "1 while the run this file describes is under way (the file is rewritten every --progress-interval), 0 once it ended."},
		value: func(r *reading, _ string) float64 { return bool01(r.Running) }},
	{name: "azvalidate_rows", kind: count, label: "verdict", labels: verdictNames(),
		help: [views]string{
			file: "Input rows of the last run, per verdict.",
			live: "Input rows decided so far, per verdict."},
		value: func(r *reading, v string) float64 { return float64(r.Summary.Verdicts[v]) }},
	{name: "azvalidate_distinct_ids", kind: count,
		help: [views]string{
			file: "Distinct usable ids in the last run.",
			live: "Distinct usable ids seen so far."},
		value: func(r *reading, _ string) float64 { return float64(r.Summary.DistinctIDs) }},
	{name: "azvalidate_padded_ids", kind: count,
		help:  [views]string{file: "Ids with surrounding white space in the last run."},
		value: func(r *reading, _ string) float64 { return float64(r.Summary.PaddedIDs) }},
	{name: "azvalidate_api_calls", kind: count,
		help: [views]string{
			file: "HTTP requests sent to Azotte in the last run, retries included.",
			live: "HTTP requests sent to Azotte, retries included."},
		value: func(r *reading, _ string) float64 { return float64(r.Summary.APICalls) }},
	{name: "azvalidate_retries", kind: count,
		help: [views]string{
			file: "Repeated requests for the same id in the last run.",
			live: "Repeated requests for the same id."},
		value: func(r *reading, _ string) float64 { return float64(r.Summary.Retries) }},
	{name: "azvalidate_http_429_responses", kind: count,
		help: [views]string{
			file: "429 Too Many Requests answers in the last run.",
			live: "429 Too Many Requests answers."},
		value: func(r *reading, _ string) float64 { return float64(r.Summary.Throttled) }},
	{name: "azvalidate_journal_hits", kind: count,
		help: [views]string{
			file: "Answers reused from the --state journal in the last run.",
			live: "Answers reused from the --state journal."},
		value: func(r *reading, _ string) float64 { return float64(r.Summary.JournalHits) }},
	{name: "azvalidate_answer_changes", kind: count, label: "to", labels: []string{"taken", "available"},
		help: [views]string{
			file: "Ids whose answer differs from an expired journalled one in the last run, by the new answer.",
			live: "Ids whose answer differs from an expired journalled one, by the new answer."},
		value: func(r *reading, to string) float64 {
			if to == "taken" {
				return float64(r.Summary.Changes.BecameTaken)
			}
			return float64(r.Summary.Changes.BecameAvailable)
		}},
	{name: "azvalidate_waiting_ids", kind: gauge,
		help:  [views]string{file: "Distinct ids a budget (--max-calls, --deadline) left unasked in the last run."},
		value: func(r *reading, _ string) float64 { return float64(r.Summary.WaitingIDs) }},
	{name: "azvalidate_start_timestamp_seconds", kind: gauge,
		help: [views]string{
			file: "Unix time at which the last run started.",
			live: "Unix time at which the run started."},
		value:   func(r *reading, _ string) float64 { return unixSeconds(r.Summary.Start) },
		present: func(r *reading) bool { return !r.Summary.Start.IsZero() }},
	{name: "azvalidate_duration_seconds", kind: gauge,
		help:  [views]string{file: "Wall time of the last run (so far, while it runs)."},
		value: func(r *reading, _ string) float64 { return r.Summary.ElapsedSeconds }},
	{name: "azvalidate_rows_per_second", kind: gauge,
		help:  [views]string{file: "Rows decided per second in the last run."},
		value: func(r *reading, _ string) float64 { return r.Summary.RowsPerSecond }},
	{name: "azvalidate_request_duration_seconds", kind: latency,
		help: [views]string{
			file: "Request latency of the last run (quantiles: histogram bucket upper bounds, at most 25% high).",
			live: "Request latency (answers and failures; requests never sent are not counted)."},
		present: hasLatency},
	{name: "azvalidate_request_duration_max_seconds", kind: gauge,
		help:    [views]string{file: "Slowest request of the last run."},
		value:   func(r *reading, _ string) float64 { return msSeconds(r.Summary.LatencyMS.Max) },
		present: hasLatency},
	{name: "azvalidate_rate_requests_per_second", kind: gauge,
		help:  [views]string{live: "Request rate the pacer allows now (0 = unlimited): below the limit after 429s."},
		value: func(r *reading, _ string) float64 { return r.Rate }},
	{name: "azvalidate_rate_limit_requests_per_second", kind: gauge,
		help: [views]string{
			file: "The --rate of the last run (0 = unlimited).",
			live: "The run's --rate (0 = unlimited)."},
		value: func(r *reading, _ string) float64 { return r.Summary.Settings.Rate }},
	{name: "azvalidate_min_rate_requests_per_second", kind: gauge,
		help:  [views]string{file: "Lowest request rate the pacer slowed down to in the last run (0 = unlimited)."},
		value: func(r *reading, _ string) float64 { return r.Summary.MinRate }},
	{name: "azvalidate_progress_ratio", kind: gauge,
		help:    [views]string{live: "Share of the input decided (of the ids to ask, in a budgeted run's first pass), 0 to 1; absent when the size is unknown."},
		value:   func(r *reading, _ string) float64 { return r.Progress },
		present: func(r *reading) bool { return r.Progress >= 0 }},
	{name: "azvalidate_exit_code", kind: gauge,
		help:    [views]string{file: "Exit code of the last run (0 all available, 1 findings, 2 usage, configuration or credentials, 3 row errors, 75 Azotte asked to wait longer than the run allows, 130/143 interrupted)."},
		value:   func(r *reading, _ string) float64 { return float64(r.Summary.ExitCode) },
		present: ended},
	{name: "azvalidate_interrupted", kind: gauge,
		help:    [views]string{file: "1 when the last run was stopped by a signal."},
		value:   func(r *reading, _ string) float64 { return bool01(r.Summary.Interrupted) },
		present: ended},
	{name: "azvalidate_last_run_timestamp_seconds", kind: gauge,
		help:    [views]string{file: "Unix time at which the last run ended."},
		value:   func(r *reading, _ string) float64 { return unixSeconds(r.Summary.End) },
		present: ended},
	{name: lastSuccessMetric, kind: gauge,
		help:    [views]string{file: "Unix time at which the last run that finished (exit code 0 or 1) ended."},
		value:   func(r *reading, _ string) float64 { return r.lastSuccess },
		present: func(r *reading) bool { return !math.IsNaN(r.lastSuccess) }},
}

// lastSuccessMetric is the one metric WriteFile carries over from the file
// it replaces.
const lastSuccessMetric = "azvalidate_last_success_timestamp_seconds"

func hasLatency(r *reading) bool { return r.Latency != nil }
func ended(r *reading) bool      { return !r.Running }

func verdictNames() []string {
	names := make([]string, len(verdict.All))
	for i, v := range verdict.All {
		names[i] = v.String()
	}
	return names
}

// descs holds each figure's description in each view, by set's index; nil
// where the view does not show it.
var descs = func() (d [views][]*prometheus.Desc) {
	for v := range views {
		d[v] = make([]*prometheus.Desc, len(set))
		for i, m := range set {
			if m.help[v] == "" {
				continue
			}
			name := m.name
			if m.kind == count && v == live {
				name += "_total"
			}
			var labels []string
			if m.label != "" {
				labels = []string{m.label}
			}
			d[v][i] = prometheus.NewDesc(name, m.help[v], labels, nil)
		}
	}
	return d
}()

// collector exposes one view of the figures that read returns, read once
// per collection.
type collector struct {
	view view
	read func() reading
}

// NewCollector returns the collector of /metrics: it calls run at each
// scrape, from the scraping goroutine, so run must be safe for concurrent
// use.
func NewCollector(run func() Run) prometheus.Collector {
	return collector{view: live, read: func() reading { return reading{Run: run(), lastSuccess: math.NaN()} }}
}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs[c.view] {
		if d != nil {
			ch <- d
		}
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	r := c.read()
	for i, m := range set {
		d := descs[c.view][i]
		if d == nil || m.present != nil && !m.present(&r) {
			continue
		}
		switch {
		case m.kind == latency:
			ch <- c.latency(d, &r)
		case m.label == "":
			ch <- prometheus.MustNewConstMetric(d, c.valueType(m.kind), m.value(&r, ""))
		default:
			for _, l := range m.labels {
				ch <- prometheus.MustNewConstMetric(d, c.valueType(m.kind), m.value(&r, l), l)
			}
		}
	}
}

func (c collector) valueType(k kind) prometheus.ValueType {
	if k == count && c.view == live {
		return prometheus.CounterValue
	}
	return prometheus.GaugeValue
}

// latency is the run's latency: in the file a summary whose quantiles are
// the Summary's; on /metrics a histogram of the run's own buckets,
// cumulative as Prometheus wants them, the overflow bucket being +Inf,
// which the count stands for.
func (c collector) latency(d *prometheus.Desc, r *reading) prometheus.Metric {
	var n uint64
	var buckets map[float64]uint64
	if c.view == live {
		buckets = make(map[float64]uint64, 72)
	}
	for _, b := range r.Latency.Buckets() {
		n += uint64(b.Count)
		if buckets != nil && b.Upper != math.MaxInt64 {
			buckets[b.Upper.Seconds()] = n
		}
	}
	sum := r.Latency.Sum().Seconds()
	if c.view == live {
		return prometheus.MustNewConstHistogram(d, n, sum, buckets)
	}
	q := r.Summary.LatencyMS
	return prometheus.MustNewConstSummary(d, n, sum, map[float64]float64{
		0.5: msSeconds(q.P50), 0.95: msSeconds(q.P95), 0.99: msSeconds(q.P99),
	})
}

// unixSeconds is t in Unix seconds, to the millisecond; 0 for the zero time.
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
