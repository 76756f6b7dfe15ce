package pipeline

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/pace"
	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

// BenchmarkThrottle runs 6,000 distinct ids through Run, with the client
// and pacer the validate command uses, at --rate 400 --burst 8 and
// concurrency 16, against a sandbox that allows 100 requests per second
// (burst 10), announces no rate-limit headers, and makes every 429 cost a
// Retry-After of 2 s. The pacer learns the limit from 429s alone; each one
// pauses every worker, so they must not recur. About 70 s per iteration:
//
//	go test -run='^$' -bench='^BenchmarkThrottle$' -benchtime=1x ./internal/pipeline
//
// used/limit is the distinct ids answered per second over the sandbox's
// 100/s (target >= 0.8); 429s is the number of 429 answers per run (target
// <= 4); paused-s is how long the pacer held every worker; final-rate is the
// pacer's rate at the end; error-rows counts rows whose retries all failed.
func BenchmarkThrottle(b *testing.B) {
	const (
		n          = 6000
		limit      = 100
		rate       = 400
		conc       = 16
		retryAfter = 2 * time.Second
	)
	data, _ := benchCSV(n)
	var throttled, requests, errs int64
	var elapsed, paused time.Duration
	var finalRate float64
	for b.Loop() {
		sb := sandbox.New(sandbox.Config{
			Tenant: "t-throttle", APIKey: "sk_test_throttle",
			Rate: limit, Burst: 10, NoRateLimitHeaders: true, RetryAfter: retryAfter,
		})
		srv := httptest.NewServer(sb)
		hc := &http.Client{Transport: azotte.NewTransport(conc)}
		stats := new(stats.Stats)
		pacer := pace.NewAdaptive(pace.Config{Rate: rate, Burst: 8})
		client, err := azotte.New(azotte.Config{
			BaseURL: srv.URL, Tenant: "t-throttle", APIKey: "sk_test_throttle",
			HTTPClient: hc, Concurrency: conc,
			Retries: 5, // --retries' default
			Pacer:   pacer,
			Observe: stats.ObserveAttempt,
		})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		runCSVInto(b, data, client, conc, stats)
		elapsed += time.Since(start)
		hc.CloseIdleConnections()
		srv.Close()
		throttled += sb.Throttled()
		requests += sb.Requests()
		errs += stats.Verdict(verdict.Error)
		paused += pacer.Paused()
		finalRate = pacer.Rate()
		if got := sb.Answered(); got != n {
			b.Errorf("sandbox answered %d, want one per id (%d)", got, n)
		}
	}
	runs := float64(b.N)
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds()/limit, "used/limit")
	b.ReportMetric(float64(throttled)/runs, "429s")
	b.ReportMetric(float64(requests)/float64(n*b.N), "calls/id")
	b.ReportMetric(paused.Seconds()/runs, "paused-s")
	b.ReportMetric(finalRate, "final-rate")
	b.ReportMetric(float64(errs)/runs, "error-rows")
	b.ReportMetric(0, "ns/op")
}
