package cli

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// quota is an endpoint whose tenant has spent its daily quota: every
// request is answered 429 with Retry-After: 86400.
func quota(t *testing.T) *endpoint {
	return newEndpoint(t, sandbox.Config{FailRate: 1, Faults: []sandbox.Fault{sandbox.Fault429}, RetryAfter: 24 * time.Hour})
}

// pauseSummary is what the summary says of a run a long pause stopped.
type pauseSummary struct {
	Verdicts    map[string]int64 `json:"verdicts"`
	WaitingIDs  int64            `json:"waiting_ids"`
	JournalHits int64            `json:"journal_hits"`
	Stopped     string           `json:"stopped"`
	ResumeAfter *time.Time       `json:"resume_after"`
	ExitCode    int              `json:"exit_code"`
	Error       string           `json:"error"`
}

// TestLongRetryAfterEndsTheAsking: a 429 asking to wait a day is not sat
// through. The run stops asking after the one request that heard it,
// writes every row to the output itself (not FILE.partial): the journalled
// id with its answer, the others unchecked, saying why. Exit 75; the
// summary says why and when to come back; a re-run with the same --state
// asks only the ids not answered.
func TestLongRetryAfterEndsTheAsking(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	state, out, sum := filepath.Join(dir, "st"), filepath.Join(dir, "out.csv"), filepath.Join(dir, "s.json")
	// One address (a journal is bound to its endpoint), three servers:
	// Azotte before the quota is spent, while it is, and after.
	addr, keys := freeAddr(t), newEndpoint(t, sandbox.Config{})
	taken := map[string]bool{"crm-1": true}
	runAt := func(s *stoppable, input string, extra ...string) result {
		t.Helper()
		res := run(t, input, append(keys.args("--rate", "0", "--state", state, "-"), append([]string{"--base-url", s.url}, extra...)...)...)
		s.srv.Close()
		return res
	}

	if res := runAt(serveAt(t, addr, sandbox.Config{Taken: taken}, 0), "externalId\ncrm-1\n", "-o", filepath.Join(dir, "first.csv")); res.code != 1 {
		t.Fatalf("journalling crm-1: exit %d\n%s", res.code, res.stderr)
	}

	const input = "externalId\ncrm-1\ncrm-2\ncrm-3\ncrm-2\ncrm-4\n"
	spent := serveAt(t, addr, sandbox.Config{FailRate: 1, Faults: []sandbox.Fault{sandbox.Fault429}, RetryAfter: 24 * time.Hour}, 0)
	start := time.Now()
	res := runAt(spent, input, "--max-pause", "1m", "-o", out, "--summary", sum)
	t.Logf("stopped after %v", time.Since(start))
	if res.code != exitPaused {
		t.Fatalf("exit %d, want %d\n%s", res.code, exitPaused, res.stderr)
	}
	if ids := spent.IDs(); len(ids) != 1 || ids[0] == "crm-1" || spent.Calls(ids[0]) != 1 {
		t.Errorf("requests about %v, want one, about an id to ask: the one that heard the Retry-After", ids)
	}
	const why = "not asked: Azotte asked to wait 24 h (Retry-After); a later run asks it first"
	recs := readCSV(t, string(must(t, out)))
	want := [][2]string{{"taken", ""}, {"unchecked", why}, {"unchecked", why}, {"duplicate", ""}, {"unchecked", why}}
	if len(recs) != len(want)+1 {
		t.Fatalf("%d rows written, want %d", len(recs)-1, len(want))
	}
	for i, r := range recs[1:] {
		if got := [2]string{r[3], r[5]}; r[3] != want[i][0] || want[i][1] != "" && r[5] != want[i][1] {
			t.Errorf("row %d: verdict, detail %q; want %q", i+1, got, want[i])
		}
	}
	var s pauseSummary
	readJSON(t, sum, &s)
	resume := time.Until(*s.ResumeAfter)
	if s.Stopped != "Azotte asked to wait 24 h (Retry-After)" || resume < 23*time.Hour || resume > 24*time.Hour ||
		s.ExitCode != exitPaused || s.Error != "" || s.Verdicts["unchecked"] != 3 || s.WaitingIDs != 3 || s.JournalHits != 1 {
		t.Errorf("summary %+v (resume in %v); want stopped for 24 h, resume in about a day, exit 75, no error, 3 unchecked of 3 waiting, 1 journal hit", s, resume)
	}

	// The quota is back: the re-run asks only the three ids not answered.
	back := serveAt(t, addr, sandbox.Config{Taken: taken}, 0)
	if res := runAt(back, input, "-o", out); res.code != 1 {
		t.Fatalf("re-run: exit %d\n%s", res.code, res.stderr)
	}
	if ids := back.IDs(); !slices.Equal(ids, []string{"crm-2", "crm-3", "crm-4"}) || back.Requests() != 3 {
		t.Errorf("re-run: %d requests about %v, want one each about crm-2, crm-3, crm-4", back.Requests(), ids)
	}
	for i, r := range readCSV(t, string(must(t, out)))[1:] {
		if r[3] == "unchecked" {
			t.Errorf("re-run, row %d still unchecked", i+1)
		}
	}
}

