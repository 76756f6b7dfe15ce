package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/azotte/azvalidate/internal/console"
	"io"
	"slices"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/budget"
	"github.com/azotte/azvalidate/internal/human"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/pipeline"
	"github.com/azotte/azvalidate/internal/survey"
)

// runBudgeted is a run under --max-calls or --deadline, in three passes: a
// first read of the input chooses the ids the budget allows (never answered
// first, in input order, then the oldest expired answers), they are asked in
// that order until the budget runs out, and a second read writes every row
// without a call, with this run's answer, the journal's, or unchecked.
func (v *validation) runBudgeted(ctx context.Context, pcfg pipeline.Config) error {
	c := v.c
	ids, err := v.choose(ctx)
	if err != nil || ctx.Err() != nil {
		return err
	}
	v.idsToAsk = len(ids)
	var until time.Time
	if c.budget.Deadline > 0 {
		until = v.start.Add(c.budget.Deadline)
	}
	v.asked = pipeline.NewAsked(len(ids))
	progress := v.startProgress(console.ProgressConfig{Total: int64(len(ids)), Bytes: v.asked.Len, Count: v.asked.Len, Unit: "ids",
		Start: "asking " + human.Plural(int64(len(ids)), "id") + " of " + v.in.Name() + " the budget allows"})
	acfg := pipeline.AskConfig{Concurrency: c.concurrency, Until: until, Journal: pcfg.Journal}
	if c.owners {
		// Info calls spend the budget too.
		acfg.Owners, acfg.MaxCalls = v.ownerAsker, c.budget.MaxCalls
	}
	askErr := pipeline.Ask(ctx, acfg, ids, v.client, v.asked)
	progress.Stop()
	var unreachable *azotte.UnreachableError
	if askErr != nil && !(errors.As(askErr, &unreachable) && unreachable.MidRun()) && pauseOf(askErr) == nil {
		return askErr
	}

	rd, err := v.reopen()
	if err != nil {
		return err
	}
	pcfg.Offline = &pipeline.Offline{Answers: v.asked, StaleBefore: v.stateNow.Add(-c.stateMaxAge)}
	// The second pass makes no call and is quick: after an interrupt, or
	// Azotte gone for --give-up-after, it still writes every row (to
	// FILE.partial), with what the first pass found, as after a pause too
	// long (to FILE); then the run ends as the first pass did.
	if err := pipeline.Run(context.WithoutCancel(ctx), pcfg, rd, nil, v.outs.rows); err != nil {
		return err
	}
	return askErr
}

// choose reads the input and returns the ids the budget allows, in the
// order to ask them. It reads no further than it needs: once the budget is
// filled with ids never answered, the rest cannot change the choice.
func (v *validation) choose(ctx context.Context) ([]string, error) {
	sel := budget.NewSelector(v.c.budget.Capacity(v.c.rate))
	var j survey.Journal
	if v.journal != nil {
		j = v.journal
	}
	if err := chooseIDs(ctx, v.in, j, sel); err != nil {
		return nil, err
	}
	if i := slices.Index(v.c.files, "-"); v.spool != nil && i >= 0 {
		// The second pass reads stdin from the spool: all of it.
		if _, err := io.Copy(io.Discard, v.in.File(i)); err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
	}
	return sel.Ids(), nil
}

// chooseIDs tells sel about the ids of rd's rows until sel is full or the
// input ends (or ctx is done: the caller tells).
func chooseIDs(ctx context.Context, rd pipeline.Source, j survey.Journal, sel *budget.Selector) error {
	if sel.Full() {
		return nil
	}
	return survey.EachRow(ctx, rd, func(row input.Row) bool {
		if row.Invalid == "" {
			survey.Classify(j, sel, row.ID)
		}
		return !sel.Full()
	})
}

// reopen opens the inputs again for a budgeted run's second pass (the
// files, or what the first pass spooled of stdin), each read as the first
// pass read it; the summary's sizes and sha256 are then this pass's, which
// reads them whole.
func (v *validation) reopen() (*input.Files, error) {
	var stdin io.Reader
	if v.spool != nil {
		if _, err := v.spool.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("read stdin again: %w", err)
		}
		stdin = v.spool
	}
	in, err := v.in.Reopen(stdin, v.c.in)
	if err != nil {
		return nil, fmt.Errorf("read the input again: %w", err)
	}
	v.closers = append(v.closers, func() { in.Close() })
	v.in = in
	return in, nil
}
