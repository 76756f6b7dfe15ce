package cli

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/near"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/pace"
	"github.com/azotte/azvalidate/internal/pipeline"
	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/verdict"
)

const validateSynopsis = `
Usage: azvalidate validate [flags] [FILE|-]

Reads a CSV, TSV or NDJSON export (optionally .gz; stdin when FILE is - or
absent), asks Azotte about every distinct ExternalId once, and writes every row
back in input order with isAvailable, messageCode, verdict, duplicateOf and
detail added (and similarTo, similarKind with --near-duplicates). A summary
goes to stderr.

Credentials come from the environment (AZOTTE_BASE_URL, AZOTTE_TENANT,
AZOTTE_API_KEY) or from flags; the key only from AZOTTE_API_KEY or
--api-key-file, never from a flag. --sandbox needs none of them.

Exit codes: 0 every row available; 1 taken, duplicate or invalid rows;
3 some rows got no answer (error); 2 usage, configuration or credentials;
130/143 interrupted (rows done so far are kept).`

const validateExamples = `  # try it: the embedded sandbox, nothing to configure
  azvalidate validate --sandbox --sandbox-taken testdata/taken.txt testdata/customers.csv

  # a real tenant; only the problem rows, into a file, with a JSON summary
  export AZOTTE_BASE_URL=https://acme.sandbox.azotte.com AZOTTE_TENANT=e2a1c7b2-4f3a-4b8e-9c2d-1a2b3c4d5e6f
  export AZOTTE_API_KEY=...   # or --api-key-file key.txt
  azvalidate validate crm.csv.gz -o problems.csv --only taken,duplicate,error --summary run.json

  # NDJSON with a nested id, from a pipe
  zcat export.ndjson.gz | azvalidate validate --sandbox --id-field customer.externalId - > out.ndjson
`

// tuning holds settings that only tests change: retries and Retry-After
// pauses at real scale would make fault drills take minutes. Zero values are
// the azotte and pace defaults.
var tuning struct {
	backoffBase, backoffMax, maxPause time.Duration
}

// validateConfig is everything validate needs, checked before any work.
type validateConfig struct {
	file string // "-" for stdin

	baseURL, path, tenant, apiKey string
	allowInsecure                 bool
	sandbox                       bool
	sandboxTaken                  string

	in input.Config

	output, columnPrefix string
	excelSafe            bool
	nearDuplicates       bool
	outputFormat         input.Format
	only                 verdict.Set

	concurrency, burst, retries int
	rate                        float64
	timeout                     time.Duration

	state       string
	stateMaxAge time.Duration
	changes     string

	progressInterval time.Duration
	quiet            bool
	verbose          bool
	logJSON          bool
	summary          string
	report           string // --report FILE (.html or .md)
	metricsFile      string
	split            string // --split DIR

	warnings []string // found while checking the flags, logged once logging is set up
}

