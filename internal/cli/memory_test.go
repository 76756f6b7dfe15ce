package cli

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// spillShare is a table's memory in the tests that spill: a few thousand
// ids fill it.
const spillShare = 16 << 10

// spillExport is an export of n rows with repeated ids, near-collisions
// (an upper-case or padded twin) and repeated emails.
func spillExport(n int) string {
	var b strings.Builder
	b.WriteString("externalId,email\n")
	for i := range n {
		id := fmt.Sprintf("crm-%06d", (i*7919)%(n*2/3))
		switch i % 47 { // not a divisor of the ids' period: an id's rows differ
		case 7:
			id = strings.ToUpper(id)
		case 9:
			id += " "
		}
		fmt.Fprintf(&b, "%s,user%d@example.com\n", id, i%(n/2))
	}
	return b.String()
}

// distinctIDs counts the distinct ids of a CSV export whose first column
// is the id.
func distinctIDs(csv string) int64 {
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(csv), "\n")[1:] {
		id, _, _ := strings.Cut(line, ",")
		seen[id] = true
	}
	return int64(len(seen))
}

// TestSpilledRunEqualsInMemory validates and plans one export twice, with
// every table in memory and with tables so small that they spill many
// times: the outputs, the plans and the requests are the same, and no
// temporary folder is left.
func TestSpilledRunEqualsInMemory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "crm.csv")
	if err := os.WriteFile(in, []byte(spillExport(6000)), 0o600); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	os.Mkdir(tmp, 0o700)
	outputs := map[int]string{}
	for _, share := range []int{0, spillShare} {
		e := newEndpoint(t, sandbox.Config{})
		out := filepath.Join(dir, fmt.Sprint("out-", share, ".csv"))
		state := filepath.Join(dir, fmt.Sprint("state-", share))
		set := func(env *Env) { env.TableShare = share }
		for pass := range 2 { // the second run reads the journal back
			r := runWithEnv(t, set, "", e.args("--rate", "0", "--state", state, "--near-duplicates", "--unique-columns", "email", "--temp-dir", tmp, "-o", out, in)...)
			if r.code != exitOK && r.code != exitFindings {
				t.Fatalf("share %d pass %d: exit %d: %s", share, pass, r.code, r.stderr)
			}
		}
		if got, want := idRequests(t, e), distinctIDs(spillExport(6000)); got != want {
			t.Errorf("share %d: %d requests, want one per distinct id of the first run (%d)", share, got, want)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		outputs[share] = string(b)
		p := runWithEnv(t, set, "", "plan", "--state", state, "--temp-dir", tmp, in)
		if p.code != exitOK {
			t.Fatalf("plan: exit %d: %s", p.code, p.stderr)
		}
		outputs[-1-share] = strings.ReplaceAll(p.stdout, state, "STATE")
	}
	if outputs[0] != outputs[spillShare] {
		t.Errorf("the spilled run wrote other rows than the one in memory")
	}
	if outputs[-1] != outputs[-1-spillShare] {
		t.Errorf("plans differ:\nin memory:\n%s\nspilled:\n%s", outputs[-1], outputs[-1-spillShare])
	}
	if !strings.Contains(outputs[0], ",case,") || !strings.Contains(outputs[0], ",space,") {
		t.Errorf("no near-collision in the output: the test's export lost its twins")
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("runs left %v in --temp-dir", ents)
	}
}

func TestMemoryLimitTooSmall(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	for _, limit := range []string{"1MiB", "20MiB"} {
		r := run(t, "externalId\ncrm-1\n", e.args("--memory-limit", limit, "--state", filepath.Join(t.TempDir(), "s"), "-")...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--memory-limit "+limit+" is too small for this run: the smallest that works is 31MiB") {
			t.Errorf("--memory-limit %s: exit %d, %q", limit, r.code, r.stderr)
		}
	}
	r := runWithEnv(t, func(env *Env) {
		env.Getenv = func(k string) string { return map[string]string{"AZVALIDATE_MEMORY_LIMIT": "1MiB"}[k] }
	}, "externalId\ncrm-1\n", "plan", "-")
	if r.code != exitUsage || !strings.Contains(r.stderr, "the smallest that works is 30MiB") {
		t.Errorf("AZVALIDATE_MEMORY_LIMIT=1MiB plan: exit %d, %q", r.code, r.stderr)
	}
	r = run(t, "externalId\ncrm-1\n", "plan", "--memory-limit", "lots", "-")
	if r.code != exitUsage || !strings.Contains(r.stderr, `"lots" is not a size`) {
		t.Errorf("--memory-limit lots: exit %d, %q", r.code, r.stderr)
	}
	if n := idRequests(t, e); n != 0 {
		t.Errorf("%d requests before the refusal", n)
	}
}

