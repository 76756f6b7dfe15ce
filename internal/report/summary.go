package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/azotte/azvalidate/internal/human"
	"github.com/azotte/azvalidate/internal/near"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/unique"
	"github.com/azotte/azvalidate/internal/verdict"
)

// Summary is the end-of-run report: the text table on stderr and the JSON of
// --summary. The JSON keys are part of the tool's interface (the README
// documents them); rename none without a good reason.
//
//	schema_version    1: the version of docs/summary.schema.json this JSON follows
//	tool              "azvalidate"
//	version           the tool's version
//	command           "validate"
//	start, end        RFC 3339 times
//	input             {name, format, bytes, sha256}: bytes and sha256 are of the input as read (compressed, if it was)
//	files             with several inputs only: [{name, format, bytes, sha256, rows, verdicts}] per input,
//	                  in the order read (input then names them all, joined by ", ")
//	output            output file name, "-" for stdout
//	settings          {base_url, path, tenant, sandbox, concurrency, rate (requests/s, 0 = unlimited),
//	                  burst, retries, timeout_seconds, only, id_column, id_field, trim, max_calls,
//	                  deadline_seconds}; never a secret
//	rows              input rows decided
//	distinct_ids      distinct usable ids
//	verdicts          rows per verdict: available, taken, duplicate, invalid, error, unchecked (all always present)
//	padded_ids        usable ids with surrounding white space (--trim off)
//	blank_lines       blank lines of the input: skipped, not rows, not numbered
//	api_calls         HTTP requests sent, retries included
//	retries           requests that were repeats for the same id
//	http_429          429 answers
//	min_rate          lowest request rate the pacer slowed down to (requests/s; equals settings.rate when
//	                  never throttled, 0 when unlimited)
//	journal_hits      answers taken from the --state journal
//	near_duplicates   with --near-duplicates: {groups, similar_ids, by_kind {zero-width, space, case, unicode,
//	                  mixed}, largest [{first_row, size, kinds, example}]} (at most 20 groups, largest first)
//	owners            with --owners: taken ids by who holds them {same_customer, other_customer, no_email,
//	                  not_found, unknown} (see OwnerCounts)
//	unique_collisions with --unique-columns: {rows, by_column {NAME: rows}}: rows repeating an earlier id's
//	                  value in a column the store keeps unique
//	changes           {became_taken, became_available}: ids whose answer differs from an expired journalled one
//	stale_answers     rows carrying an answer older than --state-max-age (a budget left their id unasked)
//	oldest_answer     RFC 3339 time of the oldest answer any row carries; null when none
//	waiting_ids       distinct ids a budget left unasked (unchecked, or carrying an expired answer)
//	elapsed_seconds   end - start
//	rows_per_second   rows / elapsed_seconds
//	latency_ms        {p50, p95, p99, max} request latency in milliseconds (bucket upper bounds, ≤ 25% high)
//	paused_seconds    time every request was held by Retry-After or a spent rate limit
//	stopped           why the asking ended early, every row written: "Azotte asked to wait 24 h (Retry-After)"
//	                  (a pause longer than --max-pause or past --deadline; exit code 75); omitted otherwise
//	resume_after      with stopped: RFC 3339 time from which a re-run may ask again
//	interrupted       the run was stopped by a signal; the output is partial
//	exit_code         the process's exit code
//	error             the fatal error, when there was one (omitted otherwise)
type Summary struct {
	Header
	Output           string           `json:"output"`
	Settings         Settings         `json:"settings"`
	Rows             int64            `json:"rows"`
	DistinctIDs      int64            `json:"distinct_ids"`
	Verdicts         map[string]int64 `json:"verdicts"`
	PaddedIDs        int64            `json:"padded_ids"`
	BlankLines       int64            `json:"blank_lines"`
	APICalls         int64            `json:"api_calls"`
	Retries          int64            `json:"retries"`
	Throttled        int64            `json:"http_429"`
	MinRate          float64          `json:"min_rate"`
	JournalHits      int64            `json:"journal_hits"`
	NearDuplicates   *near.Stats      `json:"near_duplicates,omitempty"`
	Owners           *OwnerCounts     `json:"owners,omitempty"`
	UniqueCollisions *unique.Stats    `json:"unique_collisions,omitempty"` // --unique-columns' findings; nil when off
	Changes          Changes          `json:"changes"`
	StaleAnswers     int64            `json:"stale_answers"`
	OldestAnswer     *time.Time       `json:"oldest_answer"`
	WaitingIDs       int64            `json:"waiting_ids"`
	ElapsedSeconds   float64          `json:"elapsed_seconds"`
	RowsPerSecond    float64          `json:"rows_per_second"`
	LatencyMS        Latency          `json:"latency_ms"`
	PausedSeconds    float64          `json:"paused_seconds"`
	Stopped          string           `json:"stopped,omitempty"`
	ResumeAfter      *time.Time       `json:"resume_after,omitempty"`
	Interrupted      bool             `json:"interrupted"`
	ExitCode         int              `json:"exit_code"`
	Error            string           `json:"error,omitempty"`
}