func parseValidate(args []string, stderr io.Writer) (*validateConfig, error) {
	c := &validateConfig{}
	fs := newFlagSet("validate", validateSynopsis, validateExamples, stderr)
	var outFormat, only, apiKeyFile string
	fs.StringVar(&c.baseURL, "base-url", os.Getenv("AZOTTE_BASE_URL"), "Azotte base `URL`, e.g. https://acme.sandbox.azotte.com (env AZOTTE_BASE_URL)")
	fs.StringVar(&c.path, "path", azotte.DefaultPath, "validate endpoint `path`")
	fs.StringVar(&c.tenant, "tenant", os.Getenv("AZOTTE_TENANT"), "tenant `ID`, sent as x-tn (env AZOTTE_TENANT)")
	fs.StringVar(&apiKeyFile, "api-key-file", "", "read the API key from `FILE` (default: env AZOTTE_API_KEY)")
	fs.BoolVar(&c.allowInsecure, "allow-insecure-http", false, "allow plain http:// to a host that is not loopback")
	fs.BoolVar(&c.sandbox, "sandbox", false, "validate against an embedded sandbox on a free loopback port (no credentials needed)")
	fs.StringVar(&c.sandboxTaken, "sandbox-taken", "", "`FILE` of ids the embedded sandbox reports as taken, one per line")

	in := addInputFlags(fs, &c.in)

	fs.StringVar(&c.output, "output", "-", "write rows to `FILE`, complete or not at all (- is stdout)")
	fs.StringVar(&c.output, "o", "-", "same as --output")
	fs.StringVar(&outFormat, "output-format", "", "output format csv|tsv|ndjson (default: the input's)")
	fs.StringVar(&only, "only", "", "write only rows of these verdicts, e.g. taken,duplicate,error (the summary counts all)")
	fs.BoolVar(&c.excelSafe, "excel-safe", false, "CSV/TSV output: prefix cells starting with = + - @ tab or CR with ' so spreadsheets do not run them as formulas")
	fs.StringVar(&c.columnPrefix, "column-prefix", "", "prefix for the added columns, e.g. azotte_")
	fs.BoolVar(&c.nearDuplicates, "near-duplicates", false, "mark rows whose id equals an earlier distinct id up to case, white space, Unicode form or zero-width characters (columns similarTo, similarKind); verdicts do not change")

	fs.IntVar(&c.concurrency, "concurrency", 16, "requests in flight at most")
	fs.Float64Var(&c.rate, "rate", 8, "requests per second at most, 0 = no limit; 8 is Azotte's 500/min (--sandbox alone: unlimited)")
	fs.IntVar(&c.burst, "burst", 8, "requests allowed at once above the rate")
	fs.IntVar(&c.retries, "retries", 5, "further attempts for an id after a transient failure")
	fs.DurationVar(&c.timeout, "timeout", 15*time.Second, "per request")

	fs.StringVar(&c.state, "state", "", "journal of Azotte's answers in `FILE`: a re-run (after a crash, or nightly) reuses them instead of calling again")
	fs.DurationVar(&c.stateMaxAge, "state-max-age", 24*time.Hour, "ask again about ids whose journalled answer is older than this")
	fs.StringVar(&c.changes, "changes", "", "also write to `FILE` the rows whose answer changed since the journal's expired one (needs --state)")

	fs.DurationVar(&c.progressInterval, "progress-interval", 10*time.Second, "period of progress lines when stderr is not a terminal")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress bar or progress lines")
	fs.BoolVar(&c.verbose, "verbose", false, "log every request and its outcome on stderr (the API key is shown as [redacted])")
	fs.StringVar(&c.summary, "summary", "", "also write the summary as JSON to `FILE`")
	fs.StringVar(&c.report, "report", "", "write a self-contained audit report to `FILE` (.html or .md)")
	fs.StringVar(&c.metricsFile, "metrics-file", "", "write the summary as Prometheus metrics to `FILE` (node_exporter textfile collector: name it *.prom)")
	fs.StringVar(&c.split, "split", "", "also write one file per verdict (available.csv, taken.csv, ...) into `DIR`")
	var logFormat string
	fs.StringVar(&logFormat, "log-format", "text", "log and progress lines as text or json (one JSON object per line)")

	file, set, err := parseFileArgs(fs, args)
	if err != nil {
		return nil, err
	}
	c.file = file

	if err := in.apply(&c.in, set); err != nil {
		return nil, err
	}
	if outFormat != "" {
		if c.outputFormat, err = input.ParseFormat(outFormat); err != nil {
			return nil, usageError("--output-format: %v", err)
		}
	}
	if only != "" {
		if c.only, err = verdict.ParseSet(only); err != nil {
			return nil, usageError("--only: %v", err)
		}
	}
	if c.concurrency < 1 {
		return nil, usageError("--concurrency must be at least 1, got %d", c.concurrency)
	}
	if c.rate < 0 {
		return nil, usageError("--rate must be 0 (no limit) or more, got %g", c.rate)
	}
	if c.burst < 1 {
		return nil, usageError("--burst must be at least 1, got %d", c.burst)
	}
	if c.retries < 0 {
		return nil, usageError("--retries must be 0 or more, got %d", c.retries)
	}
	if c.timeout <= 0 {
		return nil, usageError("--timeout must be positive, got %v", c.timeout)
	}
	if c.stateMaxAge <= 0 {
		return nil, usageError("--state-max-age must be positive, got %v", c.stateMaxAge)
	}
	if (set["state-max-age"] || set["changes"]) && c.state == "" {
		return nil, usageError("--state-max-age and --changes need --state")
	}
	switch logFormat {
	case "text":
	case "json":
		c.logJSON = true
	default:
		return nil, usageError("--log-format must be text or json, got %q", logFormat)
	}
	if c.report != "" {
		if err := report.CheckReportPath(c.report); err != nil {
			return nil, usageError("--report: %v", err)
		}
	}
	if c.progressInterval <= 0 {
		return nil, usageError("--progress-interval must be positive, got %v", c.progressInterval)
	}

	if c.sandbox {
		if set["base-url"] {
			return nil, usageError("--sandbox and --base-url exclude each other: the sandbox is the endpoint")
		}
		if !set["rate"] {
			c.rate = 0 // the endpoint is local: nothing to protect
		}
		if c.tenant == "" || !set["tenant"] {
			c.tenant = "sandbox"
		}
		c.apiKey = randomKey()
		return c, nil
	}
	if set["sandbox-taken"] {
		return nil, usageError("--sandbox-taken needs --sandbox")
	}
	if c.baseURL == "" {
		return nil, usageError("no Azotte base URL: set AZOTTE_BASE_URL or --base-url (or try --sandbox)")
	}
	if c.tenant == "" {
		return nil, usageError("no tenant: set AZOTTE_TENANT or --tenant")
	}
	if apiKeyFile != "" {
		b, err := os.ReadFile(apiKeyFile)
		if err != nil {
			return nil, usageError("--api-key-file: %v", err)
		}
		if st, err := os.Stat(apiKeyFile); err == nil && st.Mode().Perm()&0o077 != 0 {
			c.warnings = append(c.warnings, fmt.Sprintf("key file %s is readable by others (mode %v); chmod 600 it", apiKeyFile, st.Mode().Perm()))
		}
		c.apiKey = strings.TrimSpace(string(b))
		if c.apiKey == "" {
			return nil, usageError("--api-key-file %s is empty", apiKeyFile)
		}
	} else {
		c.apiKey = os.Getenv("AZOTTE_API_KEY")
		if c.apiKey == "" {
			return nil, usageError("no API key: set AZOTTE_API_KEY or --api-key-file")
		}
	}
	return c, nil
}

