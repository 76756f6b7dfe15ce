package pipeline

// The benchmarks of SPEC "Performance targets". Each reports its figures
// with b.ReportMetric; CI runs them once (-benchtime=1x) only to keep them
// working, never as a pass or fail on speed. The commands behind the README's
// figures are in each benchmark's comment.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/verdict"
)

var (
	memRows = flag.Float64("memrows", 1e7, "rows streamed by BenchmarkMemory")
	memIDs  = flag.Float64("memids", 1e6, "distinct ids among BenchmarkMemory's rows")
)

// BenchmarkRun measures the overhead of the whole path the validate command
// takes, CSV in and CSV out (input.Open, Run, output.New to io.Discard),
// against the sandbox on loopback with no latency and no limit, next to a bare
// loop making the same HTTP calls (the same ids, the same client, the same
// concurrency) and nothing else. The machine is small and shared, so the two
// alternate within each iteration and only their ratio is meaningful:
//
//	go test -run='^$' -bench='^BenchmarkRun$' -benchtime=3x -count=5 ./internal/pipeline
//
// rows/s and bare-rows/s are the two rates, pipeline/bare their ratio
// (target >= 0.8). allocs/row and bare-allocs/row count every heap
// allocation of the process, the in-process sandbox's included; their
// difference is what the pipeline, the reader and the writer add per row.
func BenchmarkRun(b *testing.B) {
	const n = 20_000
	data, ids := benchCSV(n)
	for _, conc := range []int{16, 64} {
		b.Run(fmt.Sprint("concurrency=", conc), func(b *testing.B) {
			client := benchClient(b, sandbox.Config{}, conc)
			bareLoop(b, client, ids[:4*conc], conc) // open the connections before timing
			var pipe, bare time.Duration
			var pipeAllocs, bareAllocs uint64
			pipeFirst := true
			for b.Loop() {
				for _, p := range [2]bool{pipeFirst, !pipeFirst} {
					a, start := heapAllocs(), time.Now()
					if p {
						stats := runCSV(b, data, client, conc)
						pipe += time.Since(start)
						pipeAllocs += heapAllocs() - a
						if got := stats.Verdict(verdict.Available); got != n {
							b.Fatalf("%d rows available, want %d", got, n)
						}
					} else {
						bareLoop(b, client, ids, conc)
						bare += time.Since(start)
						bareAllocs += heapAllocs() - a
					}
				}
				pipeFirst = !pipeFirst
			}
			rows := float64(n * b.N)
			pipeRate, bareRate := rows/pipe.Seconds(), rows/bare.Seconds()
			b.ReportMetric(pipeRate, "rows/s")
			b.ReportMetric(bareRate, "bare-rows/s")
			b.ReportMetric(pipeRate/bareRate, "pipeline/bare")
			b.ReportMetric(float64(pipeAllocs)/rows, "allocs/row")
			b.ReportMetric(float64(bareAllocs)/rows, "bare-allocs/row")
			b.ReportMetric(0, "ns/op") // an iteration is both loops: not a figure of either
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
	client := benchClient(b, sandbox.Config{Latency: latency}, conc)
	var elapsed time.Duration
	for b.Loop() {
		start := time.Now()
		stats := runCSV(b, data, client, conc)
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
// the CSV writer (to io.Discard). Its Validator answers at once, in-process:
// this measures the pipeline's memory (the distinct-id set, the window), not
// HTTP. Full size, about 20 seconds on 2 cores:
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
		base = heapInUse()
		baseLive := liveHeap()
		stop := samplePeak(10 * time.Millisecond)

		w, err := output.New(io.Discard, output.Options{InputFormat: input.CSV, Header: []string{"externalId", "name", "email"}})
		if err != nil {
			b.Fatal(err)
		}
		sink := &probeSink{Writer: w, last: rows}
		stats := new(report.Stats)
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
//	go test -run='^$' -bench='^BenchmarkIDSet$' -benchtime=2000000x ./internal/pipeline
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
		s := newIDSet()
		i := 0
		for b.Loop() {
			if i == len(ids) {
				s, i = newIDSet(), 0
			}
			first, _, _, _ := s.lookup(ids[i], int64(i+1))
			s.retire(ids[i], first, answers[i&1])
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ids/s")
	})
	b.Run("seen", func(b *testing.B) {
		s := newIDSet()
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

// benchClient serves the sandbox on loopback and returns a client set up as
// the validate command sets it up, with its own keep-alive pool sized to the
// concurrency. (httptest's own client keeps 2 idle connections per host: at
// a concurrency of 16 it would measure opening connections, not requests.)
func benchClient(b *testing.B, cfg sandbox.Config, conc int) *azotte.Client {
	b.Helper()
	cfg.Tenant, cfg.APIKey = tenant, key
	srv := httptest.NewServer(sandbox.New(cfg))
	b.Cleanup(srv.Close)
	stats := new(report.Stats)
	c, err := azotte.New(azotte.Config{
		BaseURL: srv.URL, Tenant: tenant, APIKey: key, Concurrency: conc,
		Observe: stats.ObserveAttempt,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.CloseIdleConnections) // before srv.Close: cleanups run last first
	return c
}

// benchCSV returns a CSV export of n rows with distinct ids, and the ids.
func benchCSV(n int) ([]byte, []string) {
	var buf bytes.Buffer
	buf.WriteString("externalId,name,email,city\n")
	ids := make([]string, n)
	for i := range ids {
		ids[i] = benchID(int64(i))
		fmt.Fprintf(&buf, "%s,Ann Lee %d,ann.lee%d@example.com,\"Oslo, Norway\"\n", ids[i], i, i)
	}
	return buf.Bytes(), ids
}

// benchID is the id of number k: "CUST-" and 7 digits (more when k needs them).
func benchID(k int64) string {
	var b [24]byte
	d := strconv.AppendInt(b[:0], k, 10)
	id := append(make([]byte, 0, 12+len(d)), "CUST-"...)
	for range 7 - len(d) {
		id = append(id, '0')
	}
	return string(append(id, d...))
}

// runCSV validates a CSV held in memory the way the validate command does:
// input.Open, Run, then output.New to io.Discard, flushed.
func runCSV(b *testing.B, data []byte, v Validator, conc int) *report.Stats {
	b.Helper()
	rd, err := input.Open("bench.csv", bytes.NewReader(data), input.Config{})
	if err != nil {
		b.Fatal(err)
	}
	w, err := output.New(io.Discard, output.Options{
		InputFormat: rd.Format(), Header: rd.Header(), Columns: len(rd.Header()), Comma: rd.Delimiter(),
	})
	if err != nil {
		b.Fatal(err)
	}
	stats := new(report.Stats)
	if err := Run(context.Background(), Config{Concurrency: conc, Stats: stats}, rd, v, w); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	return stats
}

// bareLoop makes a validate call for each of ids with conc goroutines and
// nothing else: the least any client must do.
func bareLoop(b *testing.B, c *azotte.Client, ids []string, conc int) {
	b.Helper()
	var next atomic.Int64
	errs := make(chan error, conc)
	for range conc {
		go func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(ids)) {
					errs <- nil
					return
				}
				ans, err := c.Validate(context.Background(), ids[i])
				if err == nil && ans.Err != nil {
					err = ans.Err
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for range conc {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

// instant is a Validator that answers at once, in-process, for
// BenchmarkMemory, which measures the pipeline's memory rather than HTTP.
// Every 10th id is taken, so that the set holds more than one answer.
type instant struct{}

var instantStatus = []byte(`{"messageCode":"SUCCESS"}`)

func (instant) Validate(_ context.Context, id string) (azotte.Answer, error) {
	return azotte.Answer{
		IsAvailable: id[len(id)-1] != '0',
		MessageCode: azotte.MessageSuccess,
		Status:      instantStatus,
		Attempts:    1,
	}, nil
}

// genRows is a Source making n rows on the fly over distinct ids, in a
// scrambled order, shaped as the CSV reader shapes them: the fields are
// substrings of one string holding the record's text, and the id is the
// first field.
type genRows struct {
	n, distinct, next int64
}

func (g *genRows) Next() (input.Row, error) {
	if g.next == g.n {
		return input.Row{}, io.EOF
	}
	g.next++
	// A multiplier prime to distinct visits every id once per pass, in an
	// order that is not the ids' own.
	const mult = 1_000_003
	id := benchID(g.next * mult % g.distinct)
	const name, email = "Ann Lee", "ann.lee@example.com"
	text := id + name + email
	a, b := len(id), len(id)+len(name)
	fields := []string{text[:a], text[a:b], text[b:]}
	return input.Row{Seq: g.next, Line: g.next + 1, ID: fields[0], Fields: fields}, nil
}

// probeSink passes records on to an output.Writer and, at the last row, when
// the set holds every id and nothing else is in flight, measures the live heap.
type probeSink struct {
	output.Writer
	last int64
	live uint64
}

func (p *probeSink) Write(r *output.Record) error {
	if r.Row.Seq == p.last {
		runtime.GC()
		p.live = liveHeap()
	}
	return p.Writer.Write(r)
}

// samplePeak samples the heap in use every period until the returned stop
// is called; stop returns the largest sample.
func samplePeak(period time.Duration) (stop func() uint64) {
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			peak = max(peak, heapInUse())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// readMetrics reads runtime/metrics samples by name, without stopping the world.
func readMetrics(names ...string) []uint64 {
	s := make([]metrics.Sample, len(names))
	for i, n := range names {
		s[i].Name = n
	}
	metrics.Read(s)
	v := make([]uint64, len(s))
	for i := range s {
		v[i] = s[i].Value.Uint64()
	}
	return v
}

// heapInUse is ReadMemStats' HeapInuse: heap spans holding objects, live or
// not yet collected.
func heapInUse() uint64 {
	v := readMetrics("/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes")
	return v[0] + v[1]
}

// liveHeap is the heap marked live by the last collection.
func liveHeap() uint64 { return readMetrics("/gc/heap/live:bytes")[0] }

// heapAllocs is the number of heap allocations so far.
func heapAllocs() uint64 { return readMetrics("/gc/heap/allocs:objects")[0] }
