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
	S       Summary
	Outcome string // what happened, from Summary.Outcome
	Status  string // "ok", "warn" or "bad": the outcome's colour

	Input    []field
	Settings []field
	Run      []field
	Requests []field // retries, 429s and the other request counters

	Verdicts     []verdictLine
	VerdictChart *chart

	Latency      []field // p50, p95, p99, max: the one place they are written
	LatencyBars  []bar   // the histogram's non-empty range
	LatencyChart *chart  // nil when no request was timed; marks named, not valued

	ThroughputChart *chart // nil when no row was decided
	ThroughputNote  string // what the chart's bars are
	ThroughputBars  []bar  // the Markdown text chart: the chart's bars, merged to fit
	ThroughputText  string // what the text bars are

	Duplicates    []DuplicateGroup // ids escaped with visible
	DuplicateNote string

	Near      []nearLine // near-collision groups, largest first; nil without --near-duplicates
	NearNote  string     // "" without --near-duplicates
	TakenList rowList
	ErrorList rowList
	HasAudit  bool

	ErrorText string // the Summary's error, escaped with visible

	Tool, StartText, EndText, RowsText, DistinctText string
}

// rowList is the first rows of one verdict, and a note on how many there
// are in all.
type rowList struct {
	Rows      []AuditRow
	Note      string
	HasDetail bool // some row has a detail (taken rows seldom do)
}

type field struct {
	Name, Value string
	Code        bool // an id, digest or code: set in monospace and never broken
}

// nearLine is one group of near-colliding ids as a report lists it.
type nearLine struct {
	FirstRow, Size string
	Kinds          string
	Example        string // escaped with visible; "-" when not kept
}

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
// amber for taken, blue for duplicate, grey for invalid, red for error,
// brown for unchecked.
var verdictColors = map[verdict.Verdict]string{
	verdict.Available: "#2e7d32",
	verdict.Taken:     "#e08a00",
	verdict.Duplicate: "#1f6fb2",
	verdict.Invalid:   "#757575",
	verdict.Error:     "#c62828",
	verdict.Unchecked: "#8d6e63",
}

func newView(s Summary, a *Audit) *view {
	v := &view{S: s}
	v.Outcome, v.Status = s.Outcome()
	v.ErrorText = visible(s.Error)

	size := human.Count(s.Input.Bytes) + " bytes"
	if s.Input.Bytes >= 1000 {
		size += " (" + human.Bytes(s.Input.Bytes) + ")"
	}
	sha := s.Input.SHA256
	if sha == "" {
		sha = "not computed: the input was not read to its end"
	}
	v.Input = []field{
		{Name: "name", Value: s.Input.Name},
		{Name: "format", Value: s.Input.Format},
		{Name: "size", Value: size},
		{Name: "sha256", Value: sha, Code: s.Input.SHA256 != ""},
		{Name: "output", Value: s.Output},
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
		{Name: "base URL", Value: st.BaseURL},
		{Name: "path", Value: st.Path},
		{Name: "tenant", Value: st.Tenant, Code: true},
		{Name: "sandbox", Value: yesNo(st.Sandbox)},
		{Name: "concurrency", Value: strconv.Itoa(st.Concurrency)},
		{Name: "rate", Value: rate},
		{Name: "burst", Value: strconv.Itoa(st.Burst)},
		{Name: "retries", Value: strconv.Itoa(st.Retries)},
		{Name: "timeout", Value: seconds(st.TimeoutSeconds)},
		{Name: "rows written", Value: only},
		{Name: "id column", Value: visible(st.IDColumn), Code: true},
		{Name: "id field", Value: visible(st.IDField), Code: true},
		{Name: "trim ids", Value: yesNo(st.Trim)},
	}

	v.Run = []field{
		{Name: "tool", Value: strings.TrimSpace(s.Tool + " " + s.Version)},
		{Name: "start", Value: timeText(s.Start)},
		{Name: "end", Value: timeText(s.End)},
		{Name: "elapsed", Value: seconds(s.ElapsedSeconds)},
		{Name: "rows", Value: human.Count(s.Rows)},
		{Name: "distinct ids", Value: human.Count(s.DistinctIDs)},
		{Name: "rows/s", Value: human.Rate(s.RowsPerSecond)},
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
	v.Latency = []field{{Name: "p50", Value: latencyText(l.P50)}, {Name: "p95", Value: latencyText(l.P95)},
		{Name: "p99", Value: latencyText(l.P99)}, {Name: "max", Value: latencyText(l.Max)}}
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
		{Name: "api calls", Value: human.Count(s.APICalls)},
		{Name: "retries", Value: human.Count(s.Retries)},
		{Name: "http 429", Value: human.Count(s.Throttled)},
		{Name: "lowest rate", Value: minRate},
		{Name: "journal hits", Value: human.Count(s.JournalHits)},
		{Name: "padded ids", Value: human.Count(s.PaddedIDs)},
	}
	if s.Owners != nil {
		v.Requests = append(v.Requests, field{Name: "taken by", Value: s.Owners.Text()})
	}
	if c := s.Changes; c.BecameTaken+c.BecameAvailable > 0 {
		v.Requests = append(v.Requests, field{Name: "changed since the journal",
			Value: human.Count(c.BecameTaken) + " became taken, " + human.Count(c.BecameAvailable) + " became available"})
	}

	v.Tool, v.StartText, v.EndText = v.Run[0].Value, v.Run[1].Value, v.Run[2].Value
	v.RowsText, v.DistinctText = human.Count(s.Rows), human.Count(s.DistinctIDs)
	v.DuplicateNote = "Not recorded."
	v.TakenList.Note, v.ErrorList.Note = "Not recorded.", "Not recorded."
	if a != nil {
		v.HasAudit = true
		v.Duplicates = a.Duplicates()
		for i := range v.Duplicates {
			v.Duplicates[i].ID = visible(v.Duplicates[i].ID)
		}
		switch ids := a.DuplicateIDs(); {
		case ids == 0:
			v.DuplicateNote = "No id is on more than one row."
		default:
			v.DuplicateNote = fmt.Sprintf("The %d largest of %s ids found on more than one row (%s duplicate rows in all, first rows not counted).",
				len(v.Duplicates), human.Count(int64(ids)), human.Count(s.Verdicts[verdict.Duplicate.String()]))
		}
		v.TakenList = listRows(a.Taken(), s.Verdicts[verdict.Taken.String()], a.RowLimit(), verdict.Taken)
		v.ErrorList = listRows(a.Errors(), s.Verdicts[verdict.Error.String()], a.RowLimit(), verdict.Error)
		v.ThroughputChart, v.ThroughputNote, v.ThroughputBars, v.ThroughputText = throughput(a.Throughput(), s)
	}
	if n := s.NearDuplicates; n != nil {
		v.NearNote = "No two distinct ids are equal up to case, white space, Unicode form or zero-width characters."
		if n.Groups > 0 {
			v.NearNote = fmt.Sprintf("%s of distinct ids equal up to case, white space, Unicode form or zero-width characters (%s ids in all); the %d largest, each with the first id that joined its first row's.",
				human.Plural(n.Groups, "group"), human.Count(n.Groups+n.Similar), len(n.Largest))
		}
		for _, g := range n.Largest {
			ex := "-"
			if g.Example != "" {
				ex = visible(g.Example)
			}
			v.Near = append(v.Near, nearLine{FirstRow: a.Ref(g.FirstRow), Size: human.Count(g.Size),
				Kinds: strings.Join(g.Kinds, ", "), Example: ex})
		}
	}
	return v
}

