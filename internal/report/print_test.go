package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// cssRule is one rule of a style sheet: its at-rule context ("" or
// "@media print"), selector and declarations.
type cssRule struct {
	At, Selector, Body string
}

// cssRules splits a style sheet without nested at-rules deeper than one
// level (all the report uses) into its rules.
func cssRules(t *testing.T, css string) []cssRule {
	t.Helper()
	css = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(css, "")
	var rules []cssRule
	at, prelude := "", ""
	depth := 0
	for len(css) > 0 {
		i := strings.IndexAny(css, "{}")
		if i < 0 {
			break
		}
		text, c := strings.TrimSpace(css[:i]), css[i]
		css = css[i+1:]
		switch {
		case c == '{' && depth == 0 && strings.HasPrefix(text, "@media"):
			at, depth = text, 1
		case c == '{':
			prelude = text
			depth++
		case c == '}' && prelude != "":
			a := ""
			if depth == 2 {
				a = at
			}
			rules = append(rules, cssRule{a, prelude, text})
			prelude = ""
			depth--
		default: // the end of an @media block
			at, depth = "", 0
		}
	}
	if depth != 0 {
		t.Fatalf("unbalanced style sheet")
	}
	return rules
}

// TestHTMLPrintRules checks the style sheet's print rules: a page size left
// to the printer with margins, no block kept whole that may be long
// (sections, tables), ids set to never break, charts scaled to the page.
func TestHTMLPrintRules(t *testing.T) {
	t.Parallel()
	s, a := simulate(t, 3000)
	var buf bytes.Buffer
	if err := WriteHTML(&buf, s, a); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var css string
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "style" {
			css += n.FirstChild.Data
		}
	}
	rules := cssRules(t, css)
	// has matches selectors whole in a list: ".id" is not ".identity".
	has := func(at, selector, decl string) bool {
		for _, r := range rules {
			for _, sel := range strings.Split(r.Selector, ",") {
				if r.At == at && strings.TrimSpace(sel) == selector && strings.Contains(r.Body, decl) {
					return true
				}
			}
		}
		return false
	}
	for _, tc := range []struct{ at, selector, decl string }{
		{"", "@page", "size: auto"},
		{"", "@page", "margin:"},
		{"", ".id", "white-space: nowrap"},
		{"", ".id", "word-break: keep-all"},
		{"@media print", "svg.chart", "width: 100%"},
		{"@media print", "svg.chart", "height: auto"},
		{"@media print", "nav", "display: none"},
		{"@media print", ".figure", "break-inside: avoid"},
		{"@media print", "tr", "break-inside: avoid"},
	} {
		if !has(tc.at, tc.selector, tc.decl) {
			t.Errorf("no rule %q { %s } in %q", tc.selector, tc.decl, tc.at)
		}
	}
	for _, r := range rules {
		if strings.Contains(r.Body, "break-all") {
			t.Errorf("%s { %s }: break-all splits ids", r.Selector, r.Body)
		}
		if strings.Contains(r.Body, "break-before: page") || strings.Contains(r.Body, "page-break-before: always") {
			t.Errorf("%s { %s }: a forced page break", r.Selector, r.Body)
		}
		if !strings.Contains(r.Body, "break-inside: avoid") {
			continue
		}
		for _, sel := range strings.Split(r.Selector, ",") {
			if sel := strings.TrimSpace(sel); sel == "section" || sel == "table" || sel == "tbody" || sel == "main" {
				t.Errorf("%s { %s }: a long block kept whole leaves half-empty pages", sel, r.Body)
			}
		}
	}
	if !strings.Contains(css, "@media print") {
		t.Error("no print rules")
	}

	// Every id the report lists is set in an id span.
	ids := map[string]bool{}
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "span" && attr(n, "class") == "id" {
			ids[nodeText(n)] = true
		}
	}
	var listed []string
	for _, r := range a.Taken() {
		listed = append(listed, r.ID)
	}
	for _, r := range a.Errors() {
		listed = append(listed, r.ID, r.MessageCode)
	}
	for _, d := range a.Duplicates() {
		listed = append(listed, d.ID)
	}
	listed = append(listed, s.Input.SHA256)
	for _, id := range listed {
		if !ids[strings.Join(strings.Fields(visible(id)), " ")] {
			t.Errorf("%q is not in an id span", id)
		}
	}
}
