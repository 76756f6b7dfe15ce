package cli

import (
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

func TestProgress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		terminal bool
		total    int64
		want     string // in the output before Stop
	}{
		{"log with size", false, 1000, "azvalidate: 3 rows (50%) · "},
		{"log without size", false, -1, "azvalidate: 3 rows · "},
		{"bar with size", true, 1000, "rows 3 · taken 1 · errors 0"},
		{"bar without size", true, -1, "rows 3 · taken 1 · errors 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out syncBuffer
			var s stats.Stats
			s.Rows.Add(3)
			s.Count(verdict.Taken)
			var read atomic.Int64
			read.Store(500)
			p := StartProgress(ProgressConfig{
				Out: &out, Terminal: tc.terminal, Total: tc.total,
				Bytes: read.Load, Interval: time.Millisecond, Stats: &s,
			})
			// Wait for output rather than for a time: no assertion on wall time.
			for !strings.Contains(out.String(), tc.want) {
				time.Sleep(time.Millisecond)
			}
			p.Stop()
			after := out.String()
			time.Sleep(250 * time.Millisecond) // longer than the bar's own redraw period
			if got := out.String(); got != after {
				t.Errorf("output after Stop: %q", got[len(after):])
			}
			p.Stop() // idempotent
			if !tc.terminal {
				for _, l := range strings.Split(strings.TrimSuffix(after, "\n"), "\n") {
					if !strings.HasPrefix(l, "azvalidate: ") {
						t.Errorf("odd log line %q", l)
					}
				}
			}
		})
	}
}

// TestProgressSlog checks that with a Logger the progress lines are slog
// records (here JSON, one object per line) with the documented attributes,
// and that nothing else is written.
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
				Out: &out, Total: tc.total, Bytes: read.Load, Interval: time.Millisecond, Stats: &s,
				Logger: slog.New(slog.NewJSONHandler(&out, nil)),
			})
			for strings.Count(out.String(), "\n") < 2 {
				time.Sleep(time.Millisecond)
			}
			p.Stop()
			for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
				var rec map[string]any
				if err := json.Unmarshal([]byte(l), &rec); err != nil {
					t.Fatalf("line %q is not JSON: %v", l, err)
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
				if _, ok := rec["rows_per_second"].(float64); !ok {
					t.Errorf("record %v: no rows_per_second", rec)
				}
			}
		})
	}
}
