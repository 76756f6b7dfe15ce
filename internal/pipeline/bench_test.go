package pipeline

// The benchmarks behind the README's Performance table. Each reports its figures
// with b.ReportMetric; CI runs them once (-benchtime=1x) only to keep them
// working, never as a pass or fail on speed. The commands behind the README's
// figures are in each benchmark's comment.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/memtest"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/spill"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

var (
	memRows    = flag.Float64("memrows", 1e7, "rows streamed by BenchmarkMemory")
	memIDs     = flag.Float64("memids", 1e6, "distinct ids among BenchmarkMemory's rows")
	pacingFor  = flag.Duration("pacing", 10*time.Second, "length of BenchmarkPacing's run")
	economyFor = flag.Duration("economy", 5*time.Second, "length of each of BenchmarkEconomy's runs (figures: 20s)")
)

// BenchmarkRun measures the overhead of the whole path the validate command
// takes, CSV in and CSV out (input.Open, Run with the client and pacer set up
// as the command sets them up, output.New to io.Discard), against the
// sandbox on loopback with no latency and no limit, next to two loops making
// the same requests for the same ids at the same concurrency over the same
// connection pool:
//
//   - bare: a minimal loop on net/http alone: build the request, send it,
//     read the answer and throw it away (the "bare Go loop" of the README's overhead row);
//   - client: a loop on azotte.Client.Validate (response parsing, pacer,
//     statistics) and nothing else, so that pipeline/client isolates what
//     the reader, the pipeline and the writer cost.
//
// An iteration runs all three on 10,000 rows, in an order that rotates. The
// machine is small and shared, so only ratios measured side by side mean
// something (5 counts of 4 iterations: about 50 seconds):
//
//	go test -run='^$' -bench='^BenchmarkRun$' -benchtime=4x -count=5 ./internal/pipeline
//
// rows/s, bare-rows/s and client-rows/s are the rates over the whole
// benchmark; pipeline/bare (target >= 0.8) and pipeline/client are medians
// of the iterations' ratios, which a burst of load from elsewhere moves less
// than it moves the rates. allocs/row, client-allocs/row and
// bare-allocs/row count every heap allocation of the process, the in-process
// sandbox's included; the difference between the first two is what the
// reader, the pipeline and the writer add per row.
func BenchmarkRun(b *testing.B) {
	const n = 10_000
	data, ids := benchCSV(n)
	for _, conc := range []int{16, 64} {
		b.Run(fmt.Sprint("concurrency=", conc), func(b *testing.B) {
			e := newBenchEnv(b, sandbox.Config{}, conc, 0)
			e.bareLoop(b, ids[:4*conc], conc) // open the connections before timing
			const pipe, bare, client = 0, 1, 2
			var took [3]time.Duration
			var allocs [3]uint64
			var vsBare, vsClient []float64
			for i := 0; b.Loop(); i++ {
				var t [3]time.Duration
				for k := range 3 {
					loop := (i + k) % 3
					a, start := memtest.Allocs(), time.Now()
					switch loop {
					case pipe:
						stats := runCSV(b, data, e.client, conc)
						if got := stats.Verdict(verdict.Available); got != n {
							b.Fatalf("%d rows available, want %d", got, n)
						}
					case bare:
						e.bareLoop(b, ids, conc)
					case client:
						clientLoop(b, e.client, ids, conc)
					}
					t[loop] = time.Since(start)
					allocs[loop] += memtest.Allocs() - a
					took[loop] += t[loop]
				}
				vsBare = append(vsBare, t[bare].Seconds()/t[pipe].Seconds())
				vsClient = append(vsClient, t[client].Seconds()/t[pipe].Seconds())
			}
			rows := float64(n * b.N)
			b.ReportMetric(rows/took[pipe].Seconds(), "rows/s")
			b.ReportMetric(rows/took[bare].Seconds(), "bare-rows/s")
			b.ReportMetric(rows/took[client].Seconds(), "client-rows/s")
			b.ReportMetric(median(vsBare), "pipeline/bare")
			b.ReportMetric(median(vsClient), "pipeline/client")
			b.ReportMetric(float64(allocs[pipe])/rows, "allocs/row")
			b.ReportMetric(float64(allocs[client])/rows, "client-allocs/row")
			b.ReportMetric(float64(allocs[bare])/rows, "bare-allocs/row")
			b.ReportMetric(0, "ns/op") // an iteration is all three loops: not a figure of any
		})
	}
}

