package cli

import (
	"context"
	"errors"
	"hash/maphash"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/azotte/azvalidate/internal/budget"
	"github.com/azotte/azvalidate/internal/idtable"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/near"
	"github.com/azotte/azvalidate/internal/pipeline"
	"github.com/azotte/azvalidate/internal/verdict"
)

// survey is one pass over an input that makes no call: what plan reports,
// and how a budgeted run chooses the ids it asks. It keeps a 64-bit hash
// per distinct id (two distinct ids would be counted as one with odds of
// about n²/2⁶⁵), so memory grows with the distinct ids, never with the rows.
type survey struct {
	rows, invalid, duplicates, padded, distinct int64

	journal journalView      // nil: no --state
	sel     *budget.Selector // told every distinct id by what the journal holds for it
	near    *near.Detector   // nil: no near-collision forecast
	sample  *reservoir       // nil: no --sample
	files   []fileCounts     // several inputs: each one's rows, invalid and duplicate rows; nil for one
}

// reservoir keeps a uniform sample of the distinct ids it is shown
// (reservoir sampling: the k-th id replaces a random one of n with
// probability n/k), in one pass and n ids of memory.
type reservoir struct {
	n    int
	seen int64
	ids  []string
	rng  *rand.Rand
}

func newReservoir(n int, seed uint64) *reservoir {
	return &reservoir{n: n, ids: make([]string, 0, min(n, 1<<16)), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// add shows the reservoir a new distinct id.
func (r *reservoir) add(id string) {
	r.seen++
	switch {
	case len(r.ids) < r.n:
		// A clone: a row's ID shares memory with its whole record.
		r.ids = append(r.ids, strings.Clone(id))
	default:
		if j := r.rng.Int64N(r.seen); j < int64(r.n) {
			r.ids[j] = strings.Clone(id)
		}
	}
}

// journalView is the part of a --state journal a survey reads.
type journalView interface {
	Lookup(id string) (journal.Entry, bool)
	Stale(id string) (journal.Entry, bool)
}

// read reads every row of rd. It returns the input's error, or nil at its
// end or when ctx is done (the caller tells which).
func (s *survey) read(ctx context.Context, rd pipeline.Source) error {
	if s.sel == nil {
		s.sel = budget.NewSelector(0)
	}
	seed := maphash.MakeSeed()
	seen := idtable.NewByHash[struct{}]() // by hash: two ids with one count as one, odds n²/2⁶⁵
	return eachRow(ctx, rd, func(row input.Row) bool {
		s.rows++
		var file *fileCounts
		if row.File < len(s.files) {
			file = &s.files[row.File]
			file.rows++
		}
		switch {
		case row.Invalid != "":
			s.invalid++
			if file != nil {
				file.verdicts[verdict.Invalid]++
			}
			return true
		case row.Padded:
			s.padded++
		}
		if _, isNew := seen.Add(maphash.String(seed, row.ID), struct{}{}); !isNew {
			s.duplicates++
			if file != nil {
				file.verdicts[verdict.Duplicate]++
			}
			return true
		}
		s.distinct++
		classify(s.journal, s.sel, row.ID)
		if s.near != nil {
			s.near.Add(row.ID, row.Seq)
		}
		if s.sample != nil {
			s.sample.add(row.ID)
		}
		return true
	})
}

// eachRow calls f with every row of rd until f returns false or the input
// ends (nil), the input fails (its error), or ctx is done (nil: the caller
// tells).
func eachRow(ctx context.Context, rd pipeline.Source, f func(input.Row) bool) error {
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

// classify tells sel what the journal j (nil: none) holds for id.
func classify(j journalView, sel *budget.Selector, id string) {
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
