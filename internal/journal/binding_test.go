package journal

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	const p = "/api/v1/c2a/customer/validate"
	for _, tt := range []struct{ in, want Endpoint }{
		{Endpoint{"HTTPS://Acme.Example:443/", "api/v1/c2a/customer/validate/", "T"}, Endpoint{"https://acme.example", p, "T"}},
		{Endpoint{"http://acme.example:80", p, "t"}, Endpoint{"http://acme.example", p, "t"}},
		{Endpoint{"http://127.0.0.1:8080/", p, "t"}, Endpoint{"http://127.0.0.1:8080", p, "t"}},
		{Endpoint{"https://acme.example:8443/prefix/", p, "t"}, Endpoint{"https://acme.example:8443/prefix", p, "t"}},
		{Endpoint{"http://[::1]:80", p, "t"}, Endpoint{"http://[::1]", p, "t"}},
		{Endpoint{SandboxURL, p, "sandbox"}, Endpoint{SandboxURL, p, "sandbox"}},
	} {
		got, err := tt.in.Normalize()
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%+v) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func firstLine(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l, _, _ := strings.Cut(string(data), "\n")
	return l
}

func TestBinding(t *testing.T) {
	t.Parallel()
	path := statePath(t)
	j := mustOpen(t, path, 0, t0)
	mustAppend(t, j, "crm-1", free)
	mustClose(t, j)
	if b, ok := decodeBinding([]byte(firstLine(t, path))); !ok || b != ep1 {
		t.Fatalf("first line %q, want the binding to %v", firstLine(t, path), ep1)
	}

	// Another spelling of the same endpoint.
	same := Endpoint{BaseURL: "HTTPS://A.example:443/", Path: "api/v1/c2a/customer/validate", Tenant: "t1"}
	j, err := Open(path, same, 0, t0)
	if err != nil {
		t.Fatalf("same endpoint, other spelling: %v", err)
	}
	checkLookup(t, j, "crm-1", free)
	if j.Endpoint() != ep1 {
		t.Errorf("Endpoint = %v, want %v", j.Endpoint(), ep1)
	}
	mustClose(t, j)

	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []Endpoint{
		{BaseURL: "https://b.example", Path: ep1.Path, Tenant: "t1"},
		{BaseURL: ep1.BaseURL, Path: ep1.Path, Tenant: "t2"},
		{BaseURL: ep1.BaseURL, Path: "/api/v2/validate", Tenant: "t1"},
		{BaseURL: SandboxURL, Path: ep1.Path, Tenant: "t1"},
	} {
		_, err := Open(path, other, 0, t0)
		var mm *MismatchError
		if !errors.As(err, &mm) {
			t.Fatalf("Open for %v: err = %v, want a *MismatchError", other, err)
		}
		want := fmt.Sprintf("%s is bound to https://a.example/api/v1/c2a/customer/validate tenant \"t1\", not %s%s tenant %q",
			path, other.BaseURL, other.Path, other.Tenant)
		if err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Error("a refused Open changed the file")
	}
}

