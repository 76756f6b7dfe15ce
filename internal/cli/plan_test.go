package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/near"
	"github.com/azotte/azvalidate/internal/sandbox"
)

// planInput has known exact duplicates, invalid rows and near-collisions of
// every kind; the comments give each row's number and what plan must make of
// it.
const planInput = "externalId,name\n" +
	"crm-1,a\n" + //            1  distinct; journal: fresh
	"crm-2,b\n" + //            2  distinct; journal: fresh
	"crm-1,c\n" + //            3  duplicate of 1
	",d\n" + //                 4  invalid (empty id)
	"CRM-1,e\n" + //            5  distinct, near 1 (case); journal: expired
	"crm-2 ,f\n" + //           6  distinct, near 2 (space), padded
	"crm-3,g\n" + //            7  distinct
	"ｃｒｍ-3,h\n" + //           8  distinct, near 7 (unicode)
	"crm-4,i\n" + //            9  distinct; journal: fresh
	"crm\u200b-4,j\n" + //     10  distinct, near 9 (zero-width)
	"CRM-4 ,k\n" + //          11  distinct, near 9 (mixed), padded
	"CRM-1,l\n" + //           12  duplicate of 5
	"crm-5,\"m\n" + //         13  invalid (quote never closed: runs to the end of the file)
	"crm-6,n\n"

// Expected counts, from the comments above.
const (
	planRows       = 13
	planDistinct   = 9 // rows 1 2 5 6 7 8 9 10 11
	planDuplicates = 2
	planInvalid    = 2
	planPadded     = 2 // rows 6 and 11 (12 is a duplicate: counted as such)
	planHits       = 3 // crm-1, crm-2, crm-4
	planStale      = 1 // CRM-1
)

type planJSON struct {
	Command       string `json:"command"`
	Rows          int64  `json:"rows"`
	DistinctIDs   int64  `json:"distinct_ids"`
	InvalidRows   int64  `json:"invalid_rows"`
	DuplicateRows int64  `json:"duplicate_rows"`
	PaddedIDs     int64  `json:"padded_ids"`
	Near          *struct {
		Groups  int64            `json:"groups"`
		Similar int64            `json:"similar_ids"`
		ByKind  map[string]int64 `json:"by_kind"`
		Largest []near.Group     `json:"largest"`
	} `json:"near_duplicates"`
	JournalHits      int64    `json:"journal_hits"`
	JournalStale     int64    `json:"journal_stale"`
	CallsNeeded      int64    `json:"calls_needed"`
	EstimatedSeconds *float64 `json:"estimated_seconds"`
	ExitCode         int      `json:"exit_code"`
	Input            struct {
		Name   string `json:"name"`
		SHA256 string `json:"sha256"`
	} `json:"input"`
}

