package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// helpCommands are the commands whose -h is checked.
var helpCommands = []string{"validate", "plan", "sandbox", "state", "version", "completion"}

// TestUsageErrorIsShort: a mistyped flag or command gets the error, what was
// likely meant and where the help is, on stderr; never the help itself.
func TestUsageErrorIsShort(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want []string // substrings of stderr
	}{
		{[]string{"validate", "--ouput", "x.csv", "in.csv"}, []string{"unknown flag --ouput; did you mean --output?", "see 'azvalidate validate -h'"}},
		{[]string{"validate", "in.csv", "--concurency", "4"}, []string{"did you mean --concurrency?"}},
		{[]string{"validate", "--rtae", "4"}, []string{"did you mean --rate?"}}, // a swap is one typo
		{[]string{"plan", "--near-dup"}, []string{"did you mean --near-duplicates?"}},
		{[]string{"plan", "--base-url", "http://x"}, []string{"--base-url only matters with --sample", "see 'azvalidate plan -h'"}},
		{[]string{"sandbox", "--fail-rat", "0.1"}, []string{"did you mean --fail-rate?"}},
		{[]string{"validate", "--output"}, []string{"--output needs a value"}},
		{[]string{"validate", "--quiet=maybe"}, []string{`--quiet takes true or false, got "maybe"`}},
		{[]string{"validate", "--retries", "many"}, []string{`--retries: "many" is not a number`}},
		{[]string{"validate", "a.csv", "a.csv"}, []string{"input a.csv is given twice"}},
		{[]string{"validate", "-", "b.csv", "-"}, []string{"stdin (-) may be one of the input FILEs once only"}},
		{[]string{"valdate", "x.csv"}, []string{`unknown command "valdate"; did you mean validate?`, "see 'azvalidate -h'"}},
		{[]string{"sandbx"}, []string{"did you mean sandbox?"}},
		{[]string{"pln"}, []string{"did you mean plan?"}},
		{[]string{"crm.csv"}, []string{"azvalidate validate crm.csv"}},
		{[]string{"--sandbox"}, []string{"flags come after the command"}},
		{[]string{"help", "valdate"}, []string{"did you mean validate?"}},
		{[]string{"state", "inof", "x.state"}, []string{"did you mean info?", "see 'azvalidate state -h'"}},
		{[]string{"version", "now"}, []string{"version takes no arguments"}},
		{[]string{"completion", "tcsh"}, []string{`unknown shell "tcsh"`, "see 'azvalidate completion -h'"}},
	} {
		r := run(t, "", tt.args...)
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if r.code != exitUsage || r.stdout != "" || len(lines) > 4 {
			t.Errorf("%q: exit %d, %d bytes on stdout, %d lines on stderr; want 2, nothing, at most 4:\n%s", tt.args, r.code, len(r.stdout), len(lines), r.stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%q: stderr lacks %q:\n%s", tt.args, w, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "Flags:") || strings.Contains(r.stderr, "Usage:") {
			t.Errorf("%q: the help follows the error:\n%s", tt.args, r.stderr)
		}
	}
}

// TestHelpOnStdout: every way of asking for help prints it on stdout and
// exits 0; help COMMAND is COMMAND -h.
func TestHelpOnStdout(t *testing.T) {
	t.Parallel()
	for _, cmd := range helpCommands {
		want := run(t, "", cmd, "-h")
		if want.code != 0 || want.stderr != "" || !strings.HasPrefix(want.stdout, "Usage: azvalidate "+cmd) {
			t.Errorf("%s -h: exit %d, stderr %q, stdout starting %.40q; want 0, nothing, the help", cmd, want.code, want.stderr, want.stdout)
		}
		for _, args := range [][]string{{cmd, "--help"}, {cmd, "-help"}, {"help", cmd}} {
			if r := run(t, "", args...); r.code != 0 || r.stderr != "" || r.stdout != want.stdout {
				t.Errorf("%q: exit %d, stderr %q; want 0, nothing, and the same help as %s -h", args, r.code, r.stderr, cmd)
			}
		}
	}
	if r := run(t, "", "validate", "-h"); !strings.Contains(r.stdout, "--rate") || !strings.Contains(r.stdout, "-q, --quiet") ||
		!strings.Contains(r.stdout, "-v, --verbose") || !strings.Contains(r.stdout, "-o, --output") {
		t.Errorf("validate -h lacks --rate or a short form:\n%s", r.stdout)
	}
	if r := run(t, "", "validate", "-h"); !strings.Contains(r.stdout, "--state-max-age duration\n") || !strings.Contains(r.stdout, "(default 24h)") {
		t.Errorf("validate -h does not show --state-max-age as a duration defaulting to 24h:\n%s", r.stdout)
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"help", "help"}} {
		if r := run(t, "", args...); r.code != 0 || r.stderr != "" || r.stdout != usage {
			t.Errorf("%q: exit %d, stderr %q; want 0, nothing, the usage on stdout", args, r.code, r.stderr)
		}
	}
	// Nothing asked: the usage, but exit 2 as nothing was done.
	if r := run(t, ""); r.code != exitUsage || r.stdout != usage {
		t.Errorf("no arguments: exit %d, stdout %.40q; want 2 and the usage", r.code, r.stdout)
	}
	version := run(t, "", "version")
	for _, flag := range []string{"-V", "--version"} {
		if r := run(t, "", flag); r.code != 0 || r.stdout != version.stdout || !strings.HasPrefix(r.stdout, "azvalidate ") {
			t.Errorf("%s: exit %d, stdout %q; want 0 and %q", flag, r.code, r.stdout, version.stdout)
		}
	}
}

