package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// WriteMarkdown writes the audit report of a run as Markdown (GitHub
// flavoured tables; charts as bars of block characters in code blocks), with
// the same sections and figures as WriteHTML. Ids and details from the input
// are escaped, so that no row can add markup, links or HTML to the report.
// a may be nil, as for WriteHTML.
func WriteMarkdown(w io.Writer, s Summary, a *Audit) error {
	v := newView(s, a)
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	kv := func(fields []field) {
		p("| | |\n|---|---|\n")
		for _, f := range fields {
			p("| %s | %s |\n", f.Name, mdText(f.Value))
		}
		p("\n")
	}

	p("# azvalidate audit report\n\n")
	p("Input %s · %s → %s · %s\n\n", mdText(s.Input.Name), v.StartText, v.EndText, mdText(v.Tool))
	p("**Exit code %d:** %s\n\n", s.ExitCode, mdText(v.Outcome))

	p("## Input\n\n")
	kv(v.Input)
	p("## Settings\n\n")
	kv(v.Settings)
	p("The API key is never part of a report.\n\n")
	p("## Run\n\n")
	kv(v.Run)

	p("## Verdicts\n\n| verdict | rows | share |\n|---|--:|--:|\n")
	var most float64
	nameW, countW := 0, 0
	for _, l := range v.Verdicts {
		p("| %s | %s | %s |\n", l.Name, l.Count, l.Share)
		most = max(most, float64(l.N))
		nameW, countW = max(nameW, len(l.Name)), max(countW, len(l.Count))
	}
	p("\n```text\n")
	for _, l := range v.Verdicts {
		p("%-*s  %*s  %-40s %s\n", nameW, l.Name, countW, l.Count, textBar(float64(l.N), most, 40), l.Share)
	}
	p("```\n\n")

	p("## Request latency\n\n")
	p("|")
	for _, f := range v.Latency {
		p(" %s |", f.Name)
	}
	p("\n|")
	for range v.Latency {
		p("--:|")
	}
	p("\n|")
	for _, f := range v.Latency {
		p(" %s |", f.Value)
	}
	p("\n\n")
	if len(v.LatencyBars) > 0 {
		p("Requests per latency bucket (upper bounds; the quantiles above are bucket bounds, at most 25%% high):\n\n")
		textChart(p, v.LatencyBars)
	} else {
		p("No request was timed.\n\n")
	}

	p("## Throughput over the run\n\n")
	switch {
	case !v.HasAudit:
		p("Not recorded.\n\n")
	case len(v.ThroughputBars) == 0:
		p("%s\n\n", v.ThroughputText)
	default:
		p("%s\n\n", v.ThroughputText)
		textChart(p, v.ThroughputBars)
	}

	p("## Retries and throttling\n\n")
	kv(v.Requests)

	p("## Largest duplicate groups\n\n")
	if len(v.Duplicates) > 0 {
		p("| id | first row | rows |\n|---|--:|--:|\n")
		for _, d := range v.Duplicates {
			p("| %s | %s | %d |\n", mdText(d.ID), d.FirstRef, d.Rows)
		}
		p("\n")
	}
	p("%s\n\n", v.DuplicateNote)

	if v.NearNote != "" {
		p("## Near-collisions\n\n")
		if len(v.Near) > 0 {
			p("| first row | ids | kinds | example |\n|--:|--:|---|---|\n")
			for _, g := range v.Near {
				p("| %s | %s | %s | %s |\n", g.FirstRow, g.Size, g.Kinds, mdText(g.Example))
			}
			p("\n")
		}
		p("%s\n\n", v.NearNote)
	}

	rows := func(title string, l rowList) {
		p("## %s\n\n", title)
		if len(l.Rows) > 0 {
			detail, sep := "", ""
			if l.HasDetail {
				detail, sep = " detail |", "---|"
			}
			p("| row | id | messageCode |%s\n|--:|---|---|%s\n", detail, sep)
			for _, r := range l.Rows {
				if detail != "" {
					detail = " " + mdText(r.Detail) + " |"
				}
				p("| %s | %s | %s |%s\n", r.Ref, mdText(r.ID), mdText(r.MessageCode), detail)
			}
			p("\n")
		}
		p("%s\n\n", l.Note)
	}
	rows("Taken rows", v.TakenList)
	rows("Error rows", v.ErrorList)

	p("## Outcome\n\n| | |\n|---|---|\n")
	p("| exit code | %d: %s |\n", s.ExitCode, mdText(v.Outcome))
	interrupted := "no"
	if s.Interrupted {
		interrupted = "yes: the output holds only the rows finished before the signal"
	}
	p("| interrupted | %s |\n", interrupted)
	if s.Error != "" {
		p("| error | %s |\n", mdText(v.ErrorText))
	}
	p("\n")
	p("Ids and other text from the input show invisible characters escaped: %s is a no-break space, %s a zero-width space, %s a space at either end, %s a backslash.\n",
		mdText(`\u00a0`), mdText(`\u200b`), mdText(`\x20`), mdText(`\\`))
	return bw.Flush()
}

// textChart writes bars as aligned lines of block characters in a code block.
func textChart(p func(string, ...any), bars []bar) {
	var most float64
	labelW, textW := 0, 0
	for _, b := range bars {
		most = max(most, b.Value)
		labelW = max(labelW, len([]rune(b.Label)))
		textW = max(textW, len(b.Text))
	}
	p("```text\n")
	for _, b := range bars {
		pad := labelW - len([]rune(b.Label))
		p("%s%s  %-40s %s\n", strings.Repeat(" ", pad), b.Label, textBar(b.Value, most, 40), b.Text)
	}
	p("```\n\n")
}

// mdText escapes text from the run (ids, details, names) for a Markdown
// table cell: no line break, no cell separator, no emphasis, code, link,
// image or HTML. Characters that are markup only at the start of a line (#,
// -, +) need nothing: a cell never starts one.
func mdText(s string) string {
	if s == "" {
		return "-"
	}
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '_' && i > 0 && i < len(rs)-1 && isWord(rs[i-1]) && isWord(rs[i+1]):
			b.WriteRune(r) // inside a word (INTERNAL_SERVER_ERROR): never emphasis
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '|':
			b.WriteString(`\|`)
		case strings.ContainsRune("\\`*_[]~", r): // escapes, code, emphasis, links and images, strikethrough
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r):
			b.WriteString(strconv.QuoteRune(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
