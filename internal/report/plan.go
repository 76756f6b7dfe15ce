package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/azotte/azvalidate/internal/human"
	"github.com/azotte/azvalidate/internal/near"
)

// Plan is plan's result: the table on stdout and the JSON of
// --summary, whose keys are part of the tool's interface:
//
//	schema_version          1: the version of docs/summary.schema.json this JSON follows
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
type Plan struct {
	Header
	Settings         PlanSettings `json:"settings"`
	Rows             int64        `json:"rows"`
	DistinctIDs      int64        `json:"distinct_ids"`
	InvalidRows      int64        `json:"invalid_rows"`
	DuplicateRows    int64        `json:"duplicate_rows"`
	PaddedIDs        int64        `json:"padded_ids"`
	BlankLines       int64        `json:"blank_lines"`
	Near             *near.Stats  `json:"near_duplicates,omitempty"`
	JournalHits      int64        `json:"journal_hits"`
	JournalStale     int64        `json:"journal_stale"`
	CallsNeeded      int64        `json:"calls_needed"`
	EstimatedSeconds *float64     `json:"estimated_seconds,omitempty"`
	ThisRun          *PlanRun     `json:"this_run,omitempty"`
	RunsToCover      *int64       `json:"runs_to_cover,omitempty"`
	Sample           *Sample      `json:"sample,omitempty"`
	ExitCode         int          `json:"exit_code"`
	Error            string       `json:"error,omitempty"`

	Ref func(seq int64) string `json:"-"` // names a row in the table; nil: its number
}

// PlanSettings are the plan's settings, as --summary shows them.
type PlanSettings struct {
	Rate               float64 `json:"rate"`
	IDColumn           string  `json:"id_column"`
	IDField            string  `json:"id_field"`
	Trim               bool    `json:"trim"`
	State              string  `json:"state"`
	StateMaxAgeSeconds float64 `json:"state_max_age_seconds"`
	NearDuplicates     bool    `json:"near_duplicates"`
	MaxCalls           int     `json:"max_calls"`
	DeadlineSeconds    float64 `json:"deadline_seconds"`
	Profile            string  `json:"profile,omitempty"` // the config file's profile that filled in settings
	Config             string  `json:"config,omitempty"`  // that config file
}

// PlanRun is what one budgeted run would ask.
type PlanRun struct {
	Calls      int64 `json:"calls"`
	Unanswered int64 `json:"unanswered"` // never answered: asked first
	Stale      int64 `json:"stale"`      // expired answers, oldest first
}

// maxGroupsShown is how many of the largest near-collision groups the table
// lists; the JSON has up to 20.
const maxGroupsShown = 5

// WriteText writes the plan as an aligned table, for people.
func (s Plan) WriteText(w io.Writer) error {
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
func (s Plan) rowRef(seq int64) string {
	if s.Ref == nil {
		return strconv.FormatInt(seq, 10)
	}
	return s.Ref(seq)
}

// budgetText is the budget as its flags say it.
func (s PlanSettings) budgetText() string {
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

// pct is a share as a percentage with one decimal.
func pct(share float64) string { return strconv.FormatFloat(100*share, 'f', 1, 64) + "%" }
