package cli

import (
	"context"
	"fmt"
	"github.com/azotte/azvalidate/internal/console"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/metrics"
	"github.com/azotte/azvalidate/internal/near"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/owners"
	"github.com/azotte/azvalidate/internal/pace"
	"github.com/azotte/azvalidate/internal/pipeline"
	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/spill"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/survey"
	"github.com/azotte/azvalidate/internal/unique"
	"github.com/azotte/azvalidate/internal/verdict"
)

// validation is one validate run. It owns the run's parts from open to
// close (input, endpoint, client, journal, outputs, counters) and builds the
// summary from them.
type validation struct {
	c        *validateConfig
	env      Env
	log      *slog.Logger
	stderr   io.Writer // shared by the log and the progress display
	terminal bool      // stderr is a terminal
	start    time.Time
	mem      spill.Memory // a table's share of --memory-limit

	in      *input.Files
	spool   *os.File        // stdin as read, for a budgeted run's second pass
	counts  []survey.Counts // with several inputs: each one's rows and verdicts
	stats   *stats.Stats
	pacer   *pace.Adaptive
	client  *azotte.Client
	journal *journal.Journal
	outs    *outputs
	near    *near.Detector
	unique  *unique.Checker // --unique-columns; nil: off
	audit   *report.Audit
	closers []func() // run by close, last first

	email      func(input.Row) (string, bool) // --owners: a row's email; nil when the export has none
	owners     *report.OwnerCounts            // --owners: taken ids by who holds them; nil otherwise
	ownerAsker *owners.Asker                  // --owners: finds them; nil otherwise

	stateNow time.Time          // the now of the journal's freshness
	asked    *pipeline.Asked    // a budgeted run's answers; nil otherwise
	idsToAsk int                // a budgeted run: the ids its budget allows
	live     liveRun            // --listen and the periodic --metrics-file
	paused   *azotte.PauseError // what ended the asking early; nil: it did not
}

// runValidate runs the validation c, checked, that started at start.
func runValidate(ctx context.Context, c *validateConfig, env Env, start time.Time) error {
	v := &validation{c: c, env: env, terminal: console.IsTerminal(env.Stderr), start: start, stats: new(stats.Stats)}
	// Progress, verbose logs and messages may write at the same time.
	v.stderr = &console.LockedWriter{W: env.Stderr}
	v.log = console.NewLogger(v.stderr, c.logJSON)
	for _, w := range c.warnings {
		v.log.Warn(w)
	}
	defer v.close()
	if err := v.open(ctx); err != nil {
		recordFailure(c, env, start, err)
		return err
	}
	if err := v.startLive(); err != nil {
		recordFailure(c, env, start, err)
		return err
	}
	code, runErr := v.run(ctx)
	v.stopLive()
	return v.finish(ctx, code, runErr)
}

