package main

// Process-level tests: the real binary, real signals, a real sandbox over
// loopback.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/sandbox"
)

const (
	tenant = "t-process"
	key    = "sk_test_process_secret"
)

// bin is the azvalidate binary built for these tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "azvalidate-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "azvalidate")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// export writes a CSV of n rows with distinct ids and returns its path.
func export(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("externalId,name\n")
	for i := range n {
		fmt.Fprintf(&b, "p-%05d,name %d\n", i, i)
	}
	path := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func serve(t *testing.T, cfg sandbox.Config) (*sandbox.Server, string) {
	sb, url, _ := serveCounted(t, cfg)
	return sb, url
}

// serveCounted is serve that also counts the sandbox's open connections.
func serveCounted(t *testing.T, cfg sandbox.Config) (*sandbox.Server, string, *atomic.Int64) {
	t.Helper()
	cfg.Tenant, cfg.APIKey = tenant, key
	sb := sandbox.New(cfg)
	srv := httptest.NewUnstartedServer(sb)
	conns := new(atomic.Int64)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			conns.Add(-1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return sb, srv.URL, conns
}

func command(t *testing.T, url string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, append([]string{"validate", "--base-url", url, "--tenant", tenant, "--quiet"}, args...)...)
	cmd.Env = append(os.Environ(), "AZOTTE_API_KEY="+key)
	return cmd
}

// waitLines waits until path holds at least n lines (or the process ends).
func waitLines(t *testing.T, path string, n int, exited <-chan struct{}) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if bytes.Count(b, []byte("\n")) >= n {
			return
		}
		select {
		case <-exited:
			t.Fatalf("process ended before %s held %d lines", path, n)
		case <-deadline:
			t.Fatalf("%s never held %d lines", path, n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitFor waits until done reports true.
func waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !done() {
		select {
		case <-deadline:
			t.Fatalf("waited 30 s for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestSIGINTKeepsAnInOrderPrefix(t *testing.T) {
	t.Parallel()
	in := export(t, 3000)
	_, url := serve(t, sandbox.Config{Taken: map[string]bool{"p-00007": true}})
	dir := t.TempDir()

	full := filepath.Join(dir, "full.csv")
	if out, err := command(t, url, "--rate", "0", "-o", full, in).CombinedOutput(); exitCode(err) != 1 {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}

	out := filepath.Join(dir, "out.csv")
	summary := filepath.Join(dir, "summary.json")
	// 400 requests per second: the run takes about 7 s, and is stopped once
	// a progress line shows it has written some rows. Not --quiet: the
	// progress lines on stderr are the event the test waits for.
	cmd := exec.Command(bin, "validate", "--base-url", url, "--tenant", tenant,
		"--rate", "400", "--progress-interval", "50ms", "-o", out, "--summary", summary, in)
	cmd.Env = append(os.Environ(), "AZOTTE_API_KEY="+key)
	cmd.Stdout = new(bytes.Buffer)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer // read by the test only once exited is closed
	progressed := make(chan struct{})
	exited := make(chan struct{})
	var waitErr error
	go func() {
		r := bufio.NewReader(pipe)
		for seen := false; ; {
			line, err := r.ReadString('\n')
			stderr.WriteString(line)
			if !seen && progressRows(line) >= 100 {
				seen = true
				close(progressed)
			}
			if err != nil {
				break
			}
		}
		waitErr = cmd.Wait() // after the pipe is drained, as exec requires
		close(exited)
	}()
	select {
	case <-progressed:
	case <-exited:
		t.Fatalf("the run ended before a progress line showed 100 rows (exit %d)\n%s", exitCode(waitErr), stderr.String())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("no progress line showed 100 rows within 30 s\n%s", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("no exit 20 s after SIGINT")
	}
	if code := exitCode(waitErr); code != 130 {
		t.Fatalf("exit code %d after SIGINT, want 130\n%s", code, stderr.String())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after an interrupted run; only %s.partial should", out, out)
	}
	partial, err := os.ReadFile(out + ".partial")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(full)
	lines := bytes.Count(partial, []byte("\n"))
	if !bytes.HasPrefix(want, partial) || lines >= 3001 {
		t.Fatalf("partial output (%d lines) is not a strict prefix of the full output", lines)
	}
	if lines < 101 { // the header and the 100 rows the progress line counted
		t.Fatalf("partial output has %d lines; the progress line had counted 100 rows decided", lines)
	}
	var sum struct {
		Interrupted bool  `json:"interrupted"`
		ExitCode    int   `json:"exit_code"`
		Rows        int64 `json:"rows"`
	}
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &sum)
	if !sum.Interrupted || sum.ExitCode != 130 || sum.Rows != int64(lines-1) {
		t.Errorf("summary interrupted=%v exit=%d rows=%d; want true 130 %d", sum.Interrupted, sum.ExitCode, sum.Rows, lines-1)
	}
	if !strings.Contains(stderr.String(), ".partial") {
		t.Errorf("stderr does not say where the partial output is:\n%s", stderr.String())
	}
}

// progressRows returns the rows decided that a text progress line reports
// ("azvalidate: progress rows=1234 percent=41 ..."), or -1 for any other line.
func progressRows(line string) int {
	m := progressLine.FindStringSubmatch(line)
	if m == nil {
		return -1
	}
	n, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	if err != nil {
		return -1
	}
	return n
}

var progressLine = regexp.MustCompile(`^azvalidate: \d\d:\d\d:\d\d progress: ([0-9,]+) rows`)

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

func TestSIGKILLThenResumeWithState(t *testing.T) {
	t.Parallel()
	const rows, concurrency = 3000, 16
	in := export(t, rows)
	taken := map[string]bool{"p-00010": true, "p-02999": true}
	dir := t.TempDir()

	// The reference: one uninterrupted run, on a sandbox of its own.
	_, refURL := serve(t, sandbox.Config{Taken: taken})
	full := filepath.Join(dir, "full.csv")
	if out, err := command(t, refURL, "--rate", "0", "-o", full, in).CombinedOutput(); exitCode(err) != 1 {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}

	sb, url, conns := serveCounted(t, sandbox.Config{Taken: taken})
	out := filepath.Join(dir, "out.csv")
	state := filepath.Join(dir, "state.jsonl")
	args := []string{"--rate", "500", "--concurrency", fmt.Sprint(concurrency), "--state", state, "-o", out, in}

	first := command(t, url, args...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { first.Wait(); close(exited) }()
	waitLines(t, state, 801, exited) // the binding line and 800 answers, about 1.6 s
	first.Process.Kill()             // SIGKILL: no chance to flush anything
	<-exited
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("%s exists after SIGKILL", out)
	}
	// A request the killed run sent may still wait in the sandbox's socket:
	// its connections close once the sandbox has read (and counted) it.
	waitFor(t, "the killed run's connections to close", func() bool { return conns.Load() == 0 })
	beforeResume := sb.Requests()

	summary := filepath.Join(dir, "summary.json")
	second := command(t, url, append([]string{"--summary", summary}, args...)...)
	if b, err := second.CombinedOutput(); exitCode(err) != 1 {
		t.Fatalf("resumed run: %v\n%s", err, b)
	}
	got, _ := os.ReadFile(out)
	want, _ := os.ReadFile(full)
	if !bytes.Equal(got, want) {
		t.Fatalf("resumed output (%d bytes) differs from the uninterrupted one (%d bytes)", len(got), len(want))
	}
	if n := sb.Requests(); n > rows+concurrency {
		t.Errorf("%d calls over both runs, want at most %d (distinct ids + concurrency)", n, rows+concurrency)
	}
	var sum struct {
		JournalHits int64 `json:"journal_hits"`
		APICalls    int64 `json:"api_calls"`
	}
	b, _ := os.ReadFile(summary)
	json.Unmarshal(b, &sum)
	if sum.JournalHits < 800 || sum.APICalls != sb.Requests()-beforeResume {
		t.Errorf("resumed run: %d journal hits (want >= 800), %d api calls (sandbox saw %d)", sum.JournalHits, sum.APICalls, sb.Requests()-beforeResume)
	}
	t.Logf("first run: %d calls; resumed run: %d journal hits, %d calls", beforeResume, sum.JournalHits, sum.APICalls)
}

func TestAPIKeyNeverLeaks(t *testing.T) {
	t.Parallel()
	marker := fmt.Sprintf("sk_live_MARKER_%d_%d", os.Getpid(), time.Now().UnixNano())
	sb := sandbox.New(sandbox.Config{Tenant: tenant, APIKey: marker, FailRate: 0.3, Faults: []sandbox.Fault{sandbox.Fault500, sandbox.Fault502}, Seed: 7})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	in := export(t, 200)
	files := map[string]string{
		"output":  filepath.Join(dir, "out.csv"),
		"summary": filepath.Join(dir, "summary.json"),
		"state":   filepath.Join(dir, "state.jsonl"),
	}
	cmd := exec.Command(bin, "validate", "--base-url", srv.URL, "--tenant", tenant, "--rate", "0", "--verbose",
		"--retries", "0", "--progress-interval", "10ms",
		"-o", files["output"], "--summary", files["summary"], "--state", files["state"], in)
	cmd.Env = append(os.Environ(), "AZOTTE_API_KEY="+marker)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); exitCode(err) != 3 {
		t.Fatalf("exit %d, want 3 (some requests failed)\n%s", exitCode(err), stderr.String())
	}
	texts := map[string]string{"stdout": stdout.String(), "stderr": stderr.String()}
	for name, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		texts[name] = string(b)
	}
	for name, text := range texts {
		if strings.Contains(text, marker) || strings.Contains(text, marker[8:]) {
			t.Errorf("the API key appears in %s", name)
		}
	}
	if !strings.Contains(texts["output"], ",error,") {
		t.Error("no error row in the output: the failing path was not exercised")
	}
}
