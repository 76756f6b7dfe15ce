package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// The examples of README.md and the guides, run as they are written (see
// readme_test.go for the helpers): each subtest runs one block's commands in
// a fresh folder holding testdata/, with the embedded sandbox.

func TestReadmeExamples(t *testing.T) {
	t.Parallel()
	for _, first := range []string{
		"$ go run . validate --sandbox --sandbox-taken testdata/taken.txt testdata/customers.csv -o checked.csv",
		"$ azvalidate validate --sandbox --sandbox-taken testdata/taken-owners.txt \\",
		"$ for night in 1 2; do",
		"$ azvalidate plan --sandbox --sandbox-taken testdata/taken.txt --sample 100 --seed 7 \\",
	} {
		t.Run(first, func(t *testing.T) {
			t.Parallel()
			checkShown(t, "README.md", first)
		})
	}
}

// TestReadmeTestCommand: .ci/run ends with the README's test command, as
// the README shows it, and the README's sample of what it prints names
// real packages with tests, in go test's order, first and last included.
func TestReadmeTestCommand(t *testing.T) {
	t.Parallel()
	const prompt = "$ go vet ./... && go test -race ./..."
	ci, err := os.ReadFile(filepath.Join(rootDir, ".ci/run"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(ci)), "\n")
	if last := lines[len(lines)-1]; last != strings.TrimPrefix(prompt, "$ ") {
		t.Errorf(".ci/run ends with %q, not the README's test command %q", last, strings.TrimPrefix(prompt, "$ "))
	}
	// The packages with tests, in import path order, as go test lists them.
	var tested []string
	filepath.WalkDir(rootDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); path != rootDir && (strings.HasPrefix(name, ".") || name == "testdata") {
			return filepath.SkipDir
		}
		if tests, _ := filepath.Glob(filepath.Join(path, "*_test.go")); len(tests) > 0 {
			rel, _ := filepath.Rel(rootDir, path)
			tested = append(tested, strings.TrimSuffix("github.com/azotte/azvalidate/"+filepath.ToSlash(rel), "/."))
		}
		return nil
	})
	ok := regexp.MustCompile(`^ok  \t(\S+)\t\d+(\.\d+)?s$`)
	next := 0
	shown := docBlock(t, "README.md", prompt)
	for i, l := range shown {
		if l == "..." {
			continue
		}
		m := ok.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("README.md: %q is not a line go test prints for a package that passed", l)
			continue
		}
		for next < len(tested) && tested[next] != m[1] {
			next++
		}
		if next == len(tested) {
			t.Errorf("README.md: %s is not a package with tests, or not in go test's order", m[1])
			continue
		}
		if (i == 0 && next != 0) || (i == len(shown)-1 && next != len(tested)-1) {
			t.Errorf("README.md: %q: the list should open with %s and end with %s", l, tested[0], tested[len(tested)-1])
		}
	}
}

func TestDocsAuditGuide(t *testing.T) {
	t.Parallel()
	for _, first := range []string{
		"$ azvalidate validate --sandbox --sandbox-taken testdata/taken-owners.txt \\",
		"$ azvalidate plan testdata/customers.csv | grep -A4 '^near-collisions'",
	} {
		t.Run(first, func(t *testing.T) {
			t.Parallel()
			checkShown(t, "docs/guide-audit.md", first)
		})
	}
	// Blocks whose first line is another's: found after their own text.
	for _, after := range []string{"The summary says it in numbers", "Its sections, from the Markdown one:"} {
		t.Run(after, func(t *testing.T) {
			t.Parallel()
			dir, env := shellDir(t)
			for _, ex := range shownAfter(t, "docs/guide-audit.md", after) {
				comparePrinted(t, "docs/guide-audit.md", ex.script, printedLines(runScript(t, dir, env, ex.script)), ex.want)
			}
		})
	}
}

