package report

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/human"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

var reportOut = flag.String("report-out", "", "also write the test run's HTML report to this file (to look at it)")

// hostileID is a taken id that tries to add markup to a report.
const hostileID = `<script src="https://evil.example/x.js"></script>![x](https://evil.example/p.png)|*b*`

// simulate runs a made-up validation of n rows through Stats and an Audit,
// the way the pipeline's writer does, and returns its summary: random ids
// with duplicates, some taken, invalid and error rows, random latencies,
// a fake clock.
func simulate(t testing.TB, n int) (Summary, *Audit) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	clock := &fakeClock{t: start, step: 0}
	stats := new(stats.Stats)
	a := NewAudit(AuditConfig{Rows: 10, Latency: &stats.Latency, Now: clock.Now})
	first := map[string]int64{}
	for seq := int64(1); seq <= int64(n); seq++ {
		// Slower in the middle of the run, as if throttled.
		clock.step = time.Duration(2+rng.IntN(3)) * time.Millisecond
		if seq > int64(n)/3 && seq < int64(n)/2 {
			clock.step *= 4
		}
		// Mostly new ids; some rows repeat an id: a few hot ids many
		// times (test accounts), others once or twice.
		id := fmt.Sprintf("C-%07d", 100000+seq)
		switch x := rng.IntN(100); {
		case seq == 7:
			id = hostileID
		case x < 2:
			id = fmt.Sprintf("TEST-%03d", rng.IntN(12))
		case x < 4:
			id = fmt.Sprintf("C-%07d", 100000+1+rng.Int64N(seq))
		}
		r := rec(seq, id, verdict.Available, 0, "")
		switch f, dup := first[id]; {
		case seq%97 == 0:
			r = rec(seq, "", verdict.Invalid, 0, "empty externalId")
		case dup:
			r = rec(seq, id, verdict.Duplicate, f, "")
		default:
			first[id] = seq
			stats.DistinctIDs.Add(1)
			stats.ObserveAttempt(azotte.Attempt{ID: id, Status: 200, Latency: time.Duration(rng.ExpFloat64() * float64(20*time.Millisecond))})
			switch {
			case seq == 7 || rng.IntN(25) == 0:
				r = rec(seq, id, verdict.Taken, 0, "")
			case rng.IntN(150) == 0:
				stats.ObserveAttempt(azotte.Attempt{ID: id, Try: 2, Status: 429, Retry: true, Latency: time.Millisecond})
				r = rec(seq, id, verdict.Error, 0, "HTTP 500 after 6 attempts")
				r.MessageCode = "INTERNAL_SERVER_ERROR"
			}
		}
		a.Observe(r)
		stats.Count(r.Verdict)
		stats.Rows.Add(1)
	}
	sum := Summary{
		Header: Header{
			Tool: "azvalidate", Version: "v1.4.0", Command: "validate",
			Start: start, End: clock.Now(),
			Input: InputInfo{Name: "crm-export-2026-03.csv.gz", Format: "csv", Bytes: 48_213_557, SHA256: "9f2c4e0b7a1d3e5f60718293a4b5c6d7e8f90112233445566778899aabbccdd"},
		},
		Output: "checked.csv",
		Settings: Settings{BaseURL: "https://acme.sandbox.azotte.com", Path: "/api/v1/c2a/customer/validate", Tenant: "e2a1c7b2-4f3a",
			Concurrency: 16, Rate: 8, Burst: 8, Retries: 5, TimeoutSeconds: 15, IDColumn: "externalId", IDField: "externalId"},
		MinRate:  4.5,
		ExitCode: 3,
	}
	sum.Fill(stats)
	return sum, a
}