// open opens, in order, everything a run needs; any failure is reported
// before the first call.
func (v *validation) open(ctx context.Context) error {
	c := v.c
	if err := checkPaths(c); err != nil {
		return err
	}
	stdin := v.env.Stdin
	if c.budget.Set() && slices.Contains(c.files, "-") {
		r, f, err := spool(stdin)
		if err != nil {
			return err
		}
		stdin, v.spool = r, f
		v.closers = append(v.closers, func() { f.Close(); os.Remove(f.Name()) })
	}
	in, err := openInputs(c.files, stdin, c.in)
	if err != nil {
		return err
	}
	v.in = in
	v.closers = append(v.closers, func() { in.Close() })
	out := c.outputFormat
	if out == input.Unknown {
		out = outputFormat(c.output, in.Format().Output())
	}
	if err := in.Check(out, c.outputFormat != input.Unknown); err != nil {
		return err
	}
	if diff := in.ShapeDiff(); diff != "" && (c.uniqueColumns != nil || c.owners) {
		return usageError("--unique-columns and --owners read columns by the first input's header: %s", diff)
	}
	mem, stop := c.mem.start(c.output, c.tables(), v.env.TableShare)
	v.mem = mem
	v.closers = append(v.closers, func() {
		if err := mem.Store.Err(); err != nil {
			v.log.Warn(err.Error() + "; the run held the rest in memory, past --memory-limit")
		}
		if err := stop(); err != nil {
			v.log.Warn("remove the temporary folder", "err", err)
		}
	})
	if c.uniqueColumns != nil {
		if v.unique, err = unique.NewChecker(c.uniqueColumns, in.Format().Output(), in.Header(), mem); err != nil {
			return usageError("--unique-columns: %v", err)
		}
	}

	if c.sandbox {
		url, stop, err := startSandbox(ctx, &c.conn)
		if err != nil {
			return err
		}
		v.closers = append(v.closers, stop)
		c.baseURL = url
	}
	// No pause is sat through past the --deadline (on the real clock:
	// the pacer's).
	var until time.Time
	if c.budget.Deadline > 0 {
		until = time.Now().Add(c.budget.Deadline)
	}
	v.pacer = c.pacer(v.env, until)
	v.client, err = c.client(v.env, v.pacer, v.noteLive(v.observer()))
	if err != nil {
		return err
	}
	// Closed before the sandbox stops: closers run last first.
	v.closers = append(v.closers, v.client.CloseIdleConnections)

	if c.state != "" {
		v.stateNow = v.env.now()
		j, err := journal.Within(shares(v.mem, 2)).Open(c.state, c.journalEndpoint(), c.stateMaxAge, v.stateNow)
		if err != nil {
			return fmt.Errorf("--state: %w", err)
		}
		v.journal = j
		v.closers = append(v.closers, func() {
			if err := j.Close(); err != nil {
				v.log.Error("state journal", "err", err)
			}
		})
		for _, w := range j.Warnings() {
			v.log.Warn(w, "state", c.state)
		}
	}

	if c.owners {
		if v.email, err = emailOf(c, in.File(0).Name, in.Reader(0)); err != nil {
			return err
		}
		if v.email == nil {
			v.log.Warn("--owners: the input has no " + defaultEmailColumn + " column (see --email-column): sameEmail stays empty")
		}
		v.owners = new(report.OwnerCounts)
	}
	v.outs, err = openOutputs(c, in, v.env.Stdout, v.log)
	if err != nil {
		return err
	}
	if c.nearDuplicates {
		v.near = near.NewDetector(v.mem)
	}
	if len(c.reports) > 0 {
		acfg := report.AuditConfig{Latency: &v.stats.Latency}
		if in.Len() > 1 {
			// v.in, not in: a budgeted run's second pass reads anew.
			acfg.Ref = func(seq int64) string { return v.in.Ref(seq) }
		}
		v.audit = report.NewAudit(acfg)
	}
	return nil
}

