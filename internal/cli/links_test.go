package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// markdownLink is an inline link or image, [text](target) or
// [text](target "title"); reference-style links are not used in these pages.
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)

// proseLines returns the lines of a Markdown text outside fenced code
// blocks, with inline code spans blanked (a link inside backticks is text).
func proseLines(text string) []string {
	var lines []string
	fence := false
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fence = !fence
			lines = append(lines, "")
			continue
		}
		if fence {
			lines = append(lines, "")
			continue
		}
		lines = append(lines, regexp.MustCompile("`[^`]*`").ReplaceAllString(l, "``"))
	}
	return lines
}

// slug is a heading's anchor as GitHub makes it: lower case, punctuation
// dropped (letters, digits, spaces, - and _ kept), each space a hyphen.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// anchors returns the anchors of a Markdown file's headings (a repeated
// heading's get -1, -2, ... as on GitHub).
func anchors(text string) map[string]bool {
	seen := map[string]int{}
	out := map[string]bool{}
	fence := false
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fence = !fence
			continue
		}
		m := regexp.MustCompile(`^#{1,6} +(.*?) *#*$`).FindStringSubmatch(l)
		if fence || m == nil {
			continue
		}
		s := slug(m[1])
		if n := seen[s]; n > 0 {
			out[s+"-"+strconv.Itoa(n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

// TestLinks: every relative link of README.md and docs/*.md names a file
// or folder of the repository, and every #fragment a heading of the page
// it points to (the page itself for a bare #fragment).
func TestLinks(t *testing.T) {
	t.Parallel()
	pages, err := filepath.Glob(filepath.Join(rootDir, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages = append([]string{filepath.Join(rootDir, "README.md")}, pages...)
	if len(pages) < 10 {
		t.Fatalf("only %d pages: README.md and docs/*.md are not where this test looks", len(pages))
	}
	checked := 0
	for _, page := range pages {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(rootDir, page)
		for i, l := range proseLines(string(b)) {
			for _, m := range markdownLink.FindAllStringSubmatch(l, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				checked++
				path, fragment, _ := strings.Cut(target, "#")
				file := page
				if path != "" {
					file = filepath.Join(filepath.Dir(page), filepath.FromSlash(path))
					rel, err := filepath.Rel(rootDir, file)
					if err != nil || strings.HasPrefix(rel, "..") {
						t.Errorf("%s:%d: %s points outside the repository", name, i+1, target)
						continue
					}
					if _, err := os.Stat(file); err != nil {
						t.Errorf("%s:%d: %s: no such file", name, i+1, target)
						continue
					}
				}
				if fragment == "" {
					continue
				}
				if !strings.HasSuffix(file, ".md") {
					t.Errorf("%s:%d: %s: a fragment of a file that is not Markdown", name, i+1, target)
					continue
				}
				text, err := os.ReadFile(file)
				if err != nil {
					t.Errorf("%s:%d: %s: %v", name, i+1, target, err)
					continue
				}
				if !anchors(string(text))[fragment] {
					t.Errorf("%s:%d: %s: no heading of %s has the anchor #%s", name, i+1, target, filepath.Base(file), fragment)
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d relative links checked: the link pattern no longer finds them", checked)
	}
}

// TestLinkSlugs pins slug to GitHub's anchors for headings of these pages.
func TestLinkSlugs(t *testing.T) {
	t.Parallel()
	for heading, want := range map[string]string{
		"Resume a killed run":                  "resume-a-killed-run",
		"`unchecked`":                          "unchecked",
		"Memory: 10^7 ids and more":            "memory-107-ids-and-more",
		"Long pauses: exit code 75":            "long-pauses-exit-code-75",
		"PostgreSQL in, PostgreSQL out":        "postgresql-in-postgresql-out",
		"Compaction, and what a journal holds": "compaction-and-what-a-journal-holds",
		"Interrupts: SIGINT and SIGTERM":       "interrupts-sigint-and-sigterm",
	} {
		if got := slug(heading); got != want {
			t.Errorf("slug(%q) = %q, want %q", heading, got, want)
		}
	}
}
