package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/verdict"
)

func (r *run) write(ctx context.Context, window <-chan item) error {
	for {
		it, ok, err := next(ctx, window)
		if err != nil || !ok {
			return err
		}
		if it.call != nil {
			if err := wait(ctx, it.call.done); err != nil {
				return err
			}
		}
		// One Record serves every row (sinks and Observe must not keep it):
		// a local whose address goes to an interface is allocated per row.
		r.rec = r.decide(it)
		rec := &r.rec
		r.cfg.Stats.Count(rec.Verdict)
		r.cfg.Stats.Rows.Add(1)
		r.cfg.Stats.InputDecided.Store(it.row.End)
		if r.cfg.Observe != nil {
			r.cfg.Observe(rec)
		}
		if err := r.sink.Write(rec); err != nil {
			return err
		}
	}
}

// next receives the next row of the window. Once ctx is done it still
// returns rows that are already there, so that the writer stops at the first
// row without an answer rather than at a random one.
func next(ctx context.Context, window <-chan item) (item, bool, error) {
	select {
	case it, ok := <-window:
		return it, ok, nil
	default:
	}
	select {
	case it, ok := <-window:
		return it, ok, nil
	case <-ctx.Done():
		return item{}, false, ctx.Err()
	}
}

// wait waits for done, preferring it over ctx for the same reason as next.
func wait(ctx context.Context, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	default:
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// decide turns a row and its answer into the output record.
func (r *run) decide(it item) output.Record {
	rec := output.Record{Row: it.row, SimilarTo: it.near.to, SimilarKind: it.near.kind,
		CollidesWith: it.collidesWith, CollidesOn: it.collidesOn}
	if it.row.Invalid != "" {
		rec.Verdict = verdict.Invalid
		rec.Detail = it.row.Invalid
		return rec
	}
	var ans azotte.Answer
	if it.call != nil {
		ans = it.call.ans
		if it.row.Seq == it.first {
			// The first row of an id: its call has served every row that
			// waited on it; keep only the compact answer from now on.
			r.ids.retire(it.row.ID, it.first, ans)
		}
	} else {
		ans = r.ids.answer(it.ans)
	}
	stale := false
	if ans.Err == nil {
		rec.Answered = true
		rec.IsAvailable = ans.IsAvailable
		rec.AnsweredAt = ans.At
		if stale = r.cfg.Offline != nil && !ans.At.IsZero() && ans.At.Before(r.cfg.Offline.StaleBefore); stale {
			r.cfg.Stats.StaleAnswers.Add(1)
		}
	}
	rec.MessageCode = ans.MessageCode
	rec.Status = ans.Status

	switch {
	case it.row.Seq != it.first:
		rec.Verdict = verdict.Duplicate
		rec.DuplicateOf = it.first
		if ans.Err != nil {
			rec.Detail = fmt.Sprintf("row %d got no answer: %v", it.first, ans.Err)
		}
	case errors.As(ans.Err, new(*uncheckedError)):
		rec.Verdict = verdict.Unchecked
		rec.Detail = ans.Err.Error()
	case errors.As(ans.Err, new(*azotte.RefusedError)):
		// Azotte will never take this id: a finding, not a retry.
		rec.Verdict = verdict.Invalid
		rec.Detail = ans.Err.Error()
	case ans.Err != nil:
		rec.Verdict = verdict.Error
		rec.Detail = ans.Err.Error()
	case ans.IsAvailable:
		rec.Verdict = verdict.Available
	default:
		rec.Verdict = verdict.Taken
	}
	if it.call != nil && it.call.owner != nil && it.row.Seq == it.first && rec.Verdict == verdict.Taken {
		rec.Owner = *it.call.owner
		if d := rec.Owner.Detail; d != "" {
			rec.Detail = d
		}
	}
	if it.call != nil && it.call.changed != "" {
		rec.Changed = it.row.Seq == it.first
		if rec.Detail == "" {
			rec.Detail = it.call.changed
		}
	}
	if stale && rec.Detail == "" {
		rec.Detail = "not refreshed: answered " + ans.At.UTC().Format(time.RFC3339) + ", older than --state-max-age"
	}
	if it.row.Padded && rec.Detail == "" {
		rec.Detail = "id has surrounding white space (sent as is; --trim strips it)"
	}
	return rec
}