// writeJournal makes a --state journal holding answers for ids, fresh or
// two days old.
func writeJournal(t *testing.T, path string, fresh, old []string) {
	t.Helper()
	j, err := journal.Open(path, journal.Endpoint{BaseURL: journal.SandboxURL, Path: "/v", Tenant: "t"}, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range fresh {
		if err := j.Append(id, journal.Entry{IsAvailable: true, MessageCode: "SUCCESS", Status: json.RawMessage(`{"messageCode":"SUCCESS"}`), Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range old {
		if err := j.Append(id, journal.Entry{IsAvailable: false, MessageCode: "SUCCESS", Time: time.Now().Add(-48 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestPlanCounts: plan on an input with known duplicates, invalid rows,
// near-collisions of every kind and a partly filled journal reports exactly
// the expected counts, and sends no request. Plan has no endpoint setting at
// all (TestPlanMakesNoCalls checks its imports); the sandbox here, announced
// in the environment validate reads, proves that nothing reached it anyway.
func TestPlanCounts(t *testing.T) {
	e := newEndpoint(t, sandbox.Config{})
	vars := map[string]string{"AZOTTE_BASE_URL": e.url, "AZOTTE_TENANT": testTenant, "AZOTTE_API_KEY": testKey}

	dir := t.TempDir()
	in := filepath.Join(dir, "export.csv")
	if err := os.WriteFile(in, []byte(planInput), 0o600); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "run.state")
	writeJournal(t, state, []string{"crm-1", "crm-2", "crm-4", "not-in-the-export"}, []string{"CRM-1"})
	sumPath := filepath.Join(dir, "plan.json")

	// Flags after the file, as users type them.
	setVars := func(e *Env) { e.Getenv = func(k string) string { return vars[k] } }
	r := runWithEnv(t, setVars, "", "plan", in, "--state", state, "--state-max-age", "1h", "--rate", "2", "--summary", sumPath)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if n := e.Requests(); n != 0 {
		t.Errorf("plan sent %d requests", n)
	}

	var got planJSON
	readJSON(t, sumPath, &got)
	calls := int64(planDistinct - planHits)
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"rows", got.Rows, planRows},
		{"distinct_ids", got.DistinctIDs, planDistinct},
		{"invalid_rows", got.InvalidRows, planInvalid},
		{"duplicate_rows", got.DuplicateRows, planDuplicates},
		{"padded_ids", got.PaddedIDs, planPadded},
		{"journal_hits", got.JournalHits, planHits},
		{"journal_stale", got.JournalStale, planStale},
		{"calls_needed", got.CallsNeeded, calls},
		{"exit_code", int64(got.ExitCode), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if got.Rows != got.DistinctIDs+got.DuplicateRows+got.InvalidRows {
		t.Errorf("rows %d != distinct + duplicates + invalid", got.Rows)
	}
	if got.EstimatedSeconds == nil || *got.EstimatedSeconds != float64(calls)/2 {
		t.Errorf("estimated_seconds = %v, want %v", got.EstimatedSeconds, float64(calls)/2)
	}
	if got.Command != "plan" || got.Input.Name != in || len(got.Input.SHA256) != 64 {
		t.Errorf("command %q, input %+v", got.Command, got.Input)
	}

	n := got.Near
	if n == nil {
		t.Fatal("no near_duplicates in the summary")
	}
	wantKinds := map[string]int64{near.Case: 1, near.Space: 1, near.Unicode: 1, near.ZeroWidth: 1, near.Mixed: 1}
	if n.Groups != 4 || n.Similar != 5 || !equalCounts(n.ByKind, wantKinds) {
		t.Errorf("near: %d groups, %d similar, by kind %v; want 4, 5, %v", n.Groups, n.Similar, n.ByKind, wantKinds)
	}
	wantGroups := []near.Group{
		{FirstRow: 9, Size: 3, Kinds: []string{near.ZeroWidth, near.Mixed}, Example: "crm\u200b-4"},
		{FirstRow: 1, Size: 2, Kinds: []string{near.Case}, Example: "CRM-1"},
		{FirstRow: 2, Size: 2, Kinds: []string{near.Space}, Example: "crm-2 "},
		{FirstRow: 7, Size: 2, Kinds: []string{near.Unicode}, Example: "ｃｒｍ-3"},
	}
	if a, b := mustJSON(t, n.Largest), mustJSON(t, wantGroups); a != b {
		t.Errorf("largest groups\n got %s\nwant %s", a, b)
	}

	// The table says the same, for people.
	table := squeeze(r.stdout)
	for _, want := range []string{
		"rows 13",
		"distinct ids 9",
		"invalid rows 2",
		"exact duplicates 2",
		"padded ids 2",
		"near-collisions 4 groups, 9 ids",
		`row 9 3 ids zero-width, mixed e.g. "crm\u200b-4" like row 9`,
		`row 7 2 ids unicode e.g. "ｃｒｍ-3" like row 7`,
		"journal hits 3 fresh answers in " + state + " (expired: 1, asked again)",
		"calls needed 6",
		"api time 6 calls at 2/s ≈ 3 s",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
}

// squeeze replaces each run of spaces by one, so that tests need not know
// the table's column widths.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

func equalCounts(a, b map[string]int64) bool {
	kinds := []string{near.ZeroWidth, near.Space, near.Case, near.Unicode, near.Mixed}
	for _, k := range kinds {
		if a[k] != b[k] {
			return false
		}
	}
	return len(a) == len(kinds)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPlanMakesNoCalls: plan cannot call Azotte, by construction: its file
// imports neither the client nor anything that speaks HTTP.
func TestPlanMakesNoCalls(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "plan.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if strings.HasPrefix(path, "net") || strings.HasSuffix(path, "/azotte") || strings.HasSuffix(path, "/sandbox") || strings.HasSuffix(path, "/pipeline") {
			t.Errorf("plan.go imports %s", path)
		}
	}
}

func TestPlanOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "x.tsv")
	if err := os.WriteFile(in, []byte("id\tname\nA-1\tx\na-1\ty\nA-1\tz\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ndjson := "{\"c\":{\"id\":\"k-1\"}}\n{\"c\":{\"id\":\"K-1\"}}\n{\"c\":{}}\n"
	for _, tt := range []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout []string // substrings of stdout
		stderr string   // substring of stderr
	}{
		{name: "tsv with --id-column", args: []string{"plan", "--id-column", "ID", in}, stdout: []string{
			"distinct ids 2", "exact duplicates 1", "near-collisions 1 group, 2 ids", "2 calls at 8/s ≈ 0 s",
		}},
		{name: "near-duplicates off", args: []string{"plan", in, "--id-column", "id", "--near-duplicates=false"}, stdout: []string{"distinct ids 2"}},
		{name: "no header, column number", args: []string{"plan", "--no-header", "--id-column", "1", "--rate", "0", in}, stdout: []string{
			"distinct ids 3", "no rate limit",
		}},
		{name: "ndjson from stdin", stdin: ndjson, args: []string{"plan", "--id-field", "c.id", "-"}, stdout: []string{
			"rows 3", "invalid rows 1", "near-collisions 1 group, 2 ids",
		}},
		{name: "state file that does not exist yet", args: []string{"plan", in, "--id-column", "id", "--state", filepath.Join(dir, "none.state")},
			stdout: []string{"journal hits 0"}, stderr: "does not exist yet"},
		{name: "missing id column", args: []string{"plan", in}, code: 2, stderr: `no column "externalId"`},
		{name: "missing file", args: []string{"plan", filepath.Join(dir, "nope.csv")}, code: 2, stderr: "no such file"},
		{name: "a file twice", args: []string{"plan", in, in}, code: 2, stderr: "is given twice"},
		{name: "negative rate", args: []string{"plan", in, "--rate", "-1"}, code: 2, stderr: "--rate"},
		{name: "max age without state", args: []string{"plan", in, "--state-max-age", "1h"}, code: 2, stderr: "needs --state"},
		{name: "bad format", args: []string{"plan", in, "--format", "xml"}, code: 2, stderr: "--format"},
		{name: "endpoint without --sample", args: []string{"plan", in, "--base-url", "http://x"}, code: 2, stderr: "--base-url only matters with --sample"},
		{name: "help", args: []string{"plan", "-h"}, code: 0, stdout: []string{"Usage: azvalidate plan"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(squeeze(r.stdout), s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "none.state")); !os.IsNotExist(err) {
		t.Errorf("plan created the state file it was only to read: %v", err)
	}
}

func TestPlanInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(Interrupted(syscall.SIGTERM))
	var out, errb bytes.Buffer
	code := Run(ctx, []string{"plan", "--id-column", "1", "--no-header", "-"}, testEnv(strings.NewReader("a\nb\n"), &out, &errb))
	if code != exitTerminated || !strings.Contains(out.String(), "INCOMPLETE") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
}

// TestPlanSummaryPathCheckedFirst: a --summary that is the input, or in a
// folder that does not exist, is refused before the input is read.
func TestPlanSummaryPathCheckedFirst(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "export.csv")
	if err := os.WriteFile(in, []byte(planInput), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ summary, want string }{
		{in, "--summary " + in + " is also the input"},
		{filepath.Join(dir, "no", "plan.json"), "no folder " + filepath.Join(dir, "no")},
	} {
		res := run(t, "", "plan", "--summary", tc.summary, in)
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) || strings.Contains(res.stdout, "distinct") {
			t.Errorf("--summary %s: exit %d, stdout %q, stderr %q; want 2, no plan, and %q", tc.summary, res.code, res.stdout, res.stderr, tc.want)
		}
	}
	if got := must(t, in); string(got) != planInput {
		t.Error("the input was overwritten")
	}
}
