// Package pipeline runs one validation: read rows, send each distinct id to
// Azotte once through a bounded pool of workers, and hand every row, in input
// order, to the output with its verdict. It owns every goroutine of a run.
//
// The stages:
//
//	feed:       Source.Next -> rows (a goroutine of its own, so a blocked read never holds up an interrupt)
//	dispatcher: rows -> dedup -> journal, or a worker over the jobs channel -> window
//	workers:    Validator.Validate(id) -> Extra.Fetch -> journal -> call.done (at most Concurrency at once)
//	writer:     window (in input order) -> wait for the row's call -> Sink
//
// The dispatcher, the workers and the writer share one errgroup. The window
// is a buffered channel of rows in input order, so the rows held between
// reading and writing are bounded by its capacity, whatever the input's size.
// It cannot deadlock: the writer only waits for calls that the dispatcher has
// already handed to a worker (or answered from the journal), and workers wait
// on nothing but the network and the pacer.
package pipeline

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/spill"
	"github.com/azotte/azvalidate/internal/stats"
)

// Source yields input rows in order; io.EOF ends the input.
type Source interface {
	Next() (input.Row, error)
}

// Validator asks Azotte about one id. A non-nil error is fatal for the run
// (credentials refused, context done); a per-id failure is Answer.Err.
type Validator interface {
	Validate(ctx context.Context, id string) (azotte.Answer, error)
}

// Sink receives the rows to write, in input order, from one goroutine. It
// must not keep the *Record after Write returns: the writer reuses it.
type Sink interface {
	Write(*output.Record) error
}

// Journal keeps Azotte's answers across runs (--state). The dispatcher calls
// Lookup, workers call Previous and Append concurrently; Append returns once
// the answer would survive the process being killed.
type Journal interface {
	// Lookup returns a fresh answer for id, to use instead of a call. Its
	// At is when Azotte gave it.
	Lookup(id string) (azotte.Answer, bool)
	// Previous returns an expired answer for id (At set), to tell whether
	// Azotte now answers differently, or to carry when a budget leaves id
	// unasked.
	Previous(id string) (azotte.Answer, bool)
	Append(id string, ans azotte.Answer) error
}

// Extra adds to a taken id's answer what its first row carries beyond it
// (validate --owners: who holds the id; *owners.Asker). Known is asked
// from the dispatcher, with nothing to wait for: ok false means Fetch must
// ask, from a worker. A non-nil error of either is fatal, as the
// Validator's (a *azotte.PauseError from Fetch leaves the extra unknown).
type Extra interface {
	Known(id string, first input.Row, ans azotte.Answer) (o *output.Owner, ok bool, err error)
	Fetch(ctx context.Context, id string, first input.Row) (*output.Owner, error)
}

// Offline makes a run that calls nobody: a budgeted run's writing pass.
type Offline struct {
	// Answers are the asking pass's (see Ask). An id gets its answer from
	// the journal's fresh ones, then from Answers, then the journal's
	// expired one (noted as not refreshed), else the verdict unchecked.
	Answers Answers
	// StaleBefore marks rows carrying an answer given before it as not
	// refreshed (Stats.StaleAnswers); zero: none are.
	StaleBefore time.Time
}

// Answers are the answers a budgeted run got in its asking pass (see Ask).
type Answers interface {
	Answer(id string) (azotte.Answer, bool)
	// Stopped is why the asking ended before the budget did (a pause
	// longer than the run allows), or nil.
	Stopped() error
}

// Near forecasts near-collisions (--near-duplicates): Add is told each new
// distinct id once, in input order, from the dispatcher's goroutine, and
// returns the row of the first id of the group it joins and the kind of the
// similarity, or 0 and "". *near.Detector is one.
type Near interface {
	Add(id string, firstRow int64) (similarTo int64, kind string)
}

// Unique forecasts the store's refusals of other unique values
// (--unique-columns): Check is told the first row of each distinct id once,
// in input order, from the dispatcher's goroutine, and returns the row of an
// earlier one holding the same value and the columns that collide, or 0 and
// "". *unique.Checker is one.
type Unique interface {
	Check(row input.Row) (with int64, on string)
}

// Config tunes a run. Zero values get defaults.
type Config struct {
	Concurrency int                  // requests in flight at most; default 16
	Window      int                  // rows held between reader and writer at most; default max(4096, 64*Concurrency)
	Stats       *stats.Stats         // counters; nil: a private one
	Journal     Journal              // answers of earlier runs; nil: none
	Observe     func(*output.Record) // called by the writer for every row, in order, before the Sink; nil: none
	Near        Near                 // marks rows whose id is a near-collision of an earlier one; nil: off
	Unique      Unique               // marks first rows of an id repeating an earlier one's unique value; nil: off
	Grace       time.Duration        // after an interrupt, how long requests in flight may still finish; default 3s
	Memory      spill.Memory         // the distinct-id set's share of memory; zero: all in memory

	// AnsweredAt keeps when each answer was given (Record.AnsweredAt).
	// Off, answers are interned without their time: a run holds a handful.
	AnsweredAt bool
	// Offline, when set, makes a run that calls nobody: the Validator and
	// Extra.Fetch are not used.
	Offline *Offline
	// Extra, when set, gives each taken id's first row what it carries
	// beyond the answer (Record.Owner), once per id, after its validate
	// answer (validate --owners).
	Extra Extra
}