// run validates every row and commits or keeps the outputs; it returns the
// exit code and the fatal error, if any.
func (v *validation) run(ctx context.Context) (int, error) {
	c := v.c
	pcfg := pipeline.Config{Concurrency: c.concurrency, Stats: v.stats, AnsweredAt: c.answeredAt, Memory: v.mem}
	if v.journal != nil {
		pcfg.Journal = stateJournal{v.journal, v.env.now}
	}
	if v.near != nil {
		pcfg.Near = v.near // only when on: a nil *Detector in the interface would not be nil
	}
	if v.unique != nil {
		pcfg.Unique = v.unique
	}
	if v.audit != nil {
		pcfg.Observe = v.audit.Observe
	}
	if v.in.Len() > 1 {
		pcfg.Observe = v.countPerFile(pcfg.Observe)
	}
	if c.owners {
		var j owners.Journal
		if v.journal != nil {
			j = v.journal
		}
		v.ownerAsker = owners.New(v.client, j, v.email)
		pcfg.Extra = v.ownerAsker
		pcfg.Observe = countOwners(v.owners, pcfg.Observe)
	}
	var runErr error
	if c.budget.Set() {
		runErr = v.runBudgeted(ctx, pcfg)
	} else {
		progress := v.startProgress(console.ProgressConfig{Total: v.in.Size(), Bytes: decidedBytes(v.in, v.stats)})
		runErr = pipeline.Run(ctx, pcfg, v.in, v.client, v.outs.rows)
		progress.Stop()
	}
	if err := v.outs.flush(); err != nil && runErr == nil {
		runErr = err
	}
	code, runErr := v.outcome(ctx, runErr)
	if v.paused = pauseOf(runErr); v.paused != nil {
		runErr = nil // every row is written: the outputs are complete
	}
	// A workbook's Summary sheet holds the summary as it stands now; only a
	// failure to write the outputs could change it after.
	facts := func() []output.Fact { return v.summary(ctx, code, runErr).Facts() }
	if err := v.outs.finish(runErr, v.stats.Rows.Load() > 0, v.log, facts); err != nil && runErr == nil {
		runErr, code = err, exitUsage
	}
	return code, runErr
}

// startProgress shows the progress pc describes (what progresses and its
// total) until Stop; with --quiet it shows nothing.
func (v *validation) startProgress(pc console.ProgressConfig) *console.Progress {
	v.live.progress.Store(&console.ProgressConfig{Total: pc.Total, Bytes: pc.Bytes, Count: pc.Count, Unit: pc.Unit})
	if v.c.quiet {
		return nil
	}
	pc.Out, pc.Terminal, pc.Width = v.stderr, v.terminal, console.TerminalWidth(v.env.Stderr)
	pc.Name, pc.Interval, pc.Stats, pc.Pause = v.in.Name(), v.c.progressInterval, v.stats, v.pacer.Pause
	if v.c.logJSON {
		pc.Logger = v.log // text: the progress's own lines, which carry the time
	}
	return console.StartProgress(pc)
}

// outcome is the exit code: how the run stopped, else its verdicts.
func (v *validation) outcome(ctx context.Context, runErr error) (int, error) {
	if code, err, ok := stopCode(ctx, runErr); !ok {
		return code, err
	}
	s := v.stats
	switch {
	case s.Verdict(verdict.Error) > 0:
		return exitRowErrors, nil
	case s.Verdict(verdict.Taken)+s.Verdict(verdict.Duplicate)+s.Verdict(verdict.Invalid)+s.Verdict(verdict.Unchecked) > 0:
		return exitFindings, nil
	}
	return exitOK, nil
}

// finish writes the summary (stderr and side files) and returns the
// command's error, carrying its exit code.
func (v *validation) finish(ctx context.Context, code int, runErr error) error {
	if code == exitUsage && runErr != nil && v.stats.Rows.Load() == 0 {
		// Refused before any row (the first request found the endpoint
		// unusable): a setting to fix, said alone, as the flags' errors are.
		v.log.Error(runErr.Error())
		return exitError{code: code}
	}
	sum := v.summary(ctx, code, runErr)
	switch {
	case v.c.quiet: // errors only; the side files below are still written
	case v.c.logJSON:
		v.log.Info("summary", "summary", sum)
	default:
		sum.WriteText(v.stderr)
	}
	if !v.writeSideFiles(sum) {
		code = sideFileFailed(code)
	}
	if code == exitOK {
		return nil
	}
	if p := v.paused; p != nil {
		msg := "stopped asking: " + p.Error() + "; every row is written"
		if v.c.state != "" {
			msg += "; re-run with the same --state after " + p.Resume.UTC().Format(time.RFC3339) + " to go on"
		}
		v.log.Warn(msg)
	}
	if runErr != nil {
		// Said through the logger, so that --log-format json stays JSON.
		msg := runErr.Error()
		if resumable(ctx, runErr) && v.c.state != "" {
			msg += "; re-run with the same --state to resume"
		}
		v.log.Error(msg)
	}
	return exitError{code: code}
}

