package cli

import (
	"github.com/azotte/azvalidate/internal/console"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/live"
	"github.com/azotte/azvalidate/internal/metrics"
	"github.com/azotte/azvalidate/internal/report"
)

// liveRun is what a run shows while it runs: the --listen server and the
// --metrics-file rewritten every --progress-interval.
type liveRun struct {
	server   *live.Server
	progress atomic.Pointer[console.ProgressConfig] // the phase under way; nil: none yet
	stop     chan struct{}
	done     sync.WaitGroup
}

// settings are the run's effective settings, as the summary and the status
// page show them; never the key.
func (c *validateConfig) settings() report.Settings {
	return report.Settings{
		BaseURL: c.baseURL, Path: c.path, Tenant: c.tenant, Sandbox: c.sandbox,
		Concurrency: c.concurrency, Rate: c.rate, Burst: c.burst, Retries: c.retries,
		TimeoutSeconds: c.timeout.Seconds(), Only: c.only.String(),
		IDColumn: c.in.IDColumn, IDField: c.in.IDField, Trim: c.in.Trim,
		MaxCalls: c.budget.MaxCalls, DeadlineSeconds: c.budget.Deadline.Seconds(),
		Profile: c.profile, Config: c.configFile,
	}
}

// startLive starts the --listen server and the periodic metrics file, once
// the run is open; stopLive ends both before the summary.
func (v *validation) startLive() error {
	c, lv := v.c, &v.live
	lv.stop = make(chan struct{})
	name := v.in.Name() // the same files in a budgeted run's second pass
	if c.listen != "" {
		s, err := live.Start(c.listen, live.Config{
			Stats: v.stats, Start: v.start, Input: name, Settings: c.settings(),
			Rate: v.pacer.Rate, Pause: v.pacer.Pause, Progress: v.liveProgress, Now: v.env.now,
		})
		if err != nil {
			return usageError("--listen: %v", err)
		}
		lv.server = s
		if !c.quiet || strings.HasSuffix(c.listen, ":0") { // a chosen port is known only from this line
			v.log.Info("listening on http://"+s.Addr()+"/", "addr", s.Addr())
		}
	}
	if c.metricsFile != "" {
		lv.done.Go(func() {
			tick := time.NewTicker(c.progressInterval)
			defer tick.Stop()
			for {
				select {
				case <-lv.stop:
					return
				case <-tick.C:
					if err := metrics.WriteFile(c.metricsFile, metrics.Run{Summary: v.snapshot(name), Latency: &v.stats.Latency, Running: true}); err != nil {
						v.log.Warn("--metrics-file: "+err.Error(), "file", c.metricsFile)
					}
				}
			}
		})
	}
	return nil
}

// stopLive stops the periodic metrics file (the summary writes the last
// one) and the server: its port is closed when stopLive returns.
func (v *validation) stopLive() {
	lv := &v.live
	if lv.stop == nil {
		return
	}
	close(lv.stop)
	lv.done.Wait()
	if lv.server != nil {
		lv.server.Close()
	}
	lv.stop = nil
}

// snapshot is the summary of the run so far, from what is safe to read
// while it runs: the counters and the pacer.
func (v *validation) snapshot(name string) report.Summary {
	sum := report.Summary{
		Header: header("validate", v.start, v.env.now()),
		Output: v.c.output, Settings: v.c.settings(), MinRate: v.pacer.MinRate(),
	}
	sum.Input = report.InputInfo{Name: name}
	sum.Fill(v.stats)
	return sum
}

// liveProgress is how far the phase under way is, as the progress display
// counts it.
func (v *validation) liveProgress() live.Progress {
	pc := v.live.progress.Load()
	if pc == nil {
		return live.Progress{Count: v.stats.Rows.Load(), Unit: "rows"}
	}
	p := live.Progress{Count: v.stats.Rows.Load(), Unit: "rows", Total: pc.Total}
	if pc.Count != nil {
		p.Count, p.Unit = pc.Count(), pc.Unit
	}
	if pc.Bytes != nil {
		p.Done = pc.Bytes()
	}
	return p
}

// noteLive lets the status page list failed requests too.
func (v *validation) noteLive(observe func(azotte.Attempt)) func(azotte.Attempt) {
	if v.c.listen == "" {
		return observe
	}
	return func(a azotte.Attempt) {
		observe(a)
		if s := v.live.server; s != nil { // set before the first request
			s.NoteAttempt(a)
		}
	}
}

// recordFailure writes the metrics file of a run that failed before it
// started (exit code 2: flags, environment, files), so that an alert on the
// last run's exit code sees it; the last success is kept. c is what was
// read of the configuration; nothing is written when it names no metrics
// file, or one that is also another file of the run.
func recordFailure(c *validateConfig, env Env, start time.Time, err error) {
	code := codeOf(err, exitUsage)
	if c == nil || c.metricsFile == "" || code == exitOK {
		return
	}
	others := append(append(slices.Clone(c.files), c.state, c.output, c.changes, c.summary, c.split), c.reports...)
	for _, p := range others {
		if p != "" && p != "-" && samePath(p, c.metricsFile) {
			return
		}
	}
	sum := report.Summary{
		Header:   header("validate", start, env.now()),
		Output:   c.output,
		Settings: c.settings(),
		ExitCode: code,
		Error:    err.Error(),
	}
	if err := metrics.WriteFile(c.metricsFile, metrics.Run{Summary: sum}); err != nil {
		console.NewLogger(env.Stderr, c.logJSON).Error("--metrics-file: "+err.Error(), "file", c.metricsFile)
	}
}
