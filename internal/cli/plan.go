package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/azotte/azvalidate/internal/budget"
	"github.com/azotte/azvalidate/internal/human"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/near"
	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/survey"
	"github.com/azotte/azvalidate/internal/verdict"
)

const planSynopsis = `
Usage: azvalidate plan [flags] [FILE|-]...

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

Exit codes: 0 planned; 2 usage or input error; 130/143 interrupted.`

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
	warnings []string
}

// parsePlan reads plan's flags and, with --sample, the AZOTTE_*
// environment of env into a checked configuration.
func parsePlan(args []string, env Env, help io.Writer) (*planConfig, error) {
	c := &planConfig{}
	fs := newFlagSet("plan", planSynopsis, planExamples, help)
	in := addInputFlags(fs, &c.in)
	fs.StringVar(&c.state, "state", "", "journal of Azotte's answers in `FILE` (as validate's): ids with a fresh answer there cost no call")
	durationVar(fs, &c.stateMaxAge, "state-max-age", 24*time.Hour, "journalled answers older than this are asked again")
	fs.BoolVar(&c.nearDuplicates, "near-duplicates", true, "forecast near-collisions: distinct ids equal up to case, white space, Unicode form or zero-width characters")
	fs.StringVar(&c.summary, "summary", "", "also write the plan as JSON to `FILE`")
	addBudgetFlags(fs, &c.budget)
	fs.IntVar(&c.sample, "sample", 0, "ask Azotte about a uniform sample of `N` distinct ids and estimate the taken share (needs validate's endpoint flags, or --sandbox)")
	fs.Uint64Var(&c.seed, "seed", 0, "seed of --sample's choice, to repeat it (default: random, shown)")
	addCallFlags(fs, &c.conn, "requests per second the estimate assumes, and --sample's calls at most; 0 = no limit; 8 is Azotte's 500/min")
	addEndpointFlags(fs, &c.conn, env)

	files, set, err := fs.parseFiles(args)
	if err != nil {
		return nil, err
	}
	c.files = files
	c.rate = c.conn.rate // the estimate's, whatever the sample's pacing
	if c.sample < 0 {
		return nil, fs.usageError("--sample must be 0 or more, got %d", c.sample)
	}
	if c.sample == 0 {
		for _, f := range []string{"seed", "concurrency", "burst", "retries", "timeout", "base-url", "path", "tenant", "api-key-file", "allow-insecure-http", "sandbox", "sandbox-taken"} {
			if set[f] {
				return nil, fs.usageError("--%s only matters with --sample", f)
			}
		}
	} else {
		if !set["seed"] {
			c.seed = rand.Uint64()
		}
		if err := c.conn.checkCalls(fs); err != nil {
			return nil, err
		}
		if c.warnings, err = c.conn.resolve(fs, set, env); err != nil {
			return nil, err
		}
	}
	if err := in.apply(fs, &c.in, set); err != nil {
		return nil, err
	}
	if c.stateMaxAge <= 0 {
		return nil, fs.usageError("--state-max-age must be positive, got %v", c.stateMaxAge)
	}
	if set["state-max-age"] && c.state == "" {
		return nil, fs.usageError("--state-max-age needs --state")
	}
	if err := checkBudget(fs, c.budget); err != nil {
		return nil, err
	}
	if c.summary != "" && c.summary != "-" {
		// Before the work: a plan of 10^8 rows takes minutes to read.
		if err := checkWrites(readPaths(c.files, c.state), []namedPath{{"--summary", c.summary, "the summary"}}, ""); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// planSummary is plan's result: the table on stdout and the JSON of
// --summary, whose keys are part of the tool's interface:
//
//	tool, version, command  "azvalidate", its version, "plan"
//	start, end              RFC 3339 times
//	input                   {name, format, bytes, sha256}, as validate's summary
//	settings                {rate (requests/s, 0 = unlimited), id_column, id_field, trim,
//	                        state, state_max_age_seconds, near_duplicates, max_calls, deadline_seconds}
//	rows                    input rows read (= distinct_ids + duplicate_rows + invalid_rows)
//	distinct_ids            distinct usable ids
//	invalid_rows            rows without a usable id: validate's invalid verdict
//	duplicate_rows          rows whose id appeared on an earlier row: validate's duplicate verdict, no call
//	padded_ids              rows whose id has surrounding white space (--trim off)
//	blank_lines             blank lines of the input: skipped, not rows, not numbered
//	near_duplicates         {groups, similar_ids, by_kind {zero-width, space, case, unicode, mixed},
//	                        largest [{first_row, size, kinds, example}]} (at most 20 groups, largest
//	                        first); absent with --near-duplicates=false
//	journal_hits            distinct ids with an answer in --state younger than --state-max-age
//	journal_stale           distinct ids whose journalled answer is older: they are asked again
//	calls_needed            distinct_ids - journal_hits: the API calls validate would make (retries aside)
//	estimated_seconds       calls_needed / rate, the least API time they take; absent when rate is 0
//	this_run                with --max-calls or --deadline: {calls, unanswered, stale}, the ids one such
//	                        run asks (never answered first, then the oldest expired answers)
//	runs_to_cover           with a budget: how many such runs answer every id that needs it
//	sample                  with --sample: {size, seed, asked, journalled, errors, answered, taken,
//	                        taken_share, taken_share_low, taken_share_high (Wilson 95% interval),
//	                        expected_taken, expected_taken_low, expected_taken_high (taken_share x
//	                        distinct_ids: the taken rows of a full run), api_calls, full_run_calls,
//	                        full_run_seconds}
//	exit_code               the process's exit code
//	error                   what stopped the plan, when something did (the counts are then partial)
type planSummary struct {
	report.Header
	Settings         planSettings   `json:"settings"`
	Rows             int64          `json:"rows"`
	DistinctIDs      int64          `json:"distinct_ids"`
	InvalidRows      int64          `json:"invalid_rows"`
	DuplicateRows    int64          `json:"duplicate_rows"`
	PaddedIDs        int64          `json:"padded_ids"`
	BlankLines       int64          `json:"blank_lines"`
	Near             *near.Stats    `json:"near_duplicates,omitempty"`
	JournalHits      int64          `json:"journal_hits"`
	JournalStale     int64          `json:"journal_stale"`
	CallsNeeded      int64          `json:"calls_needed"`
	EstimatedSeconds *float64       `json:"estimated_seconds,omitempty"`
	ThisRun          *planRun       `json:"this_run,omitempty"`
	RunsToCover      *int64         `json:"runs_to_cover,omitempty"`
	Sample           *survey.Sample `json:"sample,omitempty"`
	ExitCode         int            `json:"exit_code"`
	Error            string         `json:"error,omitempty"`

	ref func(seq int64) string // names a row in the table; nil: its number
}

type planSettings struct {
	Rate               float64 `json:"rate"`
	IDColumn           string  `json:"id_column"`
	IDField            string  `json:"id_field"`
	Trim               bool    `json:"trim"`
	State              string  `json:"state"`
	StateMaxAgeSeconds float64 `json:"state_max_age_seconds"`
	NearDuplicates     bool    `json:"near_duplicates"`
	MaxCalls           int     `json:"max_calls"`
	DeadlineSeconds    float64 `json:"deadline_seconds"`
}

// planRun is what one budgeted run would ask.
type planRun struct {
	Calls      int64 `json:"calls"`
	Unanswered int64 `json:"unanswered"` // never answered: asked first
	Stale      int64 `json:"stale"`      // expired answers, oldest first
}

func runPlan(ctx context.Context, args []string, env Env) error {
	c, err := parsePlan(args, env, env.Stdout)
	if c == nil || err != nil {
		return err
	}
	for _, w := range c.warnings {
		fmt.Fprintf(env.Stderr, "azvalidate: warning: %s\n", w)
	}
	sum := planSummary{
		Header: report.Header{Tool: "azvalidate", Version: version(), Command: "plan", Start: env.now()},
		Settings: planSettings{
			Rate: c.rate, IDColumn: c.in.IDColumn, IDField: c.in.IDField, Trim: c.in.Trim,
			State: c.state, StateMaxAgeSeconds: c.stateMaxAge.Seconds(), NearDuplicates: c.nearDuplicates,
			MaxCalls: c.budget.MaxCalls, DeadlineSeconds: c.budget.Deadline.Seconds(),
		},
	}

	in, err := openInputs(c.files, env.Stdin, c.in)
	if err != nil {
		return err
	}
	defer in.Close()
	sum.Input = report.InputInfo{Name: in.Name(), Format: in.FormatName()}

	sv := survey.Survey{}
	var writable *journal.Journal // --sample's answers go there
	if c.sample > 0 {
		sv.Sample = survey.NewReservoir(c.sample, c.seed)
		if c.state != "" {
			// Bound to the endpoint, as validate's: its answers are reused.
			j, err := journal.Open(c.state, c.conn.journalEndpoint(), c.stateMaxAge, env.now())
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
		jr, err := openPlanJournal(c.state, c.stateMaxAge, env)
		if err != nil {
			return fmt.Errorf("--state: %w", err)
		}
		if jr != nil {
			defer jr.Close()
			sv.Journal = jr
		}
	}
	if c.nearDuplicates {
		sv.Near = near.NewDetector()
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
	sum.fill(&sv, c)
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
		sum.ref = in.Ref
	}
	if err := sum.writeText(env.Stdout); err != nil && runErr == nil {
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
func openPlanJournal(path string, maxAge time.Duration, env Env) (*journal.Journal, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(env.Stderr, "azvalidate: state file %s does not exist yet: no journal hits\n", path)
		return nil, nil
	}
	j, err := journal.Read(path, maxAge, env.now())
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
func (s *planSummary) fill(sv *survey.Survey, c *planConfig) {
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
		run := planRun{Unanswered: counts.Unanswered, Stale: counts.Stale}
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

// maxGroupsShown is how many of the largest near-collision groups the table
// lists; the JSON has up to 20.
const maxGroupsShown = 5

// writeText writes the plan as an aligned table, for people.
func (s planSummary) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(format string, a ...any) { fmt.Fprintf(tw, format+"\n", a...) }

	for _, in := range s.InputLines() {
		line("input\t%s", in)
	}
	line("rows\t%s", human.Count(s.Rows))
	line("distinct ids\t%s", human.Count(s.DistinctIDs))
	line("invalid rows\t%s\tno usable id: no call", human.Count(s.InvalidRows))
	line("exact duplicates\t%s\trows repeating an earlier row's id: no call", human.Count(s.DuplicateRows))
	if s.PaddedIDs > 0 {
		line("padded ids\t%s\tids with surrounding white space, sent as is (--trim strips it)", human.Count(s.PaddedIDs))
	}
	if s.BlankLines > 0 {
		line("blank lines\t%s\tskipped: not rows, not numbered", human.Count(s.BlankLines))
	}
	if n := s.Near; n != nil {
		line("near-collisions\t%s, %s ids\tdistinct ids equal up to case, white space, Unicode form or zero-width characters",
			human.Plural(n.Groups, "group"), human.Count(n.Groups+n.Similar))
		for _, g := range n.Largest[:min(len(n.Largest), maxGroupsShown)] {
			example := ""
			if g.Example != "" {
				example = "e.g. " + human.Quote(g.Example) + " like row " + s.rowRef(g.FirstRow)
			}
			line("  row %s\t%s ids\t%s\t%s", s.rowRef(g.FirstRow), human.Count(g.Size), strings.Join(g.Kinds, ", "), example)
		}
		if more := n.Groups - maxGroupsShown; more > 0 {
			line("  …\t%s more groups\t(--summary lists the 20 largest)", human.Count(more))
		}
	}
	switch s.Settings.State {
	case "":
		line("journal hits\t-\tno --state")
	default:
		line("journal hits\t%s\tfresh answers in %s (expired: %s, asked again)", human.Count(s.JournalHits), s.Settings.State, human.Count(s.JournalStale))
	}
	line("calls needed\t%s", human.Count(s.CallsNeeded))
	line("api time\t%s", apiTime(s.CallsNeeded, s.Settings.Rate))
	if m := s.Sample; m != nil {
		line("sample\t%s of %s distinct ids\t%s asked, %s from the journal, %s without an answer (--seed %d)",
			human.Count(m.Size), human.Count(s.DistinctIDs), human.Count(m.Asked), human.Count(m.Journalled), human.Count(m.Errors), m.Seed)
		line("taken share\t%s\t95%% interval %s to %s (Wilson), %s of %s answers",
			pct(m.TakenShare), pct(m.TakenShareLow), pct(m.TakenShareHigh), human.Count(m.Taken), human.Count(m.Answered))
		line("expected taken\t%s ids\t%s to %s: the taken rows of a full run",
			human.Count(int64(math.Round(m.ExpectedTaken))), human.Count(int64(math.Round(m.ExpectedTakenLow))), human.Count(int64(math.Round(m.ExpectedTakenHigh))))
		line("full run\t%s", apiTime(m.FullRunCalls, s.Settings.Rate))
	}
	if r := s.ThisRun; r != nil {
		line("this run\t%s\t%s never answered, then %s oldest expired (%s)",
			human.Plural(r.Calls, "call"), human.Count(r.Unanswered), human.Count(r.Stale), s.Settings.budgetText())
		line("runs to cover\t%s\truns of this size until every id has a fresh answer", human.Count(*s.RunsToCover))
	}
	if s.Error != "" {
		line("INCOMPLETE\t%s", s.Error)
	}
	return tw.Flush()
}

// rowRef names row seq as the table shows it: its number, or with several
// inputs its file and number there.
func (s planSummary) rowRef(seq int64) string {
	if s.ref == nil {
		return strconv.FormatInt(seq, 10)
	}
	return s.ref(seq)
}

// budgetText is the budget as its flags say it.
func (s planSettings) budgetText() string {
	var parts []string
	if s.MaxCalls > 0 {
		parts = append(parts, "--max-calls "+strconv.Itoa(s.MaxCalls))
	}
	if s.DeadlineSeconds > 0 {
		parts = append(parts, "--deadline "+human.Typed(time.Duration(s.DeadlineSeconds*float64(time.Second))))
	}
	return strings.Join(parts, ", ")
}

// apiTime says how long calls take at rate: "1,204,331 calls at 8/s ≈ 41 h 49 min".
func apiTime(calls int64, rate float64) string {
	head := human.Plural(calls, "call")
	if rate <= 0 {
		return head + " at no rate limit (--rate 0): no estimate"
	}
	head += " at " + strconv.FormatFloat(rate, 'f', -1, 64) + "/s ≈ "
	secs := float64(calls) / rate
	if secs >= 48*3600 {
		return head + human.Span(time.Duration(secs*float64(time.Second))) + fmt.Sprintf(" (%.1f days)", secs/86400)
	}
	return head + human.Span(time.Duration(secs*float64(time.Second)))
}
