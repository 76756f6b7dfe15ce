package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/azotte/azvalidate/internal/human"
	"github.com/azotte/azvalidate/internal/near"
	"github.com/azotte/azvalidate/internal/verdict"
)

// renderBoth renders s and a as HTML (parsed) and as Markdown.
func renderBoth(t *testing.T, s Summary, a *Audit) (*html.Node, string, string) {
	t.Helper()
	var h, md bytes.Buffer
	if err := WriteHTML(&h, s, a); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, s, a); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(h.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return doc, h.String(), md.String()
}

func byID(doc *html.Node, id string) *html.Node {
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && attr(n, "id") == id {
			return n
		}
	}
	return nil
}

func TestOutcomeBanner(t *testing.T) {
	t.Parallel()
	base, a := simulate(t, 500)
	counts := func(taken, dup, invalid, errs, unchecked int64) map[string]int64 {
		return map[string]int64{"available": 400, "taken": taken, "duplicate": dup, "invalid": invalid, "error": errs, "unchecked": unchecked}
	}
	for _, tc := range []struct {
		name        string
		code        int
		interrupted bool
		err         string
		verdicts    map[string]int64
		want        string
		status      string
	}{
		{"every row available", 0, false, "", counts(0, 0, 0, 0, 0), "every row available", "ok"},
		{"budget left rows", 0, false, "", counts(0, 0, 0, 0, 7), "every row asked is available; 7 rows unchecked: the run's budget ran out", "warn"},
		{"findings", 1, false, "", counts(12, 5, 0, 0, 0), "finished with findings: 12 taken, 5 duplicate", "warn"},
		{"unanswered", 3, false, "", counts(12, 5, 3, 1, 0), "1 row got no answer (error)", "bad"},
		{"unanswered and unchecked", 3, false, "", counts(0, 0, 0, 2, 3), "2 rows got no answer (error); 3 rows unchecked: the run's budget ran out", "bad"},
		{"input broke off", 3, false, "crm.csv.gz: unexpected EOF", counts(0, 0, 0, 0, 0), "the input broke off after row " + human.Count(base.Rows), "bad"},
		{"SIGINT", 130, true, "interrupted by interrupt", counts(0, 0, 0, 0, 0), "interrupted by SIGINT after " + human.Count(base.Rows) + " rows; the output holds only those", "bad"},
		{"SIGTERM", 143, true, "interrupted by terminated", counts(0, 0, 0, 0, 0), "interrupted by SIGTERM after " + human.Count(base.Rows) + " rows; the output holds only those", "bad"},
		{"stopped", 2, false, "write checked.csv: no space left on device", counts(0, 0, 0, 0, 0), "stopped: write checked.csv: no space left on device", "bad"},
		{"stopped, an id in the error", 2, false, "id \"crm-1\u00a0\": refused", counts(0, 0, 0, 0, 0), `stopped: id "crm-1\u00a0": refused`, "bad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := base
			s.ExitCode, s.Interrupted, s.Error, s.Verdicts = tc.code, tc.interrupted, tc.err, tc.verdicts
			text, status := s.Outcome()
			if text != tc.want || status != tc.status {
				t.Errorf("Outcome() = %q, %q; want %q, %q", text, status, tc.want, tc.status)
			}
			doc, _, md := renderBoth(t, s, a)
			banner := byID(doc, "banner")
			if banner == nil {
				t.Fatal("no banner")
			}
			wantBanner := "exit code " + strconv.Itoa(tc.code) + ": " + tc.want
			if got := nodeText(banner); got != wantBanner || !strings.Contains(attr(banner, "class"), tc.status) {
				t.Errorf("HTML banner %q (class %q), want %q (%s)", got, attr(banner, "class"), wantBanner, tc.status)
			}
			if got := nodeText(byID(doc, "outcome")); !strings.Contains(got, tc.want) {
				t.Errorf("HTML outcome section %q lacks %q", got, tc.want)
			}
			if want := fmt.Sprintf("**Exit code %d:** %s\n", tc.code, mdText(tc.want)); !strings.Contains(md, want) {
				t.Errorf("Markdown lacks the banner %q:\n%.300s", want, md)
			}
		})
	}
}