// latencyText is a latency quantile in milliseconds as reports show it.
func latencyText(ms float64) string {
	return human.Duration(time.Duration(math.Round(ms * float64(time.Millisecond))))
}

func listRows(rows []AuditRow, total int64, limit int, vd verdict.Verdict) rowList {
	l := rowList{Rows: rows}
	for i := range rows {
		r := &rows[i]
		r.ID, r.MessageCode, r.Detail = visible(r.ID), visible(r.MessageCode), visible(r.Detail)
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

// throughput turns the Audit's series into the HTML chart and the Markdown
// text bars, each with a note that says exactly what it draws: the span each
// bar covers and what its rows/s are.
//
// The last bucket is usually cut short by the end of the run; its rate is
// over the time it really covered, and when that is under half a bucket it
// joins the bucket before: a few milliseconds of final drain would otherwise
// show as a rate that dwarfs the rest of the chart.
func throughput(tp Throughput, s Summary) (c *chart, note string, bars []bar, textNote string) {
	n := len(tp.Rows)
	if n == 0 {
		return nil, "No row was decided.", nil, "No row was decided."
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
	avg := "average " + human.Rate(s.RowsPerSecond) + " rows/s"
	note = "Each bar is the rows decided in its span of the run divided by the span's length; " +
		spans(st, "bar") + ". Peak " + human.Rate(peakRate(st)) + " rows/s, " + avg + " (the dashed line)."

	// Text bars: at most maxLines, each the stretches it merges as one.
	const maxLines = 24
	per := (len(st) + maxLines - 1) / maxLines
	var lines []stretch
	for i := 0; i < len(st); i += per {
		j := min(i+per, len(st))
		x := stretch{From: st[i].From, To: st[j-1].To}
		for _, y := range st[i:j] {
			x.Rows += y.Rows
		}
		lines = append(lines, x)
	}
	// A short last line joins the one before, as the chart's last bar does.
	if k := len(lines); k >= 2 && 2*(lines[k-1].To-lines[k-1].From) < lines[0].To-lines[0].From {
		lines[k-2].To, lines[k-2].Rows = lines[k-1].To, lines[k-2].Rows+lines[k-1].Rows
		lines = lines[:k-1]
	}
	for _, x := range lines {
		bars = append(bars, bar{Label: human.Duration(x.From) + "–" + human.Duration(x.To), Value: x.rate(), Text: human.Rate(x.rate()) + " rows/s"})
	}
	textNote = "Each line is the rows decided in its span of the run (since the start) divided by the span's length; " +
		spans(lines, "line") + ". Peak " + human.Rate(peakRate(lines)) + " rows/s, " + avg + "."
	return throughputChart(st, peakRate(st), end, s.RowsPerSecond), note, bars, textNote
}

func peakRate(st []stretch) float64 {
	var peak float64
	for _, x := range st {
		peak = max(peak, x.rate())
	}
	return peak
}

// spans says how long the stretches drawn as bars (or lines) are: all as
// long as the first, but the last, cut or lengthened by the end of the run.
func spans(st []stretch, noun string) string {
	first, last := st[0].To-st[0].From, st[len(st)-1].To-st[len(st)-1].From
	switch {
	case len(st) == 1:
		return "one " + noun + " covers the whole run, " + human.Duration(first)
	case first == last:
		return "each " + noun + " covers " + human.Duration(first)
	}
	return "each " + noun + " covers " + human.Duration(first) + ", the last " + human.Duration(last)
}

// textBar draws v out of most as a row of block characters, width at most.
func textBar(v, most float64, width int) string {
	if most <= 0 || v <= 0 {
		return ""
	}
	n := int(math.Round(v / most * float64(width)))
	return strings.Repeat("█", max(n, 1))
}
