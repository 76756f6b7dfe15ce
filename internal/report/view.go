package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/azotte/azvalidate/internal/human"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

// view is what the HTML and Markdown reports show, computed once from a
// Summary and an Audit so that both formats say the same thing.
type view struct {
	S           Summary
	Status      string // "ok", "warn" or "bad": the exit code's colour
	ExitMeaning string

	Input    []field
	Settings []field
	Run      []field
	Requests []field // retries, 429s and the other request counters

	Verdicts     []verdictLine
	VerdictChart *chart

	Latency      []field // p50, p95, p99, max
	LatencyBars  []bar   // the histogram's non-empty range
	LatencyChart *chart  // nil when no request was timed

	ThroughputBars  []bar // rows/s per bucket, merged for text
	ThroughputNote  string
	ThroughputChart *chart // nil when no row was decided

	Duplicates    []DuplicateGroup
	DuplicateNote string
	TakenList     rowList
	ErrorList     rowList
	HasAudit      bool

	Tool, StartText, EndText, RowsText, DistinctText string
}

// rowList is the first rows of one verdict, and a note on how many there
// are in all.
type rowList struct {
	Rows      []AuditRow
	Note      string
	HasDetail bool // some row has a detail (taken rows seldom do)
}

type field struct{ Name, Value string }

type verdictLine struct {
	Name, Count, Share, Color string
	N                         int64
}

// bar is one bar of a text chart: a label and a value.
type bar struct {
	Label string
	Value float64
	Text  string // the value as shown
}

// verdictColors are the verdicts' colours in charts: green for available,
// amber for taken, blue for duplicate, grey for invalid, red for error.
var verdictColors = map[verdict.Verdict]string{
	verdict.Available: "#2e7d32",
	verdict.Taken:     "#e08a00",
	verdict.Duplicate: "#1f6fb2",
	verdict.Invalid:   "#757575",
	verdict.Error:     "#c62828",
}

// exitMeaning is the README's exit code table, for readers of a report.
func exitMeaning(s Summary) (meaning, status string) {
	switch c := s.ExitCode; {
	case s.Interrupted || c == 130 || c == 143:
		return "interrupted; the output holds only the rows finished before the signal", "bad"
	case c == 0:
		return "every row available", "ok"
	case c == 1:
		return "finished, with findings: taken, duplicate or invalid rows", "warn"
	case c == 3:
		return "finished, but some rows got no answer (error), or the input broke off", "bad"
	case c == 2:
		return "usage, configuration or credential error, or the output could not be written", "bad"
	default:
		return "exit code " + strconv.Itoa(c), "bad"
	}
}