// TestInvisibleCharactersEscaped puts ids with a no-break space, a
// zero-width space and a trailing space in every place a report shows input
// text, and looks for them escaped, never raw, in both formats.
func TestInvisibleCharactersEscaped(t *testing.T) {
	t.Parallel()
	const (
		taken  = "crm-1\u00a0"
		errID  = "crm\u200b-2"
		dupID  = "crm-3 "
		detail = "HTTP 500 for \u2060crm-4"
		nearEx = "CRM\u200b-5"
		errMsg = "input row 9: id \"crm\ufeff-6\" too long"
	)
	start := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	a := NewAudit(AuditConfig{Now: (&fakeClock{t: start, step: time.Millisecond}).Now})
	a.Observe(rec(1, taken, verdict.Taken, 0, ""))
	e := rec(2, errID, verdict.Error, 0, detail)
	e.MessageCode = "ERR\u00a0X"
	a.Observe(e)
	a.Observe(rec(3, dupID, verdict.Available, 0, ""))
	a.Observe(rec(4, dupID, verdict.Duplicate, 3, ""))
	s := Summary{
		Header:   Header{Tool: "azvalidate", Start: start, End: start.Add(4 * time.Millisecond), Input: InputInfo{Name: "x.csv", Format: "csv"}},
		Rows:     4,
		Verdicts: map[string]int64{"available": 1, "taken": 1, "duplicate": 1, "error": 1},
		ExitCode: 2, Error: errMsg,
		NearDuplicates: &near.Stats{Groups: 1, Similar: 1, ByKind: map[string]int64{"zero-width": 1},
			Largest: []near.Group{{FirstRow: 5, Size: 2, Kinds: []string{"zero-width"}, Example: nearEx}}},
	}
	doc, raw, md := renderBoth(t, s, a)

	wantHTML := map[string][]string{
		"taken":      {`crm-1\u00a0`},
		"errors":     {`crm\u200b-2`, `ERR\u00a0X`, `HTTP 500 for \u2060crm-4`},
		"duplicates": {`crm-3\x20`},
		"near":       {`CRM\u200b-5`},
		"outcome":    {`id "crm\ufeff-6" too long`},
	}
	sections := htmlSections(t, doc)
	for id, texts := range wantHTML {
		for _, w := range texts {
			if !strings.Contains(sections[id], w) {
				t.Errorf("HTML section %q lacks %q: %s", id, w, sections[id])
			}
		}
	}
	md = strings.ReplaceAll(md, "\n", " ")
	for _, texts := range wantHTML {
		for _, w := range texts {
			if !strings.Contains(md, mdText(w)) {
				t.Errorf("Markdown lacks %q", mdText(w))
			}
		}
	}
	for _, r := range "\u00a0\u200b\u2060\ufeff" {
		if strings.ContainsRune(raw, r) || strings.ContainsRune(md, r) {
			t.Errorf("%U is in a report unescaped", r)
		}
	}
	// The id with a trailing space keeps it visibly: nowhere as a bare "crm-3 |" cell.
	if strings.Contains(md, "| crm-3 |") {
		t.Errorf("the padded id reads as a clean one in Markdown")
	}
}

func TestVisible(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"crm-1":             "crm-1",
		"crm-1\u00a0":       `crm-1\u00a0`,
		"crm\u200b-1":       `crm\u200b-1`,
		" crm-1 ":           `\x20crm-1\x20`,
		"crm 1":             "crm 1",
		`C:\x\u00a0`:        `C:\\x\\u00a0`,
		"tab\there":         `tab\there`,
		"\U000e0041tag":     `\U000e0041tag`,
		"ü-Łódź-東京":         "ü-Łódź-東京",
		"\ufeffbom":         `\ufeffbom`,
		"":                  "",
		"line\nbreak\x01\r": `line\nbreak\x01\r`,
	} {
		if got := visible(in); got != want {
			t.Errorf("visible(%q) = %q, want %q", in, got, want)
		}
	}
}

var (
	mdLine   = regexp.MustCompile(`^\s*(\S+)–(\S+)  [█ ]* ([\d,.]+) rows/s$`)
	spanNote = regexp.MustCompile(`each (?:bar|line) covers (\S+?)(?:, the last (\S+?))?\. Peak ([\d,.]+) rows/s`)
	barTitle = regexp.MustCompile(`^([\d,.]+) rows/s from (\S+) to (\S+)$`)
)

func parseDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("duration %q: %v", s, err)
	}
	return d
}

// shownTo is the precision to which human.Duration shows d.
func shownTo(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return time.Second
	case d >= time.Second:
		return 10 * time.Millisecond
	case d >= 10*time.Millisecond:
		return 100 * time.Microsecond
	case d >= time.Millisecond:
		return 10 * time.Microsecond
	}
	return time.Microsecond
}