// killChildEnv switches TestSpillingRunUntilKilled from a skipped test into
// the child process of TestKill9SpillingRun, naming its folder.
const killChildEnv = "AZVALIDATE_SPILL_CHILD"

// TestKill9SpillingRun kills a validate run whose tables spill, with
// --state, at random moments, runs it again each time, and checks that
// the finished run's output is byte for byte an uninterrupted run's, and
// that the folder a killed run left is gone after the next.
//
// Not parallel: between fork and exec the child shares this process's open
// files, and so holds the flocks of journals other tests are closing.
func TestKill9SpillingRun(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "crm.csv")
	if err := os.WriteFile(in, []byte(spillExport(30000)), 0o600); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	os.Mkdir(tmp, 0o700)
	set := func(env *Env) { env.TableShare = spillShare }
	args := func(out, state string) []string {
		return []string{"validate", "--sandbox", "--rate", "0", "-q", "--state", state, "--temp-dir", tmp, "-o", out, in}
	}
	want := filepath.Join(dir, "want.csv")
	if r := runWithEnv(t, set, "", args(want, filepath.Join(dir, "want.state"))...); r.code != exitFindings && r.code != exitOK {
		t.Fatalf("uninterrupted run: exit %d: %s", r.code, r.stderr)
	}

	out, state := filepath.Join(dir, "out.csv"), filepath.Join(dir, "state")
	rng := rand.New(rand.NewPCG(7, 8))
	for kill := range 3 {
		// Killed once the journal holds a random number of answers.
		after := 2000 + rng.IntN(8000)*(kill+1)/3
		cmd := exec.Command(os.Args[0], "-test.run=^TestSpillingRunUntilKilled$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+strings.Join(args(out, state), "\x1f"))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ended := make(chan error, 1)
		go func() { ended <- cmd.Wait() }()
		waitForLines(state, after, ended)
		cmd.Process.Kill()
		err := <-ended
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.String() != "signal: killed" {
			t.Logf("kill %d: the child ended with %v before the kill", kill, err)
		}
		left, _ := filepath.Glob(filepath.Join(tmp, "azvalidate-spill-*"))
		t.Logf("kill %d after %d journal lines: %d folder(s) left", kill, after, len(left))
		if kill == 0 && len(left) == 0 {
			t.Errorf("a run killed while spilling left no folder: it never spilled")
		}
	}
	if r := runWithEnv(t, set, "", args(out, state)...); r.code != exitFindings && r.code != exitOK {
		t.Fatalf("the run after the kills: exit %d: %s", r.code, r.stderr)
	}
	got, _ := os.ReadFile(out)
	wantB, _ := os.ReadFile(want)
	if string(got) != string(wantB) {
		t.Errorf("the resumed output differs from the uninterrupted run's (%d and %d bytes)", len(got), len(wantB))
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("after the finished run, %v remain in --temp-dir", ents)
	}
}

// waitForLines returns once the file at path holds n lines, or when the
// child's end is sent on ended (then sent again for the caller).
func waitForLines(path string, n int, ended chan error) {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, _ := os.ReadFile(path); bytes.Count(b, []byte("\n")) >= n {
			return
		}
		select {
		case err := <-ended:
			ended <- err
			return
		case <-tick.C:
		}
	}
}

func TestSpillingRunUntilKilled(t *testing.T) {
	args := os.Getenv(killChildEnv)
	if args == "" {
		t.Skip("the child process of TestKill9SpillingRun")
	}
	runWithEnv(t, func(env *Env) { env.TableShare = spillShare }, "", strings.Split(args, "\x1f")...)
}
