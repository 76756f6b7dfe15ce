package cli

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/sandbox"
)

// writeFiles writes each name's content into a new folder and returns the
// paths, in order.
func writeFiles(t *testing.T, files ...[2]string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f[0])
		if err := os.WriteFile(p, []byte(f[1]), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// readMultiSummary reads a --summary JSON file.
func readMultiSummary(t *testing.T, path string) report.Summary {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s report.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestMultiCSV: two CSV parts are one export: each distinct id is asked
// once across them, rows come out in order with their file, a repeat in
// the second part names its first row in the first as FILE:ROW, and the
// summary counts each file.
func TestMultiCSV(t *testing.T) {
	e := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"c-3": true}})
	paths := writeFiles(t,
		[2]string{"a.csv", "externalId,name\nc-1,Ann\nc-2,Bob\nc-3,Cy\nc-2,Bob again\n"},
		[2]string{"b.csv", "externalId,name\nc-4,Di\nc-1,Ann twice\n,no id\nc-4,Di twice\n"},
	)
	summary := filepath.Join(t.TempDir(), "run.json")
	r := run(t, "", e.args(append(paths, "--summary", summary)...)...)
	if r.code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, exitFindings, r.stderr)
	}
	if got := idRequests(t, e); got != 4 {
		t.Errorf("id requests = %d, want 4 (c-1 .. c-4, once each across both files)", got)
	}
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, r.stdout)
	}
	header := recs[0]
	col := func(name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s in %q", name, header)
		return -1
	}
	src, verdict, dup, name := col("sourceFile"), col("verdict"), col("duplicateOf"), col("name")
	want := []struct{ name, file, verdict, dup string }{
		{"Ann", paths[0], "available", ""},
		{"Bob", paths[0], "available", ""},
		{"Cy", paths[0], "taken", ""},
		{"Bob again", paths[0], "duplicate", "2"}, // same file: a plain row number
		{"Di", paths[1], "available", ""},
		{"Ann twice", paths[1], "duplicate", paths[0] + ":1"},
		{"no id", paths[1], "invalid", ""},
		{"Di twice", paths[1], "duplicate", "1"}, // rows are numbered per file
	}
	if len(recs)-1 != len(want) {
		t.Fatalf("%d rows out, want %d:\n%s", len(recs)-1, len(want), r.stdout)
	}
	for i, w := range want {
		got := recs[i+1]
		if got[name] != w.name || got[src] != w.file || got[verdict] != w.verdict || got[dup] != w.dup {
			t.Errorf("row %d: name %q sourceFile %q verdict %q duplicateOf %q; want %q %q %q %q",
				i+1, got[name], got[src], got[verdict], got[dup], w.name, w.file, w.verdict, w.dup)
		}
	}

	s := readMultiSummary(t, summary)
	if s.Rows != 8 || s.DistinctIDs != 4 {
		t.Errorf("summary rows %d distinct %d, want 8 and 4", s.Rows, s.DistinctIDs)
	}
	if len(s.Files) != 2 {
		t.Fatalf("summary files = %+v, want 2", s.Files)
	}
	wantFiles := []struct {
		rows                       int64
		available, taken, dup, inv int64
	}{{4, 2, 1, 1, 0}, {4, 1, 0, 2, 1}}
	for i, w := range wantFiles {
		f := s.Files[i]
		v := f.Verdicts
		if f.Name != paths[i] || f.Format != "csv" || f.Rows != w.rows || v["available"] != w.available ||
			v["taken"] != w.taken || v["duplicate"] != w.dup || v["invalid"] != w.inv || len(f.SHA256) != 64 || f.Bytes <= 0 {
			t.Errorf("files[%d] = %+v, want %s with %+v", i, f, paths[i], w)
		}
	}
	// The text summary on stderr (without --quiet) has a line per file.
	r = run(t, "", append([]string{"validate", "--sandbox"}, paths...)...)
	for _, p := range paths {
		if !strings.Contains(r.stderr, p+" (csv, ") || !strings.Contains(r.stderr, "4 rows") {
			t.Errorf("text summary lacks the line of %s:\n%s", p, r.stderr)
		}
	}
}

// TestMultiMixedFormats: a CSV and an NDJSON part need --output-format;
// with ndjson each row becomes an object of its own file's keys.
func TestMultiMixedFormats(t *testing.T) {
	e := newEndpoint(t, sandbox.Config{})
	paths := writeFiles(t,
		[2]string{"a.csv", "externalId,name\nc-1,Ann\nc-2,Bob\n"},
		[2]string{"b.ndjson", `{"externalId":"c-3","city":"Oslo"}` + "\n" + `{"externalId":"c-1","city":"Rome"}` + "\n"},
	)
	r := run(t, "", e.args(paths...)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "is csv but") || !strings.Contains(r.stderr, "is ndjson") {
		t.Fatalf("without --output-format: exit %d, stderr %q; want 2 naming both formats", r.code, r.stderr)
	}
	if n := idRequests(t, e); n != 0 {
		t.Fatalf("%d id requests before the refusal", n)
	}

	r = run(t, "", e.args(append(paths, "--output-format", "ndjson")...)...)
	if r.code != exitFindings {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	if got := idRequests(t, e); got != 3 {
		t.Errorf("id requests = %d, want 3", got)
	}
	var rows []map[string]any
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		rows = append(rows, m)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4:\n%s", len(rows), r.stdout)
	}
	want := []struct {
		key, value, file, verdict string
		dup                       any
	}{
		{"name", "Ann", paths[0], "available", nil},
		{"name", "Bob", paths[0], "available", nil},
		{"city", "Oslo", paths[1], "available", nil},
		{"city", "Rome", paths[1], "duplicate", paths[0] + ":1"},
	}
	for i, w := range want {
		m := rows[i]
		if m[w.key] != w.value || m["sourceFile"] != w.file || m["verdict"] != w.verdict || m["duplicateOf"] != w.dup {
			t.Errorf("row %d = %v; want %s=%s sourceFile %s verdict %s duplicateOf %v", i+1, m, w.key, w.value, w.file, w.verdict, w.dup)
		}
	}
}