// checkSpans checks that spans [from, to) tile the run from 0 and that the
// note's "each covers X, the last Y" and peak are what they are.
func checkSpans(t *testing.T, what, note string, spans [][2]time.Duration, rates []string) {
	t.Helper()
	m := spanNote.FindStringSubmatch(note)
	if m == nil {
		t.Fatalf("%s: note %q does not say what the bars cover", what, note)
	}
	each, last := parseDuration(t, m[1]), parseDuration(t, m[1])
	if m[2] != "" {
		last = parseDuration(t, m[2])
	}
	var peak float64
	for i, sp := range spans {
		if i == 0 && sp[0] != 0 || i > 0 && sp[0] != spans[i-1][1] {
			t.Errorf("%s: span %d starts at %v, not where the one before ended", what, i, sp[0])
		}
		want := each
		if i == len(spans)-1 {
			want = last
		}
		// Shown durations are rounded (human.Duration); allow for that.
		tol := (shownTo(sp[0]) + shownTo(sp[1]) + shownTo(want)) / 2
		if d := sp[1] - sp[0]; d < want-tol || d > want+tol {
			t.Errorf("%s: span %d covers %v, the note says %v", what, i, d, want)
		}
		r, _ := strconv.ParseFloat(strings.ReplaceAll(rates[i], ",", ""), 64)
		peak = max(peak, r)
	}
	if got, _ := strconv.ParseFloat(strings.ReplaceAll(m[3], ",", ""), 64); got != peak {
		t.Errorf("%s: note says peak %v rows/s, the highest bar is %v", what, got, peak)
	}
}

// TestThroughputNotesMatchBars reads the throughput bars back from both
// reports, for runs short and long enough to merge buckets and text lines,
// and checks that the note describes them.
func TestThroughputNotesMatchBars(t *testing.T) {
	t.Parallel()
	for _, n := range []int{40, 700, 3000, 20000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			t.Parallel()
			s, a := simulate(t, n)
			doc, _, md := renderBoth(t, s, a)

			_, body, _ := strings.Cut(md, "## Throughput over the run\n\n")
			note, body, _ := strings.Cut(body, "\n")
			_, block, _ := strings.Cut(body, "```text\n")
			block, _, _ = strings.Cut(block, "```")
			var spans [][2]time.Duration
			var rates []string
			for _, l := range strings.Split(strings.TrimSuffix(block, "\n"), "\n") {
				m := mdLine.FindStringSubmatch(l)
				if m == nil {
					t.Fatalf("text bar %q: no span and rate", l)
				}
				spans = append(spans, [2]time.Duration{parseDuration(t, m[1]), parseDuration(t, m[2])})
				rates = append(rates, m[3])
			}
			if len(spans) == 0 || len(spans) > 24 {
				t.Fatalf("%d text bars", len(spans))
			}
			if end, run := spans[len(spans)-1][1], s.End.Sub(s.Start); end < run-shownTo(run) || end > run+shownTo(run) {
				t.Errorf("text bars end at %v, the run at %v", end, s.End.Sub(s.Start))
			}
			checkSpans(t, "markdown", note, spans, rates)

			sec := byID(doc, "throughput")
			spans, rates = nil, nil
			for d := range sec.Descendants() {
				if d.Type == html.ElementNode && d.Data == "title" {
					m := barTitle.FindStringSubmatch(nodeText(d))
					if m == nil {
						t.Fatalf("bar title %q", nodeText(d))
					}
					spans = append(spans, [2]time.Duration{parseDuration(t, m[2]), parseDuration(t, m[3])})
					rates = append(rates, m[1])
				}
			}
			var htmlNote string
			for d := range sec.Descendants() {
				if d.Type == html.ElementNode && attr(d, "class") == "note" {
					htmlNote = nodeText(d)
				}
			}
			checkSpans(t, "html", htmlNote, spans, rates)
		})
	}
}

func TestCheckReportPaths(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		paths []string
		ok    bool
	}{
		{[]string{"a.html"}, true},
		{[]string{"a.html", "a.md"}, true},
		{[]string{"a.html", "b/a.html"}, true},
		{[]string{"a.html", "./a.html"}, false},
		{[]string{"a.md", "a.pdf"}, false},
		{nil, true},
	} {
		if err := CheckReportPaths(tc.paths); (err == nil) != tc.ok {
			t.Errorf("CheckReportPaths(%q) = %v, want ok %v", tc.paths, err, tc.ok)
		}
	}
}
