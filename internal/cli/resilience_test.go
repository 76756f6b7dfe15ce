package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azotte/azvalidate/internal/sandbox"
)

type summary struct {
	Rows     int64            `json:"rows"`
	Verdicts map[string]int64 `json:"verdicts"`
	APICalls int64            `json:"api_calls"`
	Retries  int64            `json:"retries"`
	HTTP429  int64            `json:"http_429"`
	MinRate  float64          `json:"min_rate"`
	ExitCode int              `json:"exit_code"`
	Elapsed  float64          `json:"elapsed_seconds"`
}

func readSummary(t *testing.T, path string) summary {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFaultDrillEveryKind: 10% transient faults of every kind, mixed. Every
// row still ends with its right verdict, no id is sent more than retries+1
// times, and the retries show in the summary.
func TestFaultDrillEveryKind(t *testing.T) {
	t.Parallel()
	text, ids, taken := genCSV(1500, 1000)
	e := newEndpoint(t, sandbox.Config{Taken: taken, FailRate: 0.1, Faults: sandbox.AllFaults(), Seed: 1})
	sumFile := filepath.Join(t.TempDir(), "s.json")
	const retries = 8
	res := run(t, text, e.args("--rate", "0", "--concurrency", "32", "--timeout", "300ms",
		"--retries", fmt.Sprint(retries), "--summary", sumFile, "-")...)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1 (taken and duplicates, no errors)\n%s", res.code, res.stderr)
	}
	verdicts, _, distinct := expected(ids, taken)
	for i, rec := range readCSV(t, res.stdout)[1:] {
		if rec[5] != verdicts[i] {
			t.Errorf("row %d (%s): %s (%s), want %s", i+1, ids[i], rec[5], rec[7], verdicts[i])
		}
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if n := e.Calls(id); n > retries+1 && !seen[id] {
			t.Errorf("id %s sent %d times, more than --retries+1 = %d", id, n, retries+1)
		}
		seen[id] = true
	}
	s := readSummary(t, sumFile)
	if s.Verdicts["error"] != 0 || s.Retries == 0 || s.APICalls != int64(distinct)+s.Retries {
		t.Errorf("summary: %d errors, %d retries, %d calls for %d ids; want 0 errors, retries > 0, calls = ids + retries",
			s.Verdicts["error"], s.Retries, s.APICalls, distinct)
	}
	if faulted := e.Faulted(); faulted == 0 {
		t.Error("the sandbox injected no fault")
	}
	t.Logf("%d ids, %d calls, %d retries, %d faults injected", distinct, s.APICalls, s.Retries, e.Faulted())
}

// TestThrottledBelowRate: the sandbox allows 100/s while --rate is 400.
// Without rate-limit headers the tool learns the limit from 429s; with them
// it should not need any.
func TestThrottledBelowRate(t *testing.T) {
	t.Parallel()
	for _, headers := range []bool{false, true} {
		t.Run(fmt.Sprint("headers=", headers), func(t *testing.T) {
			t.Parallel()
			text, _, _ := genCSV(500, 500)
			e := newEndpoint(t, sandbox.Config{Rate: 100, Burst: 50, NoRateLimitHeaders: !headers})
			sumFile := filepath.Join(t.TempDir(), "s.json")
			res := run(t, text, e.args("--rate", "400", "--burst", "8", "--retries", "10", "--summary", sumFile, "-")...)
			if res.code != 0 {
				t.Fatalf("exit %d, want 0\n%s", res.code, res.stderr)
			}
			s := readSummary(t, sumFile)
			if s.Verdicts["error"] != 0 || s.Verdicts["available"] != 500 {
				t.Fatalf("verdicts %v, want 500 available", s.Verdicts)
			}
			share := float64(s.HTTP429) / float64(s.APICalls)
			t.Logf("headers=%v: %d calls, %d 429s (%.1f%%), lowest rate %.1f/s, %.1f s", headers, s.APICalls, s.HTTP429, 100*share, s.MinRate, s.Elapsed)
			if headers {
				if s.HTTP429 > 5 {
					t.Errorf("%d 429s although the sandbox announced its budget", s.HTTP429)
				}
				return
			}
			// Learning from 429s alone: the rate must have come down to
			// the sandbox's limit (and not far below it).
			if s.HTTP429 == 0 || s.MinRate > 150 || s.MinRate < 20 {
				t.Errorf("%d 429s, lowest rate %.1f/s: want some 429s and a rate settled near 100/s", s.HTTP429, s.MinRate)
			}
		})
	}
}

// TestPermanentFaults: some ids always fail; exactly those rows are errors,
// with the cause in their detail, and the exit code is 3.
func TestPermanentFaults(t *testing.T) {
	t.Parallel()
	text, ids, taken := genCSV(400, 300)
	// (Not 404: the first answer proves the endpoint, and a 404 there
	// would be a wrong --path.)
	fail := map[string]int{ids[3]: 500, ids[10]: 410, ids[42]: 503}
	e := newEndpoint(t, sandbox.Config{Taken: taken, FailIDs: fail})
	res := run(t, text, e.args("--rate", "0", "--retries", "2", "-")...)
	if res.code != 3 {
		t.Fatalf("exit %d, want 3\n%s", res.code, res.stderr)
	}
	verdicts, dupOf, _ := expected(ids, taken)
	for i, rec := range readCSV(t, res.stdout)[1:] {
		id, verdict, detail := ids[i], rec[5], rec[7]
		status, failing := fail[id]
		switch {
		case failing && verdicts[i] == "duplicate":
			if verdict != "duplicate" || !strings.Contains(detail, "no answer") {
				t.Errorf("row %d: %s %q, want a duplicate of row %s saying it got no answer", i+1, verdict, detail, dupOf[i])
			}
		case failing:
			if verdict != "error" || !strings.Contains(detail, fmt.Sprint(status)) {
				t.Errorf("row %d (%s): %s %q, want error naming HTTP %d", i+1, id, verdict, detail, status)
			}
		case verdict != verdicts[i]:
			t.Errorf("row %d (%s): %s, want %s", i+1, id, verdict, verdicts[i])
		}
	}
	if n := e.Calls(ids[10]); n != 1 {
		t.Errorf("the 410 id was sent %d times; a 410 is not retried", n)
	}
	if n := e.Calls(ids[3]); n != 3 {
		t.Errorf("the 500 id was sent %d times, want 3 (--retries 2)", n)
	}
}

func must(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(must(t, path), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
