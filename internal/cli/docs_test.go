package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDocsAreGenerated fails when the committed reference (docs/reference
// and docs/man) differs from what the command definitions generate: run
// 'go generate ./internal/cli' after changing a command or a flag.
func TestDocsAreGenerated(t *testing.T) {
	t.Parallel()
	for _, kind := range []struct{ name, dir, ext string }{{"markdown", "reference", ".md"}, {"man", "man", ".1"}} {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			if r := run(t, "", "docs", kind.name, out); r.code != 0 {
				t.Fatalf("docs %s: exit %d, %s", kind.name, r.code, r.stderr)
			}
			committed := filepath.Join("..", "..", "docs", kind.dir)
			got, want := docFiles(t, out, kind.ext), docFiles(t, committed, kind.ext)
			if !slices.Equal(got, want) {
				t.Fatalf("docs %s writes %q; docs/%s holds %q (run go generate ./internal/cli)", kind.name, got, kind.dir, want)
			}
			for _, name := range got {
				a, _ := os.ReadFile(filepath.Join(out, name))
				b, _ := os.ReadFile(filepath.Join(committed, name))
				if string(a) != string(b) {
					t.Errorf("docs/%s/%s differs from what the commands generate (run go generate ./internal/cli)", kind.dir, name)
				}
			}
		})
	}
}

func docFiles(t *testing.T, dir, ext string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ext) {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestManRenders renders the committed validate page with man -l, as a
// reader would (.ci/run installs man-db).
func TestManRenders(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("man"); err != nil {
		skipUnlessCI(t, "man")
	}
	cmd := exec.Command("man", "-l", filepath.Join("..", "..", "docs", "man", "azvalidate-validate.1"))
	cmd.Env = append(os.Environ(), "MANPAGER=cat", "PAGER=cat", "MANWIDTH=100")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("man -l: %v\n%s", err, out)
	}
	for _, want := range []string{"AZVALIDATE-VALIDATE(1)", "NAME", "azvalidate-validate - validate every row of an export", "--state-max-age"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("man -l shows no %q:\n%.600s", want, out)
		}
	}
}