// sections maps each <section id> of an HTML report to its text.
func htmlSections(t *testing.T, doc *html.Node) map[string]string {
	t.Helper()
	out := map[string]string{}
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "section" {
			out[attr(n, "id")] = nodeText(n)
		}
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func nodeText(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// want lists, per report section, figures the section must show, computed
// from the summary and the audit (never copied from a rendered report).
func want(s Summary, a *Audit) map[string][]string {
	w := map[string][]string{
		"input":    {s.Input.Name, human.Count(s.Input.Bytes), human.Bytes(s.Input.Bytes), s.Input.SHA256, s.Output},
		"settings": {s.Settings.BaseURL, s.Settings.Path, s.Settings.Tenant, fmt.Sprint(s.Settings.Concurrency), "8 requests/s", fmt.Sprint(s.Settings.Retries), "15s"},
		"run":      {s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339), human.Count(s.Rows), human.Count(s.DistinctIDs), s.Version},
		"latency":  {latencyText(s.LatencyMS.P50), latencyText(s.LatencyMS.P95), latencyText(s.LatencyMS.P99), latencyText(s.LatencyMS.Max)},
		"requests": {human.Count(s.APICalls), human.Count(s.Retries), human.Count(s.Throttled), "4.5 requests/s"},
		"outcome":  {fmt.Sprint(s.ExitCode), human.Plural(s.Verdicts["error"], "row") + " got no answer (error)"},
	}
	for _, v := range verdict.All {
		n := s.Verdicts[v.String()]
		w["verdicts"] = append(w["verdicts"], v.String(), human.Count(n), share(n, s.Rows))
	}
	for _, d := range a.Duplicates() {
		w["duplicates"] = append(w["duplicates"], visible(d.ID), fmt.Sprint(d.First), fmt.Sprint(d.Rows))
	}
	for _, r := range a.Taken() {
		w["taken"] = append(w["taken"], fmt.Sprint(r.Row), visible(r.ID))
	}
	w["taken"] = append(w["taken"], human.Count(s.Verdicts["taken"])+" taken rows")
	for _, r := range a.Errors() {
		w["errors"] = append(w["errors"], fmt.Sprint(r.Row), visible(r.ID), visible(r.Detail), visible(r.MessageCode))
	}
	w["throughput"] = []string{"average " + human.Rate(s.RowsPerSecond) + " rows/s"}
	return w
}

func TestWriteHTML(t *testing.T) {
	t.Parallel()
	s, a := simulate(t, 3000)
	if s.Verdicts["error"] == 0 || s.Verdicts["taken"] <= 10 || s.Verdicts["duplicate"] == 0 || s.Retries == 0 {
		t.Fatalf("the simulated run lacks some kind of row: %+v", s)
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, s, a); err != nil {
		t.Fatal(err)
	}
	if *reportOut != "" {
		if err := os.WriteFile(*reportOut, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sections := htmlSections(t, doc)
	for id, figures := range want(s, a) {
		text, ok := sections[id]
		if !ok {
			t.Errorf("no section %q", id)
			continue
		}
		for _, f := range figures {
			if !strings.Contains(text, strings.Join(strings.Fields(f), " ")) {
				t.Errorf("section %q lacks %q:\n%s", id, f, text)
			}
		}
	}

	// Charts: one bar per verdict, per shown latency bucket, per throughput bucket.
	bars := map[string]int{}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.Data != "svg" || attr(n, "role") != "img" {
			continue
		}
		for d := range n.Descendants() {
			if d.Type == html.ElementNode && d.Data == "rect" {
				bars[attr(n, "aria-label")]++
			}
		}
	}
	// One bar per bucket, but a last bucket cut to under half its width by
	// the end of the run joins the one before.
	tp := a.Throughput()
	tpBars := len(tp.Rows)
	if tail := s.End.Sub(tp.Start) - time.Duration(tpBars-1)*tp.Bucket; tpBars >= 2 && tail < tp.Bucket/2 {
		tpBars--
	}
	wantBars := map[string]int{
		"rows per verdict":                     len(verdict.All),
		"request latency histogram":            len(displayBuckets(a.latency().Buckets())),
		"rows decided per second over the run": tpBars,
	}
	for label, n := range wantBars {
		if bars[label] != n || n == 0 {
			t.Errorf("chart %q has %d bars, want %d (and some)", label, bars[label], n)
		}
	}

	checkSelfContained(t, doc)
	// The hostile id is shown as text, not run or loaded.
	if !strings.Contains(sections["taken"], hostileID) {
		t.Errorf("the taken id %q is not shown as text", hostileID)
	}
}

// checkSelfContained fails when the page could load anything: a script, a
// style sheet, an image, a frame, a font, a URL in CSS, or a link leaving
// the page.
func checkSelfContained(t *testing.T, doc *html.Node) {
	t.Helper()
	forbidden := map[string]bool{"script": true, "link": true, "img": true, "image": true, "iframe": true, "object": true,
		"embed": true, "audio": true, "video": true, "source": true, "base": true, "use": true, "form": true, "frame": true}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		if forbidden[n.Data] {
			t.Errorf("element <%s> in the report", n.Data)
		}
		for _, a := range n.Attr {
			switch key := strings.ToLower(a.Key); {
			case key == "href" || strings.HasSuffix(key, ":href"):
				if !strings.HasPrefix(a.Val, "#") {
					t.Errorf("<%s %s=%q> leaves the page", n.Data, a.Key, a.Val)
				}
			case key == "src" || key == "srcset" || key == "action" || key == "poster" || key == "data" || strings.HasPrefix(key, "on"):
				t.Errorf("<%s %s=%q> in the report", n.Data, a.Key, a.Val)
			case key == "style" || strings.Contains(a.Val, "://"):
				t.Errorf("<%s %s=%q>: a style or URL in an attribute", n.Data, a.Key, a.Val)
			}
		}
		if n.Data == "style" {
			css := strings.ToLower(nodeText(n))
			for _, bad := range []string{"@import", "url(", "@font-face", "://"} {
				if strings.Contains(css, bad) {
					t.Errorf("style sheet contains %q", bad)
				}
			}
		}
	}
}

// markdownSections maps each "## " heading of a Markdown report to its text.
func markdownSections(md string) map[string]string {
	out := map[string]string{}
	parts := strings.Split(md, "\n## ")
	for _, p := range parts[1:] {
		title, body, _ := strings.Cut(p, "\n")
		out[title] = body
	}
	return out
}

func TestWriteMarkdown(t *testing.T) {
	t.Parallel()
	s, a := simulate(t, 3000)
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, s, a); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	if !strings.HasPrefix(md, "# azvalidate audit report\n") {
		t.Errorf("no title: %.80q", md)
	}
	sections := markdownSections(md)
	titles := map[string]string{
		"input": "Input", "settings": "Settings", "run": "Run", "verdicts": "Verdicts", "latency": "Request latency",
		"throughput": "Throughput over the run", "requests": "Retries and throttling", "duplicates": "Largest duplicate groups",
		"taken": "Taken rows", "errors": "Error rows", "outcome": "Outcome",
	}
	for id, figures := range want(s, a) {
		text, ok := sections[titles[id]]
		if !ok {
			t.Errorf("no section %q", titles[id])
			continue
		}
		for _, f := range figures {
			if !strings.Contains(text, mdText(f)) {
				t.Errorf("section %q lacks %q:\n%s", titles[id], mdText(f), text)
			}
		}
	}
	// Text charts: a line per verdict, per shown latency bucket.
	for title, n := range map[string]int{
		"Verdicts":        len(verdict.All),
		"Request latency": len(displayBuckets(a.latency().Buckets())),
	} {
		_, block, _ := strings.Cut(sections[title], "```text\n")
		block, _, _ = strings.Cut(block, "```")
		if got := strings.Count(block, "\n"); got != n {
			t.Errorf("%s: text chart of %d lines, want %d:\n%s", title, got, n, block)
		}
	}
	// Nothing to load or follow, and the hostile id is inert text.
	for _, re := range []string{`<`, `!\[`, `(^|[^\\])\]\(`, `(?m)^\s*\[[^\]]*\]:`} {
		if loc := regexp.MustCompile(re).FindStringIndex(md); loc != nil {
			t.Errorf("markup %q in the report at %q", re, md[max(loc[0]-40, 0):min(loc[1]+40, len(md))])
		}
	}
	if !strings.Contains(sections["Taken rows"], mdText(hostileID)) {
		t.Errorf("the hostile id is not in the taken rows, escaped")
	}
	// Every table row has as many cells as its header.
	for _, sec := range sections {
		cells := -1
		for _, l := range strings.Split(sec, "\n") {
			if !strings.HasPrefix(l, "|") {
				cells = -1
				continue
			}
			n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(l, -1))
			if cells >= 0 && n != cells {
				t.Errorf("table row %q has %d separators, want %d", l, n, cells)
			}
			cells = n
		}
	}
}

