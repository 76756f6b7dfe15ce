package console

import (
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

// syncBuffer is a strings.Builder safe for the progress goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls until cond holds: tests wait for output, never for a time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // a bound against a hang, not a timing
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never saw %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// redraws splits a status line's output into the lines drawn: each is
// "\r", the line, then erase to the end of the line.
func redraws(out string) []string {
	var lines []string
	for _, seg := range strings.Split(out, "\r")[1:] {
		lines = append(lines, strings.TrimSuffix(seg, "\x1b[K"))
	}
	return lines
}

var logLineRE = regexp.MustCompile(`^azvalidate: \d\d:\d\d:\d\d (started: input \S+ \(.+\)|progress: .+ rows/s.* · taken \d+ · errors \d+ · api calls \d+)$`)

func TestProgress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		terminal bool
		total    int64
		want     []string // in the output before Stop
	}{
		{"log with size", false, 1000, []string{" started: input in.csv (1.0 kB)\n", " progress: 3 rows (50%) · ", " · ETA ", " · taken 1 · errors 0 · api calls 2\n"}},
		{"log without size", false, -1, []string{" started: input in.csv (size unknown)\n", " progress: 3 rows · ", " · taken 1 · errors 0 · api calls 2\n"}},
		{"line with size", true, 1000, []string{"50% |", "| 3 rows · ", " · taken 1 · errors 0"}},
		{"line without size", true, -1, []string{" 3 rows · ", " · taken 1 · errors 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out syncBuffer
			var s stats.Stats
			s.Rows.Add(3)
			s.Count(verdict.Taken)
			s.Calls.Add(2)
			var read atomic.Int64
			read.Store(500)
			p := StartProgress(ProgressConfig{
				Out: &out, Terminal: tc.terminal, Name: "in.csv", Total: tc.total,
				Bytes: read.Load, Interval: time.Millisecond, Stats: &s,
			})
			// The ETA needs a second of history; the rest shows at once.
			waitFor(t, strings.Join(tc.want, " and "), func() bool {
				o := out.String()
				for _, w := range tc.want {
					if !strings.Contains(o, w) {
						return false
					}
				}
				return true
			})
			p.Stop()
			after := out.String()
			time.Sleep(250 * time.Millisecond) // longer than a redraw period: nothing may follow Stop
			if got := out.String(); got != after {
				t.Errorf("output after Stop: %q", got[len(after):])
			}
			p.Stop() // idempotent
			if tc.terminal {
				if strings.Contains(after, "\n") || !strings.HasSuffix(after, "\r\x1b[K") {
					t.Errorf("status line output has a newline or is not cleared at Stop: %q", after)
				}
				for _, l := range redraws(after) {
					if n := utf8.RuneCountInString(l); n > 79 {
						t.Errorf("line of %d columns on an 80-column terminal: %q", n, l)
					}
				}
				return
			}
			lines := strings.Split(strings.TrimSuffix(after, "\n"), "\n")
			if !strings.Contains(lines[0], " started: ") {
				t.Errorf("first line %q is not the start line", lines[0])
			}
			for _, l := range lines {
				if !logLineRE.MatchString(l) {
					t.Errorf("odd log line %q", l)
				}
			}
		})
	}
}

// TestProgressSlog checks that with a Logger the log lines are slog records
// (here JSON, one object per line) with the documented attributes, the
// first one "started", and that nothing else is written.
func TestProgressSlog(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		total int64
		want  map[string]float64 // attributes and values; percent only with a size
	}{
		{"with size", 1000, map[string]float64{"rows": 3, "percent": 50, "taken": 1, "errors": 0, "api_calls": 2}},
		{"without size", -1, map[string]float64{"rows": 3, "taken": 1, "errors": 0, "api_calls": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out syncBuffer
			var s stats.Stats
			s.Rows.Add(3)
			s.Count(verdict.Taken)
			s.Calls.Add(2)
			var read atomic.Int64
			read.Store(500)
			p := StartProgress(ProgressConfig{
				Out: &out, Name: "in.csv", Total: tc.total, Bytes: read.Load, Interval: time.Millisecond, Stats: &s,
				Logger: slog.New(slog.NewJSONHandler(&out, nil)),
			})
			// With a size, wait for a record with an ETA (a second of history).
			waitFor(t, "progress records", func() bool {
				o := out.String()
				return strings.Count(o, "\n") >= 3 && (tc.total < 0 || strings.Contains(o, `"eta_seconds"`))
			})
			p.Stop()
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			for i, l := range lines {
				var rec map[string]any
				if err := json.Unmarshal([]byte(l), &rec); err != nil {
					t.Fatalf("line %q is not JSON: %v", l, err)
				}
				if _, err := time.Parse(time.RFC3339, rec["time"].(string)); err != nil {
					t.Errorf("record %v: time: %v", rec, err)
				}
				if i == 0 {
					if rec["msg"] != "started" || rec["input"] != "in.csv" || (tc.total > 0) != (rec["bytes"] == float64(tc.total)) {
						t.Errorf("first record %v: want msg started, input in.csv, bytes %d when known", rec, tc.total)
					}
					continue
				}
				if rec["msg"] != "progress" || rec["level"] != "INFO" {
					t.Errorf("record %v: want msg progress, level INFO", rec)
				}
				for k, v := range tc.want {
					if got, ok := rec[k].(float64); !ok || got != v {
						t.Errorf("record %v: %s = %v, want %v", rec, k, rec[k], v)
					}
				}
				if _, ok := rec["percent"]; ok != (tc.total > 0) {
					t.Errorf("record %v: percent present %v, want %v", rec, ok, tc.total > 0)
				}
				if _, ok := rec["eta_seconds"]; ok && tc.total < 0 {
					t.Errorf("record %v: an ETA without a size", rec)
				}
				if _, ok := rec["rows_per_second"].(float64); !ok {
					t.Errorf("record %v: no rows_per_second", rec)
				}
			}
		})
	}
}

