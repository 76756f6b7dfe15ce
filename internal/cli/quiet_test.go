package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// logLineRE is a log line of a run whose stderr is no terminal.
var logLineRE = regexp.MustCompile(`^azvalidate: \d\d:\d\d:\d\d (started: input \S+ \(.+\)|progress: .+ rows/s.* · taken \d+ · errors \d+ · api calls \d+)$`)

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

// TestValidateQuiet runs validate in-process: --quiet writes nothing on
// stderr but errors, and still writes the output and the --summary file;
// without it, the log lines (stderr is no terminal) start at once with the
// start line and the summary table follows.
func TestValidateQuiet(t *testing.T) {
	t.Parallel()
	text, ids, taken := genCSV(300, 200)
	e := newEndpoint(t, sandbox.Config{Taken: taken})
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(in, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}

	sum := filepath.Join(dir, "quiet.json")
	res := run(t, "", e.args("--rate", "0", "-o", filepath.Join(dir, "quiet.csv"), "--summary", sum, in)...)
	if res.code != 1 || res.stderr != "" {
		t.Errorf("--quiet: exit %d, stderr %q; want 1 and nothing", res.code, res.stderr)
	}
	var s struct{ Rows int64 }
	readJSON(t, sum, &s)
	if s.Rows != int64(len(ids)) {
		t.Errorf("--quiet --summary: %d rows, want %d", s.Rows, len(ids))
	}
	if recs := readCSV(t, string(must(t, filepath.Join(dir, "quiet.csv")))); len(recs) != len(ids)+1 {
		t.Errorf("--quiet output: %d records, want %d", len(recs), len(ids)+1)
	}

	// An error still shows, and only it: no summary table.
	bad := newEndpoint(t, sandbox.Config{APIKey: "sk_other"})
	res = run(t, "", bad.args("-o", filepath.Join(dir, "bad.csv"), in)...)
	// (refused at the first request: the error line alone)
	if res.code != 2 || !strings.Contains(res.stderr, "azvalidate: error: azotte refused the credentials") || strings.Contains(res.stderr, "distinct ids") {
		t.Errorf("--quiet with an error: exit %d, stderr %q; want the error alone", res.code, res.stderr)
	}

	args := slices.DeleteFunc(e.args("--rate", "0", "-o", filepath.Join(dir, "loud.csv"), in),
		func(a string) bool { return a == "--quiet" })
	res = run(t, "", args...)
	lines := strings.Split(res.stderr, "\n")
	if res.code != 1 || !logLineRE.MatchString(lines[0]) || !strings.Contains(lines[0], " started: input "+in+" (") ||
		!strings.Contains(res.stderr, "distinct ids") {
		t.Errorf("without --quiet: exit %d, stderr:\n%s\nwant a start line, then the summary table", res.code, res.stderr)
	}
}