// TestMultiHeaderMismatch: CSV parts whose headers differ cannot share one
// CSV output: refused, naming the file and the difference, before any
// request.
func TestMultiHeaderMismatch(t *testing.T) {
	e := newEndpoint(t, sandbox.Config{})
	paths := writeFiles(t,
		[2]string{"a.csv", "externalId,name\nc-1,Ann\n"},
		[2]string{"b.csv", "externalId,email\nc-2,b@example.com\n"},
	)
	r := run(t, "", e.args(paths...)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, paths[1]+": its header differs") || !strings.Contains(r.stderr, `column 2 is "email", not "name"`) {
		t.Fatalf("exit %d, stderr %q; want 2 naming %s and the column", r.code, r.stderr, paths[1])
	}
	if n := e.Requests(); n != 0 {
		t.Errorf("%d requests before the refusal, want none", n)
	}
	// As NDJSON, each row keeps its own keys: no header to share.
	if r := run(t, "", e.args(append(paths, "--output-format", "ndjson")...)...); r.code != exitOK {
		t.Errorf("--output-format ndjson: exit %d, stderr %s", r.code, r.stderr)
	}
}

// TestMultiOneFileUnchanged: one input, as always: no sourceFile column and
// no files in the summary.
func TestMultiOneFileUnchanged(t *testing.T) {
	paths := writeFiles(t, [2]string{"a.csv", "externalId\nc-1\nc-1\n"})
	summary := filepath.Join(t.TempDir(), "run.json")
	r := run(t, "", "validate", "--sandbox", "--quiet", paths[0], "--summary", summary)
	if r.code != exitFindings {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if want := "externalId,isAvailable,messageCode,verdict,duplicateOf,detail\nc-1,true,SUCCESS,available,,\nc-1,true,SUCCESS,duplicate,1,\n"; r.stdout != want {
		t.Errorf("output:\n%s\nwant:\n%s", r.stdout, want)
	}
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"files"`) {
		t.Errorf("one input's summary has files:\n%s", b)
	}
}

// TestMultiBudgeted: a budgeted run reads the inputs twice, stdin among
// them: the second pass writes every row of both, the ids the budget left
// unasked unchecked.
func TestMultiBudgeted(t *testing.T) {
	e := newEndpoint(t, sandbox.Config{})
	paths := writeFiles(t, [2]string{"a.csv", "externalId\nc-1\nc-2\n"})
	r := run(t, "externalId\nc-2\nc-3\nc-4\n", e.args(paths[0], "-", "--max-calls", "3")...)
	if r.code != exitFindings {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got := idRequests(t, e); got != 3 {
		t.Errorf("id requests = %d, want 3 (the budget)", got)
	}
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rec := range recs[1:] {
		got = append(got, rec[0]+" "+rec[1]+" "+rec[4])
	}
	// Columns: externalId, sourceFile, isAvailable, messageCode, verdict.
	want := []string{"c-1 " + paths[0] + " available", "c-2 " + paths[0] + " available",
		"c-2 - duplicate", "c-3 - available", "c-4 - unchecked"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestMultiPlan: plan over two parts counts the duplicates across them and
// each file's rows.
func TestMultiPlan(t *testing.T) {
	paths := writeFiles(t,
		[2]string{"a.csv", "externalId\nc-1\nc-2\n"},
		[2]string{"b.csv", "externalId\nc-2\nc-3\n\n"},
	)
	summary := filepath.Join(t.TempDir(), "plan.json")
	r := run(t, "", append([]string{"plan", "--summary", summary}, paths...)...)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var s report.Plan
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Rows != 4 || s.DistinctIDs != 3 || s.DuplicateRows != 1 || s.CallsNeeded != 3 {
		t.Errorf("plan rows %d distinct %d duplicates %d calls %d; want 4 3 1 3", s.Rows, s.DistinctIDs, s.DuplicateRows, s.CallsNeeded)
	}
	if len(s.Files) != 2 || s.Files[0].Rows != 2 || s.Files[1].Rows != 2 || s.Files[1].Verdicts["duplicate"] != 1 || s.Files[0].Verdicts["duplicate"] != 0 {
		t.Errorf("plan files = %+v", s.Files)
	}
	if !strings.Contains(r.stdout, paths[1]+" (csv, ") {
		t.Errorf("plan text lacks the line of %s:\n%s", paths[1], r.stdout)
	}
}

// TestMultiReport: with several inputs the audit report names rows by file
// and row there, as the output's duplicateOf does.
func TestMultiReport(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"r-5": true}})
	paths := writeFiles(t,
		[2]string{"a.csv", "externalId\nr-1\nr-2\n"},
		[2]string{"b.csv", "externalId\nr-3\nr-5\nr-1\nr-1\n"},
	)
	md := filepath.Join(t.TempDir(), "audit.md")
	if r := run(t, "", e.args(append(paths, "--report", md)...)...); r.code != exitFindings {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	text := string(must(t, md))
	// r-5 is b.csv's second row; r-1, repeated twice in b.csv, is a.csv's first.
	for _, want := range []string{"| " + paths[1] + ":2 | r-5 |", "| r-1 | " + paths[0] + ":1 | 3 |"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}
}