// summary is the run's summary once it has ended with code and runErr.
func (v *validation) summary(ctx context.Context, code int, runErr error) report.Summary {
	c := v.c
	sum := report.Summary{
		Header:      header("validate", v.start, v.env.now()),
		Output:      c.output,
		Settings:    c.settings(),
		Interrupted: ctx.Err() != nil,
		ExitCode:    code,
		MinRate:     v.pacer.MinRate(),
	}
	sum.Input = report.InputInfo{Name: v.in.Name(), Format: v.in.FormatName(), Bytes: v.in.BytesRead()}
	if runErr == nil && v.in.Len() == 1 {
		sum.Input.SHA256 = v.in.File(0).SHA256()
	}
	if runErr != nil {
		sum.Error = runErr.Error()
	}
	if p := v.paused; p != nil {
		resume := p.Resume.UTC().Truncate(time.Second)
		sum.Stopped, sum.ResumeAfter = p.Error(), &resume
	}
	sum.PausedSeconds = v.pacer.Paused().Seconds()
	sum.Fill(v.stats)
	sum.BlankLines = v.in.BlankLines()
	if n := v.in.Size(); n >= 0 {
		sum.Input.Bytes = n // not the bytes read: an interrupted run stops short
	}
	sum.Files = fileInfos(v.in, v.counts, runErr == nil, verdict.All)
	if n, ok := v.outs.rowsKept(); ok {
		sum.Rows = n // what FILE.partial holds
	}
	if v.near != nil {
		st := v.near.Stats()
		sum.NearDuplicates = &st
	}
	sum.Owners = v.owners
	if v.unique != nil {
		st := v.unique.Stats()
		sum.UniqueCollisions = &st
	}
	return sum
}

// writeSideFiles writes the summary's other forms: JSON, audit report,
// metrics. It reports whether all of them were written.
func (v *validation) writeSideFiles(sum report.Summary) bool {
	ok := true
	write := func(flag, path string, write func() error) {
		if path == "" {
			return
		}
		if err := write(); err != nil {
			v.log.Error(flag+": "+err.Error(), "file", path)
			ok = false
		}
	}
	write("--summary", v.c.summary, func() error { return report.WriteJSONFile(v.c.summary, sum) })
	for _, r := range v.c.reports {
		write("--report", r, func() error { return report.WriteReportFile(r, sum, v.audit) })
	}
	write("--metrics-file", v.c.metricsFile, func() error {
		return metrics.WriteFile(v.c.metricsFile, metrics.Run{Summary: sum, Latency: &v.stats.Latency})
	})
	return ok
}

// close releases what open acquired, last first.
func (v *validation) close() {
	for i := len(v.closers) - 1; i >= 0; i-- {
		v.closers[i]()
	}
}

// observer counts every attempt and, with --verbose, logs it. The key is
// never part of the line: it is shown as [redacted].
func (v *validation) observer() func(azotte.Attempt) {
	c, s := v.c, v.stats
	if !c.verbose {
		return s.ObserveAttempt
	}
	url := strings.TrimSuffix(c.baseURL, "/") + c.path
	infoPath, _ := azotte.InfoPath(c.path)
	infoURL := strings.TrimSuffix(c.baseURL, "/") + infoPath
	return func(a azotte.Attempt) {
		s.ObserveAttempt(a)
		u := url
		if a.Info {
			u = infoURL
		}
		attrs := []any{"url", u, "x-tn", c.tenant, "x-api-key", "[redacted]", "externalId", a.ID,
			"try", a.Try, "status", a.Status, "latency_ms", float64(a.Latency.Microseconds()) / 1000, "retry", a.Retry}
		if a.Err != nil {
			attrs = append(attrs, "err", a.Err.Error())
		}
		v.log.Info("request", attrs...)
	}
}