func parseDelimiter(s string) (rune, error) {
	switch s {
	case `\t`, "tab", "\t":
		return '\t', nil
	}
	r := []rune(s)
	if len(r) != 1 || r[0] == '"' || r[0] == '\n' || r[0] == '\r' {
		return 0, fmt.Errorf("want one character other than a quote or line break, got %q", s)
	}
	return r[0], nil
}

// randomKey is the embedded sandbox's key: fresh per run, never shown.
func randomKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "sk_sandbox_" + hex.EncodeToString(b)
}

func runValidate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, err := parseValidate(args, stderr)
	if c == nil || err != nil {
		return err
	}
	// Progress, verbose logs and messages may write at the same time.
	terminal := isTerminal(stderr)
	stderr = &lockedWriter{w: stderr}
	log := newLogger(stderr, c.logJSON)
	for _, w := range c.warnings {
		log.Warn(w)
	}
	sum := report.Summary{
		Tool:    "azvalidate",
		Version: version(),
		Command: "validate",
		Start:   time.Now(),
		Output:  c.output,
		Settings: report.Settings{
			BaseURL: c.baseURL, Path: c.path, Tenant: c.tenant, Sandbox: c.sandbox,
			Concurrency: c.concurrency, Rate: c.rate, Burst: c.burst, Retries: c.retries,
			TimeoutSeconds: c.timeout.Seconds(), Only: c.only.String(),
			IDColumn: c.in.IDColumn, IDField: c.in.IDField, Trim: c.in.Trim,
		},
	}

	// Input.
	src, rd, err := openReader(c.file, stdin, c.in)
	if err != nil {
		return err
	}
	defer src.Close()
	sum.Input = report.InputInfo{Name: src.name, Format: rd.Format().String()}

	// Endpoint.
	if c.sandbox {
		url, stop, err := startSandbox(ctx, c)
		if err != nil {
			return err
		}
		defer stop()
		c.baseURL = url
		sum.Settings.BaseURL = url
	}
	stats := new(report.Stats)
	pacer := pace.NewAdaptive(pace.Config{Rate: c.rate, Burst: c.burst, MaxPause: tuning.maxPause})
	client, err := azotte.New(azotte.Config{
		BaseURL: c.baseURL, Path: c.path, Tenant: c.tenant, APIKey: c.apiKey,
		AllowInsecureHTTP: c.allowInsecure,
		Concurrency:       c.concurrency,
		Timeout:           c.timeout,
		Retries:           c.retries,
		BackoffBase:       tuning.backoffBase,
		BackoffMax:        tuning.backoffMax,
		Pacer:             pacer,
		Observe:           observer(c, stats, log),
	})
	if err != nil {
		return exitError{code: exitUsage, err: err}
	}
	defer client.CloseIdleConnections() // before the sandbox stops (defers run last-in first-out)

	// Journal.
	var journalled pipeline.Journal
	if c.state != "" {
		ep := journal.Endpoint{BaseURL: c.baseURL, Path: c.path, Tenant: c.tenant}
		if c.sandbox {
			ep.BaseURL = journal.SandboxURL // whatever its port
		}
		j, err := journal.Open(c.state, ep, c.stateMaxAge, time.Now())
		if err != nil {
			return exitError{code: exitUsage, err: fmt.Errorf("--state: %w", err)}
		}
		defer func() {
			if err := j.Close(); err != nil {
				log.Error("state journal", "err", err)
			}
		}()
		for _, w := range j.Warnings() {
			log.Warn(w, "state", c.state)
		}
		journalled = stateJournal{j}
	}

	// Output.
	outs, err := openOutputs(c, rd, stdout, log)
	if err != nil {
		return err
	}

	// Run.
	var progress *report.Progress
	if !c.quiet {
		progress = report.StartProgress(report.ProgressConfig{
			Out: stderr, Terminal: terminal, Total: src.size,
			Bytes: decidedBytes(rd, stats), Interval: c.progressInterval, Stats: stats,
			Logger: log,
		})
	}
	pcfg := pipeline.Config{Concurrency: c.concurrency, Only: c.only, Stats: stats, Journal: journalled}
	var detector *near.Detector
	if c.nearDuplicates {
		detector = near.NewDetector()
		pcfg.Near = detector // only when on: a nil *Detector in the interface would not be nil
	}
	if outs.changes != nil {
		pcfg.Changes = outs.changes.w
	}
	var audit *report.Audit
	if c.report != "" {
		audit = report.NewAudit(report.AuditConfig{Latency: &stats.Latency})
		pcfg.Observe = audit.Observe
	}
	runErr := pipeline.Run(ctx, pcfg, rd, client, outs.sink)
	if progress != nil {
		progress.Stop()
	}
	if err := outs.flush(); err != nil && runErr == nil {
		runErr = err
	}

	// Outcome: the exit code, then the output files and the summary.
	code, runErr := outcome(ctx, runErr, stats)
	if err := outs.finish(runErr, stats.Rows.Load() > 0, log); err != nil && runErr == nil {
		runErr, code = err, exitUsage
	}
	if runErr == nil {
		sum.Input.SHA256 = hex.EncodeToString(src.hash.Sum(nil))
	}
	sum.Input.Bytes = src.n.Load()
	sum.End = time.Now()
	sum.Interrupted = ctx.Err() != nil
	sum.ExitCode = code
	if runErr != nil {
		sum.Error = runErr.Error()
	}
	stats.Fill(&sum)
	if detector != nil {
		st := detector.Stats()
		sum.NearDuplicates = &st
	}
	sum.MinRate = pacer.MinRate()
	if c.logJSON {
		log.Info("summary", "summary", sum)
	} else {
		sum.WriteText(stderr)
	}
	writeReports(c, sum, audit, log)
	if code == exitOK {
		return nil
	}
	if runErr != nil {
		// Said through the logger, so that --log-format json stays JSON.
		log.Error(runErr.Error())
	}
	return exitError{code: code}
}

