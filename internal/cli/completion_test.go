package cli

import (
	"bytes"
	"context"
	"io"
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
	var b bytes.Buffer
	if err := runCompletion([]string{shell}, &b); err != nil {
		t.Fatalf("completion %s: %v", shell, err)
	}
	return b.String()
}

// TestCompletionMentionsEveryFlag checks each script against the flags the
// commands' help lists, and against a few flags named here, so that a broken
// help parser cannot pass by finding nothing.
func TestCompletionMentionsEveryFlag(t *testing.T) {
	t.Parallel()
	var validateHelp, planHelp, sandboxHelp bytes.Buffer
	parseValidate([]string{"-h"}, Env{}, &validateHelp)
	parsePlan([]string{"-h"}, Env{}, &planHelp)
	runSandbox(context.Background(), []string{"-h"}, &sandboxHelp, io.Discard)
	flags := map[string][]string{
		"validate": {"base-url", "tenant", "api-key-file", "sandbox", "format", "id-column", "output", "output-format", "only",
			"concurrency", "rate", "retries", "timeout", "state", "quiet", "summary"},
		"sandbox": {"addr", "tenant", "api-key", "taken", "rate", "fail-rate", "faults"},
	}
	for cmd, help := range map[string]string{"validate": validateHelp.String(), "plan": planHelp.String(), "sandbox": sandboxHelp.String()} {
		for _, line := range strings.Split(help, "\n") {
			if m := flagLine.FindStringSubmatch(line); m != nil {
				flags[cmd] = append(flags[cmd], m[2])
			} else if strings.HasPrefix(line, "  -") {
				t.Errorf("%s help line %q looks like a flag that completion would not see", cmd, line)
			}
		}
	}
	for _, shell := range shells {
		t.Run(shell, func(t *testing.T) {
			t.Parallel()
			script := completionScript(t, shell)
			for _, cmd := range []string{"validate", "plan", "sandbox", "version", "completion"} {
				if !strings.Contains(script, cmd) {
					t.Errorf("no command %s", cmd)
				}
			}
			for cmd, names := range flags {
				for _, name := range names {
					// bash and zsh write --name; fish writes -l name.
					if !strings.Contains(script, "--"+name) && !strings.Contains(script, "-l "+name+" ") {
						t.Errorf("%s flag --%s missing", cmd, name)
					}
				}
			}
			if !strings.Contains(script, "-o") && !strings.Contains(script, "-s o") {
				t.Errorf("the -o alias is missing")
			}
		})
	}
}

// TestCompletionSyntax runs each shell's own parser on its script.
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
}

// TestCompletionCompletes runs the bash and fish scripts on partial command
// lines and checks what they offer.
func TestCompletionCompletes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		line string   // the command line, the cursor at its end
		want []string // offered, among possibly others
		not  []string // not offered
	}{
		{"azvalidate val", []string{"validate"}, []string{"sandbox"}},
		{"azvalidate validate --outp", []string{"--output", "--output-format"}, []string{"--only"}},
		{"azvalidate validate export.csv --format ", []string{"csv", "tsv", "ndjson"}, nil},
		{"azvalidate validate --only t", []string{"taken"}, []string{"available"}},
		{"azvalidate validate --only un", []string{"unchecked"}, []string{"taken"}},
		{"azvalidate validate --output-format ", []string{"csv", "tsv", "ndjson", "xlsx", "parquet"}, []string{"jsonl"}},
		{"azvalidate sandbox --fau", []string{"--faults"}, nil},
		{"azvalidate pl", []string{"plan"}, nil},
		{"azvalidate completion ", []string{"bash", "zsh", "fish"}, nil},
	}
	run := map[string]func(t *testing.T, script, line string) []string{
		"bash": func(t *testing.T, script, line string) []string {
			words := strings.Fields(line)
			if strings.HasSuffix(line, " ") {
				words = append(words, "")
			}
			var quoted []string
			for _, w := range words {
				quoted = append(quoted, "'"+w+"'")
			}
			prog := script + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) +
				"\n_azvalidate\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
			out, err := exec.Command("bash", "-c", prog).CombinedOutput()
			if err != nil {
				t.Fatalf("bash: %v\n%s", err, out)
			}
			return strings.Fields(string(out))
		},
		"fish": func(t *testing.T, script, line string) []string {
			file := filepath.Join(t.TempDir(), "azvalidate.fish")
			if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("fish", "--no-config", "-c", "source "+file+"; complete -C '"+line+"'").CombinedOutput()
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
	for shell, complete := range run {
		t.Run(shell, func(t *testing.T) {
			t.Parallel()
			if _, err := exec.LookPath(shell); err != nil {
				skipUnlessCI(t, shell)
			}
			script := completionScript(t, shell)
			for _, tc := range cases {
				got := complete(t, script, tc.line)
				for _, w := range tc.want {
					if !slices.Contains(got, w) {
						t.Errorf("%q offers %q, want %q among them", tc.line, got, w)
					}
				}
				for _, w := range tc.not {
					if slices.Contains(got, w) {
						t.Errorf("%q offers %q, which should not include %q", tc.line, got, w)
					}
				}
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

// TestCompletionKnowsEveryCommand fails when the usage text lists a command
// that completion does not offer.
func TestCompletionKnowsEveryCommand(t *testing.T) {
	t.Parallel()
	cmds, err := completionCommands()
	if err != nil {
		t.Fatal(err)
	}
	var known []string
	for _, c := range cmds {
		known = append(known, c.name)
	}
	for _, line := range strings.Split(usage, "\n") {
		if rest, ok := strings.CutPrefix(line, "  azvalidate "); ok {
			if name := strings.Fields(rest)[0]; !slices.Contains(known, name) {
				t.Errorf("command %q (usage: %q) is not completed", name, line)
			}
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