// TestNotAJournal: an export given as --state by mistake is refused and
// left byte for byte as it was, even when it would look torn.
func TestNotAJournal(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{
		"csv":               "externalId,firstName\ncrm-1,Ann\ncrm-2,Bo",
		"csv, one line":     "externalId,firstName",
		"ndjson export":     `{"externalId":"crm-1","firstName":"Ann"}` + "\n",
		"blank, then csv":   "\n\nexternalId\ncrm-1\n",
		"binary":            "\x00\x01\x02\x03",
		"answer after junk": "junk\n" + `{"id":"a","isAvailable":true,"t":"2026-11-26T10:00:00Z"}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := statePath(t)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(path, ep1, 0, t0); !errors.Is(err, ErrNotJournal) {
				t.Errorf("Open: err = %v, want ErrNotJournal", err)
			}
			if _, err := Read(path, 0, t0); !errors.Is(err, ErrNotJournal) {
				t.Errorf("Read: err = %v, want ErrNotJournal", err)
			}
			if _, _, err := Compact(path); !errors.Is(err, ErrNotJournal) {
				t.Errorf("Compact: err = %v, want ErrNotJournal", err)
			}
			if got, _ := os.ReadFile(path); string(got) != content {
				t.Errorf("file changed: %q, was %q", got, content)
			}
			if _, err := os.Stat(tempPath(path)); !os.IsNotExist(err) {
				t.Errorf("a temp file was made: %v", err)
			}
		})
	}
}

// TestEarlierJournalIsBound: a journal written before bindings is bound to
// the run that opens it, keeps its answers, and loses its torn last line.
func TestEarlierJournalIsBound(t *testing.T) {
	t.Parallel()
	path := statePath(t)
	a, b, c := at(free, 1), at(taken, 2), at(free, 3)
	writeRaw(t, path, a, b, c, at(taken, 1), `{"id":"id@9","isAvail`)
	j := mustOpen(t, path, 0, t0)
	if w := strings.Join(j.Warnings(), "\n"); !strings.Contains(w, "had no endpoint binding") || !strings.Contains(w, ep1.String()) {
		t.Errorf("warnings %q do not say the journal was bound", w)
	}
	if j.torn != 1 {
		t.Errorf("Torn = %d, want 1", j.torn)
	}
	mustAppend(t, j, "id@4", at(taken, 4))
	mustClose(t, j)
	checkLines(t, path)

	j = mustOpen(t, path, 0, t0)
	defer mustClose(t, j)
	if len(j.Warnings()) != 0 {
		t.Errorf("reopened: warnings %q", j.Warnings())
	}
	for _, e := range []Entry{at(taken, 1), b, c} {
		checkLookup(t, j, idOf(e), e)
	}
	checkLookup(t, j, "id@4", at(taken, 4))
	if s := j.Stats(); s.Lines != 5 || s.IDs != 4 {
		t.Errorf("Stats = %+v, want 5 lines, 4 ids", s)
	}

	// A torn first line alone (killed in the first write) is a journal.
	path2 := statePath(t)
	writeRaw(t, path2, `{"id":"id@9","isAvail`)
	j2 := mustOpen(t, path2, 0, t0)
	mustClose(t, j2)
	checkLines(t, path2)
}

// TestFreshToTheSecond: an answer stamped at second S stands for any
// instant of S, so it is fresh only while now - S <= maxAge.
func TestFreshToTheSecond(t *testing.T) {
	t.Parallel()
	path := statePath(t)
	writeFile(t, path, at(free, 0))
	for _, tt := range []struct {
		now   time.Duration // after t0
		fresh bool
	}{
		{0, true},
		{time.Second, true},
		{time.Second + time.Nanosecond, false},
		{1400 * time.Millisecond, false},
		{2 * time.Second, false},
	} {
		j := mustOpen(t, path, time.Second, t0.Add(tt.now))
		_, fresh := j.Lookup("id@0")
		_, stale := j.Stale("id@0")
		if fresh != tt.fresh || stale == tt.fresh || j.Fresh() != b2i(tt.fresh) || j.expired != b2i(!tt.fresh) {
			t.Errorf("now = S + %v, maxAge 1s: Lookup %v, Stale %v, Fresh %d, Expired %d; want fresh %v",
				tt.now, fresh, stale, j.Fresh(), j.expired, tt.fresh)
		}
		mustClose(t, j)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// superseded writes a bound journal of ids ids answered rounds times each,
// the last round wins; it returns the winning entries.
func superseded(t *testing.T, path string, ids, rounds int) map[string]Entry {
	t.Helper()
	lines := []any{}
	want := map[string]Entry{}
	for r := range rounds {
		for i := range ids {
			e := at(free, r*ids+i)
			e.IsAvailable = (r+i)%2 == 0
			id := fmt.Sprint("crm-", i)
			line, _, err := encodeLine(nil, id, e)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, string(line))
			want[id] = e
		}
	}
	writeFile(t, path, lines...)
	return want
}

func TestAutoCompaction(t *testing.T) {
	t.Parallel()
	path := statePath(t)
	want := superseded(t, path, 100, 3) // 200 superseded lines, 100 live
	j := mustOpen(t, path, 0, t0)
	if s := j.Stats(); s.Lines != 101 || s.IDs != 100 {
		t.Errorf("after Open: Stats = %+v, want 101 lines, 100 ids", s)
	}
	mustClose(t, j)
	checkLines(t, path)
	if n := strings.Count(string(must(t, path)), "\n"); n != 101 {
		t.Errorf("file has %d lines, want 101", n)
	}
	j = mustOpen(t, path, 0, t0)
	defer mustClose(t, j)
	for id, e := range want {
		checkLookup(t, j, id, e)
	}

	// Half superseded is not enough.
	path2 := statePath(t)
	superseded(t, path2, 100, 2)
	j2 := mustOpen(t, path2, 0, t0)
	if s := j2.Stats(); s.Lines != 201 {
		t.Errorf("half superseded: %d lines after Open, want 201 (not compacted)", s.Lines)
	}
	mustClose(t, j2)
}

func must(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCompact(t *testing.T) {
	t.Parallel()
	path := statePath(t)
	want := superseded(t, path, 50, 2)
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	j := mustOpen(t, path, 0, t0) // a run holds the lock
	if _, _, err := Compact(path); err == nil || !strings.Contains(err.Error(), "in use by another run") {
		t.Errorf("Compact during a run: err = %v, want in use", err)
	}
	mustClose(t, j)

	before, after, err := Compact(path)
	if err != nil {
		t.Fatal(err)
	}
	if before.Lines != 101 || before.IDs != 50 || after.Lines != 51 || after.IDs != 50 ||
		after.Bytes >= before.Bytes || after.Bytes != int64(len(must(t, path))) {
		t.Errorf("Compact: before %+v, after %+v; want 101 -> 51 lines, 50 ids, the file's size", before, after)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after Compact %#o, want the user's 0640", fi.Mode().Perm())
	}
	checkLines(t, path)
	first := must(t, path)
	if _, _, err := Compact(path); err != nil { // again: the same bytes
		t.Fatal(err)
	}
	if !bytes.Equal(must(t, path), first) {
		t.Error("compacting a compact journal changed it")
	}
	j = mustOpen(t, path, 0, t0)
	defer mustClose(t, j)
	for id, e := range want {
		checkLookup(t, j, id, e)
	}

	if _, _, err := Compact(statePath(t)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Compact of a missing file: err = %v, want not exist", err)
	}
}

// TestRead: a reader takes no lock and changes nothing, torn line included.
func TestRead(t *testing.T) {
	t.Parallel()
	path := statePath(t)
	writeFile(t, path, at(free, 1), at(taken, 2), `{"id":"id@3","isAv`)
	content := string(must(t, path))
	w := mustOpen(t, path, 0, t0) // cuts the torn line, holds the lock
	mustAppend(t, w, "id@4", at(taken, 4))
	r, err := Read(path, 0, t0)
	if err != nil {
		t.Fatalf("Read beside a run: %v", err)
	}
	checkLookup(t, r, "id@4", at(taken, 4))
	if err := r.Append("x", free); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Append on Read: %v, want ErrReadOnly", err)
	}
	if r.Endpoint() != ep1 {
		t.Errorf("Endpoint = %v", r.Endpoint())
	}
	mustClose(t, r)
	mustClose(t, w)

	path2 := statePath(t)
	if err := os.WriteFile(path2, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err = Read(path2, 0, t0)
	if err != nil {
		t.Fatal(err)
	}
	if r.torn != 1 || r.Len() != 2 {
		t.Errorf("Torn, Len = %d, %d; want 1, 2", r.torn, r.Len())
	}
	mustClose(t, r)
	if string(must(t, path2)) != content {
		t.Error("Read changed the file")
	}
}

// compactChildEnv switches TestCompactUntilKilled from a skipped test into
// the child process of TestKillDuringCompaction, naming the journal.
const compactChildEnv = "AZVALIDATE_COMPACT_CHILD"

// TestKillDuringCompaction SIGKILLs a compaction between the fsync of the
// new file and its rename: the journal keeps every answer and the next Open
// removes the temp file left behind. Not parallel, as TestKill9.
func TestKillDuringCompaction(t *testing.T) {
	path := statePath(t)
	want := superseded(t, path, 500, 2)
	old := must(t, path)

	cmd := exec.Command(os.Args[0], "-test.run=^TestCompactUntilKilled$")
	cmd.Env = append(os.Environ(), compactChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == "renaming" {
			cmd.Process.Kill()
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.String() != "signal: killed" {
		t.Fatalf("child ended with %v, want killed", err)
	}
	if _, err := os.Stat(tempPath(path)); err != nil {
		t.Fatalf("no temp file after the kill: %v", err)
	}
	if !bytes.Equal(must(t, path), old) {
		t.Fatal("the journal changed before the rename")
	}

	j := mustOpen(t, path, 0, t0)
	for id, e := range want {
		checkLookup(t, j, id, e)
	}
	if _, err := os.Stat(tempPath(path)); !os.IsNotExist(err) {
		t.Errorf("the temp file outlived the next Open: %v", err)
	}
	mustClose(t, j)

	if _, after, err := Compact(path); err != nil || after.Lines != 501 {
		t.Fatalf("Compact after the kill: %+v, %v", after, err)
	}
	j = mustOpen(t, path, 0, t0)
	defer mustClose(t, j)
	for id, e := range want {
		checkLookup(t, j, id, e)
	}
}

func TestCompactUntilKilled(t *testing.T) {
	path := os.Getenv(compactChildEnv)
	if path == "" {
		t.Skip("the child process of TestKillDuringCompaction")
	}
	beforeRename = func() {
		fmt.Fprintln(os.Stdout, "renaming")
		select {} // until killed
	}
	Compact(path)
	t.Fatal("Compact returned")
}
