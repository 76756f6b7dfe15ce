package pace_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/pace"
	"github.com/azotte/azvalidate/internal/sandbox"
)

// These tests sleep for real; each stays well under a second apart from the
// two runs against the sandbox, which run in parallel for about 3s.

func TestWaitPaces(t *testing.T) {
	t.Parallel()
	p := pace.NewAdaptive(pace.Config{Rate: 100, Burst: 1})
	began := time.Now()
	for range 21 {
		if err := p.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	// 21 requests at 100/s with burst 1: 20 intervals of 10ms.
	if d := time.Since(began); d < 180*time.Millisecond {
		t.Errorf("21 Waits at 100/s took %v, want about 200ms", d)
	}
	if p.Rate() != 100 || p.MinRate() != 100 {
		t.Errorf("Rate, MinRate = %g, %g; want 100, 100", p.Rate(), p.MinRate())
	}
}

func TestRetryAfterPausesEveryWorker(t *testing.T) {
	t.Parallel()
	p := pace.NewAdaptive(pace.Config{Rate: 1000, Burst: 10})
	if err := p.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	p.Observe(azotte.Attempt{Status: 429, RetryAfter: time.Second})
	paused := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := p.Wait(t.Context()); err != nil {
				t.Error(err)
			}
			if d := time.Since(paused); d < 900*time.Millisecond {
				t.Errorf("a worker started %v after Retry-After: 1, want 1s", d)
			}
		})
	}
	wg.Wait()
	if p.Rate() != 500 || p.MinRate() != 500 || p.Paused() != time.Second {
		t.Errorf("Rate, MinRate, Paused = %g, %g, %v; want 500, 500, 1s", p.Rate(), p.MinRate(), p.Paused())
	}
}

// TestWaitWakesOnNews checks that a waiter held by an exhausted budget
// starts as soon as an answer renews it, not when the old hold would end.
func TestWaitWakesOnNews(t *testing.T) {
	t.Parallel()
	p := pace.NewAdaptive(pace.Config{Rate: 100, Burst: 10})
	for range 4 {
		if err := p.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	// 2 left for 10s, 3 others still in flight: hold.
	p.Observe(azotte.Attempt{Status: 200, Budget: budget(2, 10*time.Second)})
	done := make(chan time.Time)
	go func() {
		if err := p.Wait(t.Context()); err != nil {
			t.Error(err)
		}
		done <- time.Now()
	}()
	select {
	case <-done:
		t.Fatal("Wait returned while the budget was all in flight")
	case <-time.After(100 * time.Millisecond):
	}
	renewed := time.Now()
	p.Observe(azotte.Attempt{Status: 200, Budget: budget(50, 1*time.Second)})
	select {
	case at := <-done:
		if d := at.Sub(renewed); d > 200*time.Millisecond {
			t.Errorf("Wait returned %v after the budget was renewed", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait still blocked after the budget was renewed")
	}
}

// TestWaitFollowsRisingRate checks that a waiter whose token was reserved
// at a slow rate goes as soon as the rate rises, not when the slow rate
// would have allowed it.
func TestWaitFollowsRisingRate(t *testing.T) {
	t.Parallel()
	p := pace.NewAdaptive(pace.Config{}) // unlimited but for the budget
	slow := azotte.Attempt{Status: 200, Budget: budget(2, 20*time.Second)}
	p.Observe(slow) // 0.1/s
	if err := p.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	p.Observe(slow)
	done := make(chan time.Time)
	go func() {
		if err := p.Wait(t.Context()); err != nil { // a token 10s away
			t.Error(err)
		}
		done <- time.Now()
	}()
	select {
	case <-done:
		t.Fatal("Wait returned at once at 0.1/s with the bucket empty")
	case <-time.After(100 * time.Millisecond):
	}
	if r := p.Rate(); math.Abs(r-0.1) > 1e-3 { // the budget was set a moment before Observe
		t.Errorf("Rate = %g, want 0.1", r)
	}
	rose := time.Now()
	p.Observe(azotte.Attempt{Status: 200, Budget: budget(100, 1*time.Second)})
	select {
	case at := <-done:
		if d := at.Sub(rose); d > 200*time.Millisecond {
			t.Errorf("Wait returned %v after the rate rose to 100/s", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait still blocked after the rate rose to 100/s")
	}
}

func TestWaitCancel(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := pace.NewAdaptive(pace.Config{Rate: 10})
		p.Observe(azotte.Attempt{Status: 503, RetryAfter: time.Minute})
		ctx, cancel := context.WithCancel(t.Context())
		errs := make(chan error, 3)
		for range 3 { // one holds the gate, two queue for it
			go func() { errs <- p.Wait(ctx) }()
		}
		synctest.Wait() // the pause lasts a minute: all three are blocked
		select {
		case err := <-errs:
			t.Fatalf("Wait returned %v during the pause", err)
		default:
		}
		cancel()
		for range 3 {
			if err := <-errs; !errors.Is(err, context.Canceled) {
				t.Errorf("Wait = %v, want context.Canceled", err)
			}
		}
		if err := p.Wait(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Wait on a done context = %v", err)
		}
	})
}

func TestUnlimited(t *testing.T) {
	t.Parallel()
	p := pace.NewAdaptive(pace.Config{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if err := p.Wait(t.Context()); err != nil {
					t.Error(err)
					return
				}
				p.Observe(azotte.Attempt{Status: 429})
			}
		})
	}
	wg.Wait()
	if p.Rate() != 0 || p.MinRate() != 0 || p.Paused() != 0 {
		t.Errorf("Rate, MinRate, Paused = %g, %g, %v; want 0 (unlimited), 0, 0", p.Rate(), p.MinRate(), p.Paused())
	}
}

// TestConcurrentUse is for the race detector: workers waiting and
// observing every kind of answer at once.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	p := pace.NewAdaptive(pace.Config{Rate: 5000, Burst: 4, PauseCap: 5 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	statuses := []int{200, 200, 200, 404, 429, 500, 503, 0}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for p.Wait(ctx) == nil {
				a := azotte.Attempt{Status: statuses[rng.IntN(len(statuses))], Latency: time.Millisecond}
				switch rng.IntN(4) {
				case 0:
					a.RetryAfter = time.Second // slept for 5ms
				case 1:
					a.Budget = budget(float64(rng.IntN(20)), 50*time.Millisecond)
				}
				p.Observe(a)
				_ = p.Rate()
			}
		})
	}
	wg.Wait()
	if r := p.MinRate(); r < 0.1 || r > 5000 {
		t.Errorf("MinRate = %g, outside floor..ceiling", r)
	}
}

