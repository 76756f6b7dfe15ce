package azotte_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
)

// flaky serves answers, except that it drops the connection, with no HTTP
// response, for the id poison, and for every request while down reports
// true: those it holds for hold first, so that requests at once overlap.
// It counts the requests per id, and the most handled at once while down
// among those that arrived a while after the first had failed: the gate's
// probes, once the requests in flight when Azotte went down are done.
type flaky struct {
	down   func() bool
	poison string
	hold   time.Duration

	mu       sync.Mutex
	calls    map[string]int
	firstEnd time.Time // when the first request while down ended
	probes   int       // probes being handled
	most     int       // the most at once

	answered atomic.Int64
}

// probeAfter is how long after the first failure while down a request
// counts as a probe: the gate's first pause (BackoffBase in these tests)
// is longer.
const probeAfter = 20 * time.Millisecond

func newFlaky(down func() bool, poison string) *flaky {
	return &flaky{down: down, poison: poison, calls: map[string]int{}, hold: 5 * time.Millisecond}
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct{ ExternalID string }
	data, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(data, &body)
	down := f.down()
	f.mu.Lock()
	f.calls[body.ExternalID]++
	probe := down && !f.firstEnd.IsZero() && time.Since(f.firstEnd) > probeAfter
	if probe {
		f.probes++
		f.most = max(f.most, f.probes)
	}
	f.mu.Unlock()
	if down || body.ExternalID == f.poison {
		if down {
			time.Sleep(f.hold)
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		f.mu.Lock()
		if down && f.firstEnd.IsZero() {
			f.firstEnd = time.Now()
		}
		if probe {
			f.probes--
		}
		f.mu.Unlock()
		return
	}
	f.answered.Add(1)
	_, _ = io.WriteString(w, `{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`)
}

func (f *flaky) Calls(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[id]
}

// maxProbes is the most probes handled at once.
func (f *flaky) maxProbes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.most
}

// others returns the ids requested that are not crm-0 to crm-(n-1), and
// how many requests the server saw in all.
func (f *flaky) others(n int) (others []string, requests int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, k := range f.calls {
		requests += k
		if i, err := strconv.Atoi(strings.TrimPrefix(id, "crm-")); err != nil || i < 0 || i >= n || id != fmt.Sprint("crm-", i) {
			others = append(others, id)
		}
	}
	return others, requests
}

// validateAll asks about n ids from workers goroutines and returns the
// answers and errors by index.
func validateAll(t *testing.T, c *azotte.Client, n, workers int) ([]azotte.Answer, []error) {
	t.Helper()
	answers, errs := make([]azotte.Answer, n), make([]error, n)
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				answers[i], errs[i] = c.Validate(t.Context(), fmt.Sprintf("crm-%d", i))
			}
		})
	}
	wg.Wait()
	return answers, errs
}

// outageClient is a client of f whose gate pauses at least 40ms between
// probes (longer than probeAfter).
func outageClient(t *testing.T, f *flaky, edit func(*azotte.Config)) *azotte.Client {
	return newClient(t, serve(t, f), func(c *azotte.Config) {
		c.BackoffBase, c.BackoffMax = 40*time.Millisecond, 80*time.Millisecond
		edit(c)
	})
}

// TestOutageSparesRetries: Azotte goes down after its first answer and
// comes back after ten failed requests. With --retries 0 every id is still
// answered: no id spent its one attempt on the outage, and every request
// was about one of the ids asked, the probes one at a time.
func TestOutageSparesRetries(t *testing.T) {
	t.Parallel()
	var failed atomic.Int64
	var f *flaky
	f = newFlaky(func() bool { return f.answered.Load() >= 1 && failed.Load() < 10 }, "")
	c := outageClient(t, f, func(c *azotte.Config) {
		c.Retries, c.Concurrency, c.GiveUpAfter = 0, 8, time.Minute
		c.Observe = func(a azotte.Attempt) {
			if a.Status == 0 {
				failed.Add(1)
			}
		}
	})
	const n = 40
	answers, errs := validateAll(t, c, n, 8)
	for i := range answers {
		if errs[i] != nil || answers[i].Err != nil || !answers[i].IsAvailable {
			t.Errorf("crm-%d: %+v, %v; want available", i, answers[i], errs[i])
		}
	}
	if got := failed.Load(); got < 10 {
		t.Errorf("%d failed requests, want the outage's 10", got)
	}
	if others, _ := f.others(n); len(others) > 0 {
		t.Errorf("requests about ids not asked: %q", others)
	}
	if m := f.maxProbes(); m > 1 {
		t.Errorf("%d probes at once, want 1", m)
	}
}