func newView(s Summary, a *Audit) *view {
	v := &view{S: s}
	v.ExitMeaning, v.Status = exitMeaning(s)

	size := human.Count(s.Input.Bytes) + " bytes"
	if s.Input.Bytes >= 1000 {
		size += " (" + human.Bytes(s.Input.Bytes) + ")"
	}
	sha := s.Input.SHA256
	if sha == "" {
		sha = "not computed: the input was not read to its end"
	}
	v.Input = []field{
		{"name", s.Input.Name},
		{"format", s.Input.Format},
		{"size", size},
		{"sha256", sha},
		{"output", s.Output},
	}

	st := s.Settings
	rate := "unlimited"
	if st.Rate > 0 {
		rate = strconv.FormatFloat(st.Rate, 'f', -1, 64) + " requests/s"
	}
	only := st.Only
	if only == "" {
		only = "all verdicts"
	}
	v.Settings = []field{
		{"base URL", st.BaseURL},
		{"path", st.Path},
		{"tenant", st.Tenant},
		{"sandbox", yesNo(st.Sandbox)},
		{"concurrency", strconv.Itoa(st.Concurrency)},
		{"rate", rate},
		{"burst", strconv.Itoa(st.Burst)},
		{"retries", strconv.Itoa(st.Retries)},
		{"timeout", seconds(st.TimeoutSeconds)},
		{"rows written", only},
		{"id column", st.IDColumn},
		{"id field", st.IDField},
		{"trim ids", yesNo(st.Trim)},
	}

	v.Run = []field{
		{"tool", strings.TrimSpace(s.Tool + " " + s.Version)},
		{"start", timeText(s.Start)},
		{"end", timeText(s.End)},
		{"elapsed", seconds(s.ElapsedSeconds)},
		{"rows", human.Count(s.Rows)},
		{"distinct ids", human.Count(s.DistinctIDs)},
		{"rows/s", human.Rate(s.RowsPerSecond)},
	}

	var most int64
	for _, vd := range verdict.All {
		most = max(most, s.Verdicts[vd.String()])
	}
	for _, vd := range verdict.All {
		n := s.Verdicts[vd.String()]
		v.Verdicts = append(v.Verdicts, verdictLine{
			Name: vd.String(), N: n, Count: human.Count(n), Share: share(n, s.Rows), Color: verdictColors[vd],
		})
	}
	v.VerdictChart = verdictChart(v.Verdicts, most)

	l := s.LatencyMS
	v.Latency = []field{{"p50", msText(l.P50)}, {"p95", msText(l.P95)}, {"p99", msText(l.P99)}, {"max", msText(l.Max)}}
	if h := a.latency(); h != nil {
		buckets := displayBuckets(h.Buckets())
		for _, b := range buckets {
			v.LatencyBars = append(v.LatencyBars, bar{Label: "≤ " + human.Duration(b.Upper), Value: float64(b.Count), Text: human.Count(b.Count)})
		}
		v.LatencyChart = latencyChart(buckets, l)
	}

	minRate := "unlimited"
	if s.MinRate > 0 {
		minRate = strconv.FormatFloat(s.MinRate, 'f', 1, 64) + " requests/s"
		if st.Rate > 0 && s.MinRate >= st.Rate {
			minRate += " (never slowed down)"
		}
	}
	v.Requests = []field{
		{"api calls", human.Count(s.APICalls)},
		{"retries", human.Count(s.Retries)},
		{"http 429", human.Count(s.Throttled)},
		{"lowest rate", minRate},
		{"journal hits", human.Count(s.JournalHits)},
		{"padded ids", human.Count(s.PaddedIDs)},
	}
	if c := s.Changes; c.BecameTaken+c.BecameAvailable > 0 {
		v.Requests = append(v.Requests, field{"changed since the journal",
			human.Count(c.BecameTaken) + " became taken, " + human.Count(c.BecameAvailable) + " became available"})
	}

	v.Tool, v.StartText, v.EndText = v.Run[0].Value, v.Run[1].Value, v.Run[2].Value
	v.RowsText, v.DistinctText = human.Count(s.Rows), human.Count(s.DistinctIDs)
	v.DuplicateNote = "Not recorded."
	v.TakenList.Note, v.ErrorList.Note = "Not recorded.", "Not recorded."
	if a != nil {
		v.HasAudit = true
		v.Duplicates = a.Duplicates()
		switch ids := a.DuplicateIDs(); {
		case ids == 0:
			v.DuplicateNote = "No id is on more than one row."
		default:
			v.DuplicateNote = fmt.Sprintf("The %d largest of %s ids found on more than one row (%s duplicate rows in all, first rows not counted).",
				len(v.Duplicates), human.Count(int64(ids)), human.Count(s.Verdicts[verdict.Duplicate.String()]))
		}
		v.TakenList = listRows(a.Taken(), s.Verdicts[verdict.Taken.String()], a.RowLimit(), verdict.Taken)
		v.ErrorList = listRows(a.Errors(), s.Verdicts[verdict.Error.String()], a.RowLimit(), verdict.Error)
		v.ThroughputChart, v.ThroughputBars, v.ThroughputNote = throughput(a.Throughput(), s)
	}
	return v
}

func listRows(rows []AuditRow, total int64, limit int, vd verdict.Verdict) rowList {
	l := rowList{Rows: rows}
	for _, r := range rows {
		l.HasDetail = l.HasDetail || r.Detail != ""
	}
	switch {
	case len(rows) == 0:
		l.Note = "No " + vd.String() + " rows."
	case int64(len(rows)) >= total:
		l.Note = fmt.Sprintf("%s %s rows in all.", human.Count(total), vd)
	default:
		l.Note = fmt.Sprintf("The first %d of %s %s rows (a report lists %d at most).", len(rows), human.Count(total), vd, limit)
	}
	return l
}

