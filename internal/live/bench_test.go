package live

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/stats"
)

// BenchmarkScrape measures one GET /metrics over loopback, the server and
// the client together; scrape-share-at-100ms is that time over a 100 ms
// scrape period: the share of one core a scraper that eager takes.
//
//	go test -run='^$' -bench='^BenchmarkScrape$' -count=3 ./internal/live
func BenchmarkScrape(b *testing.B) {
	st := new(stats.Stats)
	for i := range 10_000 {
		st.ObserveAttempt(azotte.Attempt{Status: 200, Latency: time.Duration(i) * time.Microsecond})
	}
	s, err := Start("127.0.0.1:0", Config{Stats: st})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	url := "http://" + s.Addr() + "/metrics"
	start := time.Now()
	for b.Loop() {
		resp, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(per)/float64(100*time.Millisecond), "scrape-share-at-100ms")
}
