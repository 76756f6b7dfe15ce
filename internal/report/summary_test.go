package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/human"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

func sampleSummary() Summary {
	var s stats.Stats
	for range 3 {
		s.Count(verdict.Available)
		s.Rows.Add(1)
	}
	s.Count(verdict.Taken)
	s.Rows.Add(1)
	s.Padded.Add(2)
	s.Latency.Observe(12 * time.Millisecond)
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	sum := Summary{
		Header: Header{
			SchemaVersion: SchemaVersion, Tool: "azvalidate", Version: "v1.0.0", Command: "validate",
			Start: start, End: start.Add(2 * time.Second),
			Input: InputInfo{Name: "export.csv", Format: "csv", Bytes: 123456, SHA256: "ab12"},
		},
		Output:   "out.csv",
		Settings: Settings{BaseURL: "https://acme.sandbox.azotte.com", Tenant: "acme", Concurrency: 16, Rate: 8, Burst: 8, Retries: 5, TimeoutSeconds: 15},
	}
	sum.Fill(&s)
	return sum
}

func TestFill(t *testing.T) {
	t.Parallel()
	sum := sampleSummary()
	if sum.Rows != 4 || sum.PaddedIDs != 2 || sum.Verdicts["available"] != 3 || sum.Verdicts["taken"] != 1 {
		t.Errorf("counters not copied: %+v", sum)
	}
	if sum.ElapsedSeconds != 2 || sum.RowsPerSecond != 2 {
		t.Errorf("elapsed %v rows/s %v, want 2 and 2", sum.ElapsedSeconds, sum.RowsPerSecond)
	}
	if sum.LatencyMS.P50 != 12 || sum.LatencyMS.Max != 12 {
		t.Errorf("latency %+v, want p50 and max 12ms", sum.LatencyMS)
	}
}

func TestSummaryJSONKeys(t *testing.T) {
	t.Parallel()
	sum := sampleSummary()
	sum.Error = "boom"
	b, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"": {"schema_version", "tool", "version", "command", "start", "end", "input", "output", "settings", "rows", "distinct_ids",
			"verdicts", "padded_ids", "blank_lines", "api_calls", "retries", "http_429", "min_rate", "journal_hits", "changes", "stale_answers", "oldest_answer", "waiting_ids", "elapsed_seconds",
			"rows_per_second", "latency_ms", "paused_seconds", "interrupted", "exit_code", "error"},
		"input": {"name", "format", "bytes", "sha256"},
		"settings": {"base_url", "path", "tenant", "sandbox", "concurrency", "rate", "burst", "retries",
			"timeout_seconds", "only", "id_column", "id_field", "trim", "max_calls", "deadline_seconds"},
		"verdicts":   {"available", "taken", "duplicate", "invalid", "error", "unchecked"},
		"latency_ms": {"p50", "p95", "p99", "max"},
	}
	for obj, keys := range want {
		o := m
		if obj != "" {
			o, _ = m[obj].(map[string]any)
		}
		for _, k := range keys {
			if _, ok := o[k]; !ok {
				t.Errorf("key %q missing from %q: %s", k, obj, b)
			}
		}
		if len(o) != len(keys) {
			t.Errorf("%q has %d keys, want %d (document new ones): %v", obj, len(o), len(keys), o)
		}
	}
	if _, err := time.Parse(time.RFC3339, m["start"].(string)); err != nil {
		t.Errorf("start is not RFC 3339: %v", err)
	}
	if strings.Contains(strings.ToLower(string(b)), "key") {
		t.Errorf("summary mentions a key: %s", b)
	}

	sum.Error = ""
	b, _ = json.Marshal(sum)
	clear(m)
	json.Unmarshal(b, &m)
	if _, ok := m["error"]; ok {
		t.Errorf("error key present without an error: %s", b)
	}
}

func TestWriteText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		edit   func(*Summary)
		want   []string
		absent []string
	}{
		{"finished", func(*Summary) {},
			[]string{"export.csv", "available", "3", "75.0%", "taken", "25.0%", "duplicate", "invalid", "error", "padded ids", "api calls", "http 429", "journal hits", "rows/s", "p50 12ms", "8/s"},
			[]string{"INTERRUPTED"}},
		{"interrupted unlimited", func(s *Summary) { s.Interrupted, s.Settings.Rate, s.PaddedIDs = true, 0, 0 },
			[]string{"INTERRUPTED", "unlimited"},
			[]string{"padded ids"}},
		{"no rows", func(s *Summary) { *s = Summary{Header: Header{Input: InputInfo{Name: "-"}}} },
			[]string{"rows", "available"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sum := sampleSummary()
			tc.edit(&sum)
			var b strings.Builder
			if err := sum.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.want {
				if !strings.Contains(b.String(), s) {
					t.Errorf("text lacks %q:\n%s", s, b.String())
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(b.String(), s) {
					t.Errorf("text has %q:\n%s", s, b.String())
				}
			}
		})
	}
}

func TestWriteJSONFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "summary.json")
	sum := sampleSummary()
	if err := WriteJSONFile(path, sum); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got Summary
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Rows != sum.Rows || !got.Start.Equal(sum.Start) || !bytes.HasPrefix(b, []byte("{\n  ")) {
		t.Errorf("read back %+v from\n%s", got, b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("folder holds %d entries, want only summary.json", len(ents))
	}
	if err := WriteJSONFile(filepath.Join(dir, "missing", "s.json"), sum); err == nil {
		t.Error("WriteJSONFile into a missing folder succeeded")
	}
}

func TestGroup(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -12345: "-12,345"} {
		if got := human.Count(n); got != want {
			t.Errorf("human.Count(%d) = %q, want %q", n, got, want)
		}
	}
}
