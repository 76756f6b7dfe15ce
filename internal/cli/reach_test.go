package cli

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/sandbox/sandboxtest"
)

// freeAddr returns a loopback address nothing listens on: a port just
// listened on and closed.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// rowSource is a lazy CSV of n rows (crm-1 … crm-n) that counts the bytes
// read from it: a large export a run should stop reading early.
type rowSource struct {
	n, next int
	pending []byte
	read    atomic.Int64
}

func newRowSource(n int) *rowSource { return &rowSource{n: n, pending: []byte("externalId\n")} }

func (s *rowSource) Read(p []byte) (int, error) {
	for len(s.pending) < len(p) && s.next < s.n {
		s.next++
		s.pending = fmt.Appendf(s.pending, "crm-%d\n", s.next)
	}
	if len(s.pending) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	s.read.Add(int64(n))
	return n, nil
}

// size is the whole input's length in bytes.
func (s *rowSource) size() int64 {
	total := int64(len("externalId\n"))
	for i := 1; i <= s.n; i++ {
		total += int64(len("crm-\n") + len(strconv.Itoa(i)))
	}
	return total
}

// TestUnusableEndpointStopsAtOnce: nothing listens at the base URL, its
// certificate is not trusted, the key is refused or the path is not
// Azotte's. The run's first request (about one id of the input, sent
// alone) finds out: exit 2 with the cause, at most that one request, a
// 10^6-row input read no further than its first blocks, no file left.
func TestUnusableEndpointStopsAtOnce(t *testing.T) {
	t.Parallel()
	tlsSrv := httptest.NewTLSServer(sandbox.New(sandbox.Config{Tenant: testTenant, APIKey: testKey}))
	t.Cleanup(tlsSrv.Close)
	closed := "http://" + freeAddr(t)
	for _, tc := range []struct {
		name     string
		cfg      sandbox.Config
		extra    []string
		requests int64
		want     string
	}{
		{"closed port", sandbox.Config{}, []string{"--base-url", closed}, 0, "cannot reach " + closed + azotte.DefaultPath + ": connection refused"},
		{"untrusted certificate", sandbox.Config{}, []string{"--base-url", tlsSrv.URL}, 0, "cannot reach " + tlsSrv.URL + azotte.DefaultPath + ": TLS: certificate signed by unknown authority"},
		{"wrong key", sandbox.Config{APIKey: "sk_other"}, nil, 1, "azotte refused the credentials (HTTP 401) for tenant"},
		{"wrong path", sandbox.Config{}, []string{"--path", "/api/v9/customer/validate"}, 1, "/api/v9/customer/validate answered HTTP 404: it is not Azotte's validate call; check --base-url and --path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEndpoint(t, tc.cfg)
			src := newRowSource(1_000_000)
			out := filepath.Join(t.TempDir(), "out.csv")
			args := append(e.args("--rate", "0", "-o", out, "-"), tc.extra...)
			start := time.Now()
			res := runWithEnv(t, func(env *Env) { env.Stdin = src }, "", args...)
			t.Logf("exit %d after %v, %d of %d bytes read", res.code, time.Since(start), src.read.Load(), src.size())
			if res.code != 2 || !strings.Contains(res.stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", res.code, res.stderr, tc.want)
			}
			if strings.Contains(res.stderr, testKey) {
				t.Error("the key is in the message")
			}
			ids := e.IDs()
			if len(ids) != int(tc.requests) || len(ids) == 1 && e.Calls(ids[0]) != 1 {
				t.Errorf("requests about %v, want %d request", ids, tc.requests)
			}
			for _, id := range ids {
				if n, err := strconv.Atoi(strings.TrimPrefix(id, "crm-")); err != nil || n < 1 || n > src.n {
					t.Errorf("a request asked about %q, an id of no input row", id)
				}
			}
			if read := src.read.Load(); read > src.size()/10 {
				t.Errorf("%d of %d bytes read: the input was read on after the first answer", read, src.size())
			}
			if files, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "*")); len(files) != 0 {
				t.Errorf("files left: %v", files)
			}
		})
	}
}

// TestBusyFirstAnswer: a 503 for the first id proves the endpoint is
// Azotte's; the run goes on, asks the next id once and retries the first.
func TestBusyFirstAnswer(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{FailIDs: map[string]int{"crm-1": http.StatusServiceUnavailable}})
	res := run(t, "externalId\ncrm-1\ncrm-2\n", e.args("--rate", "0", "-")...)
	if res.code != 3 {
		t.Fatalf("exit %d, want 3 (crm-1 is an error row)\n%s", res.code, res.stderr)
	}
	idRequests(t, e)
	if n := e.Calls("crm-2"); n != 1 {
		t.Errorf("crm-2 asked %d times, want 1", n)
	}
	if n := e.Calls("crm-1"); n < 2 {
		t.Errorf("crm-1 asked %d times: a 503 is retried", n)
	}
}

