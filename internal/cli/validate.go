package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/budget"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/live"
	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/unique"
	"github.com/azotte/azvalidate/internal/verdict"
)

const validateSynopsis = `
Reads a CSV, TSV or NDJSON export (optionally .gz), an .xlsx workbook or a
Parquet file (stdin when FILE is - or absent), asks Azotte about every
distinct ExternalId once, and writes every row back in input order with
isAvailable, messageCode, verdict, duplicateOf and detail added (and
similarTo, similarKind with --near-duplicates), as CSV, TSV, NDJSON, an
Excel workbook (-o x.xlsx) or Parquet (-o x.parquet). Several FILEs are
read one after another as one export, with a sourceFile column added. A
summary goes to stderr.

Credentials come from the environment (AZOTTE_BASE_URL, AZOTTE_TENANT,
AZOTTE_API_KEY) or from flags; the key only from AZOTTE_API_KEY or
--api-key-file, never from a flag. --sandbox needs none of them.

Exit codes: 0 every row available; 1 taken, duplicate or invalid rows;
3 some rows got no answer (error); 2 usage, configuration or credentials;
75 Azotte asked to wait longer than --max-pause or --deadline allow (every
row written, the rest unchecked: try again later); 130/143 interrupted
(rows done so far are kept).`

const validateExamples = `  # try it: the embedded sandbox, nothing to configure
  azvalidate validate --sandbox --sandbox-taken testdata/taken.txt testdata/customers.csv

  # a real tenant; only the problem rows, into a file, with a JSON summary
  export AZOTTE_BASE_URL=https://acme.sandbox.azotte.com
  export AZOTTE_TENANT=e2a1c7b2-4f3a-4b8e-9c2d-1a2b3c4d5e6f
  export AZOTTE_API_KEY=...   # or --api-key-file key.txt
  azvalidate validate crm.csv.gz -o problems.csv --only taken,duplicate,error --summary run.json

  # NDJSON with a nested id, from a pipe
  zcat export.ndjson.gz | azvalidate validate --sandbox --id-field customer.externalId > out.ndjson

  # Parquet in and out (the columns keep their types), a nested id column
  azvalidate validate --sandbox crm.parquet --id-column customer.externalId -o checked.parquet

  # an Excel workbook for people: header frozen, ids as text, a Summary sheet
  azvalidate validate --sandbox crm.csv -o checked.xlsx
`

// maxConcurrency bounds --concurrency: far above what any tenant's rate limit
// lets through, far below what would exhaust memory (a request in flight costs
// a goroutine and its buffers).
const maxConcurrency = 1024

// validateConfig is everything validate needs, checked before any work.
type validateConfig struct {
	files []string // read one after another; "-" for stdin

	conn // endpoint, credentials and calls

	in input.Config

	output, columnPrefix string
	excelSafe            bool
	nearDuplicates       bool
	uniqueColumns        []unique.Column // --unique-columns; nil: off
	outputFormat         input.Format
	only                 verdict.Set

	state       string
	stateMaxAge time.Duration
	changes     string
	budget      budget.Budget
	answeredAt  bool   // the answeredAt column (always with a budget)
	owners      bool   // --owners: ask who holds each taken id
	emailColumn string // --email-column; "" for the default (email, any case)

	progressInterval time.Duration
	quiet            bool
	verbose          bool
	logJSON          bool
	summary          string
	reports          []string // --report FILE (.html or .md), repeatable
	metricsFile      string
	listen           string // --listen, resolved: host:port; "" off
	split            string // --split DIR
	mem              memory // --memory-limit, --temp-dir

	profile, configFile string // the profile that filled in settings, and its file; "" none

	warnings []string // found while checking the flags, logged once logging is set up
}

