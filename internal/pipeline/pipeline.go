// Package pipeline runs one validation: read rows, send each distinct id to
// Azotte once through a bounded pool of workers, and hand every row, in input
// order, to the output with its verdict. It owns every goroutine of a run.
//
// Three kinds of goroutine share one errgroup:
//
//	reader:  Source.Next -> dedup -> start a worker for a new id -> window
//	workers: Validator.Validate(id) -> call.done (at most Concurrency at once)
//	writer:  window (in input order) -> wait for the row's call -> Sink
//
// The window is a buffered channel of rows in input order, so the rows held
// between reading and writing are bounded by its capacity, whatever the
// input's size. It cannot deadlock: the writer only waits for calls that the
// reader has already handed to a worker, and workers wait on nothing but the
// network and the pacer.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/verdict"
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

// Sink receives the rows to write, in input order, from one goroutine.
type Sink interface {
	Write(*output.Record) error
}

// Config tunes a run. Zero values get defaults.
type Config struct {
	Concurrency int           // requests in flight at most; default 16
	Window      int           // rows held between reader and writer at most; default max(4096, 64*Concurrency)
	Only        verdict.Set   // verdicts to write; 0 writes all
	Stats       *report.Stats // counters; nil: a private one
}

// Run validates every row of src and writes it to sink. It returns nil when
// every row was written (whatever the verdicts); otherwise the fatal error:
// the Validator's, the Source's, the Sink's or ctx's. On an error, the rows
// whose answers had arrived are still written, in order, up to the first row
// that had none, so the output is always a prefix of the full one.
func Run(ctx context.Context, cfg Config, src Source, v Validator, sink Sink) error {
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 16
	}
	if cfg.Window < 1 {
		cfg.Window = max(4096, 64*cfg.Concurrency)
	}
	if cfg.Stats == nil {
		cfg.Stats = new(report.Stats)
	}
	r := &run{cfg: cfg, src: src, v: v, sink: sink, ids: newIDSet()}

	g, gctx := errgroup.WithContext(ctx)
	// The reader and the writer hold two of the group's slots for the whole
	// run; the other Concurrency slots are the workers. g.Go blocks the reader
	// while all workers are busy, which is the pool's backpressure.
	g.SetLimit(cfg.Concurrency + 2)
	window := make(chan item, cfg.Window)
	g.Go(func() error {
		defer close(window) // the reader is the only sender
		return r.read(gctx, g, window)
	})
	g.Go(func() error { return r.write(gctx, window) })
	err := g.Wait()
	if err != nil && ctx.Err() != nil {
		// An interrupt is reported as such, not as whatever stage noticed it.
		return ctx.Err()
	}
	if err == nil {
		err = r.srcErr
	}
	return err
}

type run struct {
	cfg  Config
	src  Source
	v    Validator
	sink Sink
	ids  *idSet

	// srcErr is the input's failure, if it broke off: set by the reader
	// before it closes the window, read after the group is done.
	srcErr error
}

// item is one row in the window. call is nil when the row was decided when
// read (invalid, or a duplicate of an id whose answer is known).
type item struct {
	row   input.Row
	call  *call
	first int64 // Seq of the first row with this id; 0 for invalid rows
	ans   int32 // index of the known answer when call is nil; -1 for none
}

func (r *run) read(ctx context.Context, g *errgroup.Group, window chan<- item) error {
	for {
		row, err := r.src.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			// Not a group error: the rows read so far are still asked about
			// and written before Run reports it.
			r.srcErr = err
			return nil
		}
		r.cfg.Stats.RowsRead.Add(1)
		it := item{row: row, ans: -1}
		if row.Invalid == "" {
			if row.Padded {
				r.cfg.Stats.Padded.Add(1)
			}
			var isNew bool
			it.first, it.call, it.ans, isNew = r.ids.lookup(row.ID, row.Seq)
			if isNew {
				r.cfg.Stats.DistinctIDs.Add(1)
				c := it.call
				g.Go(func() error { return r.ask(ctx, row.ID, c) })
			}
		}
		select {
		case window <- it:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ask is one worker: it fills c and closes c.done, unless the run is over.
func (r *run) ask(ctx context.Context, id string, c *call) error {
	ans, err := r.v.Validate(ctx, id)
	if err != nil {
		// Fatal or cancelled: the row stays undecided, so it is not written
		// as an error it never was.
		return err
	}
	c.ans = ans
	close(c.done)
	return nil
}

func (r *run) write(ctx context.Context, window <-chan item) error {
	for it := range window {
		if it.call != nil {
			select {
			case <-it.call.done:
			case <-ctx.Done():
				// Write on only while answers are already there, so that the
				// output stays an in-order prefix.
				select {
				case <-it.call.done:
				default:
					return ctx.Err()
				}
			}
		}
		rec := r.decide(it)
		r.cfg.Stats.Count(rec.Verdict)
		r.cfg.Stats.Rows.Add(1)
		if r.cfg.Only == 0 || r.cfg.Only.Has(rec.Verdict) {
			if err := r.sink.Write(&rec); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
		}
	}
	return nil
}

// decide turns a row and its answer into the output record.
func (r *run) decide(it item) output.Record {
	rec := output.Record{Row: it.row}
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
	if ans.Err == nil {
		rec.Answered = true
		rec.IsAvailable = ans.IsAvailable
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
	case ans.Err != nil:
		rec.Verdict = verdict.Error
		rec.Detail = ans.Err.Error()
	case ans.IsAvailable:
		rec.Verdict = verdict.Available
	default:
		rec.Verdict = verdict.Taken
	}
	if it.row.Padded && rec.Detail == "" {
		rec.Detail = "id has surrounding white space (sent as is; --trim strips it)"
	}
	return rec
}

// call is one id's request in flight. ans is written by its worker before
// done is closed and only read after.
type call struct {
	done chan struct{}
	ans  azotte.Answer
}

// idSet remembers every distinct id of the run: while its request is in
// flight, the call; once its first row is written, only the first row's Seq
// and an index into a table of distinct answers (which are few), so the set
// costs little more than the id itself. Safe for concurrent use: the reader
// looks up, the writer retires.
type idSet struct {
	mu      sync.Mutex
	seen    map[string]slot
	answers []azotte.Answer
	index   map[answerKey]int32
}

type slot struct {
	first int64
	call  *call // nil once retired
	ans   int32
}

type answerKey struct {
	available bool
	code      string
	status    string
	err       string
}

func newIDSet() *idSet {
	return &idSet{seen: make(map[string]slot), index: make(map[answerKey]int32)}
}

// lookup returns what is known of id, registering it with a new call (and
// isNew) when this is its first row, seq.
func (s *idSet) lookup(id string, seq int64) (first int64, c *call, ans int32, isNew bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sl, ok := s.seen[id]; ok {
		return sl.first, sl.call, sl.ans, false
	}
	c = &call{done: make(chan struct{})}
	s.seen[id] = slot{first: seq, call: c, ans: -1}
	return seq, c, -1, true
}

// retire replaces id's call by its interned answer.
func (s *idSet) retire(id string, first int64, ans azotte.Answer) {
	k := answerKey{available: ans.IsAvailable, code: ans.MessageCode, status: string(ans.Status)}
	if ans.Err != nil {
		k.err = ans.Err.Error()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[k]
	if !ok {
		i = int32(len(s.answers))
		s.answers = append(s.answers, ans)
		s.index[k] = i
	}
	s.seen[id] = slot{first: first, ans: i}
}

func (s *idSet) answer(i int32) azotte.Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answers[i]
}
