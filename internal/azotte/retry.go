package azotte

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// heldAttempt is an attempt that closed the outage gate, kept until the gate tells
// whether it counts against the id's retries.
type heldAttempt struct {
	a       Attempt
	r       result
	closure uint64
}

// backoff returns how long to wait after the given attempt (1-based): full
// jitter over an exponentially growing ceiling, but at least what the server
// asked for in Retry-After; both capped to BackoffMax.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	ceiling := c.cfg.BackoffBase
	for i := 1; i < attempt && ceiling < c.cfg.BackoffMax; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, c.cfg.BackoffMax)
	return max(rand.N(ceiling+1), min(retryAfter, c.cfg.BackoffMax))
}

// sleep waits d or until ctx is done, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ParseRetryAfter parses a Retry-After value, either delay-seconds or an
// HTTP-date (then relative to now; a date in the past is 0). ok is false
// when v is neither.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	// ParseUint gives its maximum on overflow: a huge delay stays huge.
	if n, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		return time.Duration(min(n, math.MaxInt64/uint64(time.Second))) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
