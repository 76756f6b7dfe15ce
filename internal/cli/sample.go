package cli

// plan --sample's calls, kept out of plan.go, which never calls by itself.

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/pipeline"
	"github.com/azotte/azvalidate/internal/report"
)

// askSample asks about ids, the sample, those without a fresh answer in j
// (nil: no --state) through the client of c.conn, journalling the answers
// in j, and counts what they say. On an interrupt or a fatal error it
// returns what it got so far, with the error.
func askSample(ctx context.Context, c *planConfig, env Env, ids []string, j *journal.Journal) (*report.Sample, error) {
	sm := &report.Sample{Size: int64(len(ids)), Seed: c.seed}
	var toAsk []string
	for _, id := range ids {
		if j != nil {
			if e, ok := j.Lookup(id); ok {
				sm.Journalled++
				sm.Count(e.IsAvailable)
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
	pacer := cn.pacer(env, time.Time{})
	client, err := cn.client(env, pacer, func(azotte.Attempt) { calls.Add(1) })
	if err != nil {
		return sm, err
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
		sm.Count(ans.IsAvailable)
	}
	sm.APICalls = calls.Load()
	return sm, err
}
