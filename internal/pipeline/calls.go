package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/output"
)

// decideNew settles c, the call of row's id, new in the run, from what is
// known (the journal, a budgeted run's asking pass), or returns the job a
// worker is to do.
func (r *run) decideNew(row input.Row, c *call) (*job, error) {
	id := row.ID
	ans, fresh := r.journalled(id)
	switch {
	case fresh:
	case r.cfg.Offline != nil:
		var asked bool
		if ans, asked = r.cfg.Offline.Answers.Answer(id); !asked {
			why := errUnchecked
			if err := r.cfg.Offline.Answers.Stopped(); err != nil {
				why = &uncheckedError{err.Error()}
			}
			r.unasked(id, c, why)
			return nil, nil
		}
	case r.paused.Load() != nil:
		r.unasked(id, c, r.paused.Load().unchecked)
		return nil, nil
	default:
		return &job{id: id, c: c, row: row}, nil
	}
	if r.wantsExtra(ans) {
		o, ok, err := r.cfg.Extra.Known(id, row, ans)
		switch {
		case err != nil:
			return nil, err
		case !ok && r.cfg.Offline == nil:
			// A journalled taken answer without a usable owner: a worker
			// asks only who holds it.
			return &job{id: id, c: c, row: row, known: &ans}, nil
		}
		c.owner = o
	}
	if fresh {
		r.settle(c, ans)
		return nil, nil
	}
	return nil, r.answered(id, c, ans, false)
}

// wantsExtra reports whether ans is a taken answer whose extra the run
// adds.
func (r *run) wantsExtra(ans azotte.Answer) bool {
	return r.cfg.Extra != nil && ans.Err == nil && !ans.IsAvailable
}

// unasked settles c, the call of an id the run leaves unasked: with the
// journal's expired answer, else why (its rows are unchecked).
func (r *run) unasked(id string, c *call, why *uncheckedError) {
	r.cfg.Stats.Waiting.Add(1)
	if r.cfg.Journal != nil {
		if prev, ok := r.cfg.Journal.Previous(id); ok {
			r.settle(c, prev)
			return
		}
	}
	r.settle(c, azotte.Answer{Err: why})
}

// uncheckedError is the answer of an id the run left unasked, with no
// answer in the journal: its rows are unchecked.
type uncheckedError struct{ why string }

func (e *uncheckedError) Error() string { return "not asked: " + e.why + "; a later run asks it first" }

// errUnchecked is a budget's: the ids it had no room for.
var errUnchecked = &uncheckedError{"the run's budget (--max-calls, --deadline) ran out first"}

// stop ends the asking once Azotte asked for a pause longer than the run
// allows: the ids not asked yet are settled by unasked, and Run returns
// err once every row is written.
func (r *run) stop(err *azotte.PauseError) {
	r.paused.CompareAndSwap(nil, &pausedRun{err, &uncheckedError{err.Error()}})
}

// pausedRun is how a run's asking ended early: the pause, and the answer
// of the ids it leaves unasked.
type pausedRun struct {
	err       *azotte.PauseError
	unchecked *uncheckedError
}

// settle gives c its answer and lets its rows be written.
func (r *run) settle(c *call, ans azotte.Answer) {
	if ans.Err == nil {
		r.cfg.Stats.ObserveAnswerTime(ans.At)
	}
	if !r.cfg.AnsweredAt {
		ans.At = time.Time{}
	}
	c.ans = ans
	close(c.done)
}

func (r *run) journalled(id string) (azotte.Answer, bool) {
	if r.cfg.Journal == nil {
		return azotte.Answer{}, false
	}
	ans, ok := r.cfg.Journal.Lookup(id)
	if ok {
		r.cfg.Stats.JournalHits.Add(1)
	}
	return ans, ok
}

// job is a new id for a worker.
type job struct {
	id    string
	c     *call
	row   input.Row      // the id's first row, for its email (Config.Owners)
	known *azotte.Answer // the journal's taken answer: ask only who holds id
}

// work is one worker: it asks about each id of jobs until jobs is closed.
func (r *run) work(ctx context.Context, jobs <-chan job) error {
	for {
		select {
		case j, ok := <-jobs:
			if !ok {
				return nil
			}
			if err := r.ask(ctx, j); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ask fills j's call and closes its done, unless the run is over: the
// validate answer (unless known), then, for a taken id with Config.Extra,
// what else its first row carries.
func (r *run) ask(ctx context.Context, j job) error {
	var ans azotte.Answer
	if j.known != nil {
		ans = *j.known
	} else {
		var err error
		if ans, err = r.v.Validate(ctx, j.id); err != nil {
			var pause *azotte.PauseError
			if errors.As(err, &pause) {
				r.stop(pause)
				r.unasked(j.id, j.c, r.paused.Load().unchecked)
				return nil
			}
			// Fatal or cancelled: the row stays undecided, so it is not
			// written as an error it never was.
			return err
		}
	}
	if r.wantsExtra(ans) {
		o, err := r.cfg.Extra.Fetch(ctx, j.id, j.row)
		var pause *azotte.PauseError
		switch {
		case errors.As(err, &pause):
			r.stop(pause) // the answer stands; who holds the id stays unknown
		case err != nil:
			return err
		default:
			j.c.owner = o
		}
	}
	if j.known != nil {
		r.settle(j.c, ans)
		return nil
	}
	return r.answered(j.id, j.c, ans, true)
}

// answered settles c with Azotte's answer about id, noting how it differs
// from the journal's expired one, and journals it when journal is set.
func (r *run) answered(id string, c *call, ans azotte.Answer, journal bool) error {
	if ans.Err == nil && r.cfg.Journal != nil {
		if prev, ok := r.cfg.Journal.Previous(id); ok && prev.IsAvailable != ans.IsAvailable {
			c.changed = fmt.Sprintf("changed: %s -> %s since %s", availability(prev.IsAvailable), availability(ans.IsAvailable), prev.At.UTC().Format(time.RFC3339))
			if ans.IsAvailable {
				r.cfg.Stats.BecameAvailable.Add(1)
			} else {
				r.cfg.Stats.BecameTaken.Add(1)
			}
		}
		if journal {
			if err := r.cfg.Journal.Append(id, ans); err != nil {
				return fmt.Errorf("state journal: %w", err)
			}
		}
	}
	r.settle(c, ans)
	return nil
}

// call is one id's request in flight. ans and changed are written by its
// worker before done is closed and only read after.
type call struct {
	done    chan struct{}
	ans     azotte.Answer
	changed string        // how the answer differs from an expired journalled one; "" when it does not
	owner   *output.Owner // Config.Owners: who holds a taken id; nil when not asked
}

func availability(available bool) string {
	if available {
		return "available"
	}
	return "taken"
}