func TestDocsBackfillGuide(t *testing.T) {
	t.Parallel()
	for _, first := range []string{
		"$ azvalidate plan --sandbox --sandbox-taken testdata/taken.txt --sample 100 --seed 7 \\",
		"$ azvalidate validate --sandbox --sandbox-taken testdata/taken.txt testdata/customers.csv \\",
	} {
		t.Run(first, func(t *testing.T) {
			t.Parallel()
			checkShown(t, "docs/guide-backfill.md", first)
		})
	}
}

func TestDocsNightlyGuide(t *testing.T) {
	t.Parallel()
	for _, first := range []string{
		"$ for night in 1 2 3 4; do",
		`$ (echo externalId; seq -f "crm-%.0f" 1 1000000) | gzip > crm.csv.gz`,
	} {
		t.Run(first, func(t *testing.T) {
			t.Parallel()
			checkShown(t, "docs/guide-nightly.md", first)
		})
	}
}

func TestDocsReferenceExamples(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ page, first string }{
		{"docs/configuration.md", "$ azvalidate validate --ouput checked.csv crm.csv"},
		{"docs/journal.md", "$ azvalidate validate --sandbox --sandbox-taken testdata/taken.txt testdata/customers.csv \\"},
		{"docs/monitoring.md", "$ azvalidate validate --sandbox --sandbox-taken testdata/taken.txt testdata/customers.csv \\"},
		{"docs/performance.md", "$ azvalidate plan --memory-limit 1MiB testdata/customers.csv"},
	} {
		t.Run(c.page, func(t *testing.T) {
			t.Parallel()
			checkShown(t, c.page, c.first)
		})
	}
}

// shownAfter returns the commands of the first code block after the line
// of page that holds text.
func shownAfter(t *testing.T, page, text string) []shown {
	t.Helper()
	lines := pageLines(t, page)
	for i, l := range lines {
		if !strings.Contains(l, text) {
			continue
		}
		for j := i + 1; j+1 < len(lines); j++ {
			if strings.HasPrefix(lines[j], "```") {
				return shownAt(t, page, lines[j+1])
			}
		}
	}
	t.Fatalf("%s: no block after %q", page, text)
	return nil
}

// blockAfter returns the lines of the first code block after the line of
// page that holds text.
func blockAfter(t *testing.T, page, text string) []string {
	t.Helper()
	lines := pageLines(t, page)
	for i, l := range lines {
		if !strings.Contains(l, text) {
			continue
		}
		for j := i + 1; j < len(lines); j++ {
			if strings.HasPrefix(lines[j], "```") {
				for k := j + 1; k < len(lines); k++ {
					if strings.HasPrefix(lines[k], "```") {
						return lines[j+1 : k]
					}
				}
			}
		}
	}
	t.Fatalf("%s: no block after %q", page, text)
	return nil
}

