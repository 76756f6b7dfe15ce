package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/sandbox"
)

var stateEP = journal.Endpoint{BaseURL: "https://acme.example", Path: azotte.DefaultPath, Tenant: "t1"}

// appendAll journals each answer through a real run's API.
func appendAll(t *testing.T, path string, answers func(add func(id string, e journal.Entry))) {
	t.Helper()
	j, err := journal.Open(path, stateEP, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	answers(func(id string, e journal.Entry) {
		if err := j.Append(id, e); err != nil {
			t.Fatal(err)
		}
	})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

func lineCount(t *testing.T, path string) int {
	t.Helper()
	return strings.Count(string(must(t, path)), "\n")
}

// TestStateCompact: 7,000 lines for 6,000 ids compact to 6,000 answers and
// the binding line, with the same answers.
func TestStateCompact(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "crm.state")
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	status := json.RawMessage(`{"messageCode":"SUCCESS"}`)
	appendAll(t, path, func(add func(string, journal.Entry)) {
		for i := range 7000 {
			id := i % 6000 // ids 0..999 answered twice, the second time differently
			add(fmt.Sprint("crm-", id), journal.Entry{IsAvailable: (i/6000+id)%3 != 0, MessageCode: "SUCCESS",
				Status: status, Time: start.Add(time.Duration(i) * time.Second)})
		}
	})
	if n := lineCount(t, path); n != 7001 {
		t.Fatalf("journal has %d lines, want 7001", n)
	}
	before := run(t, "", "state", "export", path)
	if before.code != 0 {
		t.Fatalf("export: exit %d\n%s", before.code, before.stderr)
	}

	// Not while a run uses it.
	j, err := journal.Open(path, stateEP, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, "", "state", "compact", path)
	j.Close()
	if res.code != 2 || !strings.Contains(res.stderr, "in use by another run") {
		t.Errorf("compact during a run: exit %d, stderr %q; want 2, in use", res.code, res.stderr)
	}

	res = run(t, "", "state", "compact", path)
	if want := fmt.Sprintf("compacted %s: 7001 lines -> 6001 (6000 ids), ", path); res.code != 0 || !strings.HasPrefix(res.stdout, want) {
		t.Fatalf("compact: exit %d, stdout %q, stderr %q; want %q...", res.code, res.stdout, res.stderr, want)
	}
	if n := lineCount(t, path); n != 6001 {
		t.Errorf("compacted journal has %d lines, want 6001", n)
	}
	after := run(t, "", "state", "export", path)
	if after.stdout != before.stdout {
		t.Error("the answers changed with compaction")
	}
	recs := readCSV(t, after.stdout)
	if len(recs) != 6001 {
		t.Fatalf("export has %d records, want 6001", len(recs))
	}
	// crm-1 was answered at i = 1 (taken? (0+1)%3 != 0: available) and
	// again at i = 6001 ((1+1)%3 != 0: available); crm-2 at 6002: taken.
	got := map[string][]string{}
	for _, r := range recs[1:] {
		got[r[0]] = r
	}
	want2 := []string{"crm-2", "false", "SUCCESS", start.Add(6002 * time.Second).UTC().Format(time.RFC3339)}
	if g := got["crm-2"]; strings.Join(g, ",") != strings.Join(want2, ",") {
		t.Errorf("crm-2 exported as %q, want its latest answer %q", g, want2)
	}
}

func TestStateInfoAndExport(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "crm.state")
	now := time.Now()
	appendAll(t, path, func(add func(string, journal.Entry)) {
		add("a,1", journal.Entry{IsAvailable: true, MessageCode: "SUCCESS", Time: now.Add(-30 * time.Minute)})
		add("b", journal.Entry{IsAvailable: false, MessageCode: "SUCCESS", Time: now.Add(-2 * time.Hour)})
		add("c", journal.Entry{IsAvailable: false, MessageCode: "CUSTOMER_ALREADY_STORED", Time: now.Add(-3 * 24 * time.Hour)})
		add("d", journal.Entry{IsAvailable: true, MessageCode: "SUCCESS", Time: now.Add(-10 * 24 * time.Hour)})
		add("d", journal.Entry{IsAvailable: false, MessageCode: "SUCCESS", Time: now.Add(-9 * 24 * time.Hour)})
	})
	size := len(must(t, path))

	res := run(t, "", "state", "info", path)
	if res.code != 0 {
		t.Fatalf("info: exit %d\n%s", res.code, res.stderr)
	}
	for _, want := range []string{
		"endpoint            https://acme.example\n",
		"path                " + azotte.DefaultPath + "\n",
		"tenant              t1\n",
		"ids                 4\n",
		"lines               6, of which 1 superseded",
		fmt.Sprintf("size                %d bytes\n", size),
		"answers by age      <1h 1 · <24h 1 · <7d 1 · older 1\n",
		"answers by verdict  available 1 · taken 2 · other 1\n",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("info lacks %q:\n%s", want, res.stdout)
		}
	}

	res = run(t, "", "state", "export", path)
	sec := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339) }
	want := "id,isAvailable,messageCode,answeredAt\n" +
		`"a,1",true,SUCCESS,` + sec(-30*time.Minute) + "\n" +
		"b,false,SUCCESS," + sec(-2*time.Hour) + "\n" +
		"c,false,CUSTOMER_ALREADY_STORED," + sec(-3*24*time.Hour) + "\n" +
		"d,false,SUCCESS," + sec(-9*24*time.Hour) + "\n"
	if res.code != 0 || res.stdout != want {
		t.Errorf("export: exit %d, stdout\n%s\nwant\n%s", res.code, res.stdout, want)
	}
}

func TestStateUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "export.csv")
	const content = "externalId,name\ncrm-1,Ann\n"
	if err := os.WriteFile(csvFile, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"state"}, 2, "state takes a subcommand and a FILE"},
		{[]string{"state", "info"}, 2, "state takes a subcommand and a FILE"},
		{[]string{"state", "shrink", csvFile}, 2, `unknown subcommand "shrink"`},
		{[]string{"state", "info", filepath.Join(dir, "none")}, 2, "no such file"},
		{[]string{"state", "compact", filepath.Join(dir, "none")}, 2, "no such file"},
		{[]string{"state", "info", csvFile}, 2, "not a journal"},
		{[]string{"state", "compact", csvFile}, 2, "not a journal"},
		{[]string{"state", "export", csvFile}, 2, "not a journal"},
	} {
		res := run(t, "", tt.args...)
		if res.code != tt.code || !strings.Contains(res.stderr, tt.stderr) {
			t.Errorf("%q: exit %d, stderr %q; want %d, %q", tt.args, res.code, res.stderr, tt.code, tt.stderr)
		}
	}
	if string(must(t, csvFile)) != content {
		t.Error("the CSV given as a journal was changed")
	}
}

// TestValidateStateBinding: a journal answers only for its endpoint and
// tenant. The sandbox's is the same whatever its port; another endpoint's
// run, or a CSV given as --state, stops before any call and changes nothing.
func TestValidateStateBinding(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	state := filepath.Join(dir, "run.state")
	input := "externalId\ns-1\ns-2\n"
	for run1 := range 2 {
		res := run(t, input, "validate", "--sandbox", "--state", state, "-")
		if res.code != 0 {
			t.Fatalf("sandbox run %d: exit %d\n%s", run1+1, res.code, res.stderr)
		}
		if hits := fmt.Sprintf("journal hits  %d", 2*run1); !strings.Contains(res.stderr, hits) {
			t.Errorf("sandbox run %d: summary lacks %q:\n%s", run1+1, hits, res.stderr)
		}
	}
	before := string(must(t, state))

	ep := newEndpoint(t, sandbox.Config{})
	res := run(t, input, ep.args("--state", state, "-")...)
	want := fmt.Sprintf("--state: %s is bound to sandbox%s tenant \"sandbox\", not %s%s tenant %q", state, azotte.DefaultPath, ep.url, azotte.DefaultPath, testTenant)
	if res.code != 2 || !strings.Contains(res.stderr, want) {
		t.Errorf("other endpoint: exit %d, stderr %q; want 2, %q", res.code, res.stderr, want)
	}
	if string(must(t, state)) != before {
		t.Error("a refused run changed the journal")
	}

	csvFile := filepath.Join(dir, "customers.csv")
	const content = "externalId,name\ns-1,Ann\n"
	if err := os.WriteFile(csvFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	res = run(t, input, ep.args("--state", csvFile, "-")...)
	if res.code != 2 || !strings.Contains(res.stderr, "not a journal") {
		t.Errorf("CSV as --state: exit %d, stderr %q; want 2, not a journal", res.code, res.stderr)
	}
	if string(must(t, csvFile)) != content {
		t.Error("the CSV given as --state was changed")
	}
	if n := ep.Requests(); n != 0 {
		t.Errorf("refused runs made %d calls", n)
	}
}