// TestFitLine checks that the status line never reaches the terminal's last
// column and drops its parts in order as the terminal narrows: the counts,
// then the ETA, then the bar.
func TestFitLine(t *testing.T) {
	t.Parallel()
	sized := lineParts{
		rows: "1,234,567 rows", percent: "45%", rate: "1,234 rows/s",
		eta: "ETA 12 min 5 s", counts: "taken 12,345 · errors 0", done: 0.45,
	}
	unsized := sized
	unsized.percent, unsized.eta, unsized.done = "", "", -1
	paused := sized
	paused.eta = "paused 23 h 59 min: Azotte answered 429 Retry-After 86400"
	early := paused
	early.rows, early.rate, early.eta = "12 rows", "0 rows/s", "paused 26 s: Azotte answered 429 Retry-After 30"
	const bar, spin, counts, eta, pct = "45% |", "|", "taken 12,345", "ETA ", "(45%)"
	const why, long = ": Azotte answered 429 Retry-After 86400", "paused 23 h 59 min"
	for _, tc := range []struct {
		name    string
		width   int
		parts   lineParts
		has     []string
		hasNot  []string
		barOpen bool // the line starts with the bar or spinner
	}{
		{"sized 200", 200, sized, []string{bar, "1,234,567 rows · 1,234 rows/s", eta, counts}, []string{pct}, true},
		{"sized 80", 80, sized, []string{bar, "1,234,567 rows · 1,234 rows/s", eta}, []string{counts, pct}, true},
		{"sized 40", 40, sized, []string{"1,234,567 rows (45%) · 1,234 rows/s"}, []string{bar, eta, counts}, false},
		{"sized 20", 20, sized, []string{"1,234,567 rows"}, []string{bar, eta, counts, "rows/s"}, false},
		{"unsized 200", 200, unsized, []string{spin + " 1,234,567 rows · 1,234 rows/s · " + counts}, []string{"%"}, true},
		{"unsized 80", 80, unsized, []string{spin + " 1,234,567 rows · 1,234 rows/s · " + counts}, []string{"%"}, true},
		{"unsized 40", 40, unsized, []string{spin + " 1,234,567 rows · 1,234 rows/s"}, []string{counts}, true},
		{"unsized 20", 20, unsized, []string{"1,234,567 rows"}, []string{"rows/s"}, false},
		{"paused 200", 200, paused, []string{bar, long + why + " · " + counts}, []string{eta}, true},
		{"paused 80", 80, paused, []string{bar, "1,234,567 rows · 1,234 rows/s · " + long}, []string{why, counts}, true},
		{"paused 60", 60, paused, []string{"1,234,567 rows · 1,234 rows/s · " + long}, []string{bar, why, counts}, false},
		{"paused 40", 40, paused, []string{"1,234,567 rows · " + long}, []string{bar, why, "rows/s"}, false},
		{"paused early 80", 80, early, []string{"12 rows · 0 rows/s · paused 26 s: Azotte answered 429 Retry-After 30"}, []string{bar}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			total := int64(1000)
			if tc.parts.done < 0 {
				total = -1
			}
			r := &barRenderer{total: total}
			line := fitLine(tc.width, tc.parts, r.render)
			if n := utf8.RuneCountInString(line); n > tc.width-1 || n == 0 {
				t.Errorf("%d columns for a width of %d: %q", n, tc.width, line)
			}
			for _, s := range tc.has {
				if !strings.Contains(line, s) {
					t.Errorf("%q lacks %q", line, s)
				}
			}
			for _, s := range tc.hasNot {
				if strings.Contains(line, s) {
					t.Errorf("%q has %q", line, s)
				}
			}
			if opens := strings.HasPrefix(line, bar) || strings.HasPrefix(line, spin); opens != tc.barOpen {
				t.Errorf("%q: starts with the bar %v, want %v", line, opens, tc.barOpen)
			}
		})
	}
	// Any width, down to none: never more than width-1 columns.
	r := &barRenderer{total: 1000}
	for w := range 201 {
		if line := fitLine(w, sized, r.render); utf8.RuneCountInString(line) > max(w-1, 0) {
			t.Errorf("width %d: %q", w, line)
		}
	}
}

// TestProgressResize checks that the status line follows the terminal's
// width from one redraw to the next.
func TestProgressResize(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	var s stats.Stats
	s.Rows.Add(1234567)
	s.Count(verdict.Taken)
	var width atomic.Int64
	width.Store(120)
	p := StartProgress(ProgressConfig{
		Out: &out, Terminal: true, Total: 1000, Bytes: func() int64 { return 450 }, Stats: &s,
		Width: func() int { return int(width.Load()) },
	})
	defer p.Stop()
	waitFor(t, "a line with the counts at 120 columns", func() bool { return strings.Contains(out.String(), "errors 0") })
	width.Store(30)
	// The redraw that was under way may still use 120; the next ones fit 30.
	var narrow int
	waitFor(t, "a line of at most 29 columns", func() bool {
		lines := redraws(out.String())
		narrow = len(lines) - 1
		return utf8.RuneCountInString(lines[narrow]) <= 29
	})
	waitFor(t, "two more redraws", func() bool { return len(redraws(out.String())) > narrow+2 })
	p.Stop()
	for _, l := range redraws(out.String())[narrow:] {
		if n := utf8.RuneCountInString(l); n > 29 || strings.Contains(l, "|") {
			t.Errorf("after narrowing to 30 columns: %q (%d columns; the bar should be gone)", l, n)
		}
	}
}