// writeReports writes the summary's other forms: JSON, audit report, metrics.
func writeReports(c *validateConfig, sum report.Summary, audit *report.Audit, log *slog.Logger) {
	if c.summary != "" {
		if err := report.WriteJSONFile(c.summary, sum); err != nil {
			log.Error("write summary", "file", c.summary, "err", err)
		}
	}
	if c.report != "" {
		if err := report.WriteReportFile(c.report, sum, audit); err != nil {
			log.Error("write report", "file", c.report, "err", err)
		}
	}
	if c.metricsFile != "" {
		if err := report.WriteMetricsFile(c.metricsFile, sum); err != nil {
			log.Error("write metrics", "file", c.metricsFile, "err", err)
		}
	}
}

// newLogger is the run's logger on stderr: "azvalidate: ..." lines for people
// and line-oriented log pipelines, or one JSON object per line
// (--log-format json) for log collectors.
func newLogger(w io.Writer, json bool) *slog.Logger {
	if json {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(newTextHandler(w))
}

// outcome maps how the pipeline ended to the exit code and the error to print.
func outcome(ctx context.Context, runErr error, stats *report.Stats) (int, error) {
	var cred *azotte.CredentialsError
	var in *input.Error
	switch {
	case ctx.Err() != nil:
		cause := context.Cause(ctx)
		var coded interface{ ExitCode() int }
		if errors.As(cause, &coded) {
			return coded.ExitCode(), cause
		}
		return exitInterrupted, cause
	case errors.As(runErr, &cred):
		return exitUsage, runErr
	case errors.As(runErr, &in):
		// The input broke off: the rows before the break are written; the
		// run is not complete.
		return exitRowErrors, runErr
	case runErr != nil:
		return exitUsage, runErr
	case stats.Verdict(verdict.Error) > 0:
		return exitRowErrors, nil
	case stats.Verdict(verdict.Taken)+stats.Verdict(verdict.Duplicate)+stats.Verdict(verdict.Invalid) > 0:
		return exitFindings, nil
	}
	return exitOK, nil
}

// outputs are everything a run writes rows to: the main output, the
// --changes file and the --split files.
type outputs struct {
	main, changes *outputFile
	split         *output.Split
	sink          output.Writer // what the pipeline writes to: main, and split if any
}

func openOutputs(c *validateConfig, rd *input.Reader, stdout io.Writer, log *slog.Logger) (_ *outputs, err error) {
	format := c.outputFormat
	if format == input.Unknown {
		format = rd.Format()
	}
	opts := output.Options{
		Format:         format,
		InputFormat:    rd.Format(),
		Header:         rd.Header(),
		Columns:        len(rd.Header()),
		Comma:          outputComma(format, rd),
		ColumnPrefix:   c.columnPrefix,
		IDName:         idName(c),
		ExcelSafe:      c.excelSafe,
		NearDuplicates: c.nearDuplicates,
	}
	o := &outputs{}
	defer func() {
		if err != nil {
			o.finish(errors.New("not started"), false, log)
		}
	}()
	if c.split != "" && c.output != "-" {
		for _, v := range verdict.All {
			if p := output.SplitPath(c.split, format, v); filepath.Clean(c.output) == p {
				return o, usageError("-o %s would be overwritten by --split's %s", c.output, p)
			}
		}
	}
	if o.main, err = openOutput(c.output, stdout, opts); err != nil {
		return o, err
	}
	o.sink = o.main.w
	if c.changes != "" {
		if o.changes, err = openOutput(c.changes, nil, opts); err != nil {
			return o, err
		}
	}
	if c.split != "" {
		if o.split, err = output.NewSplit(c.split, opts); err != nil {
			return o, exitError{code: exitUsage, err: fmt.Errorf("--split: %w", err)}
		}
		o.sink = output.Tee(o.main.w, o.split)
	}
	return o, nil
}

// flush writes what the writers buffer.
func (o *outputs) flush() error {
	if err := o.sink.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if o.changes != nil {
		if err := o.changes.w.Flush(); err != nil {
			return fmt.Errorf("write %s: %w", o.changes.name, err)
		}
	}
	return nil
}

// finish commits every output when the run finished (runErr nil), or keeps
// what was written as .partial files.
func (o *outputs) finish(runErr error, wrote bool, log *slog.Logger) error {
	var errs []error
	for _, f := range []*outputFile{o.main, o.changes} {
		if f != nil {
			errs = append(errs, f.finish(runErr, wrote, log))
		}
	}
	if o.split != nil {
		if runErr == nil {
			errs = append(errs, o.split.Commit())
		} else {
			errs = append(errs, o.split.Abandon(wrote))
		}
	}
	return errors.Join(errs...)
}

// outputFile is an output: stdout, or a file that appears complete or not at all.
type outputFile struct {
	name string
	file *output.File // nil for stdout
	w    output.Writer
}

// openOutput opens name ("-" is stdout) for rows in opts' format.
func openOutput(name string, stdout io.Writer, opts output.Options) (*outputFile, error) {
	o := &outputFile{name: name}
	dst := stdout
	if name != "-" {
		f, err := output.Create(name)
		if err != nil {
			return nil, exitError{code: exitUsage, err: fmt.Errorf("output: %w", err)}
		}
		o.file, dst = f, f
	}
	w, err := output.New(dst, opts)
	if err != nil {
		if o.file != nil {
			o.file.Abandon(false)
		}
		return nil, exitError{code: exitUsage, err: err}
	}
	o.w = w
	return o, nil
}

// finish makes the file appear complete, or, when the run did not finish,
// keeps what was written (if anything) as FILE.partial and says so.
func (o *outputFile) finish(runErr error, wrote bool, log *slog.Logger) error {
	if o.file == nil {
		return nil
	}
	if runErr == nil {
		if err := o.file.Commit(); err != nil {
			return fmt.Errorf("output %s: %w", o.name, err)
		}
		return nil
	}
	if err := o.file.Abandon(wrote); err != nil {
		return fmt.Errorf("output %s: %w", o.name, err)
	}
	if wrote {
		log.Warn("run did not finish; the rows done, in order, are in "+o.name+".partial", "file", o.name+".partial")
	}
	return nil
}

func outputComma(f input.Format, rd *input.Reader) rune {
	if f == rd.Format() {
		return rd.Delimiter()
	}
	if f == input.TSV {
		return '\t'
	}
	return ','
}

func idName(c *validateConfig) string {
	if c.in.IDColumn != "" && c.in.Format != input.NDJSON {
		return c.in.IDColumn
	}
	return c.in.IDField
}

// startSandbox serves the embedded sandbox on a free loopback port until stop.
func startSandbox(ctx context.Context, c *validateConfig) (url string, stop func(), err error) {
	cfg := sandbox.Config{Tenant: c.tenant, APIKey: c.apiKey}
	if c.sandboxTaken != "" {
		f, err := os.Open(c.sandboxTaken)
		if err != nil {
			return "", nil, exitError{code: exitUsage, err: fmt.Errorf("--sandbox-taken: %w", err)}
		}
		cfg.Taken, err = sandbox.ReadTaken(f)
		f.Close()
		if err != nil {
			return "", nil, exitError{code: exitUsage, err: fmt.Errorf("--sandbox-taken %s: %w", c.sandboxTaken, err)}
		}
	}
	ln, err := sandbox.Listen("")
	if err != nil {
		return "", nil, exitError{code: exitUsage, err: fmt.Errorf("sandbox: %w", err)}
	}
	// The sandbox outlives an interrupt of the run: in-flight calls still get
	// their answers while the run drains.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		sandbox.New(cfg).Serve(sctx, ln)
	}()
	return "http://" + ln.Addr().String(), func() { cancel(); <-done }, nil
}