func median(v []float64) float64 {
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// BenchmarkPacing runs --rate 200 (burst 8, concurrency 16) for -pacing
// (default 10s) against the sandbox with no limit, and counts the requests
// as the pacer lets them go and as the sandbox receives them:
//
//	go test -run='^$' -bench='^BenchmarkPacing$' -benchtime=1x -count=3 ./internal/pipeline
//
// achieved/configured is the rate of requests over the run (target >=
// 0.97); max-1s-sent is the most requests the pacer let go in any 1-second
// window (target <= rate + burst = 208), max-1s-received the same as the
// sandbox saw them, scheduling and network jitter included.
func BenchmarkPacing(b *testing.B) {
	const rate, burst, conc = 200, 8, 16
	n := int(rate * pacingFor.Seconds())
	data, _ := benchCSV(n)
	var elapsed time.Duration
	var sent, received int
	for b.Loop() {
		e := newBenchEnv(b, sandbox.Config{}, conc, rate)
		e.stamp.Store(true)
		start := time.Now()
		stats := runCSV(b, data, e.client, conc)
		elapsed += time.Since(start)
		if got := stats.Verdict(verdict.Available); got != int64(n) {
			b.Fatalf("%d rows available, want %d", got, n)
		}
		sent = max(sent, maxIn(e.pacer.times(), time.Second))
		received = max(received, maxIn(e.times(), time.Second))
	}
	achieved := float64(n*b.N) / elapsed.Seconds()
	b.ReportMetric(achieved, "requests/s")
	b.ReportMetric(achieved/rate, "achieved/configured")
	b.ReportMetric(float64(sent), "max-1s-sent")
	b.ReportMetric(float64(received), "max-1s-received")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkEconomy runs --rate 400 against a sandbox that answers 100
// requests per second and 429 beyond, for about -economy each, with and
// without the X-RateLimit headers that announce its budget. The default of
// 5s keeps CI's smoke run short; the figures are for 20s:
//
//	go test -run='^$' -bench='^BenchmarkEconomy$' -benchtime=1x ./internal/pipeline -args -economy=20s
//
// 429/call is the share of requests answered 429 (target <= 0.02 without
// headers, 0 with them); calls/id is requests per distinct id (target 1.00
// beside the retries of 429s); used/limit is the rate achieved over the
// sandbox's 100/s; error-rows counts rows whose retries all met a 429.
func BenchmarkEconomy(b *testing.B) {
	const limit, rate, conc = 100, 400, 16
	n := int(limit * economyFor.Seconds())
	data, _ := benchCSV(n)
	for _, headers := range []bool{true, false} {
		name := "headers=on"
		if !headers {
			name = "headers=off"
		}
		b.Run(name, func(b *testing.B) {
			var requests, throttled, errs int64
			var elapsed time.Duration
			for b.Loop() {
				e := newBenchEnv(b, sandbox.Config{Rate: limit, NoRateLimitHeaders: !headers}, conc, rate)
				start := time.Now()
				stats := runCSV(b, data, e.client, conc)
				elapsed += time.Since(start)
				requests += e.sb.Requests()
				throttled += e.sb.Throttled()
				errs += stats.Verdict(verdict.Error) // retries exhausted on 429s
			}
			b.ReportMetric(float64(throttled)/float64(requests), "429/call")
			b.ReportMetric(float64(requests)/float64(n*b.N), "calls/id")
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds()/limit, "used/limit")
			b.ReportMetric(float64(errs)/float64(b.N), "error-rows")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkRunNoHTTP is BenchmarkRun's pipeline side alone: the same CSV in
// and CSV out, with the in-process Validator of BenchmarkMemory instead of
// HTTP. Without the network's noise it shows what reading, dedup, ordering
// and writing cost per row, to compare changes to them:
//
//	go test -run='^$' -bench='^BenchmarkRunNoHTTP$' -benchtime=20x -count=5 ./internal/pipeline
func BenchmarkRunNoHTTP(b *testing.B) {
	const n = 20_000
	data, _ := benchCSV(n)
	for _, conc := range []int{16, 64} {
		b.Run(fmt.Sprint("concurrency=", conc), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				stats := runCSV(b, data, instant{}, conc)
				if got := stats.Rows.Load(); got != n {
					b.Fatalf("%d rows, want %d", got, n)
				}
			}
			rows := float64(n * b.N)
			b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/rows, "ns/row")
		})
	}
}

// BenchmarkLatencyHiding measures how well the workers hide Azotte's latency:
// the sandbox delays each answer uniformly in [25ms, 75ms] (mean 50ms), with
// no rate limit, and the run has 64 workers, so the best possible rate is
// 64 / 50ms = 1,280 rows/s (Little's law). An iteration is 6,400 rows, about
// 5 seconds, CSV in and CSV out:
//
//	go test -run='^$' -bench='^BenchmarkLatencyHiding$' -benchtime=3x -count=3 ./internal/pipeline
//
// achieved/ideal is the target's ratio (>= 0.9).
func BenchmarkLatencyHiding(b *testing.B) {
	const (
		conc    = 64
		latency = 50 * time.Millisecond
		n       = 6_400
	)
	data, _ := benchCSV(n)
	e := newBenchEnv(b, sandbox.Config{Latency: latency}, conc, 0)
	var elapsed time.Duration
	for b.Loop() {
		start := time.Now()
		stats := runCSV(b, data, e.client, conc)
		elapsed += time.Since(start)
		if got := stats.Verdict(verdict.Available); got != n {
			b.Fatalf("%d rows available, want %d", got, n)
		}
	}
	rate := float64(n*b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "rows/s")
	b.ReportMetric(rate/(conc/latency.Seconds()), "achieved/ideal")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkMemory streams -memrows rows (default 10^7) with -memids distinct
// ids (default 10^6, 12 bytes each) from a generator, no file, through Run and
// the CSV writer (to io.Discard); the rows are shaped as the CSV reader shapes
// them (three fields sharing one string). Its Validator answers at once,
// in-process: this measures the pipeline's memory (the distinct-id set, the
// window), not HTTP. Full size, about 20 seconds on 2 cores (the second
// command is a quick look at a tenth of it):
//
//	go test -run='^$' -bench='^BenchmarkMemory$' -benchtime=1x ./internal/pipeline
//	go test -run='^$' -bench='^BenchmarkMemory$' -benchtime=1x ./internal/pipeline -args -memrows=1e6 -memids=1e5
//
// peak-heap-MB is the largest heap in use sampled every 10ms (target < 200),
// garbage not yet collected included, so it is what the process's RSS
// follows. B/id is the live heap, measured after a forced collection when
// every id is in the set (at the last row), less the live heap before the
// run, per distinct id (target <= 64). peak-B/id is the same for the peak,
// collector headroom included.
func BenchmarkMemory(b *testing.B) {
	rows, ids := int64(*memRows), int64(*memIDs)
	if ids < 1 || rows < ids {
		b.Fatalf("-memrows %d, -memids %d: want 1 <= memids <= memrows", rows, ids)
	}
	var peak, base, live uint64
	var elapsed time.Duration
	for b.Loop() {
		runtime.GC()
		base = memtest.InUse()
		baseLive := memtest.Live()
		stop := memtest.SamplePeak(10 * time.Millisecond)

		w, err := output.New(io.Discard, output.Options{InputFormat: input.CSV, Header: []string{"externalId", "name", "email"}})
		if err != nil {
			b.Fatal(err)
		}
		sink := &probeSink{Writer: w, last: rows}
		stats := new(stats.Stats)
		start := time.Now()
		if err := Run(context.Background(), Config{Concurrency: 16, Stats: stats}, &genRows{n: rows, distinct: ids}, instant{}, sink); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		peak = max(peak, stop())
		live = sink.live - baseLive
		if got := stats.DistinctIDs.Load(); got != ids {
			b.Fatalf("%d distinct ids, want %d", got, ids)
		}
	}
	b.ReportMetric(float64(rows*int64(b.N))/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(live)/float64(ids), "B/id")
	b.ReportMetric(float64(peak-min(base, peak))/float64(ids), "peak-B/id")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkIDSet measures the distinct-id set alone, one operation per
// iteration: "new" registers a new id and retires it (what the first row of
// an id costs), "seen" looks up one of 2^20 retired ids in random order
// (what a duplicate row costs).
//
//	go test -run='^$' -bench='^BenchmarkIDSet$' -benchtime=2000000x -count=5 ./internal/pipeline
func BenchmarkIDSet(b *testing.B) {
	const distinct = 1 << 20
	ids := make([]string, distinct)
	for i := range ids {
		ids[i] = benchID(int64(i))
	}
	answers := []azotte.Answer{
		{IsAvailable: true, MessageCode: azotte.MessageSuccess},
		{MessageCode: azotte.MessageSuccess},
	}
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		s := newIDSet(spill.Memory{})
		i := 0
		for b.Loop() {
			if i == len(ids) {
				s, i = newIDSet(spill.Memory{}), 0
			}
			first, _, _, _ := s.lookup(ids[i], int64(i+1))
			s.retire(ids[i], first, answers[i&1])
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ids/s")
	})
	b.Run("seen", func(b *testing.B) {
		s := newIDSet(spill.Memory{})
		for i, id := range ids {
			s.lookup(id, int64(i+1))
			s.retire(id, int64(i+1), answers[i&1])
		}
		// As in a run, the id looked up is a fresh copy (hot in the cache,
		// just read) of one the set holds (cold): copies made in the order
		// they are looked up.
		probes := make([]string, len(ids))
		for i, k := range rand.Perm(len(ids)) {
			probes[i] = strings.Clone(ids[k])
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, _, _, isNew := s.lookup(probes[i%len(probes)], int64(len(ids)+i+1)); isNew {
				b.Fatal("a retired id looked new")
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})
}