func TestReportWithoutAudit(t *testing.T) {
	t.Parallel()
	s, _ := simulate(t, 100)
	for name, write := range map[string]func(*bytes.Buffer) error{
		"html":     func(b *bytes.Buffer) error { return WriteHTML(b, s, nil) },
		"markdown": func(b *bytes.Buffer) error { return WriteMarkdown(b, s, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := write(&b); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "Not recorded.") || !strings.Contains(b.String(), human.Count(s.Rows)) {
				t.Errorf("report without an audit lacks its note or figures:\n%s", b.String())
			}
		})
	}
}

func TestWriteReportFile(t *testing.T) {
	t.Parallel()
	s, a := simulate(t, 200)
	dir := t.TempDir()
	for _, tc := range []struct {
		name, file string
		start      string // how the file starts; "" when it must fail
	}{
		{"html", "run.html", "<!DOCTYPE html>"},
		{"htm upper case", "RUN.HTM", "<!DOCTYPE html>"},
		{"markdown", "run.md", "# azvalidate audit report"},
		{"markdown long", "run.markdown", "# azvalidate audit report"},
		{"unknown extension", "run.pdf", ""},
		{"no extension", "run", ""},
		{"missing folder", "no/such/dir/run.html", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			err := WriteReportFile(path, s, a)
			if tc.start == "" {
				if err == nil {
					t.Fatalf("WriteReportFile(%s) = nil, want an error", tc.file)
				}
				if _, serr := os.Stat(path); !errors.Is(serr, os.ErrNotExist) {
					t.Errorf("%s exists after a failure", tc.file)
				}
				return
			}
			if err != nil || CheckReportPath(path) != nil {
				t.Fatalf("WriteReportFile: %v; CheckReportPath: %v", err, CheckReportPath(path))
			}
			b, err := os.ReadFile(path)
			if err != nil || !strings.HasPrefix(string(b), tc.start) {
				t.Errorf("%s starts %.40q (err %v), want %q", tc.file, b, err, tc.start)
			}
		})
	}
	// No temporary file is left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left", e.Name())
		}
	}
}

func TestShare(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n, total int64
		want     string
	}{{0, 9000, "0.0%"}, {2, 9000, "<0.1%"}, {5, 9000, "0.1%"}, {9000, 9000, "100.0%"}, {0, 0, "-"}} {
		if got := share(tc.n, tc.total); got != tc.want {
			t.Errorf("share(%d, %d) = %q, want %q", tc.n, tc.total, got, tc.want)
		}
	}
}