// addValidate adds the validate command to root.
func addValidate(root *cobra.Command, env Env) {
	cmd := &cobra.Command{
		Use:     "validate [flags] [FILE|-]...",
		Short:   "validate every row of an export",
		Long:    validateSynopsis,
		Example: validateExamples,
	}
	root.AddCommand(cmd)
	c := &validateConfig{}
	fs := flagsOf(cmd)
	raw := addValidateFlags(fs, c)
	completeValues(cmd, env)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		start := env.now()
		if err := c.check(fs, raw, args, env); err != nil {
			recordFailure(c, env, start, err)
			return err
		}
		return runValidate(cmd.Context(), c, env, start)
	}
}

// validateFlags are validate's flags that check turns into its
// configuration.
type validateFlags struct {
	in                                       *inputFlags
	outFormat, only, uniqueCols, listen, log string
}

// addValidateFlags registers validate's flags on fs, filling in c (config
// show lists them too).
func addValidateFlags(fs *flagSet, c *validateConfig) *validateFlags {
	f := &validateFlags{}
	addConfigFlags(fs)
	addEndpointFlags(fs, &c.conn)
	f.in = addInputFlags(fs, &c.in)
	addMemoryFlags(fs, &c.mem)

	fs.StringVarP(&c.output, "output", "o", "-", "write rows to `FILE`, complete or not at all (- is stdout)")
	fs.StringVar(&f.outFormat, "output-format", "", "output format csv|tsv|ndjson|xlsx|parquet (default: from -o's extension, else the input's; csv for an .xlsx input)")
	fs.StringVar(&f.only, "only", "", "write only rows of these verdicts, e.g. taken,duplicate,error (the summary counts all)")
	fs.BoolVar(&c.excelSafe, "excel-safe", false, "CSV/TSV output: prefix cells starting with = + - @ tab or CR with ' so spreadsheets do not run them as formulas")
	fs.StringVar(&c.columnPrefix, "column-prefix", "", "prefix for the added columns, e.g. azotte_")
	fs.BoolVar(&c.nearDuplicates, "near-duplicates", false, "mark rows whose id equals an earlier distinct id up to case, white space, Unicode form or zero-width characters (columns similarTo, similarKind); verdicts do not change")
	fs.StringVar(&f.uniqueCols, "unique-columns", "", "mark rows repeating an earlier id's value in these columns, which the store keeps unique, e.g. email,phone (columns collidesWith, collidesOn); verdicts do not change")

	addCallFlags(fs, &c.conn, "requests per second at most, 0 = no limit; 8 is Azotte's 500/min (--sandbox alone: unlimited)")

	fs.StringVar(&c.state, "state", "", "journal of Azotte's answers in `FILE`: a re-run (after a crash, or nightly) reuses them instead of calling again")
	durationVar(fs, &c.stateMaxAge, "state-max-age", 24*time.Hour, "ask again about ids whose journalled answer is older than this")
	fs.StringVar(&c.changes, "changes", "", "also write to `FILE` the rows whose answer changed since the journal's expired one (needs --state)")
	addBudgetFlags(fs, &c.budget)
	fs.BoolVar(&c.owners, "owners", false, "after a taken answer, ask Azotte who holds the id (one info call per taken id, same rate and budget): columns ownerUrn, ownerStatus, sameEmail")
	fs.StringVar(&c.emailColumn, "email-column", "", "with --owners, the export's email column or NDJSON field `NAME` (default: email, in any case; a 1-based number with --no-header)")
	fs.BoolVar(&c.answeredAt, "answered-at", false, "add the column answeredAt: when Azotte gave each row's answer (always on with --max-calls or --deadline)")

	durationVar(fs, &c.progressInterval, "progress-interval", 10*time.Second, "period of progress lines when stderr is not a terminal")
	fs.BoolVarP(&c.quiet, "quiet", "q", false, "nothing on stderr but errors: no progress, no summary table (--summary and other files are still written)")
	fs.BoolVarP(&c.verbose, "verbose", "v", false, "log every request and its outcome on stderr (the API key is shown as [redacted])")
	fs.StringVar(&c.summary, "summary", "", "also write the summary as JSON to `FILE`")
	fs.StringArrayVar(&c.reports, "report", nil, "write a self-contained audit report to `FILE` (.html or .md); repeat it for both")
	fs.StringVar(&c.metricsFile, "metrics-file", "", "write the summary as Prometheus metrics to `FILE` (node_exporter textfile collector: name it *.prom)")
	fs.StringVar(&f.listen, "listen", "", "serve live metrics (/metrics), a status page (/) and /healthz on `ADDR` while the run lasts; a port alone is loopback")
	fs.StringVar(&c.split, "split", "", "also write one file per verdict (available.csv, taken.csv, ...) into `DIR`")
	fs.StringVar(&f.log, "log-format", "text", "log and progress lines as text or json (one JSON object per line)")
	return f
}

