package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/azotte/azvalidate/internal/azotte"
)

// AskConfig tunes Ask.
type AskConfig struct {
	Concurrency int       // requests in flight at most; default 16
	Until       time.Time // no id is started after it; zero: no deadline
	Journal     Journal   // journals every answer; nil: none
	// Owners, when set, is asked who holds each taken id right after its
	// answer (validate --owners) and keeps it for the writing pass, which
	// compares emails and journals it.
	Owners Prefetcher
	// MaxCalls bounds the calls made, validate and info alike (retries not
	// counted); 0: no bound. Without Owners the ids given are the bound.
	MaxCalls int
}

// Prefetcher asks ahead, in a budgeted run's asking pass, what a taken
// id's first row will carry (validate --owners: *owners.Asker), and keeps
// it for the writing pass's Extra.Known. A non-nil error of Prefetch is
// fatal, as the Validator's; Unasked keeps why an id was not asked.
type Prefetcher interface {
	Prefetch(ctx context.Context, id string) error
	Unasked(id string, why error)
}

// Asked are the answers of Ask, by id. Safe for concurrent use.
type Asked struct {
	mu   sync.Mutex
	ans  map[string]azotte.Answer
	n    atomic.Int64
	stop atomic.Pointer[azotte.PauseError]
}

// Stopped returns the pause that ended the asking early, or nil.
func (a *Asked) Stopped() error {
	if p := a.stop.Load(); p != nil {
		return p
	}
	return nil
}

// NewAsked returns an empty Asked for about n ids.
func NewAsked(n int) *Asked { return &Asked{ans: make(map[string]azotte.Answer, n)} }

// Answer returns the answer Ask got for id.
func (a *Asked) Answer(id string) (azotte.Answer, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ans, ok := a.ans[id]
	return ans, ok
}

// Len returns how many ids were asked so far.
func (a *Asked) Len() int64 { return a.n.Load() }

// Ask asks v about ids, in their order, through Concurrency workers, until
// the ids or the deadline run out, journals each answer and keeps it in
// asked (whose Len counts them as they arrive). It is a budgeted run's
// asking pass; its writing pass is a Run with Config.Offline set to asked.
//
// Ask returns early when ctx is done (with no error: the caller tells an
// interrupt from ctx) or on a fatal error (the Validator's or the
// journal's), which it returns.
func Ask(ctx context.Context, cfg AskConfig, ids []string, v Validator, asked *Asked) error {
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 16
	}
	var next, spent atomic.Int64
	// take spends one call of MaxCalls; false when none is left.
	take := func() bool { return cfg.MaxCalls <= 0 || spent.Add(1) <= int64(cfg.MaxCalls) }
	g, gctx := errgroup.WithContext(ctx)
	for range min(cfg.Concurrency, len(ids)) {
		g.Go(func() error {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(ids)) || gctx.Err() != nil ||
					!cfg.Until.IsZero() && !time.Now().Before(cfg.Until) {
					return nil
				}
				if !take() {
					return nil
				}
				id := ids[i]
				ans, err := v.Validate(gctx, id)
				var pause *azotte.PauseError
				switch {
				case err != nil && ctx.Err() != nil:
					return nil // interrupted: the id stays unasked
				case errors.As(err, &pause):
					asked.stop.CompareAndSwap(nil, pause)
					return err
				case err != nil:
					return err
				}
				if ans.Err == nil && cfg.Journal != nil {
					if err := cfg.Journal.Append(id, ans); err != nil {
						return fmt.Errorf("state journal: %w", err)
					}
				}
				if cfg.Owners != nil && ans.Err == nil && !ans.IsAvailable {
					if !take() {
						cfg.Owners.Unasked(id, errOwnerBudget)
					} else if err := cfg.Owners.Prefetch(gctx, id); err != nil {
						switch {
						case ctx.Err() != nil:
							return nil
						case errors.As(err, &pause):
							asked.stop.CompareAndSwap(nil, pause)
						}
						return err // the answer is journalled; who holds the id stays unknown
					}
				}
				asked.mu.Lock()
				asked.ans[id] = ans
				asked.mu.Unlock()
				asked.n.Add(1)
			}
		})
	}
	return g.Wait()
}

// errOwnerBudget is the owner of a taken id whose info call the budget
// (--max-calls) left no room for.
var errOwnerBudget = errors.New("not asked: --max-calls ran out before the info call; a run without a budget asks it")
