package cli

import (
	"context"
	"errors"
	"hash/maphash"
	"io"

	"github.com/azotte/azvalidate/internal/budget"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/near"
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
}

// journalView is the part of a --state journal a survey reads.
type journalView interface {
	Lookup(id string) (journal.Entry, bool)
	Stale(id string) (journal.Entry, bool)
}

// read reads every row of rd. It returns the input's error, or nil at its
// end or when ctx is done (the caller tells which).
func (s *survey) read(ctx context.Context, rd *input.Reader) error {
	if s.sel == nil {
		s.sel = budget.NewSelector(0)
	}
	seed := maphash.MakeSeed()
	seen := budget.NewHashSet()
	for {
		if s.rows%4096 == 0 && ctx.Err() != nil {
			return nil
		}
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		s.rows++
		if row.Invalid != "" {
			s.invalid++
			continue
		}
		if row.Padded {
			s.padded++
		}
		if !seen.Add(maphash.String(seed, row.ID)) {
			s.duplicates++
			continue
		}
		s.distinct++
		classify(s.journal, s.sel, row.ID)
		if s.near != nil {
			s.near.Add(row.ID, row.Seq)
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
