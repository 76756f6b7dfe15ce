package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/near"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/report"
)

const planSynopsis = `
Usage: azvalidate plan [flags] [FILE|-]

Reads an export exactly as validate does (same input flags, same --state) and,
without calling Azotte, says what validating it would cost: rows, distinct ids,
invalid rows, exact duplicates, near-collision groups (ids equal up to case,
white space, Unicode form or zero-width characters), journal hits, the calls
still needed and the API time they take at --rate. The table goes to stdout;
--summary FILE also writes it as JSON. Memory grows only with the distinct ids
(a few dozen bytes each), never with the rows.

Exit codes: 0 planned; 2 usage or input error; 130/143 interrupted.`

const planExamples = `  # what would validating the sample cost?
  azvalidate plan testdata/customers.csv

  # a nightly job: how many ids have no fresh answer in the journal yet?
  azvalidate plan crm.csv.gz --state crm.state --summary plan.json

  # NDJSON from a pipe, at a tenant's higher limit, no near-collision forecast
  zcat export.ndjson.gz | azvalidate plan --id-field customer.externalId --rate 20 --near-duplicates=false -
`

// planConfig is everything plan needs, checked before any work.
type planConfig struct {
	file           string // "-" for stdin
	in             input.Config
	rate           float64
	state          string
	stateMaxAge    time.Duration
	nearDuplicates bool
	summary        string
}

// inputFlags are the flags that say how to read an input, as validate and
// plan both take them: addInputFlags registers them, apply checks them and
// completes the input.Config.
type inputFlags struct {
	format, idColumn, delimiter string
}

// addInputFlags registers on fs the flags that fill in.
func addInputFlags(fs *flag.FlagSet, in *input.Config) *inputFlags {
	f := &inputFlags{}
	fs.StringVar(&f.format, "format", "", "input format csv|tsv|ndjson (default: from the extension, else sniffed)")
	fs.StringVar(&f.idColumn, "id-column", "externalId", "CSV/TSV id column `NAME` (exact, then case-insensitive), or its 1-based number with --no-header")
	fs.BoolVar(&in.NoHeader, "no-header", false, "CSV/TSV input has no header row (use --id-column N)")
	fs.StringVar(&f.delimiter, "delimiter", "", "CSV/TSV field separator `C` (default , for CSV, tab for TSV; \\t or tab accepted)")
	fs.StringVar(&in.IDField, "id-field", "externalId", "NDJSON id field `PATH`, dotted for nested objects (customer.externalId)")
	fs.IntVar(&in.MaxRecordBytes, "max-field-bytes", 1<<20, "a row longer than this many `bytes` becomes an invalid row instead of using memory without bound")
	fs.BoolVar(&in.Trim, "trim", false, "strip white space around ids (without it, padded ids are sent as is and warned about)")
	return f
}

// apply checks the input flags once parsed and completes in; set holds the
// names of the flags given.
func (f *inputFlags) apply(in *input.Config, set map[string]bool) error {
	var err error
	if f.format != "" {
		if in.Format, err = input.ParseFormat(f.format); err != nil {
			return usageError("--format: %v", err)
		}
	}
	if in.NoHeader {
		n, err := strconv.Atoi(f.idColumn)
		switch {
		case !set["id-column"]:
			n = 1
		case err != nil || n < 1:
			return usageError("--no-header needs --id-column N, a column number from 1 (got %q)", f.idColumn)
		}
		in.IDIndex = n
	} else {
		in.IDColumn = f.idColumn
	}
	if f.delimiter != "" {
		if in.Delimiter, err = parseDelimiter(f.delimiter); err != nil {
			return usageError("--delimiter: %v", err)
		}
	}
	if in.MaxRecordBytes < 1 {
		return usageError("--max-field-bytes must be positive, got %d", in.MaxRecordBytes)
	}
	return nil
}

