// Package survey is one pass over an input that makes no call: what plan
// reports (rows, duplicates, invalid and padded ids, what the journal
// holds, a uniform sample), and how a budgeted run chooses the ids it asks.
package survey

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/azotte/azvalidate/internal/budget"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/near"
	"github.com/azotte/azvalidate/internal/spill"
	"github.com/azotte/azvalidate/internal/verdict"
)

// Survey counts an input's rows in one pass (Read). It keeps each distinct
// id, exact, within Memory, so memory grows with the distinct ids (and
// stops at Memory's share), never with the rows.
type Survey struct {
	Rows, Invalid, Duplicates, Padded, Distinct int64

	Journal  Journal          // nil: no --state
	Selector *budget.Selector // told every distinct id by what the journal holds for it; nil: one is made
	Near     *near.Detector   // nil: no near-collision forecast
	Sample   *Reservoir       // nil: no --sample
	Files    []Counts         // several inputs: each one's rows, invalid and duplicate rows; nil for one
	Memory   spill.Memory     // the distinct ids' share of memory; zero: all in memory
}

// Source yields input rows in order; io.EOF ends it. *input.Files is one.
type Source interface {
	Next() (input.Row, error)
}

// Counts are one input's rows and verdicts.
type Counts struct {
	Rows     int64
	Verdicts [8]int64 // by Verdict (there are fewer)
}

// Reservoir keeps a uniform sample of the distinct ids it is shown
// (reservoir sampling: the k-th id replaces a random one of n with
// probability n/k), in one pass and n ids of memory.
type Reservoir struct {
	n    int
	seen int64
	IDs  []string // the sample
	rng  *rand.Rand
}

func NewReservoir(n int, seed uint64) *Reservoir {
	return &Reservoir{n: n, IDs: make([]string, 0, min(n, 1<<16)), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Add shows the reservoir a new distinct id.
func (r *Reservoir) Add(id string) {
	r.seen++
	switch {
	case len(r.IDs) < r.n:
		// A clone: a row's ID shares memory with its whole record.
		r.IDs = append(r.IDs, strings.Clone(id))
	default:
		if j := r.rng.Int64N(r.seen); j < int64(r.n) {
			r.IDs[j] = strings.Clone(id)
		}
	}
}

// Journal is the part of a --state journal a survey reads.
type Journal interface {
	Lookup(id string) (journal.Entry, bool)
	Stale(id string) (journal.Entry, bool)
}

// Read reads every row of rd. It returns the input's error, or nil at its
// end or when ctx is done (the caller tells which).
func (s *Survey) Read(ctx context.Context, rd Source) error {
	if s.Selector == nil {
		s.Selector = budget.NewSelector(0)
	}
	seen := spill.NewByID[struct{}](s.Memory)
	return EachRow(ctx, rd, func(row input.Row) bool {
		s.Rows++
		var file *Counts
		if row.File < len(s.Files) {
			file = &s.Files[row.File]
			file.Rows++
		}
		switch {
		case row.Invalid != "":
			s.Invalid++
			if file != nil {
				file.Verdicts[verdict.Invalid]++
			}
			return true
		case row.Padded:
			s.Padded++
		}
		if _, isNew := seen.Add(row.ID, struct{}{}); !isNew {
			s.Duplicates++
			if file != nil {
				file.Verdicts[verdict.Duplicate]++
			}
			return true
		}
		s.Distinct++
		Classify(s.Journal, s.Selector, row.ID)
		if s.Near != nil {
			s.Near.Add(row.ID, row.Seq)
		}
		if s.Sample != nil {
			s.Sample.Add(row.ID)
		}
		return true
	})
}

// EachRow calls f with every row of rd until f returns false or the input
// ends (nil), the input fails (its error), or ctx is done (nil: the caller
// tells).
func EachRow(ctx context.Context, rd Source, f func(input.Row) bool) error {
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil
		}
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if !f(row) {
			return nil
		}
	}
}

// Classify tells sel what the journal j (nil: none) holds for id.
func Classify(j Journal, sel *budget.Selector, id string) {
	if j != nil {
		if _, ok := j.Lookup(id); ok {
			sel.Fresh()
			return
		}
		if e, ok := j.Stale(id); ok {
			sel.Stale(id, e.Time)
			return
		}
	}
	sel.Unanswered(id)
}