// TestOutagePoisonID: one id's requests always fail at the transport while
// Azotte answers every other. It is a row error once its retries are spent,
// and the run goes on: the gate's probes tell it from an outage.
func TestOutagePoisonID(t *testing.T) {
	t.Parallel()
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprint("workers=", workers), func(t *testing.T) {
			t.Parallel()
			f := newFlaky(func() bool { return false }, "crm-7")
			c := newClient(t, serve(t, f), func(c *azotte.Config) { c.Retries, c.GiveUpAfter = 2, time.Minute })
			answers, errs := validateAll(t, c, 20, workers)
			for i := range answers {
				switch {
				case errs[i] != nil:
					t.Errorf("crm-%d: fatal %v", i, errs[i])
				case i == 7:
					if answers[i].Err == nil || answers[i].Err.Error() != "connection closed by the server (3 attempts)" {
						t.Errorf("crm-7: %v, want connection closed by the server (3 attempts)", answers[i].Err)
					}
				case answers[i].Err != nil || !answers[i].IsAvailable:
					t.Errorf("crm-%d: %+v, want available", i, answers[i])
				}
			}
			if n := f.Calls("crm-7"); n != 3 {
				t.Errorf("crm-7 sent %d times, want 3 (--retries 2)", n)
			}
		})
	}
}

// TestOutageGivesUp: Azotte answers once, then never. Every waiting request
// returns an *UnreachableError once GiveUpAfter has passed with nothing
// answered; every request was about an id asked, the gate's probes one at a
// time, and every request was observed.
func TestOutageGivesUp(t *testing.T) {
	t.Parallel()
	var f *flaky
	f = newFlaky(func() bool { return f.answered.Load() >= 1 }, "")
	var calls atomic.Int64
	c := outageClient(t, f, func(c *azotte.Config) {
		c.Retries, c.GiveUpAfter = 5, 300*time.Millisecond
		c.Observe = func(azotte.Attempt) { calls.Add(1) }
	})
	url := c.URL()
	const n = 16
	answers, errs := validateAll(t, c, n, 8)
	unreachable := 0
	for i := range errs {
		var u *azotte.UnreachableError
		if !errors.As(errs[i], &u) {
			if errs[i] != nil || answers[i].Err != nil {
				t.Errorf("crm-%d: %+v, %v; want an answer or an *UnreachableError", i, answers[i], errs[i])
			}
			continue
		}
		unreachable++
		if u.Cause != "connection closed by the server" || u.For < 300*time.Millisecond || !strings.HasPrefix(u.Error(), "cannot reach "+url) {
			t.Errorf("crm-%d: %q (for %v), want cannot reach %s: connection closed by the server, after 300ms", i, u, u.For, url)
		}
	}
	if unreachable != n-1 {
		t.Errorf("%d ids unreachable, want all but the first answered (%d)", unreachable, n-1)
	}
	others, requests := f.others(n)
	if len(others) > 0 {
		t.Errorf("requests about ids not asked: %q", others)
	}
	if m := f.maxProbes(); m > 1 {
		t.Errorf("%d probes at once, want 1", m)
	}
	if calls.Load() != int64(requests) {
		t.Errorf("%d attempts observed, the server saw %d requests", calls.Load(), requests)
	}
}