// TestPauseShownThenStopped: a Retry-After the pacer sits through is
// shown by Pause while it lasts; one longer than MaxPause makes every Wait,
// those already waiting too, return the *azotte.PauseError at once.
func TestPauseShownThenStopped(t *testing.T) {
	t.Parallel()
	p := pace.NewAdaptive(pace.Config{MaxPause: time.Minute})
	if err := p.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	p.Observe(azotte.Attempt{Status: 429, RetryAfter: 30 * time.Second})
	if got := p.Pause(); !strings.HasPrefix(got, "paused 2") || !strings.HasSuffix(got, " s: Azotte answered 429 Retry-After 30") {
		t.Errorf("Pause() = %q; want the time left and the cause", got)
	}
	waited := make(chan error, 4)
	for range cap(waited) {
		go func() { waited <- p.Wait(t.Context()) }()
	}
	p.Observe(azotte.Attempt{Status: 429, RetryAfter: 24 * time.Hour})
	for range cap(waited) {
		var pe *azotte.PauseError
		if err := <-waited; !errors.As(err, &pe) || pe.Wait != 24*time.Hour || pe.Cause != "Retry-After" {
			t.Errorf("Wait = %v, want the 24 h pause's PauseError", err)
		}
	}
	if err := p.Wait(t.Context()); err == nil || err.Error() != "Azotte asked to wait 24 h (Retry-After)" {
		t.Errorf("Wait after the stop = %v", err)
	}
}

// budget is a budget of remaining requests until d from now.
func budget(remaining float64, d time.Duration) azotte.Budget {
	return azotte.Budget{Remaining: remaining, Reset: time.Now().Add(d), OK: true}
}

// loadResult is what a run against the sandbox saw.
type loadResult struct {
	ids, calls, throttled int64
	elapsed               time.Duration
	rate, minRate         float64       // the pacer's at the end, and lowest
	rateLastSecond        float64       // the pacer's mean rate over the last second
	paused                time.Duration // the pacer's
}

