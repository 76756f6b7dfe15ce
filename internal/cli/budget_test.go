package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// budgetExport writes an export of n distinct ids, every 7th one taken.
func budgetExport(t *testing.T, n int) (path string, ids []string, taken map[string]bool) {
	t.Helper()
	var b strings.Builder
	b.WriteString("externalId,name\n")
	taken = map[string]bool{}
	for i := range n {
		id := fmt.Sprintf("nb-%05d", i)
		ids = append(ids, id)
		if i%7 == 0 {
			taken[id] = true
		}
		fmt.Fprintf(&b, "%s,Name %d\n", id, i)
	}
	path = filepath.Join(t.TempDir(), "crm.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, ids, taken
}

// TestBudgetNights: three nights of --max-calls 2000 over 6,000 ids ask the
// first, second and third 2,000 ids of the input, each exactly once; rows
// not reached are unchecked; a fourth night, every answer expired, refreshes
// the 1,000 oldest and carries the others, marked, with their verdicts.
func TestBudgetNights(t *testing.T) {
	t.Parallel()
	in, ids, taken := budgetExport(t, 6000)
	e := newEndpoint(t, sandbox.Config{Taken: taken})
	state := filepath.Join(t.TempDir(), "crm.state")

	for night := range 3 {
		before := idRequests(t, e)
		out := filepath.Join(t.TempDir(), "out.csv")
		res := run(t, "", e.args(in, "--rate", "0", "--state", state, "--max-calls", "2000", "-o", out)...)
		wantCode := 1 // taken rows, and unchecked ones before the last night
		if res.code != wantCode {
			t.Fatalf("night %d: exit %d, want %d\n%s", night+1, res.code, wantCode, res.stderr)
		}
		if n := idRequests(t, e) - before; n != 2000 {
			t.Errorf("night %d: %d requests, want 2000", night+1, n)
		}
		for i, id := range ids {
			want := 0
			if i < 2000*(night+1) {
				want = 1 // asked on its own night, never again
			}
			if got := e.Calls(id); got != want {
				t.Fatalf("night %d: %s (input row %d) asked %d times in all, want %d", night+1, id, i+1, got, want)
			}
		}
		recs := readCSV(t, string(must(t, out)))
		head := recs[0]
		if head[len(head)-1] != "answeredAt" {
			t.Fatalf("night %d: header %q, want answeredAt last", night+1, head)
		}
		unchecked := 0
		for i, r := range recs[1:] {
			verdict, at := r[4], r[7]
			answered := i < 2000*(night+1)
			switch {
			case answered && verdict != wantVerdict(taken, ids[i]):
				t.Errorf("night %d, row %d: verdict %s, want %s", night+1, i+1, verdict, wantVerdict(taken, ids[i]))
			case answered && at == "":
				t.Errorf("night %d, row %d: answered but no answeredAt", night+1, i+1)
			case !answered && (verdict != "unchecked" || at != "" || r[2] != ""):
				t.Errorf("night %d, row %d: %q, want unchecked without an answer", night+1, i+1, r)
			}
			if verdict == "unchecked" {
				unchecked++
			}
		}
		if want := 6000 - 2000*(night+1); unchecked != want {
			t.Errorf("night %d: %d unchecked rows, want %d", night+1, unchecked, want)
		}
	}

	// Every answer is fresh now: a run without a budget has nothing to
	// ask, sends no request, and its verdicts decide the exit code.
	before := idRequests(t, e)
	if res := run(t, "", e.args(in, "--rate", "0", "--state", state, "-o", filepath.Join(t.TempDir(), "out.csv"))...); res.code != 1 {
		t.Fatalf("fresh re-run: exit %d, want 1\n%s", res.code, res.stderr)
	}
	if n := idRequests(t, e) - before; n != 0 {
		t.Errorf("fresh re-run: %d requests, want 0", n)
	}

	// The fourth night: every answer is older than --state-max-age. The
	// oldest 1,000 (with ties in input order) are the first 1,000 ids.
	before = idRequests(t, e)
	out := filepath.Join(t.TempDir(), "out.csv")
	later := func(env *Env) { env.Now = func() time.Time { return time.Now().Add(2 * time.Hour) } }
	sum := filepath.Join(t.TempDir(), "sum.json")
	res := runWithEnv(t, later, "", e.args(in, "--rate", "0", "--state", state, "--state-max-age", "1h",
		"--max-calls", "1000", "-o", out, "--summary", sum)...)
	if res.code != 1 {
		t.Fatalf("night 4: exit %d\n%s", res.code, res.stderr)
	}
	if n := idRequests(t, e) - before; n != 1000 {
		t.Errorf("night 4: %d requests, want 1000", n)
	}
	for i, id := range ids {
		want := 1
		if i < 1000 {
			want = 2
		}
		if got := e.Calls(id); got != want {
			t.Fatalf("night 4: %s (input row %d) asked %d times in all, want %d", id, i+1, got, want)
		}
	}
	for i, r := range readCSV(t, string(must(t, out)))[1:] {
		verdict, detail := r[4], r[6]
		if verdict != wantVerdict(taken, ids[i]) {
			t.Errorf("night 4, row %d: verdict %s, want %s", i+1, verdict, wantVerdict(taken, ids[i]))
		}
		if refreshed := i < 1000; refreshed == strings.HasPrefix(detail, "not refreshed") {
			t.Errorf("night 4, row %d (refreshed %v): detail %q", i+1, refreshed, detail)
		}
	}
	var s struct {
		StaleAnswers int64            `json:"stale_answers"`
		WaitingIDs   int64            `json:"waiting_ids"`
		Verdicts     map[string]int64 `json:"verdicts"`
		OldestAnswer *time.Time       `json:"oldest_answer"`
	}
	readJSON(t, sum, &s)
	if s.StaleAnswers != 5000 || s.WaitingIDs != 5000 || s.Verdicts["unchecked"] != 0 || s.OldestAnswer == nil {
		t.Errorf("night 4 summary: %+v, want 5000 stale answers, 5000 waiting, none unchecked, an oldest answer", s)
	}
}

func wantVerdict(taken map[string]bool, id string) string {
	if taken[id] {
		return "taken"
	}
	return "available"
}

// TestBudgetDeadline: --deadline stops new calls; every row is still
// written, those not reached unchecked. (No assertion on wall time: the
// calls made are bounded by the rate over the deadline.)
func TestBudgetDeadline(t *testing.T) {
	t.Parallel()
	in, _, taken := budgetExport(t, 1000)
	e := newEndpoint(t, sandbox.Config{Taken: taken})
	out := filepath.Join(t.TempDir(), "out.csv")
	res := run(t, "", e.args(in, "--rate", "100", "--burst", "10", "--deadline", "1s", "-o", out)...)
	if res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	calls := idRequests(t, e)
	if calls < 1 || calls > 100+10+16 { // rate × deadline + burst + requests in flight
		t.Errorf("%d requests in a 1 s deadline at 100/s", calls)
	}
	recs := readCSV(t, string(must(t, out)))[1:]
	unchecked := 0
	for _, r := range recs {
		if r[4] == "unchecked" {
			unchecked++
		}
	}
	if len(recs) != 1000 || unchecked != 1000-int(calls) {
		t.Errorf("%d rows, %d unchecked; want 1000 rows, %d unchecked", len(recs), unchecked, 1000-calls)
	}
}

// TestBudgetStdin: a budgeted run reads stdin twice, through a spool.
func TestBudgetStdin(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"b": true}})
	res := run(t, "externalId\na\nb\nc\na\n", e.args("--rate", "0", "--max-calls", "2", "-")...)
	if res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	want := [][]string{
		{"externalId", "isAvailable", "messageCode", "verdict", "duplicateOf", "detail", "answeredAt"},
		{"a", "true", "SUCCESS", "available", "", ""},
		{"b", "false", "SUCCESS", "taken", "", ""},
		{"c", "", "", "unchecked", ""},
		{"a", "true", "SUCCESS", "duplicate", "1", ""},
	}
	got := readCSV(t, res.stdout)
	for i := range want {
		if i >= len(got) || strings.Join(got[i][:len(want[i])], ",") != strings.Join(want[i], ",") {
			t.Fatalf("stdout:\n%s\nwant rows starting %q", res.stdout, want)
		}
	}
	if idRequests(t, e) != 2 {
		t.Errorf("%d requests, want 2", idRequests(t, e))
	}
}

