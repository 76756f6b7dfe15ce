package cli

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/azotte/azvalidate/internal/budget"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/near"
	"github.com/azotte/azvalidate/internal/profile"
	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/spill"
	"github.com/azotte/azvalidate/internal/survey"
	"github.com/azotte/azvalidate/internal/verdict"
)

const planSynopsis = `
Reads an export exactly as validate does (same input flags, same --state) and,
without calling Azotte, says what validating it would cost: rows, distinct ids,
invalid rows, exact duplicates, near-collision groups (ids equal up to case,
white space, Unicode form or zero-width characters), journal hits, the calls
still needed and the API time they take at --rate. The table goes to stdout;
--summary FILE also writes it as JSON. Memory grows only with the distinct ids
(a few dozen bytes each), never with the rows.

--sample N then asks Azotte about a uniform sample of N distinct ids (the
endpoint and credentials as validate's flags and environment give them, or
--sandbox) and estimates the share of taken ids with its 95% interval; with
--state the answers are journalled, so that validate does not ask them again.

Exit codes: 0 planned; 2 usage or input error; 75 --sample stopped: Azotte
asked to wait longer than --max-pause; 130/143 interrupted.`

const planExamples = `  # what would validating the sample cost?
  azvalidate plan testdata/customers.csv

  # a nightly job: how many ids have no fresh answer in the journal yet?
  azvalidate plan crm.csv.gz --state crm.state --summary plan.json

  # NDJSON from a pipe, at a tenant's higher limit, no near-collision forecast
  zcat export.ndjson.gz |
    azvalidate plan --id-field customer.externalId --rate 20 --near-duplicates=false -
`

// planConfig is everything plan needs, checked before any work.
type planConfig struct {
	files          []string // read one after another; "-" for stdin
	in             input.Config
	rate           float64
	state          string
	stateMaxAge    time.Duration
	nearDuplicates bool
	summary        string
	budget         budget.Budget

	sample   int    // --sample: distinct ids to ask; 0: none
	seed     uint64 // --seed of the sample
	conn     conn   // with --sample: how to ask them
	mem      memory // --memory-limit, --temp-dir
	warnings []string

	profile, configFile string // the profile that filled in settings, and its file; "" none
}

// addPlan adds the plan command to root.
func addPlan(root *cobra.Command, env Env) {
	cmd := &cobra.Command{
		Use:     "plan [flags] [FILE|-]...",
		Short:   "count rows, duplicates and API calls without calling",
		Long:    planSynopsis,
		Example: planExamples,
	}
	root.AddCommand(cmd)
	c := &planConfig{}
	fs := flagsOf(cmd)
	addConfigFlags(fs)
	in := addInputFlags(fs, &c.in)
	addMemoryFlags(fs, &c.mem)
	fs.StringVar(&c.state, "state", "", "journal of Azotte's answers in `FILE` (as validate's): ids with a fresh answer there cost no call")
	durationVar(fs, &c.stateMaxAge, "state-max-age", 24*time.Hour, "journalled answers older than this are asked again")
	fs.BoolVar(&c.nearDuplicates, "near-duplicates", true, "forecast near-collisions: distinct ids equal up to case, white space, Unicode form or zero-width characters")
	fs.StringVar(&c.summary, "summary", "", "also write the plan as JSON to `FILE`")
	addBudgetFlags(fs, &c.budget)
	fs.IntVar(&c.sample, "sample", 0, "ask Azotte about a uniform sample of `N` distinct ids and estimate the taken share (needs validate's endpoint flags, or --sandbox)")
	fs.Uint64Var(&c.seed, "seed", 0, "seed of --sample's choice, to repeat it (default: random, shown)")
	addCallFlags(fs, &c.conn, "requests per second the estimate assumes, and --sample's calls at most; 0 = no limit; 8 is Azotte's 500/min")
	addEndpointFlags(fs, &c.conn)
	completeValues(cmd, env)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := c.check(fs, in, args, env); err != nil {
			return err
		}
		return runPlan(cmd.Context(), c, env)
	}
}

