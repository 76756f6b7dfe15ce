package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/budget"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/pipeline"
	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/survey"
)

// BenchmarkBudgetFirstPass: the first pass a budgeted run adds (reading the
// input and choosing the ids) against the local time of an unbudgeted run
// over the same 10^6 rows and 200,000 ids: read, dedup, ask the sandbox over
// loopback with no rate limit, write. Two cases:
//
//	nightly: a journal answers every id, half of them expired, and
//	         --max-calls 50000 chooses the oldest: the pass reads every row;
//	unbound: no journal and a budget above the export's ids, the worst case:
//	         the pass reads every row and keeps every id.
//
// (A budget of ids never answered stops the first pass once it is filled.)
func BenchmarkBudgetFirstPass(b *testing.B) {
	const rows, ids = 1_000_000, 200_000
	var buf bytes.Buffer
	buf.WriteString("externalId,name,email\n")
	for i := range rows {
		fmt.Fprintf(&buf, "CUST-%07d,Ann Lee %d,ann%d@example.com\n", i%ids, i, i)
	}
	data := buf.Bytes()
	open := func() *input.Reader {
		rd, err := input.Open("bench.csv", bytes.NewReader(data), input.Config{IDColumn: "externalId"})
		if err != nil {
			b.Fatal(err)
		}
		return rd
	}

	// The journal: every id answered, the odd ones two days ago.
	now := time.Now()
	ep := journal.Endpoint{BaseURL: journal.SandboxURL, Path: azotte.DefaultPath, Tenant: "bench"}
	var jb bytes.Buffer
	fmt.Fprintf(&jb, `{"journal":"azvalidate","v":1,"baseURL":%q,"path":%q,"tenant":%q}`+"\n", ep.BaseURL, ep.Path, ep.Tenant)
	for i := range ids {
		at := now
		if i%2 == 1 {
			at = now.Add(-48 * time.Hour)
		}
		fmt.Fprintf(&jb, `{"id":"CUST-%07d","isAvailable":true,"messageCode":"SUCCESS","status":{"messageCode":"SUCCESS"},"t":%q}`+"\n", i, at.UTC().Format(time.RFC3339))
	}
	path := filepath.Join(b.TempDir(), "bench.state")
	if err := os.WriteFile(path, jb.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	j, err := journal.Open(path, ep, 24*time.Hour, now)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()

	srv := httptest.NewServer(sandbox.New(sandbox.Config{Tenant: "bench", APIKey: "sk_bench"}))
	defer srv.Close()
	client, err := azotte.New(azotte.Config{BaseURL: srv.URL, Tenant: "bench", APIKey: "sk_bench", Concurrency: 16})
	if err != nil {
		b.Fatal(err)
	}
	defer client.CloseIdleConnections()

	for _, tc := range []struct {
		name     string
		j        survey.Journal
		capacity int
		chosen   int
	}{
		{"nightly", j, 20_000, 20_000},
		{"unbound", nil, rows, ids},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var first, full time.Duration
			for b.Loop() {
				start := time.Now()
				sel := budget.NewSelector(tc.capacity)
				if err := chooseIDs(context.Background(), open(), tc.j, sel); err != nil {
					b.Fatal(err)
				}
				if n := len(sel.Ids()); n != tc.chosen {
					b.Fatalf("chose %d ids, want %d", n, tc.chosen)
				}
				first += time.Since(start)

				start = time.Now()
				rd := open()
				w, err := output.New(io.Discard, output.Options{InputFormat: rd.Format(), Header: rd.Header(), Columns: len(rd.Header()), Comma: ','})
				if err != nil {
					b.Fatal(err)
				}
				cfg := pipeline.Config{Concurrency: 16}
				if tc.j != nil {
					cfg.Journal = readOnly{j}
				}
				if err := pipeline.Run(context.Background(), cfg, rd, client, w); err != nil {
					b.Fatal(err)
				}
				full += time.Since(start)
			}
			b.ReportMetric(first.Seconds()/full.Seconds(), "first-pass/run")
			b.ReportMetric(float64(rows*b.N)/first.Seconds(), "first-pass-rows/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// readOnly is the journal of an unbudgeted run that appends nothing (the
// benchmark's journal is read again by each iteration).
type readOnly struct{ j *journal.Journal }

func (r readOnly) Lookup(id string) (azotte.Answer, bool) {
	e, ok := r.j.Lookup(id)
	return answerOf(e), ok
}

func (r readOnly) Previous(id string) (azotte.Answer, bool) {
	e, ok := r.j.Stale(id)
	return answerOf(e), ok
}

func (readOnly) Append(string, azotte.Answer) error { return nil }
