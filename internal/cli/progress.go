package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/azotte/azvalidate/internal/human"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

// ProgressConfig configures StartProgress.
type ProgressConfig struct {
	Out      io.Writer     // stderr
	Terminal bool          // Out is a terminal: draw a progress bar; else write log lines
	Total    int64         // input size in bytes, or -1 when unknown
	Bytes    func() int64  // bytes of input consumed so far; must be safe to call concurrently
	Interval time.Duration // log line period when not a terminal; default 10s
	Stats    *stats.Stats
	// Logger, when set, receives the progress lines written when Out is not
	// a terminal, as records with the message "progress" and the attributes
	// rows, percent (only when Total is known), rows_per_second, taken,
	// errors and api_calls, instead of the text lines. The bar is unchanged.
	Logger *slog.Logger
}

// describeEvery is how often the bar's counts are refreshed; the bar itself
// redraws at most every barThrottle.
const (
	describeEvery = 200 * time.Millisecond
	barThrottle   = 100 * time.Millisecond
)

// Progress reports a run's progress on stderr from one goroutine until Stop.
type Progress struct {
	cfg   ProgressConfig
	start time.Time
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// StartProgress starts reporting progress in a new goroutine.
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
	p := &Progress{
		cfg:   cfg,
		start: time.Now(),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if cfg.Terminal {
		go p.runBar()
	} else {
		go p.runLog()
	}
	return p
}

// Stop stops the reporting and clears the bar. Only the goroutine writes to
// Out, and Stop waits for it, so after Stop returns nothing more is written
// and the summary can follow. It is safe to call
// more than once and from any goroutine.
func (p *Progress) Stop() {
	p.once.Do(func() { close(p.stop) })
	<-p.done
}

func (p *Progress) runBar() {
	defer close(p.done)
	total := p.cfg.Total
	if total <= 0 {
		total = -1 // unknown (or empty): a spinner, since a bar needs a positive max
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.cfg.Out),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetDescription(p.describe()),
		progressbar.OptionThrottle(barThrottle),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(total > 0),
		// No spinner goroutine of the bar's own: in v3.19.1 it reads the
		// bar's state unlocked (a data race), and it would keep drawing
		// after Stop. The tick below animates the spinner instead.
		progressbar.OptionSetSpinnerChangeInterval(0),
	)
	tick := time.NewTicker(describeEvery)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			bar.Finish() // with ClearOnFinish, erases the bar
			return
		case <-tick.C:
			n := p.cfg.Bytes()
			if total > 0 {
				// Reading ends a window of rows before the answers do;
				// a full bar would clear itself while rows are still in flight.
				n = min(n, total-1)
			}
			bar.Set64(n)
			bar.Describe(p.describe())
		}
	}
}

// describe is the bar's text: "rows N · taken T · errors E · R rows/s", with
// R the average since the start (the bar's own ETA follows the bytes).
func (p *Progress) describe() string {
	s := p.cfg.Stats
	rows := s.Rows.Load()
	var rate float64
	if el := time.Since(p.start); el >= time.Second { // earlier, a rate is noise
		rate = float64(rows) / el.Seconds()
	}
	return fmt.Sprintf("rows %s · taken %s · errors %s · %s rows/s",
		human.Count(rows), human.Count(s.Verdict(verdict.Taken)), human.Count(s.Verdict(verdict.Error)), human.Count(int64(rate)))
}

func (p *Progress) runLog() {
	defer close(p.done)
	tick := time.NewTicker(p.cfg.Interval)
	defer tick.Stop()
	lastRows, lastTime := int64(0), p.start
	for {
		select {
		case <-p.stop:
			return
		case now := <-tick.C:
			rows := p.cfg.Stats.Rows.Load()
			// The rate over the last period, not since the start: a log
			// reader wants to see a slowdown (throttling) when it happens.
			rate := float64(rows-lastRows) / max(now.Sub(lastTime).Seconds(), 1e-9)
			lastRows, lastTime = rows, now
			if p.cfg.Logger != nil {
				p.log(rows, rate)
			} else {
				io.WriteString(p.cfg.Out, p.logLine(rows, rate))
			}
		}
	}
}

// percent is the share of the input consumed, or -1 when its size is unknown.
func (p *Progress) percent() int64 {
	if p.cfg.Total <= 0 {
		return -1
	}
	return min(p.cfg.Bytes()*100/p.cfg.Total, 100)
}

// logLine is one progress line for a log, e.g. "azvalidate: 12,345 rows (45%)
// · 1,234 rows/s · taken 12 · errors 0 · api calls 1,000".
func (p *Progress) logLine(rows int64, rate float64) string {
	pct := ""
	if n := p.percent(); n >= 0 {
		pct = fmt.Sprintf(" (%d%%)", n)
	}
	s := p.cfg.Stats
	return fmt.Sprintf("azvalidate: %s rows%s · %s rows/s · taken %s · errors %s · api calls %s\n",
		human.Count(rows), pct, human.Count(int64(rate)), human.Count(s.Verdict(verdict.Taken)),
		human.Count(s.Verdict(verdict.Error)), human.Count(s.Calls.Load()))
}

// log is logLine as a structured record for Config.Logger.
func (p *Progress) log(rows int64, rate float64) {
	s := p.cfg.Stats
	attrs := make([]slog.Attr, 0, 6)
	attrs = append(attrs, slog.Int64("rows", rows))
	if n := p.percent(); n >= 0 {
		attrs = append(attrs, slog.Int64("percent", n))
	}
	attrs = append(attrs,
		slog.Float64("rows_per_second", math.Round(rate*10)/10),
		slog.Int64("taken", s.Verdict(verdict.Taken)),
		slog.Int64("errors", s.Verdict(verdict.Error)),
		slog.Int64("api_calls", s.Calls.Load()),
	)
	p.cfg.Logger.LogAttrs(context.Background(), slog.LevelInfo, "progress", attrs...)
}