// TestPlanBudget: plan with a budget says what one run asks and how many
// such runs answer every id.
func TestPlanBudget(t *testing.T) {
	t.Parallel()
	in, _, taken := budgetExport(t, 6000)
	e := newEndpoint(t, sandbox.Config{Taken: taken})
	state := filepath.Join(t.TempDir(), "crm.state")
	if res := run(t, "", e.args(in, "--rate", "0", "--state", state, "--max-calls", "2500")...); res.code != 1 {
		t.Fatalf("validate: exit %d\n%s", res.code, res.stderr)
	}
	sum := filepath.Join(t.TempDir(), "plan.json")
	res := run(t, "", "plan", in, "--state", state, "--max-calls", "1500", "--summary", sum)
	if res.code != 0 {
		t.Fatalf("plan: exit %d\n%s", res.code, res.stderr)
	}
	var p struct {
		JournalHits int64 `json:"journal_hits"`
		ThisRun     struct {
			Calls, Unanswered, Stale int64
		} `json:"this_run"`
		RunsToCover int64 `json:"runs_to_cover"`
	}
	readJSON(t, sum, &p)
	if p.JournalHits != 2500 || p.ThisRun.Calls != 1500 || p.ThisRun.Unanswered != 1500 || p.ThisRun.Stale != 0 || p.RunsToCover != 3 {
		t.Errorf("plan: %+v; want 2500 hits, this run 1500 calls (1500 unanswered), 3 runs to cover 3500 ids", p)
	}
	if !strings.Contains(res.stdout, "runs to cover") || !strings.Contains(res.stdout, "--max-calls 1500") {
		t.Errorf("plan's table does not show the budget:\n%s", res.stdout)
	}
	if idRequests(t, e) != 2500 {
		t.Errorf("%d requests: plan made calls", idRequests(t, e)-2500)
	}
}