// TestHelpFitsTheTerminal: no help line is wider than 100 columns.
func TestHelpFitsTheTerminal(t *testing.T) {
	t.Parallel()
	helps := map[string]string{"azvalidate -h": run(t, "", "-h").stdout}
	for _, cmd := range helpCommands {
		helps[cmd+" -h"] = run(t, "", cmd, "-h").stdout
	}
	for name, help := range helps {
		if len(help) < 100 {
			t.Errorf("%s: only %d bytes of help", name, len(help))
		}
		for i, line := range strings.Split(help, "\n") {
			if n := utf8.RuneCountInString(line); n > helpWidth {
				t.Errorf("%s: line %d is %d columns: %q", name, i+1, n, line)
			}
		}
	}
}

// TestAbsurdSettingsRefused: out-of-range and ambiguous settings stop
// validate before any request, with a message naming the flag.
func TestAbsurdSettingsRefused(t *testing.T) {
	t.Parallel()
	in := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(in, []byte("externalId\na-1\na-2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEndpoint(t, sandbox.Config{})
	for _, tt := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--concurrency", "2000"}, "--concurrency must be from 1 to 1024, got 2000"},
		{[]string{"--concurrency", "2147483647"}, "--concurrency must be from 1 to 1024"},
		{[]string{"--concurrency", "0"}, "--concurrency must be from 1 to 1024"},
		{[]string{"--rate", "NaN"}, `--rate: "NaN" is not a rate`},
		{[]string{"--rate", "+Inf"}, `--rate: "+Inf" is not a rate`},
		{[]string{"--rate", "-1"}, `--rate: "-1" is not a rate`},
		{[]string{"--timeout", "5"}, `--timeout: "5" has no unit; did you mean 5s?`},
		{[]string{"--timeout", "1.5"}, `--timeout: "1.5" has no unit; did you mean 1.5s?`},
		{[]string{"--timeout", "soon"}, `--timeout: "soon" is not a duration`},
		{[]string{"--state", filepath.Join(t.TempDir(), "s"), "--state-max-age", "20"}, `--state-max-age: "20" has no unit; did you mean 20s?`},
		{[]string{"--progress-interval", "3"}, `--progress-interval: "3" has no unit`},
	} {
		r := run(t, "", e.args(append(tt.flags, in)...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant exit 2 and %q", tt.flags, r.code, r.stderr, tt.want)
		}
	}
	if n := e.Requests(); n != 0 {
		t.Errorf("refused runs made %d requests", n)
	}
	// The same endpoint and input with sane settings do call: the refusals
	// above are the flags'.
	if r := run(t, "", e.args("--concurrency", "1024", "--rate", "0", "--timeout", "5s", in)...); r.code != 0 || idRequests(t, e) != 2 {
		t.Errorf("sane run: exit %d, %d requests; want 0 and 2\n%s", r.code, idRequests(t, e), r.stderr)
	}

	for _, args := range [][]string{
		{"plan", "--rate", "NaN", in},
		{"plan", "--rate", "Inf", in},
		{"plan", "--state-max-age", "7", in},
		{"sandbox", "--addr", "127.0.0.1:0", "--rate", "NaN"},
		{"sandbox", "--addr", "127.0.0.1:0", "--fail-rate", "NaN"},
		{"sandbox", "--addr", "127.0.0.1:0", "--latency", "100"},
	} {
		// Cancelled: a sandbox that wrongly started stops at once.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var out, errb strings.Builder
		code := Run(ctx, args, testEnv(strings.NewReader(""), &out, &errb))
		if code != exitUsage || out.Len() != 0 || !strings.Contains(errb.String(), "see 'azvalidate "+args[0]+" -h'") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2, nothing, a usage error", args, code, out.String(), errb.String())
		}
	}
}

// TestShortFlags: -q and -v are --quiet and --verbose.
func TestShortFlags(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	args := []string{"validate", "--base-url", e.url, "--tenant", testTenant, "--api-key-file", e.keyFile, "-q", "-v", "-"}
	r := run(t, "externalId\nq-1\n", args...)
	if r.code != 0 || !strings.Contains(r.stderr, "externalId=q-1") {
		t.Errorf("-v: exit %d; want 0 and the request logged:\n%s", r.code, r.stderr)
	}
	// Whether a progress line shows depends on timing; the setting does not.
	show := run(t, "", "config", "show", "-q", "-v")
	if !regexp.MustCompile(`(?m)^quiet +true +flag$`).MatchString(show.stdout) || !regexp.MustCompile(`(?m)^verbose +true +flag$`).MatchString(show.stdout) {
		t.Errorf("config show -q -v: exit %d; want quiet and verbose true, from a flag:\n%s%s", show.code, show.stdout, show.stderr)
	}
}