func parsePlan(args []string, stderr io.Writer) (*planConfig, error) {
	c := &planConfig{}
	fs := newFlagSet("plan", planSynopsis, planExamples, stderr)
	in := addInputFlags(fs, &c.in)
	fs.Float64Var(&c.rate, "rate", 8, "requests per second the estimate assumes, 0 = no limit; 8 is Azotte's 500/min")
	fs.StringVar(&c.state, "state", "", "journal of Azotte's answers in `FILE` (as validate's): ids with a fresh answer there cost no call")
	fs.DurationVar(&c.stateMaxAge, "state-max-age", 24*time.Hour, "journalled answers older than this are asked again")
	fs.BoolVar(&c.nearDuplicates, "near-duplicates", true, "forecast near-collisions: distinct ids equal up to case, white space, Unicode form or zero-width characters")
	fs.StringVar(&c.summary, "summary", "", "also write the plan as JSON to `FILE`")

	file, set, err := parseFileArgs(fs, args)
	if err != nil {
		return nil, err
	}
	c.file = file
	if err := in.apply(&c.in, set); err != nil {
		return nil, err
	}
	if c.rate < 0 || math.IsInf(c.rate, 0) || math.IsNaN(c.rate) {
		return nil, usageError("--rate must be 0 (no limit) or more, got %g", c.rate)
	}
	if c.stateMaxAge <= 0 {
		return nil, usageError("--state-max-age must be positive, got %v", c.stateMaxAge)
	}
	if set["state-max-age"] && c.state == "" {
		return nil, usageError("--state-max-age needs --state")
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
//	                        state, state_max_age_seconds, near_duplicates}
//	rows                    input rows read (= distinct_ids + duplicate_rows + invalid_rows)
//	distinct_ids            distinct usable ids
//	invalid_rows            rows without a usable id: validate's invalid verdict
//	duplicate_rows          rows whose id appeared on an earlier row: validate's duplicate verdict, no call
//	padded_ids              rows whose id has surrounding white space (--trim off)
//	near_duplicates         {groups, similar_ids, by_kind {zero-width, space, case, unicode, mixed},
//	                        largest [{first_row, size, kinds, example}]} (at most 20 groups, largest
//	                        first); absent with --near-duplicates=false
//	journal_hits            distinct ids with an answer in --state younger than --state-max-age
//	journal_stale           distinct ids whose journalled answer is older: they are asked again
//	calls_needed            distinct_ids - journal_hits: the API calls validate would make (retries aside)
//	estimated_seconds       calls_needed / rate, the least API time they take; absent when rate is 0
//	exit_code               the process's exit code
//	error                   what stopped the plan, when something did (the counts are then partial)
type planSummary struct {
	Tool             string           `json:"tool"`
	Version          string           `json:"version"`
	Command          string           `json:"command"`
	Start            time.Time        `json:"start"`
	End              time.Time        `json:"end"`
	Input            report.InputInfo `json:"input"`
	Settings         planSettings     `json:"settings"`
	Rows             int64            `json:"rows"`
	DistinctIDs      int64            `json:"distinct_ids"`
	InvalidRows      int64            `json:"invalid_rows"`
	DuplicateRows    int64            `json:"duplicate_rows"`
	PaddedIDs        int64            `json:"padded_ids"`
	Near             *near.Stats      `json:"near_duplicates,omitempty"`
	JournalHits      int64            `json:"journal_hits"`
	JournalStale     int64            `json:"journal_stale"`
	CallsNeeded      int64            `json:"calls_needed"`
	EstimatedSeconds *float64         `json:"estimated_seconds,omitempty"`
	ExitCode         int              `json:"exit_code"`
	Error            string           `json:"error,omitempty"`
}

type planSettings struct {
	Rate               float64 `json:"rate"`
	IDColumn           string  `json:"id_column"`
	IDField            string  `json:"id_field"`
	Trim               bool    `json:"trim"`
	State              string  `json:"state"`
	StateMaxAgeSeconds float64 `json:"state_max_age_seconds"`
	NearDuplicates     bool    `json:"near_duplicates"`
}

// planJournal is the part of the --state journal plan reads.
type planJournal interface {
	Lookup(id string) (journal.Entry, bool)
	Stale(id string) (journal.Entry, bool)
}

func runPlan(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, err := parsePlan(args, stderr)
	if c == nil || err != nil {
		return err
	}
	sum := planSummary{
		Tool: "azvalidate", Version: version(), Command: "plan", Start: time.Now(),
		Settings: planSettings{
			Rate: c.rate, IDColumn: c.in.IDColumn, IDField: c.in.IDField, Trim: c.in.Trim,
			State: c.state, StateMaxAgeSeconds: c.stateMaxAge.Seconds(), NearDuplicates: c.nearDuplicates,
		},
	}

	src, rd, err := openReader(c.file, stdin, c.in)
	if err != nil {
		return err
	}
	defer src.Close()
	sum.Input = report.InputInfo{Name: src.name, Format: rd.Format().String()}

	var j planJournal
	if c.state != "" {
		jr, err := openPlanJournal(c.state, c.stateMaxAge, stderr)
		if err != nil {
			return exitError{code: exitUsage, err: fmt.Errorf("--state: %w", err)}
		}
		if jr != nil {
			defer jr.Close()
			j = jr
		}
	}
	var detector *near.Detector
	if c.nearDuplicates {
		detector = near.NewDetector()
	}

	runErr := countPlan(ctx, rd, j, detector, &sum)
	code := exitOK
	switch {
	case ctx.Err() != nil:
		runErr = context.Cause(ctx)
		code = exitInterrupted
		var coded interface{ ExitCode() int }
		if errors.As(runErr, &coded) {
			code = coded.ExitCode()
		}
	case runErr != nil:
		code = exitUsage
	default:
		sum.Input.SHA256 = hex.EncodeToString(src.hash.Sum(nil))
	}
	sum.Input.Bytes = src.n.Load()
	if detector != nil {
		st := detector.Stats()
		sum.Near = &st
	}
	sum.CallsNeeded = sum.DistinctIDs - sum.JournalHits
	if c.rate > 0 {
		secs := float64(sum.CallsNeeded) / c.rate
		sum.EstimatedSeconds = &secs
	}
	sum.End = time.Now()
	sum.ExitCode = code
	if runErr != nil {
		sum.Error = runErr.Error()
	}
	if err := sum.writeText(stdout); err != nil && runErr == nil {
		runErr, code = fmt.Errorf("write plan: %w", err), exitUsage
	}
	if c.summary != "" {
		if err := writeJSONFile(c.summary, sum); err != nil {
			fmt.Fprintf(stderr, "azvalidate: summary: %v\n", err)
			if code == exitOK {
				code = exitUsage
			}
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
func openPlanJournal(path string, maxAge time.Duration, stderr io.Writer) (*journal.Journal, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "azvalidate: state file %s does not exist yet: no journal hits\n", path)
		return nil, nil
	}
	j, err := journal.Read(path, maxAge, time.Now())
	if err != nil {
		return nil, err
	}
	for _, w := range j.Warnings() {
		fmt.Fprintf(stderr, "azvalidate: warning: %s\n", w)
	}
	return j, nil
}

// countPlan reads every row of rd and counts into sum. It keeps a 64-bit
// hash per distinct id (two distinct ids would be counted as one with odds
// of about n²/2⁶⁵), the journal's own index and the Detector: memory grows
// with the distinct ids, never with the rows. It returns the input's error,
// or nil at its end or when ctx is done (the caller tells which).
func countPlan(ctx context.Context, rd *input.Reader, j planJournal, detector *near.Detector, sum *planSummary) error {
	seed := maphash.MakeSeed()
	seen := make(map[uint64]struct{})
	for {
		if sum.Rows%4096 == 0 && ctx.Err() != nil {
			return nil
		}
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		sum.Rows++
		if row.Invalid != "" {
			sum.InvalidRows++
			continue
		}
		if row.Padded {
			sum.PaddedIDs++
		}
		h := maphash.String(seed, row.ID)
		if _, dup := seen[h]; dup {
			sum.DuplicateRows++
			continue
		}
		seen[h] = struct{}{}
		sum.DistinctIDs++
		if j != nil {
			if _, ok := j.Lookup(row.ID); ok {
				sum.JournalHits++
			} else if _, ok := j.Stale(row.ID); ok {
				sum.JournalStale++
			}
		}
		if detector != nil {
			detector.Add(row.ID, row.Seq)
		}
	}
}

// maxGroupsShown is how many of the largest near-collision groups the table
// lists; the JSON has up to 20.
const maxGroupsShown = 5

// writeText writes the plan as an aligned table, for people.
func (s planSummary) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(format string, a ...any) { fmt.Fprintf(tw, format+"\n", a...) }

	line("input\t%s (%s, %s)", s.Input.Name, s.Input.Format, byteCount(s.Input.Bytes))
	line("rows\t%s", thousands(s.Rows))
	line("distinct ids\t%s", thousands(s.DistinctIDs))
	line("invalid rows\t%s\tno usable id: no call", thousands(s.InvalidRows))
	line("exact duplicates\t%s\trows repeating an earlier row's id: no call", thousands(s.DuplicateRows))
	if s.PaddedIDs > 0 {
		line("padded ids\t%s\tids with surrounding white space, sent as is (--trim strips it)", thousands(s.PaddedIDs))
	}
	if n := s.Near; n != nil {
		line("near-collisions\t%s, %s ids\tdistinct ids equal up to case, white space, Unicode form or zero-width characters",
			count(n.Groups, "group"), thousands(n.Groups+n.Similar))
		for _, g := range n.Largest[:min(len(n.Largest), maxGroupsShown)] {
			example := ""
			if g.Example != "" {
				example = "e.g. " + strconv.QuoteToGraphic(g.Example) + " like row " + strconv.FormatInt(g.FirstRow, 10)
			}
			line("  row %d\t%s ids\t%s\t%s", g.FirstRow, thousands(g.Size), strings.Join(g.Kinds, ", "), example)
		}
		if more := n.Groups - maxGroupsShown; more > 0 {
			line("  …\t%s more groups\t(--summary lists the 20 largest)", thousands(more))
		}
	}
	switch s.Settings.State {
	case "":
		line("journal hits\t-\tno --state")
	default:
		line("journal hits\t%s\tfresh answers in %s (expired: %s, asked again)", thousands(s.JournalHits), s.Settings.State, thousands(s.JournalStale))
	}
	line("calls needed\t%s", thousands(s.CallsNeeded))
	line("api time\t%s", apiTime(s.CallsNeeded, s.Settings.Rate))
	if s.Error != "" {
		line("INCOMPLETE\t%s", s.Error)
	}
	return tw.Flush()
}

// apiTime says how long calls take at rate: "1,204,331 calls at 8/s ≈ 41 h 49 min".
func apiTime(calls int64, rate float64) string {
	head := count(calls, "call")
	if rate <= 0 {
		return head + " at no rate limit (--rate 0): no estimate"
	}
	head += " at " + strconv.FormatFloat(rate, 'f', -1, 64) + "/s ≈ "
	secs := float64(calls) / rate
	if secs >= 48*3600 {
		return head + duration(secs) + fmt.Sprintf(" (%.1f days)", secs/86400)
	}
	return head + duration(secs)
}

// duration formats seconds for people: "37 s", "12 min 5 s", "41 h 49 min".
func duration(secs float64) string {
	s := int64(math.Round(secs))
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	}
	m := int64(math.Round(secs / 60))
	return fmt.Sprintf("%d h %d min", m/60, m%60)
}

// thousands formats n with thousands separators: 1204331 -> "1,204,331".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// count says "1 group", "2 groups", "1,024 groups".
func count(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(n) + " " + noun + "s"
}

// byteCount formats a size in bytes in SI units: "38.6 kB".
func byteCount(n int64) string {
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, i := float64(n), 0
	for f >= 1000 && i < 4 {
		f /= 1000
		i++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + "kMGT"[i-1:i] + "B"
}

// writeJSONFile writes v as indented JSON to path, complete or not at all.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	f, err := output.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Abandon(false)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}