// load runs 16 workers with one azotte.Client at --rate 200 (burst 8)
// against a sandbox enforcing 50/s (burst 50) for about d, each worker
// validating fresh ids until then. Every id must end answered.
func load(t *testing.T, cfg sandbox.Config, d time.Duration) loadResult {
	t.Helper()
	cfg.Tenant, cfg.APIKey, cfg.Rate = "t", "k", 50
	sb := sandbox.New(cfg)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)

	var calls, throttled atomic.Int64
	p := pace.NewAdaptive(pace.Config{Rate: 200, Burst: 8})
	client, err := azotte.New(azotte.Config{
		BaseURL: srv.URL, Tenant: "t", APIKey: "k",
		Concurrency: 16, Timeout: 5 * time.Second, Retries: 20,
		BackoffBase: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
		Pacer: p,
		Observe: func(a azotte.Attempt) {
			calls.Add(1)
			if a.Status == http.StatusTooManyRequests {
				throttled.Add(1)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.CloseIdleConnections)

	// Sample the pacer's rate every 50ms for the last-second mean.
	stop := make(chan struct{})
	samples := make(chan []float64)
	go func() {
		var s []float64
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				samples <- s
				return
			case <-tick.C:
				s = append(s, p.Rate())
			}
		}
	}()

	began := time.Now()
	deadline := began.Add(d)
	var ids atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				id := fmt.Sprintf("crm-%d", ids.Add(1))
				a, err := client.Validate(t.Context(), id)
				if err != nil || a.Err != nil || !a.IsAvailable {
					t.Errorf("Validate(%s) = %+v, %v; want an answer", id, a, err)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	s := <-samples
	r := loadResult{
		ids: ids.Load(), calls: calls.Load(), throttled: throttled.Load(),
		elapsed: time.Since(began), rate: p.Rate(), minRate: p.MinRate(), paused: p.Paused(),
	}
	last := s[max(0, len(s)-20):]
	for _, v := range last {
		r.rateLastSecond += v / float64(len(last))
	}
	if got := sb.Answered(); got != r.ids {
		t.Errorf("sandbox answered %d, want one per id (%d)", got, r.ids)
	}
	if got := sb.Throttled(); got != r.throttled {
		t.Errorf("sandbox throttled %d, client saw %d", got, r.throttled)
	}
	t.Logf("%d ids in %v (%.1f/s): %d calls, %d throttled (%.1f%%); pacer rate %.1f/s at the end, %.1f/s over the last second, lowest %.1f/s, paused %v",
		r.ids, r.elapsed.Round(time.Millisecond), float64(r.ids)/r.elapsed.Seconds(), r.calls, r.throttled,
		100*float64(r.throttled)/float64(r.calls), r.rate, r.rateLastSecond, r.minRate, r.paused.Round(time.Millisecond))
	return r
}

// TestAgainstSandboxWithoutHeaders: the endpoint enforces 50/s and says so
// only with 429 and Retry-After. Every id is answered, few calls are
// wasted, and the pacer comes down from 200/s to about the endpoint's rate.
func TestAgainstSandboxWithoutHeaders(t *testing.T) {
	t.Parallel()
	r := load(t, sandbox.Config{NoRateLimitHeaders: true}, 3*time.Second)
	if share := float64(r.throttled) / float64(r.calls); share > 0.1 {
		t.Errorf("%.1f%% of calls throttled, want few", 100*share)
	}
	if r.minRate > 100 || r.rate > 100 {
		t.Errorf("pacer rate %.1f/s (lowest %.1f/s), want it down near 50/s", r.rate, r.minRate)
	}
}

// TestAgainstSandboxWithHeaders: the same endpoint announcing its bucket in
// X-RateLimit headers: the pacer spends the budget without a 429.
func TestAgainstSandboxWithHeaders(t *testing.T) {
	t.Parallel()
	r := load(t, sandbox.Config{}, 3*time.Second)
	if r.throttled > 3 {
		t.Errorf("%d calls throttled, want none (or a handful)", r.throttled)
	}
	if perSecond := float64(r.ids) / r.elapsed.Seconds(); perSecond < 40 {
		t.Errorf("%.1f ids/s, want close to the endpoint's 50/s", perSecond)
	}
}
