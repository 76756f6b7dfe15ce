package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func completionScript(t *testing.T, shell string) string {
	t.Helper()
	r := run(t, "", "completion", shell)
	if r.code != 0 || len(r.stdout) < 1000 {
		t.Fatalf("completion %s: exit %d, %d bytes, stderr %q", shell, r.code, len(r.stdout), r.stderr)
	}
	return r.stdout
}

// TestCompletionSyntax runs each shell's own parser on its script; pwsh is
// seldom installed, so PowerShell's is checked for its completer only.
func TestCompletionSyntax(t *testing.T) {
	t.Parallel()
	for shell, check := range map[string][]string{"bash": {"-n"}, "zsh": {"-n"}, "fish": {"--no-execute"}} {
		t.Run(shell, func(t *testing.T) {
			t.Parallel()
			path, err := exec.LookPath(shell)
			if err != nil {
				skipUnlessCI(t, shell)
			}
			file := filepath.Join(t.TempDir(), "azvalidate."+shell)
			if err := os.WriteFile(file, []byte(completionScript(t, shell)), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(path, append(check, file)...).CombinedOutput(); err != nil {
				t.Errorf("%s %s rejects the script: %v\n%s", shell, strings.Join(check, " "), err, out)
			}
		})
	}
	if ps := completionScript(t, "powershell"); !strings.Contains(ps, "Register-ArgumentCompleter") || !strings.Contains(ps, "__complete") {
		t.Errorf("the PowerShell script registers no completer calling azvalidate __complete:\n%.400s", ps)
	}
}

// completionCases are partial command lines and what completing them offers.
var completionCases = []struct {
	line string   // the command line, the cursor at its end
	want []string // offered, among possibly others
	not  []string // not offered
}{
	{"azvalidate val", []string{"validate"}, []string{"sandbox"}},
	{"azvalidate validate --outp", []string{"--output", "--output-format"}, []string{"--only"}},
	{"azvalidate validate export.csv --format ", []string{"csv", "tsv", "ndjson", "xlsx", "parquet"}, nil},
	{"azvalidate validate --only t", []string{"taken"}, []string{"available"}},
	{"azvalidate validate --only un", []string{"unchecked"}, []string{"taken"}},
	{"azvalidate validate --only taken,d", []string{"taken,duplicate"}, []string{"taken,taken"}},
	{"azvalidate validate --output-format ", []string{"csv", "tsv", "ndjson", "xlsx", "parquet"}, []string{"jsonl"}},
	{"azvalidate plan --format n", []string{"ndjson"}, []string{"csv"}},
	{"azvalidate sandbox --fau", []string{"--faults"}, nil},
	{"azvalidate sandbox --faults 50", []string{"500", "502", "503"}, []string{"429"}},
	{"azvalidate pl", []string{"plan"}, nil},
	{"azvalidate completion ", []string{"bash", "zsh", "fish", "powershell"}, nil},
	{"azvalidate state ", []string{"info", "compact", "export"}, nil},
	{"azvalidate config ", []string{"show", "path", "profiles"}, nil},
	{"azvalidate validate --config testdata/config.yaml --profile ", []string{"acme-nightly", "acme-backfill"}, nil},
	{"azvalidate config show --config testdata/config.yaml --profile acme-b", []string{"acme-backfill"}, []string{"acme-nightly"}},
}

// TestCompletionCompletes asks the completion machinery in-process, as
// every script does through azvalidate __complete.
func TestCompletionCompletes(t *testing.T) {
	t.Parallel()
	for _, tc := range completionCases {
		// The paths in the cases are the repository root's.
		words := strings.Fields(strings.ReplaceAll(tc.line, "testdata/", "../../testdata/"))[1:]
		if strings.HasSuffix(tc.line, " ") {
			words = append(words, "")
		}
		r := run(t, "", append([]string{"__complete"}, words...)...)
		var got []string
		for _, l := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(l, ":") {
				break // the directive
			}
			if w, _, _ := strings.Cut(l, "\t"); w != "" {
				got = append(got, w)
			}
		}
		checkOffered(t, tc.line, got, tc.want, tc.not)
	}
}

func checkOffered(t *testing.T, line string, got, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%q offers %q, want %q among them", line, got, w)
		}
	}
	for _, w := range not {
		if slices.Contains(got, w) {
			t.Errorf("%q offers %q, which should not include %q", line, got, w)
		}
	}
}

