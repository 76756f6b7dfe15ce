package cli

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// TestChangesSinceLastRun: a nightly job re-asks ids whose journalled answer
// expired; the ids Azotte now answers differently are reported, with their
// direction, in detail, in the summary and in --changes.
func TestChangesSinceLastRun(t *testing.T) {
	t.Parallel()
	input := "externalId\nn-1\nn-2\nn-3\nn-4\nn-2\n"
	dir := t.TempDir()
	state := filepath.Join(dir, "state.jsonl")

	night1 := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"n-1": true, "n-3": true}})
	night2 := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"n-1": true, "n-2": true, "n-4": true}})
	// One address for both nights, as a tenant has: the journal is bound to it.
	var tonight atomic.Pointer[endpoint]
	tonight.Store(night1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tonight.Load().Recorder.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	night1.url, night2.url = srv.URL, srv.URL
	if res := run(t, input, night1.args("--rate", "0", "--state", state, "-")...); res.code != 1 {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	// The next night: every answer of the first is older than --state-max-age.
	nextNight := func(e *Env) { e.Now = func() time.Time { return time.Now().Add(20 * time.Hour) } }

	tonight.Store(night2)
	changes := filepath.Join(dir, "changes.csv")
	sumFile := filepath.Join(dir, "s.json")
	res := runWithEnv(t, nextNight, input, night2.args("--rate", "0", "--state", state, "--state-max-age", "12h",
		"--changes", changes, "--summary", sumFile, "-")...)
	if res.code != 1 {
		t.Fatalf("second run: exit %d\n%s", res.code, res.stderr)
	}
	if idRequests(t, night2) != 4 {
		t.Errorf("second run made %d calls, want 4 (every answer expired)", idRequests(t, night2))
	}
	out := readCSV(t, res.stdout)
	wantDetail := map[string]string{
		"n-2": "changed: available -> taken since ",
		"n-3": "changed: taken -> available since ",
		"n-4": "changed: available -> taken since ",
	}
	for _, rec := range out[1:5] {
		id, detail := rec[0], rec[5]
		want, changed := wantDetail[id]
		if changed && !strings.HasPrefix(detail, want) || !changed && detail != "" {
			t.Errorf("%s: detail %q, want prefix %q", id, detail, want)
		}
	}
	got := readCSV(t, string(must(t, changes)))
	var ids []string
	for _, rec := range got[1:] {
		ids = append(ids, rec[0]+" "+rec[3])
	}
	if want := []string{"n-2 taken", "n-3 available", "n-4 taken"}; !slices.Equal(ids, want) {
		t.Errorf("--changes file holds %q, want %q", ids, want)
	}
	var sum struct {
		Changes struct {
			BecameTaken     int `json:"became_taken"`
			BecameAvailable int `json:"became_available"`
		} `json:"changes"`
	}
	readJSON(t, sumFile, &sum)
	if sum.Changes.BecameTaken != 2 || sum.Changes.BecameAvailable != 1 {
		t.Errorf("summary changes %+v, want 2 became taken, 1 became available", sum.Changes)
	}
}
