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
	seen := make(map[uint64]struct{})
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
		h := maphash.String(seed, row.ID)
		if _, dup := seen[h]; dup {
			s.duplicates++
			continue
		}
		seen[h] = struct{}{}
		s.distinct++
		s.classify(row.ID)
		if s.near != nil {
			s.near.Add(row.ID, row.Seq)
		}
	}
}

// classify tells the selector what the journal holds for a distinct id.
func (s *survey) classify(id string) {
	if s.journal != nil {
		if _, ok := s.journal.Lookup(id); ok {
			s.sel.Fresh()
			return
		}
		if e, ok := s.journal.Stale(id); ok {
			s.sel.Stale(id, e.Time)
			return
		}
	}
	s.sel.Unanswered(id)
}