// Run validates every row of src and writes it to sink. It returns nil when
// every row was written (whatever the verdicts); otherwise the fatal error:
// the Validator's, the Journal's, the Sink's, the Source's or ctx's. When
// the Validator returns an *azotte.PauseError (Azotte asked to wait longer
// than the run allows), Run asks no more, settles the ids not asked yet as
// unasked (their journalled answer, else unchecked), writes every row and
// returns that error.
//
// When ctx is done (an interrupt), Run stops reading, lets the requests in
// flight finish for up to Config.Grace, and writes every row it can in order.
// On any error the output is a prefix of the full one: rows are written in
// order up to the first that had no answer.
func Run(ctx context.Context, cfg Config, src Source, v Validator, sink Sink) error {
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 16
	}
	if cfg.Window < 1 {
		cfg.Window = max(4096, 64*cfg.Concurrency)
	}
	if cfg.Stats == nil {
		cfg.Stats = new(stats.Stats)
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 3 * time.Second
	}
	r := &run{cfg: cfg, src: src, v: v, sink: sink, ids: newIDSet(cfg.Memory)}
	if cfg.Near != nil {
		r.similar = make(map[int64]similar)
	}

	// work outlives an interrupt by the grace period, so that answers in
	// flight are still written; a fatal error or the end of Run stops it.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	go func() {
		select {
		case <-ctx.Done():
			grace := time.NewTimer(cfg.Grace)
			defer grace.Stop()
			select {
			case <-grace.C:
				stopWork()
			case <-work.Done():
			}
		case <-work.Done():
		}
	}()

	rows := r.feed(work)
	g, gctx := errgroup.WithContext(work)
	// Concurrency workers live as long as the run and take new ids from
	// jobs, which is unbuffered: the dispatcher blocks on it while they are
	// all busy, the pool's backpressure. (A goroutine per id would start
	// each request on a small stack and pay to grow it inside net/http.)
	jobs := make(chan job)
	for range cfg.Concurrency {
		g.Go(func() error { return r.work(gctx, jobs) })
	}
	window := make(chan item, cfg.Window)
	g.Go(func() error {
		// The dispatcher is the only sender on both.
		defer close(window)
		defer close(jobs)
		return r.dispatch(ctx, gctx, jobs, rows, window)
	})
	g.Go(func() error { return r.write(gctx, window) })
	err := g.Wait()
	switch {
	case ctx.Err() != nil:
		// An interrupt is reported as such, not as whatever stage noticed it.
		return ctx.Err()
	case err != nil:
		return err
	case r.srcErr != nil:
		return r.srcErr
	case r.paused.Load() != nil:
		return r.paused.Load().err
	}
	return nil
}

type run struct {
	cfg  Config
	src  Source
	v    Validator
	sink Sink
	ids  *idSet

	// srcErr is the input's failure, if it broke off: set by the dispatcher
	// before it closes the window, read after the group is done.
	srcErr error

	// paused is set once Azotte asked for a pause longer than the run
	// allows (see stop); nil until then.
	paused atomic.Pointer[pausedRun]

	rec output.Record // the writer's, reused for every row

	// similar holds, by the Seq of an id's first row, what Config.Near said
	// of the ids that joined a near-collision group, so that their
	// duplicate rows carry it too. Only the dispatcher uses it; it grows
	// with the near-colliding ids alone (nearly always few).
	similar map[int64]similar
}

type similar struct {
	to   int64
	kind string
}

// item is one row in the window. call is nil when the row was decided when
// read (invalid, or a duplicate of an id whose answer is known).
type item struct {
	row   input.Row
	call  *call
	first int64 // Seq of the first row with this id; 0 for invalid rows
	ans   int32 // index of the known answer when call is nil; -1 for none
	near  similar

	collidesWith int64  // Config.Unique's verdict on the row
	collidesOn   string // Config.Unique's verdict on the row
}

// fed is one result of Source.Next.
type fed struct {
	row input.Row
	err error
}

// feed reads the source in a goroutine of its own, outside the group: Next
// may block on a slow pipe, and an interrupted run must not wait for it. The
// goroutine ends at the end of the input or when ctx is done (unless it is
// blocked in Next; then it ends with the process).
func (r *run) feed(ctx context.Context) <-chan fed {
	rows := make(chan fed, 64)
	go func() {
		defer close(rows) // feed is the only sender
		for {
			row, err := r.src.Next()
			select {
			case rows <- fed{row, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return rows
}

// dispatch takes each row, starts a worker for each new id, and puts the row
// in the window. It stops early, with no error, when interrupt is done.
func (r *run) dispatch(interrupt, ctx context.Context, jobs chan<- job, rows <-chan fed, window chan<- item) error {
	for {
		var f fed
		select {
		case f = <-rows:
		case <-interrupt.Done():
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
		if errors.Is(f.err, io.EOF) {
			return nil
		}
		if f.err != nil {
			// Not a group error: the rows read so far are still asked about
			// and written before Run reports it.
			r.srcErr = f.err
			return nil
		}
		row := f.row
		it := item{row: row, ans: -1}
		if row.Invalid == "" {
			if row.Padded {
				r.cfg.Stats.Padded.Add(1)
			}
			var isNew bool
			it.first, it.call, it.ans, isNew = r.ids.lookup(row.ID, row.Seq)
			if isNew {
				r.cfg.Stats.DistinctIDs.Add(1)
				if r.cfg.Unique != nil {
					// Only an id's first row would be stored: later ones are duplicates.
					it.collidesWith, it.collidesOn = r.cfg.Unique.Check(row)
				}
				j, err := r.decideNew(row, it.call)
				if err != nil {
					return err
				}
				if j != nil {
					select {
					case jobs <- *j:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				if r.cfg.Near != nil {
					if to, kind := r.cfg.Near.Add(row.ID, row.Seq); to != 0 {
						r.similar[row.Seq] = similar{to, kind}
					}
				}
			}
			it.near = r.similar[it.first] // a nil map reads as empty
		}
		select {
		case window <- it:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
