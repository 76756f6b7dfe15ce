package report

import (
	"strconv"
	"strings"
	"unicode"
)

// visible is text from the input (an id, a detail, an error naming an id)
// as a report shows it: like human.Quote without the quotes. A character
// that would not show, or would pass for another, is escaped: a no-break
// space as \u00a0, a zero-width space as \u200b, a control character as \t
// or \x01; a space at either end, which HTML and Markdown tables swallow, as
// \x20; and a backslash as \\, so that an escape always means one.
func visible(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ' ' && (i == 0 || i == len(s)-1):
			b.WriteString(`\x20`)
		case invisible(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func needsEscape(s string) bool {
	if strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		return true
	}
	for _, r := range s {
		if r == '\\' || invisible(r) {
			return true
		}
	}
	return false
}

// invisible reports whether r shows as nothing, or as a plain space without
// being one: controls, format characters (zero-width, bidi marks, BOM),
// spaces other than U+0020, and anything not graphic.
func invisible(r rune) bool {
	if r == ' ' {
		return false
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || !unicode.IsGraphic(r)
}
