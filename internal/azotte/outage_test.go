package azotte_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
)

// flaky serves answers, except that it drops the connection, with no HTTP
// response, while down reports true or for the id poison. It counts the
// requests per id and the most probes it handled at once.
type flaky struct {
	down   func() bool
	poison string

	mu    sync.Mutex
	calls map[string]int

	probes, maxProbes atomic.Int64
}

func newFlaky(down func() bool, poison string) *flaky {
	return &flaky{down: down, poison: poison, calls: map[string]int{}}
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct{ ExternalID string }
	data, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(data, &body)
	f.mu.Lock()
	f.calls[body.ExternalID]++
	f.mu.Unlock()
	if body.ExternalID == azotte.PreflightID {
		n := f.probes.Add(1)
		defer f.probes.Add(-1)
		for m := f.maxProbes.Load(); n > m && !f.maxProbes.CompareAndSwap(m, n); m = f.maxProbes.Load() {
		}
	}
	if f.down() || body.ExternalID == f.poison {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	_, _ = io.WriteString(w, `{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`)
}

func (f *flaky) Calls(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[id]
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

// TestOutageSparesRetries: Azotte is down at the start and comes back
// after three failed probes. With --retries 0 every id is still answered:
// no id spent its one attempt on the outage.
func TestOutageSparesRetries(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	down.Store(true)
	f := newFlaky(down.Load, "")
	var failedProbes, probesWhileUp atomic.Int64
	c := newClient(t, serve(t, f), func(c *azotte.Config) {
		c.Retries, c.Concurrency, c.GiveUpAfter = 0, 8, time.Minute
		c.Observe = func(a azotte.Attempt) {
			if a.ID != azotte.PreflightID {
				return
			}
			if a.Status != 0 {
				probesWhileUp.Add(1)
				return
			}
			if failedProbes.Add(1) == 3 {
				down.Store(false) // Azotte is back
			}
		}
	})
	answers, errs := validateAll(t, c, 40, 8)
	for i := range answers {
		if errs[i] != nil || answers[i].Err != nil || !answers[i].IsAvailable {
			t.Errorf("crm-%d: %+v, %v; want available", i, answers[i], errs[i])
		}
	}
	if failedProbes.Load() < 3 || probesWhileUp.Load() == 0 {
		t.Errorf("%d failed probes, %d answered: want 3 failed, then one answered", failedProbes.Load(), probesWhileUp.Load())
	}
	if m := f.maxProbes.Load(); m != 1 {
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

// TestOutageGivesUp: Azotte never answers. Every waiting request returns an
// *UnreachableError once GiveUpAfter has passed with nothing answered; no id
// is sent more than once, and the gate probes one request at a time.
func TestOutageGivesUp(t *testing.T) {
	t.Parallel()
	f := newFlaky(func() bool { return true }, "")
	url := serve(t, f)
	var calls atomic.Int64
	c := newClient(t, url, func(c *azotte.Config) {
		c.Retries, c.GiveUpAfter = 5, 300*time.Millisecond
		c.Observe = func(azotte.Attempt) { calls.Add(1) }
	})
	const n = 16
	answers, errs := validateAll(t, c, n, 8)
	for i := range errs {
		var u *azotte.UnreachableError
		if !errors.As(errs[i], &u) {
			t.Errorf("crm-%d: %+v, %v; want an *UnreachableError", i, answers[i], errs[i])
			continue
		}
		if u.Cause != "connection closed by the server" || u.For < 300*time.Millisecond || !strings.HasPrefix(u.Error(), "cannot reach "+url) {
			t.Errorf("crm-%d: %q (for %v), want cannot reach %s: connection closed by the server, after 300ms", i, u, u.For, url)
		}
		if got := f.Calls(fmt.Sprintf("crm-%d", i)); got > 1 {
			t.Errorf("crm-%d sent %d times during the outage, want at most 1", i, got)
		}
	}
	if m := f.maxProbes.Load(); m > 1 {
		t.Errorf("%d probes at once, want 1", m)
	}
	if f.Calls(azotte.PreflightID) == 0 {
		t.Error("no probe while the gate was closed")
	}
	if got := calls.Load(); got != int64(f.Calls(azotte.PreflightID))+int64(countIDs(f, n)) {
		t.Errorf("%d attempts observed, the server saw %d probes and %d id requests", got, f.Calls(azotte.PreflightID), countIDs(f, n))
	}
}

func countIDs(f *flaky, n int) int {
	total := 0
	for i := range n {
		total += f.Calls(fmt.Sprintf("crm-%d", i))
	}
	return total
}