// share is n's share of total as a percentage; a share that rounds to 0.0%
// but is not zero shows as "<0.1%", so that 2 error rows in 9,000 do not read
// as none.
func share(n, total int64) string {
	if n > 0 && total > 0 && float64(n)/float64(total) < 0.0005 {
		return "<0.1%"
	}
	return human.Percent(n, total)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func seconds(s float64) string {
	return human.Duration(time.Duration(s * float64(time.Second)))
}

// displayBuckets is the part of a histogram worth showing: from the first
// non-empty bucket to the last, widened to at least minShown buckets so that
// one busy bucket does not fill the chart, and merged pairwise down to at
// most maxShown. It returns nil for an empty histogram.
func displayBuckets(all []stats.Bucket) []stats.Bucket {
	const minShown, maxShown = 12, 36
	lo, hi := -1, -1
	for i, b := range all {
		if b.Count > 0 {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	if lo < 0 {
		return nil
	}
	for hi-lo+1 < minShown && (lo > 0 || hi < len(all)-2) {
		if lo > 0 {
			lo--
		}
		if hi-lo+1 < minShown && hi < len(all)-2 { // the overflow bucket only when used
			hi++
		}
	}
	out := append([]stats.Bucket(nil), all[lo:hi+1]...)
	for len(out) > maxShown {
		merged := out[:0:0]
		for i := 0; i < len(out); i += 2 {
			b := out[i]
			if i+1 < len(out) {
				b.Upper = out[i+1].Upper
				b.Count += out[i+1].Count
			}
			merged = append(merged, b)
		}
		out = merged
	}
	return out
}

// stretch is a stretch of the run and the rows decided in it.
type stretch struct {
	From, To time.Duration // since the start of the run
	Rows     int64
}

func (s stretch) rate() float64 { return float64(s.Rows) / (s.To - s.From).Seconds() }

// throughput turns the Audit's series into a chart and text bars of rows/s.
// The last bucket is usually cut short by the end of the run; its rate is
// over the time it really covered, and when that is under half a bucket it
// joins the bucket before: a few milliseconds of final drain would otherwise
// show as a rate that dwarfs the rest of the chart.
func throughput(tp Throughput, s Summary) (*chart, []bar, string) {
	n := len(tp.Rows)
	if n == 0 {
		return nil, nil, "no row was decided"
	}
	end := time.Duration(n) * tp.Bucket
	if !s.End.IsZero() && s.End.After(tp.Start) {
		end = min(max(s.End.Sub(tp.Start), time.Duration(n-1)*tp.Bucket+1), end)
	}
	st := make([]stretch, n)
	for i, rows := range tp.Rows {
		from := time.Duration(i) * tp.Bucket
		st[i] = stretch{From: from, To: min(from+tp.Bucket, end), Rows: rows}
	}
	if k := len(st); k >= 2 && st[k-1].To-st[k-1].From < tp.Bucket/2 {
		st[k-2].To, st[k-2].Rows = st[k-1].To, st[k-2].Rows+st[k-1].Rows
		st = st[:k-1]
	}
	var peak float64
	for _, x := range st {
		peak = max(peak, x.rate())
	}
	note := "peak " + human.Rate(peak) + " rows/s, average " + human.Rate(s.RowsPerSecond) +
		" rows/s; each bar covers " + human.Duration(tp.Bucket)

	// Text bars: at most maxLines, each the average over its stretches.
	const maxLines = 24
	per := (len(st) + maxLines - 1) / maxLines
	var bars []bar
	for i := 0; i < len(st); i += per {
		j := min(i+per, len(st))
		x := stretch{From: st[i].From, To: st[j-1].To}
		for _, y := range st[i:j] {
			x.Rows += y.Rows
		}
		bars = append(bars, bar{Label: human.Duration(x.From), Value: x.rate(), Text: human.Rate(x.rate()) + " rows/s"})
	}
	return throughputChart(st, peak, end, s.RowsPerSecond), bars, note
}

// textBar draws v out of most as a row of block characters, width at most.
func textBar(v, most float64, width int) string {
	if most <= 0 || v <= 0 {
		return ""
	}
	n := int(math.Round(v / most * float64(width)))
	return strings.Repeat("█", max(n, 1))
}
