package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// profileRun is a folder holding an export, a key file and a config file
// whose profile acme-nightly points at e with the settings of a nightly job
// (relative paths: they resolve against the config file's folder).
func profileRun(t *testing.T, e *endpoint, extra string) (dir, config string) {
	t.Helper()
	dir = t.TempDir()
	write(t, filepath.Join(dir, "crm.csv"), "externalId,name\nc-1,Ada\nc-2,Kai\nc-1,Ada again\n,no id\nc-3,Lin\n")
	write(t, filepath.Join(dir, "acme.key"), testKey+"\n")
	config = filepath.Join(dir, "config.yaml")
	write(t, config, `profiles:
  acme-nightly:
    base-url: `+e.url+`
    tenant: `+testTenant+`
    api-key-file: acme.key
    rate: 5
    state: acme.state
    deadline: 1h
    output: checked.csv
    summary: summary.json
`+extra)
	return dir, config
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func summaryJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestProfileRunsAsItsFlags: a run by a profile asks the same ids and
// writes the same output and journal as the run by the equivalent flags.
func TestProfileRunsAsItsFlags(t *testing.T) {
	t.Parallel()
	byProfile, byFlags := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"c-2": true}}), newEndpoint(t, sandbox.Config{Taken: map[string]bool{"c-2": true}})
	dir, config := profileRun(t, byProfile, "")
	p := run(t, "", "validate", "--config", config, "--profile", "acme-nightly", "-q", filepath.Join(dir, "crm.csv"))

	flagsDir, _ := profileRun(t, byFlags, "")
	in := func(name string) string { return filepath.Join(flagsDir, name) }
	f := run(t, "", "validate", "--base-url", byFlags.url, "--tenant", testTenant, "--api-key-file", in("acme.key"), "--rate", "5",
		"--state", in("acme.state"), "--deadline", "1h", "-o", in("checked.csv"), "--summary", in("summary.json"), "-q", in("crm.csv"))

	if p.code != exitFindings || f.code != exitFindings {
		t.Fatalf("exit %d by profile, %d by flags; want 1 (taken, duplicate, invalid):\n%s\n%s", p.code, f.code, p.stderr, f.stderr)
	}
	if got, want := sortedIDs(byProfile), sortedIDs(byFlags); !slices.Equal(got, want) || len(got) != 3 {
		t.Errorf("asked %q by profile, %q by flags; want the same 3 ids", got, want)
	}
	for _, name := range []string{"checked.csv"} {
		a, errA := os.ReadFile(filepath.Join(dir, name))
		b, errB := os.ReadFile(in(name))
		if errA != nil || errB != nil || string(a) != string(b) {
			t.Errorf("%s differs (%v, %v):\n%s\n---\n%s", name, errA, errB, a, b)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "acme.state")); err != nil {
		t.Errorf("the profile's journal: %v", err)
	}
	ps, fs := summaryJSON(t, filepath.Join(dir, "summary.json")), summaryJSON(t, in("summary.json"))
	for _, k := range []string{"rows", "distinct_ids", "verdicts", "api_calls"} {
		if a, b := jsonText(ps[k]), jsonText(fs[k]); a != b {
			t.Errorf("summary %s: %s by profile, %s by flags", k, a, b)
		}
	}
	set := ps["settings"].(map[string]any)
	if set["profile"] != "acme-nightly" || set["config"] != config || set["rate"] != 5.0 || set["deadline_seconds"] != 3600.0 {
		t.Errorf("summary settings %v; want profile acme-nightly, config %s, rate 5, deadline 3600", set, config)
	}
	if _, ok := fs["settings"].(map[string]any)["profile"]; ok {
		t.Errorf("the flags' summary names a profile: %v", fs["settings"])
	}
}

