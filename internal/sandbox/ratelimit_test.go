package sandbox_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/sandbox"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	s, srv := start(t, sandbox.Config{Rate: 0.5, Burst: 2})
	for i := range 2 {
		if resp, body := do(t, srv, request{}); resp.StatusCode != 200 {
			t.Fatalf("request %d within burst: status %d %s", i, resp.StatusCode, body)
		}
	}
	resp, body := do(t, srv, request{})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status = %d, want 429", resp.StatusCode)
	}
	if body != `{"status":{"messageCode":"TOO_MANY_REQUESTS"}}` {
		t.Errorf("body = %q", body)
	}
	// One token every 2s.
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 2 {
		t.Errorf("Retry-After = %q, want 1 or 2", resp.Header.Get("Retry-After"))
	}
	if s.Requests() != 3 || s.Answered() != 2 {
		t.Errorf("Requests, Answered = %d, %d; want 3, 2", s.Requests(), s.Answered())
	}
}

func TestRateLimitRetryAfter(t *testing.T) {
	t.Parallel()
	for _, headers := range []bool{true, false} {
		t.Run(fmt.Sprint("headers=", headers), func(t *testing.T) {
			t.Parallel()
			_, srv := start(t, sandbox.Config{Rate: 0.01, Burst: 1, RetryAfter: 1500 * time.Millisecond, NoRateLimitHeaders: !headers})
			if resp, body := do(t, srv, request{}); resp.StatusCode != 200 {
				t.Fatalf("first request: status %d %s", resp.StatusCode, body)
			}
			resp, _ := do(t, srv, request{})
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "2" {
				t.Errorf("status %d, Retry-After %q; want 429 with the configured 1.5s rounded up, 2 (not the 100s until a token)", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			want := ""
			if headers {
				want = "2"
			}
			if got := resp.Header.Get(azotte.HeaderRateRetryAfter); got != want {
				t.Errorf("%s = %q, want %q", azotte.HeaderRateRetryAfter, got, want)
			}
		})
	}
}

func TestRateLimitHeaders(t *testing.T) {
	t.Parallel()
	_, srv := start(t, sandbox.Config{Rate: 2, Burst: 3})
	for i := range 3 {
		before := time.Now()
		resp, body := do(t, srv, request{})
		if resp.StatusCode != 200 {
			t.Fatalf("request %d within burst: status %d %s", i, resp.StatusCode, body)
		}
		if got := resp.Header.Get(azotte.HeaderRateLimit); got != "3" {
			t.Errorf("request %d: %s = %q, want 3 (the bucket size)", i, azotte.HeaderRateLimit, got)
		}
		// Tokens refill during the test; whole tokens left are 2-i, or one more.
		rem, err := strconv.Atoi(resp.Header.Get(azotte.HeaderRateRemaining))
		if err != nil || rem < 2-i || rem > 3-i {
			t.Errorf("request %d: %s = %q, want %d", i, azotte.HeaderRateRemaining, resp.Header.Get(azotte.HeaderRateRemaining), 2-i)
		}
		// The bucket is full again (1+i)/2 seconds later, give or take the
		// refill, rounded up to a whole Unix second.
		reset, err := strconv.ParseInt(resp.Header.Get(azotte.HeaderRateReset), 10, 64)
		full := before.Add(time.Duration(1+i) * time.Second / 2)
		if err != nil || reset < full.Add(-time.Second).Unix() || reset > full.Unix()+1 {
			t.Errorf("request %d: %s = %q, want about %d (Unix time of a full bucket)", i, azotte.HeaderRateReset, resp.Header.Get(azotte.HeaderRateReset), full.Unix())
		}
	}
	resp, _ := do(t, srv, request{})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status = %d, want 429", resp.StatusCode)
	}
	h := resp.Header
	if h.Get(azotte.HeaderRateRemaining) != "0" || h.Get(azotte.HeaderRateLimit) != "3" || h.Get(azotte.HeaderRateReset) == "" {
		t.Errorf("429 rate-limit headers = %v, want Limit 3, Remaining 0, a Reset", h)
	}
	if h.Get(azotte.HeaderRateRetryAfter) != h.Get("Retry-After") || h.Get("Retry-After") != "1" {
		t.Errorf("429 Retry-After = %q, X-RateLimit-Retry-After = %q; want 1 and 1", h.Get("Retry-After"), h.Get(azotte.HeaderRateRetryAfter))
	}
}

func TestNoRateLimitHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  sandbox.Config
	}{
		{"switched off", sandbox.Config{Rate: 1, Burst: 1, NoRateLimitHeaders: true}},
		{"no rate", sandbox.Config{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, srv := start(t, tt.cfg)
			for range 2 {
				resp, _ := do(t, srv, request{})
				for _, name := range []string{azotte.HeaderRateLimit, azotte.HeaderRateRemaining, azotte.HeaderRateReset, azotte.HeaderRateRetryAfter} {
					if v := resp.Header.Get(name); v != "" {
						t.Errorf("status %d: %s = %q, want none", resp.StatusCode, name, v)
					}
				}
			}
			if tt.cfg.Rate > 0 && s.Throttled() != 1 {
				t.Errorf("Throttled = %d, want 1 (the limit holds without its headers)", s.Throttled())
			}
		})
	}
}

// TestHeadersPaceAClient checks the claim of the package documentation: a
// client that spreads X-RateLimit-Remaining evenly until X-RateLimit-Reset
// never meets a 429, while sending close to the rate.
func TestHeadersPaceAClient(t *testing.T) {
	t.Parallel()
	const rate = 40
	s, srv := start(t, sandbox.Config{Rate: rate})
	deadline := time.Now().Add(1500 * time.Millisecond)
	began := time.Now()
	next := time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(time.Until(next))
		resp, _ := do(t, srv, request{})
		rem, _ := strconv.ParseFloat(resp.Header.Get(azotte.HeaderRateRemaining), 64)
		reset, _ := strconv.ParseInt(resp.Header.Get(azotte.HeaderRateReset), 10, 64)
		until := time.Until(time.Unix(reset, 0))
		switch {
		case until <= 0:
			next = time.Now()
		case rem < 1:
			next = time.Now().Add(until)
		default:
			next = time.Now().Add(time.Duration(float64(until) / rem))
		}
	}
	got := float64(s.Answered()) / time.Since(began).Seconds()
	t.Logf("answered %d in %v: %.1f/s against a rate of %d/s (burst %d), %d throttled", s.Answered(), time.Since(began).Round(time.Millisecond), got, rate, rate, s.Throttled())
	if s.Throttled() != 0 {
		t.Errorf("%d requests throttled, want 0", s.Throttled())
	}
	if got < 0.5*rate {
		t.Errorf("sent %.1f/s, want close to %d/s", got, rate)
	}
}