// TestLongRetryAfterSaysSo: the summary on stderr and the closing warning
// name the pause and the time to come back, and say how to go on.
func TestLongRetryAfterSaysSo(t *testing.T) {
	t.Parallel()
	e := quota(t)
	args := append(e.args("--rate", "0", "--state", filepath.Join(t.TempDir(), "st"), "-"), "--quiet=false")
	res := run(t, "externalId\ncrm-1\ncrm-2\n", args...)
	if res.code != exitPaused {
		t.Fatalf("exit %d, want %d\n%s", res.code, exitPaused, res.stderr)
	}
	for _, w := range []string{"stopped       Azotte asked to wait 24 h (Retry-After); resume after 20",
		"azvalidate: warning: stopped asking: Azotte asked to wait 24 h (Retry-After); every row is written; re-run with the same --state after 20",
		"  unchecked   2  100.0%"} {
		if !strings.Contains(res.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
		}
	}
}

// TestPauseBeyondDeadline: a Retry-After well within --max-pause that
// would still end after --deadline stops the asking too: the nightly job
// ends on time, every row written.
func TestPauseBeyondDeadline(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{FailRate: 1, Faults: []sandbox.Fault{sandbox.Fault429}, RetryAfter: time.Minute})
	text, _, _ := genCSV(50, 50)
	out := filepath.Join(t.TempDir(), "out.csv")
	start := time.Now()
	res := run(t, text, e.args("--rate", "0", "--deadline", "5s", "-o", out, "-")...)
	t.Logf("ended after %v", time.Since(start))
	if res.code != exitPaused || !strings.Contains(res.stderr, "Azotte asked to wait 1 min (Retry-After)") {
		t.Fatalf("exit %d, want %d naming the pause\n%s", res.code, exitPaused, res.stderr)
	}
	if n := idRequests(t, e); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if recs := readCSV(t, string(must(t, out))); len(recs) != 51 {
		t.Errorf("%d rows written, want 50", len(recs)-1)
	}
}

// TestPauseShown: while a Retry-After holds every request, the progress
// lines say so in place of the ETA, with the time left and the cause.
func TestPauseShown(t *testing.T) {
	t.Parallel()
	// Three answers a second, then 429 with Retry-After: 2.
	e := newEndpoint(t, sandbox.Config{Rate: 3, Burst: 3, NoRateLimitHeaders: true, RetryAfter: 2 * time.Second})
	text, _, _ := genCSV(8, 8)
	args := append(e.args("--rate", "0", "--concurrency", "2", "--progress-interval", "100ms", "-o", filepath.Join(t.TempDir(), "out.csv"), "-"), "--quiet=false")
	res := runWithEnv(t, func(env *Env) { env.Timings.PauseCap = 0 }, text, args...)
	if res.code != 1 && res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, " · paused 1 s: Azotte answered 429 Retry-After 2 · taken") {
		t.Errorf("no progress line shows the pause:\n%s", res.stderr)
	}
}
