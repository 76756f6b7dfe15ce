package cli

// plan --sample's calls, kept out of plan.go, which never calls by itself.

import (
	"context"
	"sync/atomic"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/pace"
	"github.com/azotte/azvalidate/internal/pipeline"
)

// askSample asks about ids, the sample, those without a fresh answer in j
// (nil: no --state) through the client of c.conn, journalling the answers
// in j, and counts what they say. On an interrupt or a fatal error it
// returns what it got so far, with the error.
func askSample(ctx context.Context, c *planConfig, env Env, ids []string, j *journal.Journal) (*planSample, error) {
	sm := &planSample{Size: int64(len(ids)), Seed: c.seed}
	var toAsk []string
	for _, id := range ids {
		if j != nil {
			if e, ok := j.Lookup(id); ok {
				sm.Journalled++
				sm.count(e.IsAvailable)
				continue
			}
		}
		toAsk = append(toAsk, id)
	}
	if len(toAsk) == 0 {
		return sm, nil
	}
	cn := &c.conn
	if cn.sandbox {
		url, stop, err := startSandbox(ctx, cn)
		if err != nil {
			return sm, err
		}
		defer stop()
		cn.baseURL = url
	}
	var calls atomic.Int64
	pacer := pace.NewAdaptive(pace.Config{Rate: cn.rate, Burst: cn.burst, MaxPause: env.Timings.MaxPause})
	client, err := cn.client(env, pacer, func(azotte.Attempt) { calls.Add(1) })
	if err != nil {
		return sm, exitError{code: exitUsage, err: err}
	}
	defer client.CloseIdleConnections()
	acfg := pipeline.AskConfig{Concurrency: cn.concurrency}
	if j != nil {
		acfg.Journal = stateJournal{j, env.now}
	}
	asked := pipeline.NewAsked(len(toAsk))
	err = pipeline.Ask(ctx, acfg, toAsk, client, asked)
	for _, id := range toAsk {
		ans, ok := asked.Answer(id)
		if !ok {
			continue // interrupted first
		}
		sm.Asked++
		if ans.Err != nil {
			sm.Errors++
			continue
		}
		sm.count(ans.IsAvailable)
	}
	sm.APICalls = calls.Load()
	return sm, err
}

// count adds an answer to the share.
func (sm *planSample) count(available bool) {
	sm.Answered++
	if !available {
		sm.Taken++
	}
}

// estimate sets the share, its interval and what they make of a full run
// of distinct ids, calls of which validate would make at rate; journalled:
// the sample's answers went to --state, so validate does not repeat them.
func (sm *planSample) estimate(distinct, calls int64, rate float64, journalled bool) {
	if sm.Answered > 0 {
		sm.TakenShare = float64(sm.Taken) / float64(sm.Answered)
	}
	sm.TakenShareLow, sm.TakenShareHigh = wilson(sm.Taken, sm.Answered)
	d := float64(distinct)
	sm.ExpectedTaken, sm.ExpectedTakenLow, sm.ExpectedTakenHigh = sm.TakenShare*d, sm.TakenShareLow*d, sm.TakenShareHigh*d
	sm.FullRunCalls = calls
	if journalled {
		sm.FullRunCalls -= sm.Asked - sm.Errors
	}
	if rate > 0 {
		secs := float64(sm.FullRunCalls) / rate
		sm.FullRunSeconds = &secs
	}
}