// TestDocsNightlyCron runs the nightly guide's cron line as cron would:
// its variables in the environment (AZOTTE_BASE_URL pointed at a sandbox
// over loopback, the tenant the crontab's), in a folder holding the sample
// as crm.csv and the key file, with --max-calls 100 --rate 0 added as the
// guide says; two nights, each printing what the guide shows.
func TestDocsNightlyCron(t *testing.T) {
	t.Parallel()
	const page = "docs/guide-nightly.md"
	crontab := blockAfter(t, page, "The tenant and the endpoint are crontab variables")
	vars := map[string]string{}
	var line string
	schedule := regexp.MustCompile(`^([0-9*/,-]+ ){5}\s*(.*)$`)
	for _, l := range crontab {
		if m := schedule.FindStringSubmatch(l); m != nil {
			line = m[2]
		} else if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			vars[k] = v
		}
	}
	command, ok := strings.CutPrefix(line, "cd /srv/acme && ")
	if !ok || vars["AZOTTE_BASE_URL"] == "" || vars["AZOTTE_TENANT"] == "" {
		t.Fatalf("%s: no crontab of the form the test reads (variables, then 'cd /srv/acme && azvalidate ...'):\n%s", page, strings.Join(crontab, "\n"))
	}
	if !strings.Contains(strings.Join(pageLines(t, page), "\n"), "with `--max-calls 100 --rate 0` added") {
		t.Errorf("%s no longer says that the nights shown have --max-calls 100 --rate 0 added", page)
	}

	e := newEndpoint(t, sandbox.Config{Tenant: vars["AZOTTE_TENANT"], Taken: readTaken(t, "../../testdata/taken.txt")})
	dir, env := shellDir(t)
	sample, err := os.ReadFile("../../testdata/customers.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "crm.csv"), sample, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "acme.key"), []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env = append(env, "AZOTTE_BASE_URL="+e.url, "AZOTTE_TENANT="+vars["AZOTTE_TENANT"])
	for _, night := range []string{"The first night:", "The second night asks the next 100 ids"} {
		out := runScript(t, dir, env, command+" --max-calls 100 --rate 0; echo \"exit $?\" >&2")
		if strings.Contains(out, testKey) {
			t.Fatal("the API key appears in what the job prints")
		}
		got := printedLines(out)
		if len(got) == 0 || got[len(got)-1] != "exit 1" {
			t.Fatalf("%s: the cron line ended %q, want exit 1 (findings)\n%s", night, got, out)
		}
		comparePrinted(t, page, night, got[:len(got)-1], blockAfter(t, page, night))
	}
	// The ids asked are the sample's, each once over the two nights.
	if n, ids := e.Requests(), e.IDs(); n != 200 || len(ids) != 200 {
		t.Errorf("two nights made %d requests about %d ids, want 100 each, about 200", n, len(ids))
	}
	for _, id := range e.IDs() {
		if !strings.Contains(string(sample), id) {
			t.Errorf("a request asked about %q, an id of no input", id)
		}
	}
	for _, f := range []string{"checked.csv", "changed.csv", "run.json", "azvalidate.prom", "crm.state"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the cron line wrote no %s: %v", f, err)
		}
	}
}

// TestDocsNightlyChanges runs the nightly guide's two runs a week apart, in
// process, the second with the clock a week and a day ahead, and compares
// the --changes file with what the guide shows.
func TestDocsNightlyChanges(t *testing.T) {
	// Not parallel: t.Chdir, so that files are named as in the guide.
	const page = "docs/guide-nightly.md"
	first := shownAt(t, page, "$ azvalidate validate --sandbox --sandbox-taken testdata/taken.txt --state crm.state -q -o checked.csv testdata/customers.csv")
	later := shownAt(t, page, "$ azvalidate validate --sandbox --sandbox-taken testdata/taken-later.txt --state crm.state --state-max-age 168h -q -o checked.csv --changes changed.csv testdata/customers.csv")
	if len(first) != 1 || len(later) != 2 || later[1].script != "cat changed.csv" {
		t.Fatalf("%s: the blocks are not the two runs and the cat the test expects", page)
	}
	dir, _ := shellDir(t)
	t.Chdir(dir)
	runAt := func(ex shown, now func() time.Time) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		env := testEnv(strings.NewReader(""), &stdout, &stderr)
		env.Now = now
		code := Run(context.Background(), strings.Fields(ex.script)[1:], env)
		if code != exitFindings || len(ex.want) != 0 || stdout.Len()+stderr.Len() != 0 {
			t.Fatalf("%s: exit %d (want 1), prints %q%q, the guide shows %q", ex.script, code, stdout.String(), stderr.String(), ex.want)
		}
	}
	runAt(first[0], nil)
	runAt(later[0], func() time.Time { return time.Now().Add(8 * 24 * time.Hour) })
	changed, err := os.ReadFile("changed.csv")
	if err != nil {
		t.Fatal(err)
	}
	comparePrinted(t, page, "cat changed.csv", printedLines(string(changed)), later[1].want)
}