// OwnerCounts are, with --owners, the taken ids by who holds them, as
// Azotte's info call said.
type OwnerCounts struct {
	SameCustomer  int64 `json:"same_customer"`  // its email is the export's (trimmed, case-folded): the same customer
	OtherCustomer int64 `json:"other_customer"` // another email: another customer holds the id
	NoEmail       int64 `json:"no_email"`       // held, but the export has no email to compare
	NotFound      int64 `json:"not_found"`      // CUSTOMER_NOT_FOUND: freed since validate answered
	Unknown       int64 `json:"unknown"`        // no usable info answer (error, or the budget ran out)
}

// Text is the counts for people: "10 same customer · 10 another
// customer", then the others that are not zero.
func (o *OwnerCounts) Text() string {
	text := human.Count(o.SameCustomer) + " same customer · " + human.Count(o.OtherCustomer) + " another customer"
	for _, x := range []struct {
		n    int64
		what string
	}{{o.NoEmail, "no email to compare"}, {o.NotFound, "no longer held"}, {o.Unknown, "unknown"}} {
		if x.n > 0 {
			text += " · " + human.Count(x.n) + " " + x.what
		}
	}
	return text
}

// Changes counts answers that differ from the journal's expired ones.
type Changes struct {
	BecameTaken     int64 `json:"became_taken"`
	BecameAvailable int64 `json:"became_available"`
}

// SchemaVersion is the summary JSON's schema_version: the version of
// docs/summary.schema.json it follows. A change that a reader of the JSON
// would notice (a key removed, renamed or retyped) raises it; a key added
// keeps it, and is added to the schema.
const SchemaVersion = 1

// Header opens every command's JSON summary (validate's and plan's): what
// ran, when, and on which input.
type Header struct {
	SchemaVersion int        `json:"schema_version"` // SchemaVersion: the shape of this JSON (docs/summary.schema.json)
	Tool          string     `json:"tool"`           // "azvalidate"
	Version       string     `json:"version"`        // the tool's version
	Command       string     `json:"command"`        // "validate" or "plan"
	Start         time.Time  `json:"start"`
	End           time.Time  `json:"end"`
	Input         InputInfo  `json:"input"`
	Files         []FileInfo `json:"files,omitempty"` // several inputs: each one's counts; nil for one
}

// InputLines are the text summaries' input lines: the input, or each of
// several with its counts.
func (h Header) InputLines() []string {
	if len(h.Files) == 0 {
		return []string{h.Input.String()}
	}
	lines := make([]string, len(h.Files))
	for i, f := range h.Files {
		lines[i] = f.Text()
	}
	return lines
}

// InputInfo identifies the input that was read.
type InputInfo struct {
	Name   string `json:"name"`   // as given; "-" for stdin
	Format string `json:"format"` // csv, tsv, ndjson, xlsx or parquet (several: joined by +)
	Bytes  int64  `json:"bytes"`  // bytes read
	SHA256 string `json:"sha256"` // hex digest of those bytes
}

// FileInfo is one of several inputs read in one run, with its own counts.
type FileInfo struct {
	Name     string           `json:"name"`     // as given; "-" for stdin
	Format   string           `json:"format"`   // csv, tsv, ndjson, xlsx or parquet
	Bytes    int64            `json:"bytes"`    // its size as stored
	SHA256   string           `json:"sha256"`   // hex digest of its bytes; "" when not read whole
	Rows     int64            `json:"rows"`     // its rows decided
	Verdicts map[string]int64 `json:"verdicts"` // its rows per verdict, all present
}