// observer counts every attempt and, with --verbose, logs it. The key is
// never part of the line: it is shown as [redacted].
func observer(c *validateConfig, stats *report.Stats, log *slog.Logger) func(azotte.Attempt) {
	if !c.verbose {
		return stats.ObserveAttempt
	}
	url := strings.TrimSuffix(c.baseURL, "/") + c.path
	return func(a azotte.Attempt) {
		stats.ObserveAttempt(a)
		attrs := []any{"url", url, "x-tn", c.tenant, "x-api-key", "[redacted]", "externalId", a.ID,
			"try", a.Try, "status", a.Status, "latency_ms", float64(a.Latency.Microseconds()) / 1000, "retry", a.Retry}
		if a.Err != nil {
			attrs = append(attrs, "err", a.Err.Error())
		}
		log.Info("request", attrs...)
	}
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// stateJournal lets the pipeline keep Azotte's answers in the --state journal.
type stateJournal struct{ j *journal.Journal }

func (s stateJournal) Lookup(id string) (azotte.Answer, bool) {
	e, ok := s.j.Lookup(id)
	return azotte.Answer{IsAvailable: e.IsAvailable, MessageCode: e.MessageCode, Status: e.Status}, ok
}

func (s stateJournal) Previous(id string) (azotte.Answer, time.Time, bool) {
	e, ok := s.j.Stale(id)
	return azotte.Answer{IsAvailable: e.IsAvailable, MessageCode: e.MessageCode, Status: e.Status}, e.Time, ok
}

func (s stateJournal) Append(id string, a azotte.Answer) error {
	return s.j.Append(id, journal.Entry{IsAvailable: a.IsAvailable, MessageCode: a.MessageCode, Status: a.Status, Time: time.Now()})
}

// inputFile is the raw input stream, counted (for progress) and hashed (for
// the summary) as it is read.
type inputFile struct {
	name string
	size int64 // -1 when unknown
	r    io.Reader
	c    io.Closer
	n    atomic.Int64
	hash interface {
		io.Writer
		Sum([]byte) []byte
	}
}

// openReader opens the input and a reader on it; every failure is a usage
// error (exit 2), reported before any work.
func openReader(name string, stdin io.Reader, cfg input.Config) (*inputFile, *input.Reader, error) {
	src, err := openInput(name, stdin)
	if err != nil {
		return nil, nil, exitError{code: exitUsage, err: err}
	}
	rd, err := input.Open(src.name, src, cfg)
	if err != nil {
		src.Close()
		return nil, nil, exitError{code: exitUsage, err: err}
	}
	return src, rd, nil
}

func openInput(name string, stdin io.Reader) (*inputFile, error) {
	in := &inputFile{name: name, size: -1, r: stdin, c: io.NopCloser(nil), hash: sha256.New()}
	if name == "-" {
		if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return nil, errors.New("no input: give a FILE, or pipe an export to stdin")
		}
		return in, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		in.size = st.Size()
	}
	in.r, in.c = f, f
	return in, nil
}

func (in *inputFile) Read(p []byte) (int, error) {
	n, err := in.r.Read(p)
	in.n.Add(int64(n))
	in.hash.Write(p[:n])
	return n, err
}

func (in *inputFile) Close() error { return in.c.Close() }

// decidedBytes is how much of the input, as stored, the rows decided so far
// cover. Not the bytes read: the reader runs ahead of the answers (by the
// window, and by its buffer, which can hold a small file whole).
func decidedBytes(rd *input.Reader, stats *report.Stats) func() int64 {
	return func() int64 { return rd.Stored(stats.InputDecided.Load()) }
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