func sortedIDs(e *endpoint) []string {
	ids := slices.Clone(e.IDs())
	slices.Sort(ids)
	return ids
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestProfilePrecedence: a flag beats the environment, which beats the
// profile, which beats the defaults; config show says which gave each.
func TestProfilePrecedence(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	dir, config := profileRun(t, e, "")
	crm := filepath.Join(dir, "crm.csv")

	// --rate on the command line wins over the profile's 5.
	r := run(t, "", "validate", "--config", config, "--profile", "acme-nightly", "--rate", "2", "-q", "--summary", filepath.Join(dir, "two.json"), crm)
	if got := summaryJSON(t, filepath.Join(dir, "two.json"))["settings"].(map[string]any)["rate"]; r.code != exitFindings || got != 2.0 {
		t.Errorf("--rate 2 over the profile: exit %d, rate %v; want 1 and 2\n%s", r.code, got, r.stderr)
	}

	// AZOTTE_TENANT beats the profile's tenant: the sandbox refuses it.
	other := func(env *Env) {
		env.Getenv = func(k string) string {
			return map[string]string{"AZOTTE_TENANT": "other-tenant", "AZVALIDATE_CONFIG": config, "AZVALIDATE_PROFILE": "acme-nightly"}[k]
		}
	}
	before := e.Requests()
	r = runWithEnv(t, other, "", "validate", "-q", "-o", filepath.Join(dir, "other.csv"), "--state", filepath.Join(dir, "other.state"), crm)
	if r.code != exitUsage || !strings.Contains(r.stderr, "other-tenant") || e.Requests() != before+1 {
		t.Errorf("AZOTTE_TENANT over the profile: exit %d, %d requests; want 2 after the one request, naming other-tenant:\n%s", r.code, e.Requests()-before, r.stderr)
	}

	show := runWithEnv(t, other, "", "config", "show", "--rate", "2", "--all")
	for _, want := range []string{
		`^config file +` + regexp.QuoteMeta(config) + `$`,
		`^profile +acme-nightly$`,
		`^rate +2 +flag$`,
		`^tenant +other-tenant +env AZOTTE_TENANT$`,
		`^base-url +` + regexp.QuoteMeta(e.url) + ` +profile$`,
		`^api-key-file +` + regexp.QuoteMeta(filepath.Join(dir, "acme.key")) + ` +profile$`,
		`^deadline +1h +profile$`,
		`^retries +5 +default$`,
	} {
		if !regexp.MustCompile(`(?m)` + want).MatchString(show.stdout) {
			t.Errorf("config show lacks a line %s:\n%s", want, show.stdout)
		}
	}

	// The key from the environment is shown redacted, in place of the file.
	key := func(env *Env) {
		env.Getenv = func(k string) string { return map[string]string{"AZOTTE_API_KEY": "sk_env_secret_42"}[k] }
	}
	show = runWithEnv(t, key, "", "config", "show", "--config", config, "--profile", "acme-nightly")
	if !regexp.MustCompile(`(?m)^api-key +\[redacted\] +env AZOTTE_API_KEY$`).MatchString(show.stdout) || strings.Contains(show.stdout, "sk_env_secret_42") || strings.Contains(show.stdout, "acme.key") {
		t.Errorf("config show with AZOTTE_API_KEY: want the key redacted and no key file:\n%s", show.stdout)
	}
}

// TestProfileRefused: a misspelt setting, a value of the wrong type, the
// key itself or an unknown profile stop the run before any request, naming
// the file and line; the key's value is never shown.
func TestProfileRefused(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	for _, tt := range []struct {
		file    string
		profile string
		want    string
	}{
		{"profiles:\n  acme-nightly:\n    rat: 5\n", "acme-nightly", `config.yaml:3: unknown setting "rat"; did you mean "rate"?`},
		{"profiles:\n  acme-nightly:\n    o: out.csv\n", "acme-nightly", `config.yaml:3: unknown setting "o"; did you mean "output"?`},
		{"profiles:\n  acme-nightly:\n    tenant: t\n    api-key: sk_live_do_not_show\n", "acme-nightly", `config.yaml:4: "api-key": a profile never holds the API key`},
		{"profiles:\n  acme-nightly:\n    rate: fast\n", "acme-nightly", `config.yaml:3: rate: "fast" is not a rate`},
		{"profiles:\n  acme-nightly:\n    deadline: 6\n", "acme-nightly", `config.yaml:3: deadline: "6" has no unit; did you mean 6s?`},
		{"profiles:\n  acme-nightly:\n    trim: maybe\n", "acme-nightly", `config.yaml:3: trim takes true or false, got "maybe"`},
		{"profiles:\n  acme-nightly:\n    rate:\n      per: second\n", "acme-nightly", `config.yaml:4: rate: want a value, not a mapping`},
		{"default: acme\nprofiles:\n  acme-nightly: {}\n", "", `config.yaml:1: default: no profile "acme"`},
		{"profiles:\n  acme-nightly: {}\n", "acme-nigthly", `no profile "acme-nigthly"`},
		{"profile:\n  acme-nightly: {}\n", "", `config.yaml:1: unknown key "profile"; did you mean "profiles"?`},
	} {
		dir := t.TempDir()
		config := filepath.Join(dir, "config.yaml")
		write(t, config, tt.file)
		args := e.args("--config", config, filepath.Join(dir, "none.csv"))
		if tt.profile != "" {
			args = append(args, "--profile", tt.profile)
		}
		r := run(t, "", args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, "sk_live_do_not_show") {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant 2 and %q, never the key", tt.file, r.code, r.stderr, tt.want)
		}
		if strings.Contains(tt.want, "api-key") && !strings.Contains(r.stderr, "api-key-file") {
			t.Errorf("the refused key does not point to api-key-file:\n%s", r.stderr)
		}
	}
	if n := e.Requests(); n != 0 {
		t.Errorf("refused runs made %d requests", n)
	}
}

// TestConfigPathAndProfiles: where the file is found, and its profiles.
func TestConfigPathAndProfiles(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	config := filepath.Join(home, ".config", "azvalidate", "config.yaml")
	env := func(vars map[string]string) func(*Env) {
		return func(e *Env) { e.Getenv = func(k string) string { return vars[k] } }
	}
	r := runWithEnv(t, env(map[string]string{"HOME": home}), "", "config", "path")
	if r.code != 0 || r.stdout != config+"\t(default place; no such file)\n" {
		t.Errorf("config path, none yet: exit %d, %q", r.code, r.stdout)
	}
	if err := os.MkdirAll(filepath.Dir(config), 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, config, "default: b\nprofiles:\n  a: {rate: 1}\n  b: {rate: 3}\n")
	r = runWithEnv(t, env(map[string]string{"HOME": home}), "", "config", "profiles")
	if r.code != 0 || r.stdout != "a\nb\t(default)\n" {
		t.Errorf("config profiles: exit %d, %q", r.code, r.stdout)
	}
	xdg := t.TempDir()
	r = runWithEnv(t, env(map[string]string{"HOME": home, "XDG_CONFIG_HOME": xdg}), "", "config", "path")
	if want := filepath.Join(xdg, "azvalidate", "config.yaml") + "\t(default place; no such file)\n"; r.stdout != want {
		t.Errorf("config path with XDG_CONFIG_HOME: %q, want %q", r.stdout, want)
	}
	// The file's default applies with no --profile; --profile "" asks for none.
	r = runWithEnv(t, env(map[string]string{"HOME": home}), "", "config", "show")
	if !regexp.MustCompile(`(?m)^rate +3 +profile$`).MatchString(r.stdout) {
		t.Errorf("config show by the default profile:\n%s", r.stdout)
	}
	r = runWithEnv(t, env(map[string]string{"HOME": home}), "", "config", "show", "--profile", "", "--all")
	if !regexp.MustCompile(`(?m)^rate +8 +default$`).MatchString(r.stdout) {
		t.Errorf("config show --profile '':\n%s", r.stdout)
	}
	// A validate line pasted after config show: its FILE is named, not
	// called a command.
	r = runWithEnv(t, env(map[string]string{"HOME": home}), "", "config", "show", "--rate", "2", "crm.csv")
	if r.code != exitUsage || !strings.Contains(r.stderr, "takes no FILE (crm.csv)") {
		t.Errorf("config show crm.csv: exit %d, %q", r.code, r.stderr)
	}
	r = runWithEnv(t, env(map[string]string{"AZVALIDATE_CONFIG": filepath.Join(home, "missing.yaml")}), "", "config", "show")
	if r.code != exitUsage || !strings.Contains(r.stderr, "$AZVALIDATE_CONFIG") {
		t.Errorf("a missing $AZVALIDATE_CONFIG: exit %d, %q", r.code, r.stderr)
	}
}