// TestControlCharactersRefused: a tenant or key with a newline (pasted
// along), a tab or NUL is refused before any request, and the key's value
// is never shown.
func TestControlCharactersRefused(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte("sk_live\nsecret_tail\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"tenant newline", e.args("--tenant", testTenant+"\n", "-"), nil, `--tenant/AZOTTE_TENANT "` + testTenant + `\n" holds a newline at byte 37`},
		{"tenant tab in env", []string{"validate", "--base-url", e.url, "--api-key-file", e.keyFile, "-"}, map[string]string{"AZOTTE_TENANT": "acme\tx"}, "holds a tab at byte 5"},
		{"tenant NUL, sandbox", []string{"validate", "--sandbox", "--tenant", "a\x00b", "-"}, nil, "holds a NUL byte at byte 2"},
		{"key file with two lines", e.args("--api-key-file", keyFile, "-"), nil, "the API key (AZOTTE_API_KEY or --api-key-file) holds a newline at byte 8 (the key is not shown)"},
		{"key in env", []string{"validate", "--base-url", e.url, "--tenant", testTenant, "-"}, map[string]string{"AZOTTE_API_KEY": "sk_\x1bsecret_tail"}, "holds a control character (U+001B) at byte 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runWithEnv(t, func(env *Env) {
				env.Getenv = func(k string) string { return tc.env[k] }
			}, "externalId\ncrm-1\n", tc.args...)
			if res.code != 2 || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", res.code, res.stderr, tc.want)
			}
			if strings.Contains(res.stderr, "secret_tail") {
				t.Errorf("the key is shown: %q", res.stderr)
			}
		})
	}
	if n := e.Requests(); n != 0 {
		t.Errorf("%d requests, want 0", n)
	}
}

// stoppable serves a sandbox at a fixed loopback address and closes itself
// once it has given n answers: Azotte gone mid-run.
type stoppable struct {
	*sandbox.Server
	*sandboxtest.Recorder // IDs
	srv                   *httptest.Server
	once                  sync.Once
	url                   string
}

func serveAt(t *testing.T, addr string, cfg sandbox.Config, stopAfter int64) *stoppable {
	t.Helper()
	cfg.Tenant, cfg.APIKey = testTenant, testKey
	s := &stoppable{Server: sandbox.New(cfg)}
	s.Recorder = sandboxtest.Record(s.Server)
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Recorder.ServeHTTP(w, r)
		if stopAfter > 0 && s.Answered() >= stopAfter {
			// Close waits for the requests in flight, this one too.
			s.once.Do(func() { go s.srv.Close() })
		}
	}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	s.url = s.srv.URL
	return s
}

// TestOutageMidRun: Azotte goes away after 300 answers. With
// --give-up-after 2s the run stops (exit 3) instead of marking the other
// rows error, keeps the rows done in FILE.partial (a prefix of the full
// output) and says how to resume; every request, during the outage too,
// is about an id of the export; a re-run with the same --state, once
// Azotte is back at the same address, writes what an uninterrupted run does.
func TestOutageMidRun(t *testing.T) {
	t.Parallel()
	text, ids, taken := genCSV(2000, 1500)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(in, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEndpoint(t, sandbox.Config{})
	flags := func(url, out string, extra ...string) []string {
		return append(e.args("--base-url", url, "--rate", "0", "--concurrency", "8", "--timeout", "2s", "-o", out, in), extra...)
	}

	// The output of a run nothing interrupts.
	full := filepath.Join(dir, "full.csv")
	ref := serveAt(t, "127.0.0.1:0", sandbox.Config{Taken: taken}, 0)
	if res := run(t, "", flags(ref.url, full)...); res.code != 1 {
		t.Fatalf("uninterrupted run: exit %d\n%s", res.code, res.stderr)
	}
	want := must(t, full)

	addr := freeAddr(t)
	out, state, sum := filepath.Join(dir, "out.csv"), filepath.Join(dir, "st"), filepath.Join(dir, "s.json")
	gone := serveAt(t, addr, sandbox.Config{Taken: taken}, 300)
	start := time.Now()
	res := run(t, "", flags(gone.url, out, "--state", state, "--give-up-after", "2s", "--summary", sum)...)
	t.Logf("stopped after %v, %d answers", time.Since(start), gone.Answered())
	if res.code != 3 {
		t.Fatalf("exit %d, want 3\n%s", res.code, res.stderr)
	}
	for _, w := range []string{"cannot reach " + gone.url + azotte.DefaultPath + ": connection refused (nothing answered for",
		"re-run with the same --state to resume", "out.csv.partial"} {
		if !strings.Contains(res.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after a run that stopped (%v)", out, err)
	}
	partial := must(t, out+".partial")
	if len(partial) == 0 || !bytes.HasPrefix(want, partial) || partial[len(partial)-1] != '\n' {
		t.Fatalf("FILE.partial (%d bytes) is not a prefix of whole rows of the full output (%d bytes)", len(partial), len(want))
	}
	rows := bytes.Count(partial, []byte("\n")) - 1
	if rows < 1 || rows >= 2000 {
		t.Errorf("FILE.partial holds %d rows: want some, not all", rows)
	}
	var s struct {
		Rows     int64            `json:"rows"`
		Verdicts map[string]int64 `json:"verdicts"`
		ExitCode int              `json:"exit_code"`
		Error    string           `json:"error"`
	}
	readJSON(t, sum, &s)
	if s.ExitCode != 3 || s.Rows != int64(rows) || s.Verdicts["error"] != 0 || !strings.Contains(s.Error, "cannot reach") {
		t.Errorf("summary: %+v; want exit 3, %d rows, no error rows, the cause", s, rows)
	}

	back := serveAt(t, addr, sandbox.Config{Taken: taken}, 0)
	if res := run(t, "", flags(back.url, out, "--state", state)...); res.code != 1 {
		t.Fatalf("re-run: exit %d\n%s", res.code, res.stderr)
	}
	if got := must(t, out); !bytes.Equal(got, want) {
		t.Errorf("the resumed output differs from an uninterrupted run's")
	}
	if asked := back.Requests(); asked >= 1500 {
		t.Errorf("the re-run made %d requests for 1500 ids: the journal was not used", asked)
	}
	for _, id := range append(gone.IDs(), back.IDs()...) {
		if !slices.Contains(ids, id) {
			t.Errorf("a request asked about %q, an id of no row", id)
		}
	}
}
