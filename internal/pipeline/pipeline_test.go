package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/sandbox/sandboxtest"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

const (
	tenant = "t-pipeline"
	key    = "sk_test_pipeline"
)

// rows is a Source over generated rows: n rows whose ids cycle over distinct
// values; every 50th row has no id.
type rows struct {
	n, distinct, next int
}

func (r *rows) Next() (input.Row, error) {
	if r.next == r.n {
		return input.Row{}, io.EOF
	}
	r.next++
	row := input.Row{Seq: int64(r.next), ID: fmt.Sprintf("id-%d", (r.next*31)%r.distinct)}
	if r.next%50 == 0 {
		row.ID, row.Invalid = "", "empty id"
	}
	return row, nil
}

// collect is a Sink keeping what it is given.
type collect struct{ recs []output.Record }

func (c *collect) Write(r *output.Record) error {
	c.recs = append(c.recs, *r)
	return nil
}

// newClient serves a sandbox on loopback and returns a client for it.
func newClient(t testing.TB, cfg sandbox.Config, concurrency int) (*azotte.Client, served) {
	c, sb, _ := newServedClient(t, cfg, concurrency)
	return c, sb
}

// served is a sandbox and what a Recorder in front of it saw.
type served struct {
	*sandbox.Server
	*sandboxtest.Recorder // Calls, MaxInFlight
}

func newServedClient(t testing.TB, cfg sandbox.Config, concurrency int) (*azotte.Client, served, *httptest.Server) {
	t.Helper()
	cfg.Tenant, cfg.APIKey = tenant, key
	sb := served{Server: sandbox.New(cfg)}
	sb.Recorder = sandboxtest.Record(sb.Server)
	srv := httptest.NewServer(sb.Recorder)
	t.Cleanup(srv.Close)
	c, err := azotte.New(azotte.Config{
		BaseURL: srv.URL, Tenant: tenant, APIKey: key,
		HTTPClient: srv.Client(), Concurrency: concurrency,
		BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, sb, srv
}

func TestRunKeepsOrderAndAsksEachIDOnce(t *testing.T) {
	t.Parallel()
	for _, conc := range []int{1, 7, 32} {
		t.Run(fmt.Sprint("concurrency ", conc), func(t *testing.T) {
			t.Parallel()
			taken := map[string]bool{"id-3": true, "id-10": true}
			client, sb := newClient(t, sandbox.Config{Taken: taken, Latency: 2 * time.Millisecond}, conc)
			src := &rows{n: 1500, distinct: 400}
			var sink collect
			stats := new(stats.Stats)
			// A window smaller than the row count makes the reorder window wrap.
			err := Run(context.Background(), Config{Concurrency: conc, Window: 64, Stats: stats}, src, client, &sink)
			if err != nil {
				t.Fatal(err)
			}
			if len(sink.recs) != src.n {
				t.Fatalf("%d rows written, want %d", len(sink.recs), src.n)
			}
			first := map[string]int64{}
			for i, rec := range sink.recs {
				seq := int64(i + 1)
				if rec.Row.Seq != seq {
					t.Fatalf("position %d holds row %d: order lost", seq, rec.Row.Seq)
				}
				var want verdict.Verdict
				f, seen := first[rec.Row.ID]
				switch {
				case rec.Row.Invalid != "":
					want = verdict.Invalid
				case seen:
					want = verdict.Duplicate
					if rec.DuplicateOf != f {
						t.Errorf("row %d duplicateOf %d, want %d", seq, rec.DuplicateOf, f)
					}
				case taken[rec.Row.ID]:
					want, first[rec.Row.ID] = verdict.Taken, seq
				default:
					want, first[rec.Row.ID] = verdict.Available, seq
				}
				if rec.Verdict != want {
					t.Errorf("row %d (%s): %v, want %v", seq, rec.Row.ID, rec.Verdict, want)
				}
			}
			if got := sb.Requests(); got != int64(len(first)) {
				t.Errorf("sandbox saw %d requests for %d distinct ids", got, len(first))
			}
			if m := sb.MaxInFlight(); m > int64(conc) {
				t.Errorf("%d requests in flight at once, above concurrency %d", m, conc)
			}
			if stats.DistinctIDs.Load() != int64(len(first)) || stats.Rows.Load() != int64(src.n) {
				t.Errorf("stats: %d distinct, %d rows", stats.DistinctIDs.Load(), stats.Rows.Load())
			}
		})
	}
}

func TestRunDuplicateWhileFirstInFlight(t *testing.T) {
	t.Parallel()
	// Every row has the same id and answers are slow: all but the first row
	// arrive while its request is in flight.
	client, sb := newClient(t, sandbox.Config{Latency: 30 * time.Millisecond}, 16)
	var sink collect
	err := Run(context.Background(), Config{Concurrency: 16}, &rows{n: 200, distinct: 1}, client, &sink)
	if err != nil {
		t.Fatal(err)
	}
	if sb.Requests() != 1 {
		t.Errorf("%d requests for one distinct id", sb.Requests())
	}
	for _, rec := range sink.recs[1:] {
		if rec.Row.Invalid == "" && (rec.Verdict != verdict.Duplicate || rec.DuplicateOf != 1 || !rec.Answered) {
			t.Fatalf("row %d: %v of %d answered %v; want duplicate of 1 with the answer", rec.Row.Seq, rec.Verdict, rec.DuplicateOf, rec.Answered)
		}
	}
}

func TestRunStopsOnCredentialsError(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.Config{Tenant: tenant, APIKey: "sk_other"})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	client, err := azotte.New(azotte.Config{BaseURL: srv.URL, Tenant: tenant, APIKey: key, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	var sink collect
	err = Run(context.Background(), Config{Concurrency: 4}, &rows{n: 10000, distinct: 10000}, client, &sink)
	var cred *azotte.CredentialsError
	if !errors.As(err, &cred) {
		t.Fatalf("Run returned %v, want a *CredentialsError", err)
	}
	if sb.Requests() > 20 {
		t.Errorf("%d requests after credentials were refused", sb.Requests())
	}
}

// Not parallel: it counts the process's goroutines.
func TestRunCancelReturnsPromptlyWithPrefix(t *testing.T) {
	client, _, srv := newServedClient(t, sandbox.Config{Latency: 20 * time.Millisecond}, 8)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	var sink countingSink
	sink.after, sink.cancel = 100, cancel
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Concurrency: 8}, &rows{n: 1_000_000, distinct: 1_000_000}, client, &sink)
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if n := sink.n.Load(); n < 100 || n > 100+8*64 {
		t.Errorf("%d rows written after cancel at 100", n)
	}
	// Every goroutine of the run is gone once the connections it opened
	// (which belong to the HTTP client and server, not to the run) are closed.
	srv.CloseClientConnections()
	srv.Client().CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines left, %d before the run", g, before)
	}
}

// countingSink counts rows, checks they come in order, and cancels the run
// after a number of them.
type countingSink struct {
	n      atomic.Int64
	after  int64
	cancel func()
}

func (s *countingSink) Write(r *output.Record) error {
	n := s.n.Add(1)
	if r.Row.Seq != n {
		return fmt.Errorf("row %d at position %d", r.Row.Seq, n)
	}
	if n == s.after {
		s.cancel()
	}
	return nil
}
