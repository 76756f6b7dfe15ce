package report

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/verdict"
)

// fakeClock advances by step on every reading.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) Now() time.Time {
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

func rec(seq int64, id string, v verdict.Verdict, first int64, detail string) *output.Record {
	r := &output.Record{Row: input.Row{Seq: seq, ID: id}, Verdict: v, DuplicateOf: first, Detail: detail}
	if v == verdict.Taken || v == verdict.Available {
		r.Answered, r.MessageCode = true, "SUCCESS"
	}
	return r
}

func TestAuditFirstRows(t *testing.T) {
	t.Parallel()
	a := NewAudit(AuditConfig{Rows: 3})
	for i := int64(1); i <= 20; i++ {
		v := []verdict.Verdict{verdict.Available, verdict.Taken, verdict.Error, verdict.Invalid}[i%4]
		a.Observe(rec(i, fmt.Sprint("id", i), v, 0, fmt.Sprint("why ", i)))
	}
	for _, tc := range []struct {
		name string
		got  []AuditRow
		want []int64
	}{
		{"taken", a.Taken(), []int64{1, 5, 9}},
		{"errors", a.Errors(), []int64{2, 6, 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.got) != len(tc.want) {
				t.Fatalf("got %d rows %+v, want rows %v", len(tc.got), tc.got, tc.want)
			}
			for i, r := range tc.got {
				if r.Row != tc.want[i] || r.ID != fmt.Sprint("id", r.Row) || r.Detail != fmt.Sprint("why ", r.Row) {
					t.Errorf("row %d: %+v, want row %d with its id and detail", i, r, tc.want[i])
				}
			}
		})
	}
}

func TestAuditClipsLongText(t *testing.T) {
	t.Parallel()
	a := NewAudit(AuditConfig{})
	long := strings.Repeat("é", 1000) // two bytes each: the cut must not split one
	a.Observe(rec(1, long, verdict.Error, 0, long+"\xff"))
	r := a.Errors()[0]
	for _, s := range []string{r.ID, r.Detail} {
		if len(s) > maxText+len("…") || !strings.HasSuffix(s, "…") || !strings.HasPrefix(s, "éé") {
			t.Errorf("kept %d bytes %q, want at most %d ending in …", len(s), s[:20], maxText)
		}
		if !strings.ContainsRune(s, 'é') || strings.ContainsRune(s, '\uFFFD') {
			t.Errorf("text cut inside a character: %q", s)
		}
	}
}

func TestAuditDuplicates(t *testing.T) {
	t.Parallel()
	a := NewAudit(AuditConfig{Duplicates: 3})
	// ids a (rows 1..5), b (2, 6), c (3, 7, 8), d (4, 9, 10), e (11 only)
	seq := int64(0)
	first := map[string]int64{}
	for _, id := range strings.Split("a b c d a a a b c c d d e", " ") {
		seq++
		if f, ok := first[id]; ok {
			a.Observe(rec(seq, id, verdict.Duplicate, f, ""))
			continue
		}
		first[id] = seq
		a.Observe(rec(seq, id, verdict.Available, 0, ""))
	}
	want := []DuplicateGroup{{"a", 1, "1", 4}, {"c", 3, "3", 3}, {"d", 4, "4", 3}}
	got := a.Duplicates()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Duplicates() = %v, want %v", got, want)
	}
	if n := a.DuplicateIDs(); n != 4 {
		t.Errorf("DuplicateIDs() = %d, want 4 (a, b, c, d)", n)
	}
}

func TestAuditThroughput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		rows      int
		step      time.Duration // clock step per reading
		wantWidth time.Duration
	}{
		{"fits in the first buckets", 50, time.Millisecond, 10 * time.Millisecond},
		{"merged once", 2000, time.Millisecond, 20 * time.Millisecond},
		{"merged many times", 100000, time.Millisecond, 1280 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{t: time.Unix(1e9, 0), step: tc.step}
			a := NewAudit(AuditConfig{Now: clock.Now})
			for i := range tc.rows {
				a.Observe(rec(int64(i+1), "x", verdict.Available, 0, ""))
			}
			tp := a.Throughput()
			if tp.Bucket != tc.wantWidth {
				t.Errorf("bucket %v, want %v", tp.Bucket, tc.wantWidth)
			}
			if len(tp.Rows) > 120 {
				t.Errorf("%d buckets, want at most 120", len(tp.Rows))
			}
			var total int64
			for _, n := range tp.Rows {
				total += n
			}
			if total != int64(tc.rows) {
				t.Errorf("buckets hold %d rows, want %d", total, tc.rows)
			}
			// Row i is read at start+(i+1)*step; every full bucket holds width/step rows.
			if per := int64(tc.wantWidth / tc.step); len(tp.Rows) > 2 && tp.Rows[1] != per {
				t.Errorf("second bucket holds %d rows, want %d", tp.Rows[1], per)
			}
		})
	}
}

// TestAuditConcurrentReaders runs readers during Observe, for the race detector.
func TestAuditConcurrentReaders(t *testing.T) {
	t.Parallel()
	a := NewAudit(AuditConfig{Bucket: time.Microsecond, Points: 8})
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				a.Taken()
				a.Errors()
				a.Duplicates()
				a.Throughput()
			}
		})
	}
	for i := int64(1); i <= 5000; i++ {
		v := []verdict.Verdict{verdict.Taken, verdict.Error, verdict.Duplicate}[i%3]
		a.Observe(rec(i, fmt.Sprint(i%7), v, i%7+1, "d"))
	}
	close(done)
	wg.Wait()
	if len(a.Taken()) != 50 || len(a.Errors()) != 50 {
		t.Errorf("kept %d taken and %d error rows, want 50 each", len(a.Taken()), len(a.Errors()))
	}
}

// BenchmarkAuditObserve is the Audit's cost per row on the writer's path.
func BenchmarkAuditObserve(b *testing.B) {
	a := NewAudit(AuditConfig{})
	recs := make([]*output.Record, 1024)
	for i := range recs {
		v := []verdict.Verdict{verdict.Available, verdict.Available, verdict.Available, verdict.Taken, verdict.Duplicate}[i%5]
		recs[i] = rec(int64(i+1), fmt.Sprint("id", i%700), v, int64(i%700+1), "")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		a.Observe(recs[i%len(recs)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
