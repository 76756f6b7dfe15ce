package azotte_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
)

// countingPacer counts Wait calls and never waits.
type countingPacer struct{ n atomic.Int64 }

func TestValidatePacerAndObserve(t *testing.T) {
	t.Parallel()
	var (
		n        atomic.Int64
		pacer    countingPacer
		mu       sync.Mutex
		attempts []azotte.Attempt
	)
	url := serve(t, fixed(&n, 503, "", "Retry-After: 2"))
	c := newClient(t, url, func(c *azotte.Config) {
		c.Pacer = &pacer
		c.Observe = func(a azotte.Attempt) {
			mu.Lock()
			attempts = append(attempts, a)
			mu.Unlock()
		}
	})
	a, err := c.Validate(t.Context(), "crm-1")
	if err != nil || a.Attempts != 3 {
		t.Fatalf("Validate = %+v, %v; want 3 attempts", a, err)
	}
	if pacer.n.Load() != 3 {
		t.Errorf("Pacer.Wait called %d times, want 3", pacer.n.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(attempts) != 3 {
		t.Fatalf("Observe called %d times, want 3", len(attempts))
	}
	for i, at := range attempts {
		wantRetry := i < 2
		if at.Status != 503 || at.RetryAfter != 2*time.Second || at.Retry != wantRetry || at.Budget.OK || at.Err != nil {
			t.Errorf("attempt %d = %+v, want 503, RetryAfter 2s, Retry %v, no budget", i, at, wantRetry)
		}
	}
}

// feedbackPacer is a countingPacer that also records, per Observe, the
// Wait count at that time and the status observed.
type feedbackPacer struct {
	countingPacer
	mu       sync.Mutex
	observed []azotte.Attempt
	waitsAt  []int64
}

func TestValidateFeedback(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.Header().Set(azotte.HeaderRateRemaining, "0")
			w.Header().Set(azotte.HeaderRateReset, "1700000030")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set(azotte.HeaderRateRemaining, "7")
		w.Header().Set(azotte.HeaderRateReset, "2.5") // seconds from the answer
		_, _ = io.WriteString(w, `{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`)
	}))
	var pacer feedbackPacer
	var order []string
	c := newClient(t, url, func(c *azotte.Config) {
		c.Pacer = &pacer
		c.Observe = func(a azotte.Attempt) {
			pacer.mu.Lock()
			order = append(order, fmt.Sprintf("observe after %d feedback", len(pacer.observed)))
			pacer.mu.Unlock()
		}
	})
	began := time.Now()
	a, err := c.Validate(t.Context(), "crm-1")
	ended := time.Now()
	if err != nil || a.Err != nil || !a.IsAvailable || a.Attempts != 2 {
		t.Fatalf("Validate = %+v, %v; want available after 2 attempts", a, err)
	}
	pacer.mu.Lock()
	defer pacer.mu.Unlock()
	if len(pacer.observed) != 2 {
		t.Fatalf("Feedback.Observe called %d times, want 2", len(pacer.observed))
	}
	if got := pacer.observed[0]; got.Status != 429 || got.RetryAfter != time.Second || !got.Retry ||
		!got.Budget.OK || got.Budget.Remaining != 0 || !got.Budget.Reset.Equal(time.Unix(1_700_000_030, 0)) {
		t.Errorf("first attempt = %+v, want 429, Retry-After 1s, Retry, a budget of 0 until 1700000030", got)
	}
	if got := pacer.observed[1]; got.Status != 200 || got.Retry || !got.Budget.OK || got.Budget.Remaining != 7 ||
		got.Budget.Reset.Before(began.Add(2500*time.Millisecond)) || got.Budget.Reset.After(ended.Add(2500*time.Millisecond)) {
		t.Errorf("second attempt = %+v, want 200, no retry, a budget of 7 for 2.5s from the answer", got)
	}
	if pacer.waitsAt[0] != 1 || pacer.waitsAt[1] != 2 {
		t.Errorf("Observe came after Wait counts %v, want [1 2] (one Observe per granted Wait)", pacer.waitsAt)
	}
	if want := []string{"observe after 1 feedback", "observe after 2 feedback"}; fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("Config.Observe calls = %q, want %q (feedback first)", order, want)
	}
}

func TestValidatePacerCancelled(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	c := newClient(t, serve(t, fixed(&n, 200, "")), func(c *azotte.Config) { c.Pacer = new(countingPacer) })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Validate(ctx, "crm-1"); !errors.Is(err, context.Canceled) {
		t.Errorf("Validate error = %v, want context.Canceled", err)
	}
	if n.Load() != 0 {
		t.Errorf("%d requests sent after the pacer refused", n.Load())
	}
}
