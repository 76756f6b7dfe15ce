// Package pace decides when the next request to Azotte may start. One pacer
// is shared by every worker, so the configured rate is a ceiling for the whole
// run, not per worker.
//
// Adaptive is the run's pacer: a token bucket at the configured rate that
// slows down when Azotte throttles (429, 503, Retry-After) and follows the
// budget its X-RateLimit headers announce. Limiter is the plain token
// bucket it grew from.
package pace

import (
	"context"

	"golang.org/x/time/rate"
)

// Limiter is a token bucket pacer, safe for concurrent use. It does not
// adapt; see Adaptive.
type Limiter struct {
	lim *rate.Limiter
}

// New returns a pacer allowing perSecond requests per second with the given
// burst, or nil when perSecond <= 0 (no limit). A nil *Limiter waits for nothing.
func New(perSecond float64, burst int) *Limiter {
	if perSecond <= 0 {
		return nil
	}
	if burst < 1 {
		burst = 1
	}
	return &Limiter{lim: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// Wait blocks until a request may start or ctx is done.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	return l.lim.Wait(ctx)
}