// bashCompletion is the bash-completion package's library, which every
// bash completion script of cobra's relies on.
const bashCompletion = "/usr/share/bash-completion/bash_completion"

// TestCompletionInShells loads the bash and fish scripts into the shells
// and completes command lines there, the test binary standing in for
// azvalidate on the PATH (TestMain).
func TestCompletionInShells(t *testing.T) {
	t.Parallel()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(self, filepath.Join(bin, "azvalidate")); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), asAzvalidate+"=1")
	complete := map[string]func(t *testing.T, script, line string) []string{
		"bash": func(t *testing.T, script, line string) []string {
			words := strings.Fields(line)
			if strings.HasSuffix(line, " ") {
				words = append(words, "")
			}
			var quoted []string
			for _, w := range words {
				quoted = append(quoted, "'"+w+"'")
			}
			prog := "source " + bashCompletion + "\n" + script + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) +
				"\nCOMP_LINE='" + line + "'\nCOMP_POINT=" + strconv.Itoa(len(line)) +
				"\n__start_azvalidate azvalidate\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
			cmd := exec.Command("bash", "-c", prog)
			cmd.Env, cmd.Dir = env, "../.."
			// stderr: compopt complains outside a real completion.
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("bash: %v\n%s", err, out)
			}
			// bash quotes what it would insert: taken\,duplicate.
			return strings.Fields(strings.ReplaceAll(string(out), `\`, ""))
		},
		"fish": func(t *testing.T, script, line string) []string {
			file := filepath.Join(t.TempDir(), "azvalidate.fish")
			if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("fish", "--no-config", "-c", "source "+file+"; complete -C '"+line+"'")
			cmd.Env, cmd.Dir = env, "../.."
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("fish: %v\n%s", err, out)
			}
			var got []string
			for _, l := range strings.Split(string(out), "\n") {
				if w, _, _ := strings.Cut(l, "\t"); w != "" {
					got = append(got, w)
				}
			}
			return got
		},
	}
	for shell, complete := range complete {
		t.Run(shell, func(t *testing.T) {
			t.Parallel()
			if _, err := exec.LookPath(shell); err != nil {
				skipUnlessCI(t, shell)
			}
			if _, err := os.Stat(bashCompletion); shell == "bash" && err != nil {
				skipUnlessCI(t, "bash-completion") // cobra's bash script needs its _get_comp_words_by_ref
			}
			script := completionScript(t, shell)
			for _, tc := range completionCases {
				checkOffered(t, tc.line, complete(t, script, tc.line), tc.want, tc.not)
			}
		})
	}
}

func TestCompletionUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"tcsh"}, {"bash", "zsh"}} {
		res := run(t, "", append([]string{"completion"}, args...)...)
		if res.code != exitUsage || !strings.Contains(res.stderr, "see 'azvalidate completion -h'") || res.stdout != "" {
			t.Errorf("completion %q: exit %d, stdout %d bytes, stderr %q; want a usage error and no output", args, res.code, len(res.stdout), res.stderr)
		}
	}
}

// TestUsageListsEveryCommand fails when a command is missing from the top
// level's usage, or the usage names one that does not exist.
func TestUsageListsEveryCommand(t *testing.T) {
	t.Parallel()
	var listed []string
	for _, line := range strings.Split(usage, "\n") {
		if rest, ok := strings.CutPrefix(line, "  azvalidate "); ok {
			listed = append(listed, strings.Fields(rest)[0])
		}
	}
	for _, c := range newRoot(Env{}).Commands() {
		if c.IsAvailableCommand() && c.Name() != "help" && !slices.Contains(listed, c.Name()) {
			t.Errorf("command %q is not in the usage", c.Name())
		}
	}
	for _, name := range listed {
		if c, _, err := newRoot(Env{}).Find([]string{name}); err != nil || c.Name() != name {
			t.Errorf("the usage lists %q, which is no command", name)
		}
	}
}

// skipUnlessCI skips a check that needs a shell this machine lacks; in CI,
// which installs every shell (.ci/run), a missing one is a failure.
func skipUnlessCI(t *testing.T, shell string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed; .ci/run should have installed it", shell)
	}
	t.Skipf("%s is not installed", shell)
}
