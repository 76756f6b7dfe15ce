package report

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
			var s Stats
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
