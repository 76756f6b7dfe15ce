package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The examples of README.md and docs/*.md are pinned here to what the tool
// prints: each test finds a command a page shows after "$ ", runs it, and
// compares what it prints with the lines the page shows below it, up to the
// block's closing fence. Pages are named from the repository root.

// repoRoot is the repository root, from this package's folder; rootDir
// the same as an absolute path, taken before any test changes folder.
const repoRoot = "../.."

var rootDir = func() string {
	abs, err := filepath.Abs(repoRoot)
	if err != nil {
		panic(err)
	}
	return abs
}()

// pageLines returns the lines of page (a path from the repository root).
func pageLines(t *testing.T, page string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(rootDir, page))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
}

// docBlock returns the lines of page's code block that follow the line
// prompt, up to the block's closing fence.
func docBlock(t *testing.T, page, prompt string) []string {
	t.Helper()
	lines := pageLines(t, page)
	for i, l := range lines {
		if l != prompt {
			continue
		}
		for j := i + 1; j < len(lines); j++ {
			if strings.HasPrefix(lines[j], "```") {
				return lines[i+1 : j]
			}
		}
		t.Fatalf("%s: the block after %q is never closed", page, prompt)
	}
	t.Fatalf("%s has no line %q", page, prompt)
	return nil
}

// shown is a command a page shows and what the page says it prints.
type shown struct {
	script string   // the command, "$ " removed, its continuation lines joined by newlines
	want   []string // the lines after it, up to the next command or the block's closing fence
}

// shownAt finds the line first ("$ ...") in page and returns the commands
// of its block from there on, each with its continuation lines (after a
// trailing \ or |, or inside a for ... do ... done) and what the page
// shows it printing.
func shownAt(t *testing.T, page, first string) []shown {
	t.Helper()
	if !strings.HasPrefix(first, "$ ") {
		t.Fatalf("%q is not a command line", first)
	}
	block := append([]string{first}, docBlock(t, page, first)...)
	var steps []shown
	for i := 0; i < len(block); {
		if !strings.HasPrefix(block[i], "$ ") {
			t.Fatalf("%s: %q: expected a command line", page, block[i])
		}
		script := []string{strings.TrimPrefix(block[i], "$ ")}
		depth := 0
		more := func(l string) bool {
			l = strings.TrimSpace(l)
			if strings.HasSuffix(l, " do") || strings.HasSuffix(l, ";do") {
				depth++
			}
			if l == "done" || strings.HasPrefix(l, "done ") || strings.HasPrefix(l, "done|") {
				depth--
			}
			return depth > 0 || strings.HasSuffix(l, `\`) || strings.HasSuffix(l, "|") || strings.HasSuffix(l, "&&")
		}
		cont := more(script[0])
		for i++; cont && i < len(block); i++ {
			script = append(script, block[i])
			cont = more(block[i])
		}
		j := i
		for j < len(block) && !strings.HasPrefix(block[j], "$ ") {
			j++
		}
		steps = append(steps, shown{script: strings.Join(script, "\n"), want: block[i:j]})
		i = j
	}
	return steps
}

// varying are the parts of what the tool prints that change from run to
// run: times, durations, throughput, latency. Both what a page shows and
// what a command prints are compared with them replaced.
var varying = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?m)^(elapsed|rows/s|latency)(\s+).*$`), "$1$2<varies>"},
	// Times of the run's clock (2025 on); the sample's own dates are older.
	{regexp.MustCompile(`20(2[5-9]|[3-9]\d)-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`), "<time>"},
	{regexp.MustCompile(`(?m)^azvalidate: \d\d:\d\d:\d\d `), "azvalidate: <clock> "},
}

func normalised(lines []string) []string {
	if len(lines) == 0 {
		return nil
	}
	text := strings.Join(lines, "\n")
	for _, v := range varying {
		text = v.re.ReplaceAllString(text, v.with)
	}
	return strings.Split(text, "\n")
}

// shellDir returns a fresh folder holding the repository's testdata (as a
// link), where a page's commands run as a reader would run them from a
// clone, and the environment they run in: this test binary on PATH as
// azvalidate, no Azotte settings, no config file of the machine's.
func shellDir(t *testing.T) (dir string, env []string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, dir := t.TempDir(), t.TempDir()
	if err := os.Symlink(self, filepath.Join(bin, "azvalidate")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(rootDir, "testdata"), filepath.Join(dir, "testdata")); err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AZOTTE_") && !strings.HasPrefix(kv, "AZVALIDATE_") && !strings.HasPrefix(kv, "PATH=") &&
			!strings.HasPrefix(kv, "XDG_CONFIG_HOME=") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), asAzvalidate+"=1",
		"HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"))
	return dir, env
}

// goRun stands for `go run .` in a page's commands: the binary it would
// build, reporting a non-zero exit as go run does ("exit status 1" on
// stderr). Compiling the module again under test would only cost time.
const goRun = `go() {
  if [ "$1" = run ] && [ "$2" = . ]; then
    shift 2; azvalidate "$@"; s=$?
    [ $s -eq 0 ] || echo "exit status $s" >&2
    return $s
  fi
  command go "$@"
}
`

// runScript runs script in bash in dir with env, and returns what it
// printed, stdout and stderr interleaved as a terminal shows them.
func runScript(t *testing.T, dir string, env []string, script string) string {
	t.Helper()
	cmd := exec.Command("bash", "-c", goRun+script)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("bash: %v", err)
		}
	}
	return out.String()
}

// checkShown runs the command page shows at first in a fresh folder and
// fails t for each line it prints that differs from what the page shows.
func checkShown(t *testing.T, page, first string) {
	t.Helper()
	dir, env := shellDir(t)
	checkShownIn(t, page, first, dir, env)
}

func checkShownIn(t *testing.T, page, first, dir string, env []string) {
	t.Helper()
	for _, ex := range shownAt(t, page, first) {
		out := runScript(t, dir, env, ex.script)
		comparePrinted(t, page, ex.script, printedLines(out), ex.want)
	}
}

// printedLines are the lines of out; none for no output at all.
func printedLines(out string) []string {
	if out == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

// comparePrinted fails t for each line of got that differs from want,
// the varying parts aside.
func comparePrinted(t *testing.T, page, what string, got, want []string) {
	t.Helper()
	g, w := normalised(got), normalised(want)
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Errorf("%s, line %d of what %q prints:\n\tprints %q\n\tshown  %q", page, i+1, what, gl, wl)
		}
	}
	if len(g) != len(w) {
		t.Errorf("%s: %q prints %d lines, the page shows %d", page, what, len(g), len(w))
	}
	if t.Failed() {
		t.Logf("%q printed:\n%s", what, strings.Join(got, "\n"))
	}
}

// TestReadmePlanExample pins the backfill guide's plan example to what plan
// prints on the sample, so that neither drifts from the other unnoticed.
func TestReadmePlanExample(t *testing.T) {
	// Not parallel: t.Chdir changes the process's working directory, here to
	// the repository root so that the input is named as in the guide.
	t.Chdir(repoRoot)
	const page, prompt = "docs/guide-backfill.md", "$ azvalidate plan testdata/customers.csv"
	want := docBlock(t, page, prompt)
	if len(want) < 10 {
		t.Fatalf("%s: only %d lines after %q; the example is gone", page, len(want), prompt)
	}
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"plan", "testdata/customers.csv"}, testEnv(strings.NewReader(""), &stdout, &stderr))
	comparePrinted(t, page, prompt, strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n"), want)
	if t.Failed() {
		t.Logf("exit code %d; stderr:\n%s", code, stderr.String())
	}
}

// TestReadmeProfileExample pins the configuration page's config show
// example to what config show prints on testdata/config.yaml.
func TestReadmeProfileExample(t *testing.T) {
	// Not parallel: t.Chdir, as TestReadmePlanExample.
	t.Chdir(repoRoot)
	const page, prompt = "docs/configuration.md", "$ azvalidate config show --config testdata/config.yaml --rate 2"
	want := strings.Join(docBlock(t, page, prompt), "\n") + "\n"
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), strings.Fields(prompt)[2:], testEnv(strings.NewReader(""), &stdout, &stderr))
	if code != 0 || stdout.String() != want {
		t.Errorf("config show: exit %d, prints\n%s\n%s shows\n%s%s", code, stdout.String(), page, want, stderr.String())
	}
}
