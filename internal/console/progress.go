// Package console is what a run shows on stderr: the progress (one status
// line redrawn in place on a terminal, else a log line every interval) and
// the log lines of the text format, which share stderr through a
// LockedWriter.
package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/azotte/azvalidate/internal/human"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

// ProgressConfig configures StartProgress.
type ProgressConfig struct {
	Out      io.Writer     // stderr
	Terminal bool          // Out is a terminal: redraw one status line; else write log lines
	Width    func() int    // the terminal's columns, asked at each redraw (resizes); nil: 80
	Name     string        // input name for the start line; "-" is stdin
	Total    int64         // input size in bytes, or -1 when unknown
	Bytes    func() int64  // bytes of input consumed so far; must be safe to call concurrently
	Interval time.Duration // log line period when not a terminal; default 10s
	Stats    *stats.Stats
	// Count and Unit say what progresses: rows decided (Stats.Rows, "rows")
	// unless set, e.g. a budgeted run's ids asked ("ids").
	Count func() int64
	Unit  string
	// Pause says why requests are held, while Azotte asked to wait
	// ("paused 14 s: Azotte answered 429 Retry-After 15"), shown in place
	// of the ETA; nil or "": not paused.
	Pause func() string
	// Start is the start line's text after "started: "; default "input
	// NAME (SIZE)".
	Start string
	// Logger, when set, receives the log lines written when Out is not a
	// terminal as records instead of text lines: "started" with input and
	// bytes (when known) at once, then "progress" every Interval with rows,
	// percent and eta_seconds (when the size is known), rows_per_second,
	// taken, errors and api_calls. The status line is unchanged.
	Logger *slog.Logger
}

// redrawEvery is the status line's period on a terminal.
const redrawEvery = 200 * time.Millisecond

