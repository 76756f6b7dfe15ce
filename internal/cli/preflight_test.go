package cli

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/sandbox/sandboxtest"
)

// idRequests is how many requests e saw about ids: all but the preflight's.
func idRequests(e *endpoint) int64 { return e.Requests() - int64(e.Calls(azotte.PreflightID)) }

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

// TestPreflightRefusesUnreachable: nothing listens at the base URL, or the
// server's certificate is not trusted. The run stops before reading a row,
// with exit 2 and the cause; no output file is left.
func TestPreflightRefusesUnreachable(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	tlsSrv := httptest.NewTLSServer(sandboxtest.Record(sandbox.New(sandbox.Config{Tenant: testTenant, APIKey: testKey})))
	t.Cleanup(tlsSrv.Close)
	closed := "http://" + freeAddr(t)
	for _, tc := range []struct {
		name, url, want string
	}{
		{"closed port", closed, "cannot reach " + closed + azotte.DefaultPath + ": connection refused"},
		{"untrusted certificate", tlsSrv.URL, "cannot reach " + tlsSrv.URL + azotte.DefaultPath + ": TLS: certificate signed by unknown authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out.csv")
			args := append(e.args("-o", out, "-"), "--base-url", tc.url)
			res := run(t, "externalId\ncrm-1\n", args...)
			if res.code != 2 {
				t.Fatalf("exit %d, want 2\n%s", res.code, res.stderr)
			}
			if !strings.Contains(res.stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", res.stderr, tc.want)
			}
			if strings.Contains(res.stderr, testKey) {
				t.Error("the key is in the message")
			}
			if files, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "*")); len(files) != 0 {
				t.Errorf("files left: %v", files)
			}
		})
	}
}

// TestPreflightAnswers: what the preflight's answer means. A wrong key or
// path stops the run (exit 2) after that one request; a busy Azotte (503
// for the probe id) lets it start.
func TestPreflightAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		cfg   sandbox.Config
		extra []string
		code  int
		want  string
	}{
		{"wrong key", sandbox.Config{APIKey: "sk_other"}, nil, 2, "azotte refused the credentials (HTTP 401) for tenant"},
		{"wrong path", sandbox.Config{}, []string{"--path", "/api/v9/customer/validate"}, 2, "/api/v9/customer/validate answered HTTP 404: it is not Azotte's validate call; check --base-url and --path"},
		{"busy", sandbox.Config{FailIDs: map[string]int{azotte.PreflightID: http.StatusServiceUnavailable}}, nil, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEndpoint(t, tc.cfg)
			res := run(t, "externalId\ncrm-1\ncrm-2\n", e.args(append(tc.extra, "--rate", "0", "-")...)...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", res.code, res.stderr, tc.code, tc.want)
			}
			if n := e.Calls(azotte.PreflightID); n != 1 {
				t.Errorf("%d preflight requests, want 1", n)
			}
			wantIDs := int64(2)
			if tc.code == 2 {
				wantIDs = 0
			}
			if n := int64(e.Calls("crm-1") + e.Calls("crm-2")); n != wantIDs {
				t.Errorf("%d id requests, want %d", n, wantIDs)
			}
		})
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
	srv  *httptest.Server
	once sync.Once
	url  string
}

func serveAt(t *testing.T, addr string, cfg sandbox.Config, stopAfter int64) *stoppable {
	t.Helper()
	cfg.Tenant, cfg.APIKey = testTenant, testKey
	s := &stoppable{Server: sandbox.New(cfg)}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Server.ServeHTTP(w, r)
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
// output) and says how to resume; a re-run with the same --state, once
// Azotte is back at the same address, writes what an uninterrupted run does.
func TestOutageMidRun(t *testing.T) {
	t.Parallel()
	text, _, taken := genCSV(2000, 1500)
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
}
