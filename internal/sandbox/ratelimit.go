package sandbox

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
)

// quota is the outcome of taking a token from the rate limiter.
type quota struct {
	limited    bool      // a rate is configured; the other fields are set
	ok         bool      // a token was taken
	limit      int       // bucket size
	remaining  int       // whole tokens left
	reset      time.Time // when the bucket will be full again
	retryAfter int       // when !ok: whole seconds (at least 1) until a token
}

// take takes a token from the rate limiter, if there is one, and reports
// what is left.
func (s *Server) take() quota {
	if s.limiter == nil {
		return quota{ok: true}
	}
	s.limMu.Lock()
	now := time.Now()
	ok := s.limiter.AllowN(now, 1)
	tokens := s.limiter.TokensAt(now)
	s.limMu.Unlock()
	burst := s.limiter.Burst()
	q := quota{
		limited:   true,
		ok:        ok,
		limit:     burst,
		remaining: max(0, int(math.Floor(tokens))),
		reset:     now.Add(time.Duration((float64(burst) - tokens) / s.cfg.Rate * float64(time.Second))),
	}
	if !ok {
		q.retryAfter = max(1, int(math.Ceil((1-tokens)/s.cfg.Rate)))
		if s.cfg.RetryAfter > 0 {
			q.retryAfter = int(math.Ceil(s.cfg.RetryAfter.Seconds()))
		}
	}
	return q
}

// setHeaders sets the X-RateLimit headers describing q; see the package
// documentation.
func (q quota) setHeaders(h http.Header) {
	reset := q.reset.Unix()
	if q.reset.Nanosecond() > 0 {
		reset++ // rounded up: a client waits a little long rather than too short
	}
	h.Set(azotte.HeaderRateLimit, strconv.Itoa(q.limit))
	h.Set(azotte.HeaderRateRemaining, strconv.Itoa(q.remaining))
	h.Set(azotte.HeaderRateReset, strconv.FormatInt(reset, 10))
}
