package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkListen measures what --listen costs a run that is scraped: the
// whole validate command (the embedded sandbox, no rate limit, 20,000 rows,
// concurrency 16) with --listen and a scraper reading /metrics every
// 100 ms, next to the same run without --listen. An iteration runs both, in
// an order that alternates; scraped/plain is the median of the iterations'
// ratios of rows/s (1 = free):
//
//	go test -run='^$' -bench='^BenchmarkListen$' -benchtime=10x -count=3 ./internal/cli
func BenchmarkListen(b *testing.B) {
	const rows = 20_000
	dir := b.TempDir()
	in := filepath.Join(dir, "in.csv")
	var sb strings.Builder
	sb.WriteString("externalId\n")
	for i := range rows {
		fmt.Fprintf(&sb, "id-%07d\n", i)
	}
	if err := os.WriteFile(in, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, "out.csv")
	base := []string{"validate", "--sandbox", "--log-format", "json", "-o", out, in}

	var plainRate, scrapedRate []float64
	var scrapes int
	runOnce := func(listen bool) float64 {
		args := slices.Clone(base)
		stderr := &lineWriter{addr: make(chan string, 1)}
		if listen {
			args = append(args, "--listen", "127.0.0.1:0")
		}
		done := make(chan int, 1)
		start := time.Now()
		go func() { done <- Run(context.Background(), args, testEnv(strings.NewReader(""), io.Discard, stderr)) }()
		if listen {
			var addr string
			select {
			case addr = <-stderr.addr:
			case code := <-done:
				b.Fatalf("exit %d before listening:\n%s", code, stderr)
			}
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
		scrape:
			for {
				select {
				case code := <-done:
					done <- code
					break scrape
				case <-tick.C:
					if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						scrapes++
					}
				}
			}
		}
		if code := <-done; code != 0 {
			b.Fatalf("exit %d\n%s", code, stderr)
		}
		return rows / time.Since(start).Seconds()
	}
	var ratios []float64
	for i := 0; b.Loop(); i++ {
		var p, s float64
		if i%2 == 0 {
			p, s = runOnce(false), runOnce(true)
		} else {
			s, p = runOnce(true), runOnce(false)
		}
		plainRate, scrapedRate = append(plainRate, p), append(scrapedRate, s)
		ratios = append(ratios, s/p)
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "scraped/plain")
	b.ReportMetric(median(plainRate), "plain-rows/s")
	b.ReportMetric(median(scrapedRate), "scraped-rows/s")
	b.ReportMetric(float64(scrapes)/float64(len(ratios)), "scrapes/run")
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}
