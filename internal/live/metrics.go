package live

import (
	"math"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/azotte/azvalidate/internal/verdict"
)

// The live metrics are the running process's: counters (_total) that only
// grow while it runs, which rate() and increase() read as Prometheus means.
// The --metrics-file keeps the last run's values as gauges instead.
var (
	descRows = prometheus.NewDesc("azvalidate_rows_total",
		"Input rows decided so far, per verdict.", []string{"verdict"}, nil)
	descDistinct = prometheus.NewDesc("azvalidate_distinct_ids_total",
		"Distinct usable ids seen so far.", nil, nil)
	descCalls = prometheus.NewDesc("azvalidate_api_calls_total",
		"HTTP requests sent to Azotte, retries included.", nil, nil)
	descRetries = prometheus.NewDesc("azvalidate_retries_total",
		"Repeated requests for the same id.", nil, nil)
	desc429 = prometheus.NewDesc("azvalidate_http_429_responses_total",
		"429 Too Many Requests answers.", nil, nil)
	descHits = prometheus.NewDesc("azvalidate_journal_hits_total",
		"Answers reused from the --state journal.", nil, nil)
	descChanges = prometheus.NewDesc("azvalidate_answer_changes_total",
		"Ids whose answer differs from an expired journalled one, by the new answer.", []string{"to"}, nil)
	descLatency = prometheus.NewDesc("azvalidate_request_duration_seconds",
		"Request latency (answers and failures; requests never sent are not counted).", nil, nil)
	descRate = prometheus.NewDesc("azvalidate_rate_requests_per_second",
		"Request rate the pacer allows now (0 = unlimited): below the limit after 429s.", nil, nil)
	descLimit = prometheus.NewDesc("azvalidate_rate_limit_requests_per_second",
		"The run's --rate (0 = unlimited).", nil, nil)
	descProgress = prometheus.NewDesc("azvalidate_progress_ratio",
		"Share of the input decided (of the ids to ask, in a budgeted run's first pass), 0 to 1; absent when the size is unknown.", nil, nil)
	descStart = prometheus.NewDesc("azvalidate_start_timestamp_seconds",
		"Unix time at which the run started.", nil, nil)
)

// collector reads the run's counters at each scrape.
type collector struct{ s *Server }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRows, descDistinct, descCalls, descRetries, desc429, descHits,
		descChanges, descLatency, descRate, descLimit, descProgress, descStart} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.cfg.Stats
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	for _, v := range verdict.All {
		counter(descRows, st.Verdict(v), v.String())
	}
	counter(descDistinct, st.DistinctIDs.Load())
	counter(descCalls, st.Calls.Load())
	counter(descRetries, st.Retries.Load())
	counter(desc429, st.Throttled.Load())
	counter(descHits, st.JournalHits.Load())
	counter(descChanges, st.BecameTaken.Load(), "taken")
	counter(descChanges, st.BecameAvailable.Load(), "available")

	// The histogram's own buckets, cumulative as Prometheus wants them;
	// the overflow bucket is +Inf, which the count stands for.
	var n uint64
	buckets := make(map[float64]uint64, 72)
	for _, b := range st.Latency.Buckets() {
		n += uint64(b.Count)
		if b.Upper != math.MaxInt64 {
			buckets[b.Upper.Seconds()] = n
		}
	}
	ch <- prometheus.MustNewConstHistogram(descLatency, n, st.Latency.Sum().Seconds(), buckets)

	gauge(descRate, c.s.rate())
	gauge(descLimit, c.s.cfg.Settings.Rate)
	if share := c.s.progress().Share(); share >= 0 {
		gauge(descProgress, share)
	}
	if !c.s.cfg.Start.IsZero() {
		gauge(descStart, float64(c.s.cfg.Start.UnixMilli())/1000)
	}
}