// TestStateOtherTenant: a journal filled for one tenant, opened for another
// at the same address, stops the run before any request.
func TestStateOtherTenant(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	state := filepath.Join(t.TempDir(), "crm.state")
	if res := run(t, "externalId\na\n", e.args("--state", state, "-")...); res.code != 0 {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	before, journal := e.Requests(), string(must(t, state))
	args := e.args("--state", state, "-")
	for i, a := range args {
		if a == "--tenant" {
			args[i+1] = "another-tenant"
		}
	}
	res := run(t, "externalId\na\n", args...)
	if res.code != 2 || !strings.Contains(res.stderr, `tenant "another-tenant"`) || !strings.Contains(res.stderr, testTenant) {
		t.Errorf("other tenant: exit %d, stderr %q; want 2 naming both tenants", res.code, res.stderr)
	}
	if n := e.Requests() - before; n != 0 {
		t.Errorf("other tenant: %d requests, want 0", n)
	}
	if string(must(t, state)) != journal {
		t.Error("the journal changed")
	}
}

// TestBudgetOutage: Azotte gone during a budgeted run's asking pass: the
// run gives up after --give-up-after (exit 3), yet FILE.partial holds every
// row, those asked with their answer and the others unchecked, and the
// journal every answer, so that a re-run asks only the rest.
func TestBudgetOutage(t *testing.T) {
	t.Parallel()
	in, ids, taken := budgetExport(t, 600)
	dir := t.TempDir()
	addr := freeAddr(t)
	out, state := filepath.Join(dir, "out.csv"), filepath.Join(dir, "st")
	gone := serveAt(t, addr, sandbox.Config{Taken: taken}, 200)
	e := newEndpoint(t, sandbox.Config{}) // for its key file; the runs go to the url given
	flags := func(url string, extra ...string) []string {
		return append(e.args("--base-url", url, "--rate", "0", "--concurrency", "4", "--timeout", "2s",
			"--state", state, "--max-calls", "500", "-o", out, in), extra...)
	}
	res := run(t, "", flags(gone.url, "--give-up-after", "2s")...)
	if res.code != 3 || !strings.Contains(res.stderr, "cannot reach") {
		t.Fatalf("exit %d, want 3 naming the cause\n%s", res.code, res.stderr)
	}
	recs := readCSV(t, string(must(t, out+".partial")))[1:]
	answered, unchecked := 0, 0
	for i, r := range recs {
		switch r[4] {
		case "unchecked":
			unchecked++
		case wantVerdict(taken, ids[i]):
			answered++
		default:
			t.Errorf("row %d: verdict %s", i+1, r[4])
		}
	}
	if len(recs) != 600 || answered < 1 || answered+unchecked != 600 {
		t.Errorf("FILE.partial: %d rows, %d answered, %d unchecked; want all 600 rows", len(recs), answered, unchecked)
	}

	back := serveAt(t, addr, sandbox.Config{Taken: taken}, 0)
	if res := run(t, "", flags(back.url)...); res.code != 1 {
		t.Fatalf("re-run: exit %d\n%s", res.code, res.stderr)
	}
	if asked := back.Requests() - 1; asked > int64(600-answered) {
		t.Errorf("the re-run asked %d ids; %d were answered before the outage", asked, answered)
	}
}