// check completes c from the profile and environment, then checks it,
// before any work; files are the positional arguments.
func (c *validateConfig) check(fs *flagSet, f *validateFlags, files []string, env Env) error {
	prof, err := layer(fs, env)
	if err != nil {
		return err
	}
	c.profile, c.configFile = prof.Name, prof.File
	set := prof.Given()
	if c.files, err = fs.files(files); err != nil {
		return err
	}
	if err := f.in.apply(fs, &c.in, set); err != nil {
		return err
	}
	if f.outFormat != "" {
		if c.outputFormat, err = input.ParseFormat(f.outFormat); err != nil {
			return fs.usageError("--output-format: %v", err)
		}
	}
	if f.uniqueCols != "" {
		if c.uniqueColumns, err = unique.ParseColumns(f.uniqueCols); err != nil {
			return fs.usageError("--unique-columns: %v", err)
		}
	}
	if f.only != "" {
		if c.only, err = verdict.ParseSet(f.only); err != nil {
			return fs.usageError("--only: %v", err)
		}
	}
	if err := c.checkCalls(fs); err != nil {
		return err
	}
	if c.stateMaxAge <= 0 {
		return fs.usageError("--state-max-age must be positive, got %v", c.stateMaxAge)
	}
	if err := checkBudget(fs, c.budget); err != nil {
		return err
	}
	if c.budget.Set() {
		c.answeredAt = true
	}
	if set["email-column"] && !c.owners {
		return fs.usageError("--email-column needs --owners")
	}
	if _, ok := azotte.InfoPath(c.path); c.owners && !ok {
		return fs.usageError("--owners needs a --path ending in \"validate\" (the info call's path replaces it by \"info\"), got %q", c.path)
	}
	if (set["state-max-age"] || set["changes"]) && c.state == "" {
		return fs.usageError("--state-max-age and --changes need --state")
	}
	switch f.log {
	case "text":
	case "json":
		c.logJSON = true
	default:
		return fs.usageError("--log-format must be text or json, got %q", f.log)
	}
	if len(c.reports) > 0 {
		if err := report.CheckReportPaths(c.reports); err != nil {
			return fs.usageError("--report: %v", err)
		}
	}
	if c.progressInterval <= 0 {
		return fs.usageError("--progress-interval must be positive, got %v", c.progressInterval)
	}
	if f.listen != "" {
		addr, loopback, err := live.ResolveAddr(f.listen)
		if err != nil {
			return fs.usageError("--listen %s: %v", f.listen, err)
		}
		if !loopback {
			c.warnings = append(c.warnings, "--listen "+f.listen+" serves the status page and metrics beyond this host; they name the input, the tenant and failing ids")
		}
		c.listen = addr
	}

	if err := c.mem.check(c.tables()); err != nil {
		return err
	}
	warnings, err := c.resolve(fs, set, env)
	if err != nil {
		return err
	}
	c.warnings = append(c.warnings, warnings...)
	return nil
}

// tables is the number of per-id tables a run keeps, each a share of
// --memory-limit: the distinct ids, the journal's index (two shares: its
// lookups find what they look for, which a spilled table answers from
// disk), the near-collision groups and a set per unique column.
func (c *validateConfig) tables() int {
	n := 1 + len(c.uniqueColumns)
	if c.state != "" {
		n += 2
	}
	if c.nearDuplicates {
		n++
	}
	return n
}
