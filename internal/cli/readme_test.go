package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// readmeBlock returns the lines of README.md's code block that follow the
// line prompt, up to the block's closing fence.
func readmeBlock(t *testing.T, readme, prompt string) []string {
	t.Helper()
	lines := strings.Split(strings.ReplaceAll(readme, "\r\n", "\n"), "\n")
	for i, l := range lines {
		if l != prompt {
			continue
		}
		for j := i + 1; j < len(lines); j++ {
			if strings.HasPrefix(lines[j], "```") {
				return lines[i+1 : j]
			}
		}
		t.Fatalf("README.md: the block after %q is never closed", prompt)
	}
	t.Fatalf("README.md has no line %q", prompt)
	return nil
}

// TestReadmePlanExample pins the README's plan example to what plan prints on
// the sample, so that neither drifts from the other unnoticed.
func TestReadmePlanExample(t *testing.T) {
	// Not parallel: t.Chdir changes the process's working directory, here to
	// the repository root so that the input is named as in the README.
	t.Chdir("../..")
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const prompt = "$ azvalidate plan testdata/customers.csv"
	want := readmeBlock(t, string(readme), prompt)
	if len(want) < 10 {
		t.Fatalf("README.md: only %d lines after %q; the example is gone", len(want), prompt)
	}

	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"plan", "testdata/customers.csv"}, testEnv(strings.NewReader(""), &stdout, &stderr))
	got := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("line %d: plan prints\n\t%q\nREADME.md shows\n\t%q", i+1, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("plan prints %d lines, README.md shows %d", len(got), len(want))
	}
	if t.Failed() {
		t.Logf("exit code %d; stdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
}

// TestReadmeProfileExample pins the README's config show example to what
// config show prints on testdata/config.yaml.
func TestReadmeProfileExample(t *testing.T) {
	// Not parallel: t.Chdir, as TestReadmePlanExample.
	t.Chdir("../..")
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const prompt = "$ azvalidate config show --config testdata/config.yaml --rate 2"
	want := strings.Join(readmeBlock(t, string(readme), prompt), "\n") + "\n"
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), strings.Fields(prompt)[2:], testEnv(strings.NewReader(""), &stdout, &stderr))
	if code != 0 || stdout.String() != want {
		t.Errorf("config show: exit %d, prints\n%s\nREADME.md shows\n%s%s", code, stdout.String(), want, stderr.String())
	}
}
