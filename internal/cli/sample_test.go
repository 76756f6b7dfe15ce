package cli

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azotte/azvalidate/internal/sandbox"
)

type sampleJSON struct {
	DistinctIDs int64 `json:"distinct_ids"`
	CallsNeeded int64 `json:"calls_needed"`
	Sample      *struct {
		Size              int64   `json:"size"`
		Asked             int64   `json:"asked"`
		Answered          int64   `json:"answered"`
		Taken             int64   `json:"taken"`
		TakenShare        float64 `json:"taken_share"`
		TakenShareLow     float64 `json:"taken_share_low"`
		TakenShareHigh    float64 `json:"taken_share_high"`
		ExpectedTaken     float64 `json:"expected_taken"`
		ExpectedTakenLow  float64 `json:"expected_taken_low"`
		ExpectedTakenHigh float64 `json:"expected_taken_high"`
		FullRunCalls      int64   `json:"full_run_calls"`
	} `json:"sample"`
}

// TestPlanSample: plan --sample 800 on 20,000 distinct ids (with duplicate
// rows) asks exactly 800 distinct ids once each, reports the Wilson interval
// of the answers it got, and journals them, so that validate with the same
// --state asks only the other 19,200.
func TestPlanSample(t *testing.T) {
	t.Parallel()
	const n, size = 20_000, 800
	taken := map[string]bool{}
	var in strings.Builder
	in.WriteString("externalId\n")
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("crm-%05d", i)
		if i%7 == 3 {
			taken[ids[i]] = true
		}
		in.WriteString(ids[i] + "\n")
		if i%10 == 0 {
			in.WriteString(ids[i/2] + "\n") // a duplicate row: not a second chance in the sample
		}
	}
	e := newEndpoint(t, sandbox.Config{Taken: taken})
	dir := t.TempDir()
	state, sum := filepath.Join(dir, "s.state"), filepath.Join(dir, "plan.json")

	conn := e.args()[1:] // validate's endpoint flags, without the command
	r := run(t, in.String(), append(append([]string{"plan"}, conn[:len(conn)-1]...),
		"--rate", "0", "--sample", fmt.Sprint(size), "--seed", "7", "--state", state, "--summary", sum, "-")...)
	if r.code != 0 {
		t.Fatalf("plan: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	asked, k := 0, int64(0)
	for _, id := range ids {
		switch c := e.Calls(id); c {
		case 0:
		case 1:
			asked++
			if taken[id] {
				k++
			}
		default:
			t.Errorf("%s asked %d times", id, c)
		}
	}
	if asked != size {
		t.Fatalf("%d distinct ids asked, want %d", asked, size)
	}
	var s sampleJSON
	readJSON(t, sum, &s)
	m := s.Sample
	if m == nil || m.Size != size || m.Asked != size || m.Answered != size || m.Taken != k {
		t.Fatalf("sample %+v, want size, asked, answered %d and taken %d", m, size, k)
	}
	// The Wilson score interval of k in size, computed here from its formula.
	const z = 1.959963984540054
	p, nf := float64(k)/size, float64(size)
	center := (p + z*z/(2*nf)) / (1 + z*z/nf)
	half := z / (1 + z*z/nf) * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf))
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9*max(1, math.Abs(b)) }
	if !near(m.TakenShare, p) || !near(m.TakenShareLow, center-half) || !near(m.TakenShareHigh, center+half) {
		t.Errorf("share %v [%v, %v], want %v [%v, %v]", m.TakenShare, m.TakenShareLow, m.TakenShareHigh, p, center-half, center+half)
	}
	if !near(m.ExpectedTaken, p*n) || !near(m.ExpectedTakenLow, (center-half)*n) || !near(m.ExpectedTakenHigh, (center+half)*n) {
		t.Errorf("expected taken %v [%v, %v], want share x %d", m.ExpectedTaken, m.ExpectedTakenLow, m.ExpectedTakenHigh, n)
	}
	if s.DistinctIDs != n || m.FullRunCalls != n-size {
		t.Errorf("distinct %d, full run calls %d; want %d, %d", s.DistinctIDs, m.FullRunCalls, n, n-size)
	}
	if !strings.Contains(r.stdout, "taken share") || !strings.Contains(r.stdout, "--seed 7") {
		t.Errorf("plan's table lacks the sample:\n%s", r.stdout)
	}

	before := idRequests(t, e)
	v := run(t, in.String(), e.args("--rate", "0", "--state", state, "-")...)
	if v.code != 1 {
		t.Fatalf("validate: exit %d\n%s", v.code, v.stderr)
	}
	if got := idRequests(t, e) - before; got != n-size {
		t.Errorf("validate made %d requests, want %d", got, n-size)
	}
	for _, id := range ids {
		if c := e.Calls(id); c != 1 {
			t.Fatalf("%s asked %d times over plan and validate, want once", id, c)
		}
	}
}

// TestPlanSampleSandbox: --sample works against the embedded sandbox, a
// sample larger than the input asks every id, and the same --seed chooses
// the same sample.
func TestPlanSampleSandbox(t *testing.T) {
	t.Parallel()
	var in strings.Builder
	in.WriteString("externalId\n")
	for i := range 300 {
		fmt.Fprintf(&in, "id-%d\n", i)
	}
	dir := t.TempDir()
	taken := filepath.Join(dir, "taken.txt")
	if err := os.WriteFile(taken, []byte("id-1\nid-2\nid-3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := filepath.Join(dir, "all.json")
	r := run(t, in.String(), "plan", "--sandbox", "--sandbox-taken", taken, "--sample", "1000", "--summary", sum, "-")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var s sampleJSON
	readJSON(t, sum, &s)
	if m := s.Sample; m == nil || m.Size != 300 || m.Answered != 300 || m.Taken != 3 {
		t.Errorf("sample %+v, want all 300 ids, 3 taken", m)
	}

	e := newEndpoint(t, sandbox.Config{})
	conn := e.args()[1:]
	args := append(append([]string{"plan"}, conn[:len(conn)-1]...), "--rate", "0", "--sample", "20", "--seed", "99", "-")
	run(t, in.String(), args...)
	var first []string
	for i := range 300 {
		if e.Calls(fmt.Sprintf("id-%d", i)) == 1 {
			first = append(first, fmt.Sprint(i))
		}
	}
	run(t, in.String(), args...)
	for _, i := range first {
		if c := e.Calls("id-" + i); c != 2 {
			t.Errorf("id-%s asked %d times over two runs with one seed, want 2", i, c)
		}
	}
	if len(first) != 20 || e.Requests() != 40 {
		t.Errorf("%d ids asked by the first run, %d requests by both; want 20, 40", len(first), e.Requests())
	}
}