// check completes c from the profile and environment, then checks it,
// before any work; files are the positional arguments.
func (c *planConfig) check(fs *flagSet, in *inputFlags, files []string, env Env) error {
	prof, err := layer(fs, env)
	if err != nil {
		return err
	}
	c.profile, c.configFile = prof.Name, prof.File
	set := prof.Given()
	if c.files, err = fs.files(files); err != nil {
		return err
	}
	c.rate = c.conn.rate // the estimate's, whatever the sample's pacing
	if c.sample < 0 {
		return fs.usageError("--sample must be 0 or more, got %d", c.sample)
	}
	if c.sample == 0 {
		// Flags only: a profile holds validate's endpoint too.
		for _, f := range []string{"seed", "concurrency", "burst", "retries", "timeout", "base-url", "path", "tenant", "api-key-file", "allow-insecure-http", "sandbox", "sandbox-taken"} {
			if prof.Src[f] == profile.Flag {
				return fs.usageError("--%s only matters with --sample", f)
			}
		}
	} else {
		if !set["seed"] {
			c.seed = rand.Uint64()
		}
		if err := c.conn.checkCalls(fs); err != nil {
			return err
		}
		if c.warnings, err = c.conn.resolve(fs, set, env); err != nil {
			return err
		}
	}
	if err := in.apply(fs, &c.in, set); err != nil {
		return err
	}
	if c.stateMaxAge <= 0 {
		return fs.usageError("--state-max-age must be positive, got %v", c.stateMaxAge)
	}
	if set["state-max-age"] && c.state == "" {
		return fs.usageError("--state-max-age needs --state")
	}
	if err := checkBudget(fs, c.budget); err != nil {
		return err
	}
	if err := c.mem.check(c.tables()); err != nil {
		return err
	}
	if c.summary != "" && c.summary != "-" {
		// Before the work: a plan of 10^8 rows takes minutes to read.
		if err := checkWrites(readPaths(c.files, c.state), []namedPath{{"--summary", c.summary, "the summary"}}, ""); err != nil {
			return err
		}
	}
	return nil
}

func runPlan(ctx context.Context, c *planConfig, env Env) error {
	for _, w := range c.warnings {
		fmt.Fprintf(env.Stderr, "azvalidate: warning: %s\n", w)
	}
	sum := report.Plan{
		Header: header("plan", env.now(), time.Time{}),
		Settings: report.PlanSettings{
			Rate: c.rate, IDColumn: c.in.IDColumn, IDField: c.in.IDField, Trim: c.in.Trim,
			State: c.state, StateMaxAgeSeconds: c.stateMaxAge.Seconds(), NearDuplicates: c.nearDuplicates,
			MaxCalls: c.budget.MaxCalls, DeadlineSeconds: c.budget.Deadline.Seconds(),
			Profile: c.profile, Config: c.configFile,
		},
	}

	in, err := openInputs(c.files, env.Stdin, c.in)
	if err != nil {
		return err
	}
	defer in.Close()
	sum.Input = report.InputInfo{Name: in.Name(), Format: in.FormatName()}

	mem, stop := c.mem.start("", c.tables(), env.TableShare)
	defer func() {
		if err := mem.Store.Err(); err != nil {
			fmt.Fprintf(env.Stderr, "azvalidate: warning: %v; the plan held the rest in memory, past --memory-limit\n", err)
		}
		if err := stop(); err != nil {
			fmt.Fprintf(env.Stderr, "azvalidate: warning: remove the temporary folder: %v\n", err)
		}
	}()
	sv := survey.Survey{Memory: mem}
	var writable *journal.Journal // --sample's answers go there
	if c.sample > 0 {
		sv.Sample = survey.NewReservoir(c.sample, c.seed)
		if c.state != "" {
			// Bound to the endpoint, as validate's: its answers are reused.
			j, err := journal.Within(shares(mem, 2)).Open(c.state, c.conn.journalEndpoint(), c.stateMaxAge, env.now())
			if err != nil {
				return fmt.Errorf("--state: %w", err)
			}
			defer func() {
				if err := j.Close(); err != nil {
					fmt.Fprintf(env.Stderr, "azvalidate: state journal: %v\n", err)
				}
			}()
			for _, w := range j.Warnings() {
				fmt.Fprintf(env.Stderr, "azvalidate: warning: %s\n", w)
			}
			writable, sv.Journal = j, j
		}
	}
	if c.state != "" && writable == nil {
		jr, err := openPlanJournal(c.state, c.stateMaxAge, env, shares(mem, 2))
		if err != nil {
			return fmt.Errorf("--state: %w", err)
		}
		if jr != nil {
			defer jr.Close()
			sv.Journal = jr
		}
	}
	if c.nearDuplicates {
		sv.Near = near.NewDetector(mem)
	}

	if in.Len() > 1 {
		sv.Files = make([]survey.Counts, in.Len())
	}
	readErr := sv.Read(ctx, in)
	read := readErr == nil && ctx.Err() == nil
	if read && in.Len() == 1 {
		sum.Input.SHA256 = in.File(0).SHA256()
	}
	sum.Input.Bytes = in.BytesRead()
	sum.Files = fileInfos(in, sv.Files, read, []verdict.Verdict{verdict.Invalid, verdict.Duplicate})
	fillPlan(&sum, &sv, c)
	if read && sv.Sample != nil {
		sum.Sample, readErr = askSample(ctx, c, env, sv.Sample.IDs, writable)
		sum.Sample.Estimate(sum.DistinctIDs, sum.CallsNeeded, c.rate, writable != nil)
	}
	code, runErr, _ := stopCode(ctx, readErr)
	sum.BlankLines = in.BlankLines()
	sum.End = env.now()
	sum.ExitCode = code
	if runErr != nil {
		sum.Error = runErr.Error()
	}
	if in.Len() > 1 {
		sum.Ref = in.Ref
	}
	if err := sum.WriteText(env.Stdout); err != nil && runErr == nil {
		runErr, code = fmt.Errorf("write plan: %w", err), exitUsage
	}
	if c.summary != "" {
		if err := report.WriteJSONFile(c.summary, sum); err != nil {
			fmt.Fprintf(env.Stderr, "azvalidate: --summary: %v\n", err)
			code = sideFileFailed(code)
		}
	}
	if code == exitOK {
		return nil
	}
	return exitError{code: code, err: runErr}
}

