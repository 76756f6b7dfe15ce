package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	t0      = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	success = json.RawMessage(`{"messageCode": "SUCCESS"}`) // the space must survive
	free    = Entry{IsAvailable: true, MessageCode: "SUCCESS", Status: success, Time: t0}
	taken   = Entry{IsAvailable: false, MessageCode: "SUCCESS", Status: success, Time: t0}
	ep1     = Endpoint{BaseURL: "https://a.example", Path: "/api/v1/c2a/customer/validate", Tenant: "t1"}
)

func statePath(t testing.TB) string { return filepath.Join(t.TempDir(), "state.ndjson") }

func mustOpen(t testing.TB, path string, maxAge time.Duration, now time.Time) *Journal {
	t.Helper()
	j, err := Open(path, ep1, maxAge, now)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return j
}

func mustClose(t testing.TB, j *Journal) {
	t.Helper()
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func mustAppend(t testing.TB, j *Journal, id string, e Entry) {
	t.Helper()
	if err := j.Append(id, e); err != nil {
		t.Fatalf("Append(%q): %v", id, err)
	}
}

// sameEntry compares what the journal promises to keep: the time to the
// second, in UTC.
func sameEntry(got, want Entry) bool {
	return got.IsAvailable == want.IsAvailable && got.MessageCode == want.MessageCode &&
		bytes.Equal(got.Status, want.Status) && got.Time.Equal(want.Time.Truncate(time.Second)) &&
		got.Time.Location() == time.UTC
}

func checkLookup(t *testing.T, j *Journal, id string, want Entry) {
	t.Helper()
	got, ok := j.Lookup(id)
	if !ok {
		t.Fatalf("Lookup(%q): not found", id)
	}
	if !sameEntry(got, want) {
		t.Fatalf("Lookup(%q) = %+v (status %s), want %+v (status %s)", id, got, got.Status, want, want.Status)
	}
}

// checkLines fails unless the file at path is ep1's binding line followed
// by whole answers.
func checkLines(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Errorf("file does not end with a newline: %q", data)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if b, ok := decodeBinding([]byte(lines[0])); !ok || b != ep1 {
		t.Errorf("first line %q is not the binding to %v", lines[0], ep1)
	}
	for i, l := range lines[1:] {
		if _, _, ok := decodeLine([]byte(l)); !ok {
			t.Errorf("line %d is not an answer: %q", i+2, l)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	path := statePath(t)
	entries := map[string]Entry{
		"crm-1":                     free,
		"crm-2":                     taken,
		"":                          free, // not sent by the pipeline, but an id all the same
		"Ünïcødé ✓ 客户":              taken,
		"quote\" back\\ nl\n tab\t": free,
		"nul\x00 and \u2028":        taken,
		"\xff\xfe not utf-8 \xc3":   free,  // written as idb64
		"\xef\xbf\xbd":              taken, // a real U+FFFD, not to be confused with the above
		"sub-second":                {IsAvailable: true, MessageCode: "SUCCESS", Status: success, Time: t0.Add(1500 * time.Millisecond)},
		"no status":                 {IsAvailable: true, Time: t0},
		"other code":                {IsAvailable: false, MessageCode: "CUSTOMER_ALREADY_STORED", Status: json.RawMessage(`{"messageCode":"CUSTOMER_ALREADY_STORED","extra":[1, 2]}`), Time: t0},
		"zone":                      {IsAvailable: true, MessageCode: "SUCCESS", Status: success, Time: t0.In(time.FixedZone("X", 3600))},
	}
	j := mustOpen(t, path, 0, t0)
	if len(j.Warnings()) != 0 {
		t.Errorf("new file: warnings %q", j.Warnings())
	}
	for id, e := range entries {
		mustAppend(t, j, id, e)
		// Not in memory: within a run each id is asked once; the next run
		// reads it from the file.
		if _, ok := j.Lookup(id); ok {
			t.Errorf("%q: in memory after Append", id)
		}
	}
	mustClose(t, j)
	checkLines(t, path)

	j = mustOpen(t, path, 0, t0)
	defer mustClose(t, j)
	for id, e := range entries {
		checkLookup(t, j, id, e)
	}
	if j.Len() != len(entries) {
		t.Errorf("Len = %d, want %d", j.Len(), len(entries))
	}
	if _, ok := j.Lookup("crm-3"); ok {
		t.Error("Lookup of an unknown id succeeded")
	}
	if n := len(j.answers); n != 4 {
		t.Errorf("%d distinct answers interned, want 4", n)
	}
}

func TestStatusOverLinesIsCompacted(t *testing.T) {
	t.Parallel()
	path := statePath(t)
	j := mustOpen(t, path, 0, t0)
	e := free
	e.Status = json.RawMessage("{\r\n  \"messageCode\": \"SUCCESS\"\n}")
	mustAppend(t, j, "crm-1", e)
	mustClose(t, j)
	checkLines(t, path)

	j = mustOpen(t, path, 0, t0)
	defer mustClose(t, j)
	e.Status = json.RawMessage(`{"messageCode":"SUCCESS"}`)
	checkLookup(t, j, "crm-1", e)

	if err := j.Append("crm-2", Entry{Status: json.RawMessage(`{"messageCode":`)}); err == nil {
		t.Error("Append accepted a status that is not JSON")
	}
}

func TestMaxAge(t *testing.T) {
	t.Parallel()
	path := statePath(t)
	j := mustOpen(t, path, 0, t0)
	old, fresh := taken, free
	old.Time = t0.Add(-25 * time.Hour)
	fresh.Time = t0.Add(-23 * time.Hour)
	mustAppend(t, j, "old", old)
	mustAppend(t, j, "fresh", fresh)
	mustAppend(t, j, "renewed", old)
	mustAppend(t, j, "renewed", fresh)
	mustClose(t, j)

	j = mustOpen(t, path, 24*time.Hour, t0)
	if _, ok := j.Lookup("old"); ok {
		t.Error("an answer older than maxAge was used")
	}
	if e, ok := j.Stale("old"); !ok || !sameEntry(e, old) {
		t.Errorf("Stale(old) = %+v, %v; want the old answer", e, ok)
	}
	if _, ok := j.Stale("fresh"); ok {
		t.Error("Stale returned a fresh answer")
	}
	checkLookup(t, j, "fresh", fresh)
	checkLookup(t, j, "renewed", fresh)
	if j.expired != 1 {
		t.Errorf("Expired = %d, want 1", j.expired)
	}
	mustClose(t, j)

	j = mustOpen(t, path, 0, t0) // no limit
	defer mustClose(t, j)
	checkLookup(t, j, "old", old)
	if j.expired != 0 {
		t.Errorf("without maxAge: Expired = %d, want 0", j.expired)
	}
}

func TestLastWins(t *testing.T) {
	t.Parallel()
	path := statePath(t)
	j := mustOpen(t, path, 0, t0)
	later := taken
	later.Time = t0.Add(time.Minute)
	mustAppend(t, j, "crm-1", free)
	mustAppend(t, j, "crm-1", later)
	mustClose(t, j)

	j = mustOpen(t, path, 0, t0)
	defer mustClose(t, j)
	checkLookup(t, j, "crm-1", later)
}

// writeFile writes ep1's binding line and lines, each a whole answer unless
// given as raw text.
func writeFile(t *testing.T, path string, lines ...any) {
	t.Helper()
	writeRaw(t, path, append([]any{string(encodeBinding(ep1))}, lines...)...)
}

// writeRaw writes lines as writeFile does, without the binding line: a
// journal of an earlier version, or no journal at all.
func writeRaw(t *testing.T, path string, lines ...any) {
	t.Helper()
	var b []byte
	for _, l := range lines {
		switch l := l.(type) {
		case string:
			b = append(b, l...)
		case Entry:
			var err error
			b, _, err = encodeLine(b, idOf(l), l)
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// at returns e answered sec seconds after t0; idOf names it after sec.
func at(e Entry, sec int) Entry { e.Time = t0.Add(time.Duration(sec) * time.Second); return e }

func idOf(e Entry) string { return fmt.Sprint("id@", int(e.Time.Sub(t0)/time.Second)) }

func TestTornLastLine(t *testing.T) {
	t.Parallel()
	a, b := at(free, 1), at(taken, 2)
	tests := []struct {
		name    string
		tail    string
		torn    int
		present []Entry
	}{
		{"cut mid-line", `{"id":"id@3","isAvail`, 1, []Entry{a, b}},
		{"cut before the brace", `{"id":"id@3","isAvailable":true,"t":"2026-11-26T10:00:03Z"`, 1, []Entry{a, b}},
		{"zeros after a crash", "\x00\x00\x00\x00", 1, []Entry{a, b}},
		{"garbage with newline", "#!garbage\n", 1, []Entry{a, b}},
		{"whole but no newline", `{"id":"id@3","isAvailable":true,"t":"2026-11-26T10:00:03Z"}`, 0, []Entry{a, b, at(Entry{IsAvailable: true}, 3)}},
		{"blank last line", "\n\n", 0, []Entry{a, b}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := statePath(t)
			writeFile(t, path, a, b, tt.tail)
			j := mustOpen(t, path, 0, t0)
			if j.torn != tt.torn || j.corrupt != 0 {
				t.Errorf("Torn, Corrupt = %d, %d; want %d, 0", j.torn, j.corrupt, tt.torn)
			}
			if tt.torn > 0 && !strings.Contains(strings.Join(j.Warnings(), "\n"), "torn last line (line 4;") {
				t.Errorf("warnings %q do not report the torn line", j.Warnings())
			}
			next := at(free, 4)
			mustAppend(t, j, "id@4", next)
			mustClose(t, j)

			if !strings.HasPrefix(tt.name, "blank") {
				checkLines(t, path) // the new line starts on a line of its own
			}
			j = mustOpen(t, path, 0, t0)
			defer mustClose(t, j)
			if j.torn != 0 || j.corrupt != 0 {
				t.Errorf("reopened: Torn, Corrupt = %d, %d; want 0, 0", j.torn, j.corrupt)
			}
			for _, e := range append(tt.present, next) {
				checkLookup(t, j, idOf(e), e)
			}
			if j.Len() != len(tt.present)+1 {
				t.Errorf("Len = %d, want %d", j.Len(), len(tt.present)+1)
			}
		})
	}
}

func TestCorruptLinesSkipped(t *testing.T) {
	t.Parallel()
	path := statePath(t)
	a, b, c := at(free, 1), at(taken, 2), at(free, 3)
	writeFile(t, path,
		a,
		"{not json\n",
		b,
		`{"id":"no-answer","t":"2026-11-26T10:00:00Z"}`+"\n",   // isAvailable missing: not "taken"
		`{"isAvailable":true,"t":"2026-11-26T10:00:00Z"}`+"\n", // no id
		strings.Repeat("x", maxLine+10)+"\n",                   // too long to hold
		c)
	j := mustOpen(t, path, 0, t0)
	defer mustClose(t, j)
	if j.corrupt != 4 || j.torn != 0 {
		t.Errorf("Corrupt, Torn = %d, %d; want 4, 0", j.corrupt, j.torn)
	}
	if w := strings.Join(j.Warnings(), "\n"); !strings.Contains(w, "skipped 4 corrupt line(s), the first at line 3") {
		t.Errorf("warnings %q do not report the corrupt lines", w)
	}
	for _, e := range []Entry{a, b, c} {
		checkLookup(t, j, idOf(e), e)
	}
	if _, ok := j.Lookup("no-answer"); ok {
		t.Error("a line without isAvailable was used")
	}
}

func TestFileMode(t *testing.T) {
	t.Parallel()
	path := statePath(t)
	j := mustOpen(t, path, 0, t0)
	mustClose(t, j)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("created with mode %#o, want 0600", fi.Mode().Perm())
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	j = mustOpen(t, path, 0, t0) // a warning, not an error
	defer mustClose(t, j)
	if w := j.Warnings(); len(w) != 1 || !strings.Contains(w[0], "mode 0644") {
		t.Errorf("warnings = %q, want one about mode 0644", w)
	}
}

func TestLockedByAnotherRun(t *testing.T) {
	t.Parallel()
	path := statePath(t)
	j := mustOpen(t, path, 0, t0)
	_, err := Open(path, ep1, 0, t0)
	if err == nil || err.Error() != fmt.Sprintf("state file %s is in use by another run", path) {
		t.Fatalf("second Open: err = %v, want in use by another run", err)
	}
	mustClose(t, j)
	j = mustOpen(t, path, 0, t0) // free again
	mustClose(t, j)
}

func TestClose(t *testing.T) {
	t.Parallel()
	j := mustOpen(t, statePath(t), 0, t0)
	mustClose(t, j)
	mustClose(t, j) // again: no error
	if err := j.Append("crm-1", free); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
}

func TestConcurrentAppend(t *testing.T) {
	t.Parallel()
	const workers, each = 32, 200
	path := statePath(t)
	j := mustOpen(t, path, 0, t0)
	id := func(w, i int) string { return fmt.Sprintf("w%d-%d", w, i) }
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e := at(free, i)
				e.IsAvailable = (w+i)%2 == 0
				if err := j.Append(id(w, i), e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	mustClose(t, j)
	checkLines(t, path)

	j = mustOpen(t, path, 0, t0)
	defer mustClose(t, j)
	if j.Len() != workers*each {
		t.Errorf("reopened: %d answers, want %d", j.Len(), workers*each)
	}
	for w := range workers {
		for i := range each {
			e := at(free, i)
			e.IsAvailable = (w+i)%2 == 0
			checkLookup(t, j, id(w, i), e)
		}
	}
}
