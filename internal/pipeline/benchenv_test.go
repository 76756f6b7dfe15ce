package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/memtest"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/pace"
	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/stats"
)

// benchEnv is a sandbox served on loopback and a client for it, set up as
// the validate command sets it up: an adaptive pacer at the given rate (0:
// no limit) with burst 8, statistics, 5 retries, and a keep-alive
// pool sized to the concurrency. (httptest's own client keeps 2 idle
// connections per host: at a concurrency of 16 it would measure opening
// connections, not requests.)
type benchEnv struct {
	sb     *sandbox.Server
	url    string       // of the validate endpoint
	hc     *http.Client // the client's, for the bare loop
	client *azotte.Client

	pacer *stampPacer

	stamp   atomic.Bool // record when each request arrives
	mu      sync.Mutex
	arrived []time.Time // when each request arrived, while stamp is set
}

func newBenchEnv(b *testing.B, cfg sandbox.Config, conc int, rate float64) *benchEnv {
	b.Helper()
	cfg.Tenant, cfg.APIKey = tenant, key
	e := &benchEnv{sb: sandbox.New(cfg)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.stamp.Load() {
			now := time.Now()
			e.mu.Lock()
			e.arrived = append(e.arrived, now)
			e.mu.Unlock()
		}
		e.sb.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	e.url = srv.URL + azotte.DefaultPath
	e.hc = &http.Client{Transport: azotte.NewTransport(conc)}
	b.Cleanup(e.hc.CloseIdleConnections) // before srv.Close: cleanups run last first
	stats := new(stats.Stats)
	e.pacer = &stampPacer{Adaptive: pace.NewAdaptive(pace.Config{Rate: rate, Burst: 8})}
	var pacer azotte.Pacer = e.pacer.Adaptive
	if rate > 0 {
		pacer = e.pacer // only BenchmarkPacing looks; the others need no stamps
	}
	var err error
	e.client, err = azotte.New(azotte.Config{
		BaseURL: srv.URL, Tenant: tenant, APIKey: key,
		HTTPClient: e.hc, Concurrency: conc,
		Retries: 5, // --retries' default
		Pacer:   pacer,
		Observe: stats.ObserveAttempt,
	})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// times returns when each request arrived, while stamp was set.
func (e *benchEnv) times() []time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.arrived)
}

// stampPacer is the pacer passing on every call and noting when each Wait
// let a request go.
type stampPacer struct {
	*pace.Adaptive
	mu   sync.Mutex
	sent []time.Time
}

func (p *stampPacer) Wait(ctx context.Context) error {
	err := p.Adaptive.Wait(ctx)
	if err == nil {
		now := time.Now()
		p.mu.Lock()
		p.sent = append(p.sent, now)
		p.mu.Unlock()
	}
	return err
}

func (p *stampPacer) times() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent)
}

// maxIn returns the most times within any window of length d.
func maxIn(times []time.Time, d time.Duration) int {
	t := slices.SortedFunc(slices.Values(times), time.Time.Compare)
	most := 0
	for i, j := 0, 0; i < len(t); i++ {
		for j < len(t) && t[j].Sub(t[i]) < d {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

// bareLoop makes the client's request for each of ids with conc goroutines,
// with net/http alone and nothing else: the least any client must do.
func (e *benchEnv) bareLoop(b *testing.B, ids []string, conc int) {
	b.Helper()
	var next atomic.Int64
	errs := make(chan error, conc)
	for range conc {
		go func() {
			errs <- func() error {
				for {
					i := next.Add(1) - 1
					if i >= int64(len(ids)) {
						return nil
					}
					body := []byte(`{"externalId":"` + ids[i] + `"}`) // the ids need no escaping
					req, err := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(body))
					if err != nil {
						return err
					}
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Accept", "application/json")
					req.Header.Set("User-Agent", "azvalidate")
					req.Header.Set(azotte.HeaderTenant, tenant)
					req.Header.Set(azotte.HeaderAPIKey, key)
					resp, err := e.hc.Do(req)
					if err != nil {
						return err
					}
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err != nil {
						return err
					}
					if resp.StatusCode != http.StatusOK {
						return fmt.Errorf("HTTP %d", resp.StatusCode)
					}
				}
			}()
		}()
	}
	for range conc {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
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
// input.Open, Run, then output.New to io.Discard, flushed. It returns the
// run's counters.
func runCSV(b *testing.B, data []byte, v Validator, conc int) *stats.Stats {
	b.Helper()
	return runCSVInto(b, data, v, conc, new(stats.Stats))
}

// runCSVInto is runCSV counting into st (which a pacer or client may share).
func runCSVInto(b *testing.B, data []byte, v Validator, conc int, st *stats.Stats) *stats.Stats {
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
	if err := Run(context.Background(), Config{Concurrency: conc, Stats: st}, rd, v, w); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	return st
}

// clientLoop makes a validate call for each of ids with conc goroutines
// and nothing else.
func clientLoop(b *testing.B, c *azotte.Client, ids []string, conc int) {
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
		p.live = memtest.Live()
	}
	return p.Writer.Write(r)
}