// openPlanJournal opens the --state journal to read it. A journal that does
// not exist yet is no error (nothing has been validated): plan says so and
// does not create it. It returns a nil journal then.
func openPlanJournal(path string, maxAge time.Duration, env Env, mem spill.Memory) (*journal.Journal, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(env.Stderr, "azvalidate: state file %s does not exist yet: no journal hits\n", path)
		return nil, nil
	}
	j, err := journal.Within(mem).Read(path, maxAge, env.now())
	if err != nil {
		return nil, err
	}
	for _, w := range j.Warnings() {
		fmt.Fprintf(env.Stderr, "azvalidate: warning: %s\n", w)
	}
	return j, nil
}

// fill copies what the survey counted into s, with the calls and the time
// they cost.
func fillPlan(s *report.Plan, sv *survey.Survey, c *planConfig) {
	s.Rows, s.DistinctIDs, s.InvalidRows = sv.Rows, sv.Distinct, sv.Invalid
	s.DuplicateRows, s.PaddedIDs = sv.Duplicates, sv.Padded
	counts := sv.Selector.Counts()
	if sv.Journal != nil {
		s.JournalHits, s.JournalStale = counts.Fresh, counts.Stale
	}
	if sv.Near != nil {
		st := sv.Near.Stats()
		s.Near = &st
	}
	s.CallsNeeded = s.DistinctIDs - s.JournalHits
	if c.budget.Set() {
		perRun := c.budget.Capacity(c.rate)
		run := report.PlanRun{Unanswered: counts.Unanswered, Stale: counts.Stale}
		if perRun >= 0 {
			run.Unanswered = min(run.Unanswered, int64(perRun))
			run.Stale = min(run.Stale, int64(perRun)-run.Unanswered)
		}
		run.Calls = run.Unanswered + run.Stale
		runs := budget.Runs(counts, perRun)
		s.ThisRun, s.RunsToCover = &run, &runs
	}
	if c.rate > 0 {
		secs := float64(s.CallsNeeded) / c.rate
		s.EstimatedSeconds = &secs
	}
}

// tables is the number of per-id tables a plan keeps, each a share of
// --memory-limit: the distinct ids, the journal's index (two shares, as
// validate's) and the near-collision groups.
func (c *planConfig) tables() int {
	n := 1
	if c.state != "" {
		n += 2
	}
	if c.nearDuplicates {
		n++
	}
	return n
}