// Text is the file, then its rows and the verdicts it has: "a.csv (csv,
// 1.2 kB): 120 rows · 110 available · 10 duplicate".
func (f FileInfo) Text() string {
	t := InputInfo{Name: f.Name, Format: f.Format, Bytes: f.Bytes}.String() + ": " + human.Plural(f.Rows, "row")
	for _, v := range verdict.All {
		if n := f.Verdicts[v.String()]; n > 0 {
			t += " · " + human.Count(n) + " " + v.String()
		}
	}
	return t
}

// Settings are the run's effective settings. The API key is deliberately
// absent: a summary is a file people attach to tickets.
type Settings struct {
	BaseURL         string  `json:"base_url"`
	Path            string  `json:"path"`
	Tenant          string  `json:"tenant"`
	Sandbox         bool    `json:"sandbox"`
	Concurrency     int     `json:"concurrency"`
	Rate            float64 `json:"rate"` // requests per second; 0 = unlimited
	Burst           int     `json:"burst"`
	Retries         int     `json:"retries"`
	TimeoutSeconds  float64 `json:"timeout_seconds"`
	Only            string  `json:"only"` // --only verdict list; "" = all
	IDColumn        string  `json:"id_column"`
	IDField         string  `json:"id_field"`
	Trim            bool    `json:"trim"`
	MaxCalls        int     `json:"max_calls"`         // 0: no limit
	DeadlineSeconds float64 `json:"deadline_seconds"`  // 0: none
	Profile         string  `json:"profile,omitempty"` // the config file's profile that filled in settings
	Config          string  `json:"config,omitempty"`  // that config file
}