// Progress reports a run's progress on stderr from one goroutine until Stop.
type Progress struct {
	cfg   ProgressConfig
	start time.Time
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// StartProgress starts reporting progress in a new goroutine. The first
// line is written right away, not after a period.
func StartProgress(cfg ProgressConfig) *Progress {
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	if cfg.Bytes == nil {
		cfg.Bytes = func() int64 { return 0 }
	}
	if cfg.Stats == nil {
		cfg.Stats = new(stats.Stats)
	}
	if cfg.Width == nil {
		cfg.Width = func() int { return 80 }
	}
	if cfg.Count == nil {
		cfg.Count, cfg.Unit = cfg.Stats.Rows.Load, "rows"
	}
	p := &Progress{
		cfg:   cfg,
		start: time.Now(),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if cfg.Terminal {
		go p.runLine()
	} else {
		go p.runLog()
	}
	return p
}

// Stop stops the reporting and clears the status line. Only the goroutine
// writes to Out, and Stop waits for it, so after Stop returns nothing more is
// written and the summary can follow. It is safe to call more than once and
// from any goroutine.
func (p *Progress) Stop() {
	if p == nil {
		return // --quiet: none was started
	}
	p.once.Do(func() { close(p.stop) })
	<-p.done
}

// IsTerminal reports whether v (stdin, stderr) is a terminal.
func IsTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// TerminalWidth returns a function reading the columns of the terminal w
// is, falling back to 80 when w is not one.
func TerminalWidth(w io.Writer) func() int {
	f, ok := w.(*os.File)
	return func() int {
		if ok {
			if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
				return cols
			}
		}
		return 80
	}
}

// runLine redraws one status line in place: "\r", the line, then erase to
// the end of the line. The line is always shorter than the terminal, so it
// never wraps and "\r" always returns to its start.
func (p *Progress) runLine() {
	defer close(p.done)
	bar := &barRenderer{total: p.cfg.Total}
	tick := time.NewTicker(redrawEvery)
	defer tick.Stop()
	for {
		line := fitLine(p.cfg.Width(), p.parts(), bar.render)
		io.WriteString(p.cfg.Out, "\r"+line+"\x1b[K")
		select {
		case <-p.stop:
			io.WriteString(p.cfg.Out, "\r\x1b[K")
			return
		case <-tick.C:
		}
	}
}

// lineParts are the pieces of the status line, already formatted.
type lineParts struct {
	rows    string  // "1,234 rows"
	percent string  // "45%", or "" when the size is unknown
	rate    string  // "123 rows/s"
	eta     string  // "ETA 2 min 5 s", or "" when unknown; while paused, "paused 14 s: ..."
	counts  string  // "taken 3 · errors 0"
	done    float64 // share of the input done, in [0,1), or -1 when unknown
}

// parts reads the run's counters into the status line's pieces.
func (p *Progress) parts() lineParts {
	s := p.cfg.Stats
	rows := p.cfg.Count()
	el := time.Since(p.start)
	var rate float64
	if el >= time.Second { // earlier, a rate is noise
		rate = float64(rows) / el.Seconds()
	}
	lp := lineParts{
		rows:   human.Count(rows) + " " + p.unit(rows),
		rate:   human.Rate(rate) + " " + p.cfg.Unit + "/s",
		counts: "taken " + human.Count(s.Verdict(verdict.Taken)) + " · errors " + human.Count(s.Verdict(verdict.Error)),
		done:   -1,
	}
	if n, total := p.cfg.Bytes(), p.cfg.Total; total > 0 {
		// Reading ends a window of rows before the answers do: never show
		// 100% while rows are still in flight.
		n = min(n, total-1)
		lp.done = float64(n) / float64(total)
		lp.percent = fmt.Sprintf("%d%%", n*100/total)
		if eta, ok := p.eta(); ok {
			lp.eta = "ETA " + human.Span(eta)
		}
	}
	if pause := p.pause(); pause != "" {
		lp.eta = pause
	}
	return lp
}

// unit is what progresses, for n of it: "1 row", "2 rows".
func (p *Progress) unit(n int64) string {
	if n == 1 {
		return strings.TrimSuffix(p.cfg.Unit, "s")
	}
	return p.cfg.Unit
}

// pause is Config.Pause's text, "" when not paused.
func (p *Progress) pause() string {
	if p.cfg.Pause == nil {
		return ""
	}
	return p.cfg.Pause()
}

// eta is the time left, from the bytes decided since the start.
func (p *Progress) eta() (time.Duration, bool) {
	n, total := p.cfg.Bytes(), p.cfg.Total
	el := time.Since(p.start)
	if total <= 0 || n <= 0 || el < time.Second {
		return 0, false
	}
	return time.Duration(float64(el) * float64(max(total-n, 0)) / float64(n)), true
}

// Bar widths: below minBarCells the bar says nothing; above maxBarCells it
// only takes room.
const (
	minBarCells = 10
	maxBarCells = 40
)

// fitLine composes the status line for a terminal of width columns: at most
// width-1 of them, so that it never wraps (the last column would move the
// cursor to a new line on some terminals). When everything does not fit it
// drops the counts, then the ETA, then the bar, then the rate and the
// percentage, and at last cuts the row count. A pause in the ETA's place
// goes before the bar: its reason, then its length, go last but one. bar(cols) renders the bar in at
// most cols columns, or returns "" when it cannot.
func fitLine(width int, lp lineParts, bar func(cols int, done float64) string) string {
	room := width - 1
	if room <= 0 {
		return ""
	}
	core := lp.rows + " · " + lp.rate
	tails := []string{joinParts(lp.eta, lp.counts), lp.eta, ""}
	// A pause matters more than the bar, and keeps its length when its
	// reason does not fit.
	short, _, paused := strings.Cut(lp.eta, ": ")
	if paused {
		tails[2] = short
	}
	for i, tail := range tails {
		text := joinParts(core, tail)
		n := utf8.RuneCountInString(text)
		if cols := room - n - 1; cols > 0 { // a space after the bar
			if b := bar(cols, lp.done); b != "" && utf8.RuneCountInString(b) <= cols {
				return b + " " + text
			}
		}
		if paused && i > 0 && n <= room {
			return text
		}
	}
	rows := lp.rows
	if lp.percent != "" {
		rows += " (" + lp.percent + ")"
	}
	fallbacks := []string{rows + " · " + lp.rate, rows, lp.rows}
	if paused {
		fallbacks = append([]string{rows + " · " + short, lp.rows + " · " + short}, fallbacks...)
	}
	for _, text := range fallbacks {
		if utf8.RuneCountInString(text) <= room {
			return text
		}
	}
	r := []rune(lp.rows)
	return string(r[:room])
}

// joinParts joins the non-empty parts with " · ".
func joinParts(parts ...string) string {
	var nonEmpty []string
	for _, s := range parts {
		if s != "" {
			nonEmpty = append(nonEmpty, s)
		}
	}
	return strings.Join(nonEmpty, " · ")
}

// barRenderer draws the bar with progressbar, into no writer: the status
// line around it is composed by fitLine, which the library cannot be made to
// keep on one line (its description and statistics do not shrink, and it
// clears by writing as many spaces as its widest line, which wraps after the
// terminal narrows). A bar of a new width is a new progressbar.
type barRenderer struct {
	total int64 // -1 or 0: unknown, a spinner
	cells int
	bar   *progressbar.ProgressBar
}

// render is the bar ("45% |█████     |") in at most cols columns for the
// share done, or a spinner when the size is unknown; "" when it does not fit.
func (b *barRenderer) render(cols int, done float64) string {
	const frame = 7 // "100% |" and "|"
	cells := min(cols-frame, maxBarCells)
	if b.total <= 0 {
		cells = 1 // a spinner's width does not depend on it
	} else if cells < minBarCells {
		return ""
	}
	if b.bar == nil || cells != b.cells {
		steps := int64(-1) // the library's "unknown": a spinner
		if b.total > 0 {
			steps = 1000
		}
		b.cells = cells
		b.bar = progressbar.NewOptions64(steps,
			progressbar.OptionSetWriter(io.Discard),
			progressbar.OptionSetWidth(cells),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(false),
			// No spinner goroutine of the bar's own: in v3.19.1 it reads
			// the bar's state unlocked (a data race). Each render below
			// turns the spinner instead.
			progressbar.OptionSetSpinnerChangeInterval(0),
		)
	}
	if done >= 0 {
		b.bar.Set64(int64(done * 1000))
	}
	b.bar.RenderBlank() // renders even when the share has not changed
	s := strings.TrimSpace(strings.TrimPrefix(b.bar.String(), "\r"))
	if utf8.RuneCountInString(s) > cols {
		return ""
	}
	return s
}

func (p *Progress) runLog() {
	defer close(p.done)
	p.logStart()
	tick := time.NewTicker(p.cfg.Interval)
	defer tick.Stop()
	lastRows, lastTime := int64(0), p.start
	for {
		select {
		case <-p.stop:
			return
		case now := <-tick.C:
			rows := p.cfg.Count()
			// The rate over the last period, not since the start: a log
			// reader wants to see a slowdown (throttling) when it happens.
			rate := float64(rows-lastRows) / max(now.Sub(lastTime).Seconds(), 1e-9)
			lastRows, lastTime = rows, now
			if p.cfg.Logger != nil {
				p.log(rows, rate)
			} else {
				io.WriteString(p.cfg.Out, p.logLine(now, rows, rate))
			}
		}
	}
}

// inputName is the input as the start line names it.
func (p *Progress) inputName() string {
	if p.cfg.Name == "" || p.cfg.Name == "-" {
		return "stdin"
	}
	return p.cfg.Name
}

// logStart writes the first log line, at once: a cron log then shows the run
// began even when the first period has not passed.
func (p *Progress) logStart() {
	if p.cfg.Logger != nil {
		attrs := []slog.Attr{slog.String("input", p.inputName())}
		if p.cfg.Start != "" {
			attrs = append(attrs, slog.String("what", p.cfg.Start))
		}
		if p.cfg.Total >= 0 {
			attrs = append(attrs, slog.Int64("bytes", p.cfg.Total))
		}
		p.cfg.Logger.LogAttrs(context.Background(), slog.LevelInfo, "started", attrs...)
		return
	}
	what := p.cfg.Start
	if what == "" {
		size := "size unknown"
		if p.cfg.Total >= 0 {
			size = human.Bytes(p.cfg.Total)
		}
		what = "input " + p.inputName() + " (" + size + ")"
	}
	fmt.Fprintf(p.cfg.Out, "azvalidate: %s started: %s\n", p.start.Format(time.TimeOnly), what)
}

// percent is the share of the input decided, or -1 when its size is
// unknown; below 100 until the run ends, as on the status line.
func (p *Progress) percent() int64 {
	if p.cfg.Total <= 0 {
		return -1
	}
	return min(p.cfg.Bytes(), p.cfg.Total-1) * 100 / p.cfg.Total
}

// logLine is one progress line for a log, e.g. "azvalidate: 14:03:05
// progress: 12,345 rows (45%) · 1,234 rows/s · ETA 2 min 5 s · taken 12 ·
// errors 0 · api calls 1,000".
func (p *Progress) logLine(now time.Time, rows int64, rate float64) string {
	pct := ""
	if n := p.percent(); n >= 0 {
		pct = fmt.Sprintf(" (%d%%)", n)
	}
	eta := ""
	if d, ok := p.eta(); ok {
		eta = " · ETA " + human.Span(d)
	}
	if pause := p.pause(); pause != "" {
		eta = " · " + pause
	}
	s := p.cfg.Stats
	return fmt.Sprintf("azvalidate: %s progress: %s %s%s · %s %s/s%s · taken %s · errors %s · api calls %s\n",
		now.Format(time.TimeOnly), human.Count(rows), p.unit(rows), pct, human.Rate(rate), p.cfg.Unit, eta,
		human.Count(s.Verdict(verdict.Taken)), human.Count(s.Verdict(verdict.Error)), human.Count(s.Calls.Load()))
}

// log is logLine as a structured record for Config.Logger (which adds the
// time).
func (p *Progress) log(rows int64, rate float64) {
	s := p.cfg.Stats
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs, slog.Int64(p.cfg.Unit, rows))
	if n := p.percent(); n >= 0 {
		attrs = append(attrs, slog.Int64("percent", n))
	}
	attrs = append(attrs, slog.Float64(p.cfg.Unit+"_per_second", math.Round(rate*10)/10))
	if d, ok := p.eta(); ok {
		attrs = append(attrs, slog.Int64("eta_seconds", int64(math.Round(d.Seconds()))))
	}
	if pause := p.pause(); pause != "" {
		attrs = append(attrs, slog.String("paused", pause))
	}
	attrs = append(attrs,
		slog.Int64("taken", s.Verdict(verdict.Taken)),
		slog.Int64("errors", s.Verdict(verdict.Error)),
		slog.Int64("api_calls", s.Calls.Load()),
	)
	p.cfg.Logger.LogAttrs(context.Background(), slog.LevelInfo, "progress", attrs...)
}