// Latency is request latency in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Fill copies the counters, verdict counts and latency quantiles of s into
// sum. When sum.Start and sum.End are set, it also computes the elapsed time
// and rows per second, so set them first.
func (sum *Summary) Fill(s *stats.Stats) {
	sum.Rows = s.Rows.Load()
	sum.DistinctIDs = s.DistinctIDs.Load()
	sum.PaddedIDs = s.Padded.Load()
	sum.APICalls = s.Calls.Load()
	sum.Retries = s.Retries.Load()
	sum.Throttled = s.Throttled.Load()
	sum.Changes = Changes{BecameTaken: s.BecameTaken.Load(), BecameAvailable: s.BecameAvailable.Load()}
	sum.JournalHits = s.JournalHits.Load()
	sum.StaleAnswers, sum.WaitingIDs = s.StaleAnswers.Load(), s.Waiting.Load()
	if t := s.OldestAnswer(); !t.IsZero() {
		sum.OldestAnswer = &t
	}
	sum.Verdicts = make(map[string]int64, len(verdict.All))
	for _, v := range verdict.All {
		sum.Verdicts[v.String()] = s.Verdict(v)
	}
	sum.LatencyMS = Latency{
		P50: ms(s.Latency.Quantile(0.50)),
		P95: ms(s.Latency.Quantile(0.95)),
		P99: ms(s.Latency.Quantile(0.99)),
		Max: ms(s.Latency.Max()),
	}
	if !sum.Start.IsZero() && sum.End.After(sum.Start) {
		sum.ElapsedSeconds = sum.End.Sub(sum.Start).Seconds()
		sum.RowsPerSecond = float64(sum.Rows) / sum.ElapsedSeconds
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// WriteText writes the summary as an aligned table for people, meant for
// stderr. Verdict lines show counts and shares of all rows.
func (s Summary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// tabwriter buffers until Flush, which reports any write error.
	line := func(format string, a ...any) { fmt.Fprintf(tw, format+"\n", a...) }

	for _, in := range s.InputLines() {
		line("input\t%s", in)
	}
	if s.Output != "" {
		line("output\t%s", s.Output)
	}
	line("rows\t%s", human.Count(s.Rows))
	line("distinct ids\t%s", human.Count(s.DistinctIDs))
	width := len(human.Count(s.Rows)) // no verdict count exceeds the rows
	budgeted := s.Settings.MaxCalls > 0 || s.Settings.DeadlineSeconds > 0
	for _, v := range verdict.All {
		n := s.Verdicts[v.String()]
		if v == verdict.Unchecked && n == 0 && !budgeted {
			continue // only a budget leaves rows unchecked
		}
		line("  %s\t%*s  %6s", v, width, human.Count(n), human.Percent(n, s.Rows))
	}
	if s.PaddedIDs > 0 {
		line("padded ids\t%s\tids with surrounding white space, sent as is (--trim strips it)", human.Count(s.PaddedIDs))
	}
	if s.BlankLines > 0 {
		line("blank lines\t%s\tskipped: not rows, not numbered", human.Count(s.BlankLines))
	}
	if s.Owners != nil {
		line("taken by\t%s", s.Owners.Text())
	}
	line("api calls\t%s", human.Count(s.APICalls))
	line("retries\t%s", human.Count(s.Retries))
	line("http 429\t%s", human.Count(s.Throttled))
	line("journal hits\t%s", human.Count(s.JournalHits))
	if n := s.NearDuplicates; n != nil {
		groups := human.Count(n.Groups) + " groups"
		if n.Groups == 1 {
			groups = "1 group"
		}
		line("near-collisions\t%s, %s ids\tdistinct ids equal up to case, white space, Unicode form or zero-width characters", groups, human.Count(n.Groups+n.Similar))
		for _, g := range n.Largest[:min(len(n.Largest), 3)] {
			line("  row %d\t%s ids\t%s", g.FirstRow, human.Count(g.Size), strings.Join(g.Kinds, ", "))
		}
	}
	if u := s.UniqueCollisions; u != nil {
		line("unique collisions\t%s\trepeat an earlier id's value the store keeps unique: it would refuse them (409)", human.Plural(u.Rows, "row"))
		for _, name := range slices.Sorted(maps.Keys(u.ByColumn)) {
			line("  %s\t%s", name, human.Count(u.ByColumn[name]))
		}
	}
	if budgeted || s.WaitingIDs > 0 {
		why := "budget"
		if s.Stopped != "" {
			why = "Azotte asked to wait"
		}
		line("waiting\t%s\tnot asked this run (%s); the next runs ask them first", human.Plural(s.WaitingIDs, "id"), why)
	}
	if s.StaleAnswers > 0 {
		line("stale answers\t%s\tcarry an answer older than --state-max-age, not refreshed", human.Plural(s.StaleAnswers, "row"))
	}
	if budgeted && s.OldestAnswer != nil {
		line("oldest answer\t%s", s.OldestAnswer.UTC().Format(time.RFC3339))
	}
	if c := s.Changes; c.BecameTaken+c.BecameAvailable > 0 {
		line("changed\t%s became taken, %s became available since the journal's answers", human.Count(c.BecameTaken), human.Count(c.BecameAvailable))
	}
	line("elapsed\t%s", time.Duration(s.ElapsedSeconds*float64(time.Second)).Round(time.Millisecond))
	line("rows/s\t%s", human.Count(int64(math.Round(s.RowsPerSecond))))
	l := s.LatencyMS
	line("latency\tp50 %s · p95 %s · p99 %s · max %s", msText(l.P50), msText(l.P95), msText(l.P99), msText(l.Max))
	rate := "unlimited"
	if s.Settings.Rate > 0 {
		rate = strconv.FormatFloat(s.Settings.Rate, 'f', -1, 64) + "/s, burst " + strconv.Itoa(s.Settings.Burst)
		if s.MinRate > 0 && s.MinRate < s.Settings.Rate {
			rate += ", slowed to " + strconv.FormatFloat(s.MinRate, 'f', 1, 64) + "/s by throttling"
		}
	}
	if s.PausedSeconds >= 1 {
		rate += ", paused " + human.Span(time.Duration(s.PausedSeconds*float64(time.Second))) + " (Retry-After)"
	}
	line("rate\t%s", rate)
	if s.Stopped != "" {
		line("stopped\t%s; resume after %s", s.Stopped, s.ResumeAfter.Format(time.RFC3339))
	}
	if s.Interrupted {
		line("INTERRUPTED\tthe output holds only the rows finished before the signal")
	}
	if s.Error != "" {
		line("error\t%s", s.Error)
	}
	return tw.Flush()
}

// Outcome says what happened to the run in a few words, from its exit code,
// error, interruption and verdicts: the banner of the HTML and Markdown
// reports, so that both word it alike. status is the banner's colour: "ok"
// (every row available), "warn" (findings, or rows a budget left
// unchecked) or "bad" (the run stopped, broke off or left rows unanswered).
func (s Summary) Outcome() (text, status string) {
	rows := func(v verdict.Verdict) int64 { return s.Verdicts[v.String()] }
	unchecked := ""
	if n := rows(verdict.Unchecked); n > 0 {
		unchecked = "; " + human.Plural(n, "row") + " unchecked: the run's budget ran out"
	}
	switch c := s.ExitCode; {
	case s.Interrupted || c == 130 || c == 143:
		sig := "SIGINT"
		if c == 143 {
			sig = "SIGTERM"
		}
		return "interrupted by " + sig + " after " + human.Plural(s.Rows, "row") + "; the output holds only those", "bad"
	case c == 3 && s.Error != "":
		// A fatal error with exit code 3 is the input's: it could not be read to its end.
		if s.Rows == 0 {
			return "the input broke off before its first row", "bad"
		}
		return "the input broke off after row " + human.Count(s.Rows), "bad"
	case s.Error != "":
		return "stopped: " + visible(s.Error), "bad"
	case s.Stopped != "":
		return "stopped: " + s.Stopped + "; every row is written, " + human.Plural(rows(verdict.Unchecked), "row") + " unchecked; resume after " + s.ResumeAfter.Format(time.RFC3339), "warn"
	case c == 3:
		return human.Plural(rows(verdict.Error), "row") + " got no answer (error)" + unchecked, "bad"
	case c == 1:
		var found []string
		for _, v := range []verdict.Verdict{verdict.Taken, verdict.Duplicate, verdict.Invalid} {
			if n := rows(v); n > 0 {
				found = append(found, human.Count(n)+" "+v.String())
			}
		}
		text := "finished with findings"
		if len(found) > 0 {
			text += ": " + strings.Join(found, ", ")
		}
		return text + unchecked, "warn"
	case c == 0 && unchecked != "":
		return "every row asked is available" + unchecked, "warn"
	case c == 0:
		return "every row available", "ok"
	case c == 2:
		return "stopped: a usage, configuration or credential error, or an output that could not be written", "bad"
	}
	return "stopped with exit code " + strconv.Itoa(s.ExitCode), "bad"
}

func msText(v float64) string {
	return time.Duration(v * float64(time.Millisecond)).Round(100 * time.Microsecond).String()
}

// String is the input as the text summaries show it: "x.csv (csv, 38.6 kB)".
func (in InputInfo) String() string {
	if in.Format == "" {
		return in.Name
	}
	return in.Name + " (" + in.Format + ", " + human.Bytes(in.Bytes) + ")"
}

// WriteJSONFile writes v (a Summary, plan's summary) as indented JSON to
// path, atomically: the file appears complete or not at all, as the output
// file does. Its errors name path.
func WriteJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return output.WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// Facts are the summary as a workbook's Summary sheet shows it (validate
// -o x.xlsx): one line per count, named by its JSON key (verdicts.taken
// for a verdict's), so that the sheet and --summary say the same.
func (s Summary) Facts() []output.Fact {
	facts := []output.Fact{
		{Name: "input", Value: s.Input.Name},
		{Name: "output", Value: s.Output},
		{Name: "start", Value: s.Start.UTC().Format(time.RFC3339)},
		{Name: "end", Value: s.End.UTC().Format(time.RFC3339)},
		{Name: "rows", Value: s.Rows},
		{Name: "distinct_ids", Value: s.DistinctIDs},
	}
	for _, v := range verdict.All {
		facts = append(facts, output.Fact{Name: "verdicts." + v.String(), Value: s.Verdicts[v.String()]})
	}
	return append(facts,
		output.Fact{Name: "padded_ids", Value: s.PaddedIDs},
		output.Fact{Name: "blank_lines", Value: s.BlankLines},
		output.Fact{Name: "api_calls", Value: s.APICalls},
		output.Fact{Name: "retries", Value: s.Retries},
		output.Fact{Name: "http_429", Value: s.Throttled},
		output.Fact{Name: "journal_hits", Value: s.JournalHits},
		output.Fact{Name: "changes.became_taken", Value: s.Changes.BecameTaken},
		output.Fact{Name: "changes.became_available", Value: s.Changes.BecameAvailable},
		output.Fact{Name: "elapsed_seconds", Value: s.ElapsedSeconds},
		output.Fact{Name: "interrupted", Value: s.Interrupted},
		output.Fact{Name: "exit_code", Value: int64(s.ExitCode)},
	)
}
