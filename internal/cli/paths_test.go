package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// Every setting under which a run would overwrite a file it needs, or fail
// only at its end, is refused with exit 2 before the first request, and the
// input is left as it was.
func TestValidateRefusesDestructivePaths(t *testing.T) {
	t.Parallel()
	const input = "externalId\na\nb\n"
	tests := []struct {
		name string
		args func(dir, in string) []string
		want string // in the message
	}{
		{"output is the input", func(dir, in string) []string { return []string{"-o", in} }, "is also the input"},
		{"output is the input, spelt otherwise", func(dir, in string) []string {
			return []string{"-o", dir + "/./in.csv"}
		}, "is also the input (" + "IN" + ")"},
		{"output is a hard link to the input", func(dir, in string) []string {
			link := filepath.Join(dir, "link.csv")
			if err := os.Link(in, link); err != nil {
				t.Fatal(err)
			}
			return []string{"-o", link}
		}, "is also the input"},
		{"summary is the input", func(dir, in string) []string { return []string{"--summary", in} }, "--summary"},
		{"report is the input", func(dir, in string) []string {
			md := filepath.Join(dir, "in.md")
			os.WriteFile(md, []byte("keep me\n"), 0o644)
			return []string{"--report", md, "--summary", md}
		}, "is also the summary (--summary)"},
		{"metrics file is the output", func(dir, in string) []string {
			out := filepath.Join(dir, "out.csv")
			return []string{"-o", out, "--metrics-file", out}
		}, "--metrics-file " + "OUT" + " is also the output (-o)"},
		{"summary is the output", func(dir, in string) []string {
			out := filepath.Join(dir, "out.csv")
			return []string{"-o", out, "--summary", out}
		}, "is also the output (-o)"},
		{"changes is the output", func(dir, in string) []string {
			out := filepath.Join(dir, "out.csv")
			return []string{"--state", filepath.Join(dir, "st"), "-o", out, "--changes", out}
		}, "is also the output (-o)"},
		{"output is the journal", func(dir, in string) []string {
			st := filepath.Join(dir, "crm.state")
			return []string{"--state", st, "-o", st}
		}, "is also the journal (--state)"},
		{"output is a split file", func(dir, in string) []string {
			split := filepath.Join(dir, "split")
			return []string{"--split", split, "-o", filepath.Join(split, "taken.csv")}
		}, "is also the taken file (--split)"},
		{"output is a folder", func(dir, in string) []string { return []string{"-o", dir} }, "is a folder"},
		{"summary in a missing folder", func(dir, in string) []string {
			return []string{"--summary", filepath.Join(dir, "no", "run.json")}
		}, "no folder"},
		{"report in a missing folder", func(dir, in string) []string {
			return []string{"--report", filepath.Join(dir, "no", "r.html")}
		}, "no folder"},
		{"metrics in a missing folder", func(dir, in string) []string {
			return []string{"--metrics-file", filepath.Join(dir, "no", "m.prom")}
		}, "no folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEndpoint(t, sandbox.Config{})
			dir := t.TempDir()
			in := filepath.Join(dir, "in.csv")
			if err := os.WriteFile(in, []byte(input), 0o644); err != nil {
				t.Fatal(err)
			}
			args := tt.args(dir, in)
			res := run(t, "", e.args(append(args, in)...)...)
			if res.code != 2 {
				t.Fatalf("exit %d, want 2\n%s", res.code, res.stderr)
			}
			if n := e.Requests(); n != 0 {
				t.Errorf("%d requests before refusing, want 0", n)
			}
			want := strings.NewReplacer("IN", in, "OUT", filepath.Join(dir, "out.csv")).Replace(tt.want)
			if !strings.Contains(res.stderr, want) {
				t.Errorf("message lacks %q:\n%s", want, res.stderr)
			}
			if b, err := os.ReadFile(in); err != nil || string(b) != input {
				t.Errorf("the input is now %q (%v)", b, err)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "in.md")); err == nil && string(b) != "keep me\n" {
				t.Errorf("in.md is now %q", b)
			}
			if _, err := os.Stat(filepath.Join(dir, "crm.state")); err == nil {
				t.Errorf("a journal was created")
			}
		})
	}
}

// Output files get 0666 less the umask, like any file a program writes; the
// umask is process-wide, so this test is not parallel.
func TestValidateOutputHonoursUmask(t *testing.T) {
	e := newEndpoint(t, sandbox.Config{})
	dir := t.TempDir()
	out, sum := filepath.Join(dir, "out.csv"), filepath.Join(dir, "run.json")
	for _, tc := range []struct {
		umask int
		want  os.FileMode
	}{{0o077, 0o600}, {0o022, 0o644}} {
		old := syscall.Umask(tc.umask)
		res := run(t, "externalId\na\n", e.args("-o", out, "--summary", sum, "-")...)
		syscall.Umask(old)
		if res.code != 0 {
			t.Fatalf("umask %03o: exit %d\n%s", tc.umask, res.code, res.stderr)
		}
		for _, p := range []string{out, sum} {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != tc.want {
				t.Errorf("umask %03o: %s mode %v, want %v", tc.umask, filepath.Base(p), st.Mode().Perm(), tc.want)
			}
		}
	}
}

// -o's extension chooses gzip and the format, unless --output-format says.
func TestValidateOutputByExtension(t *testing.T) {
	t.Parallel()
	text, _, taken := genCSV(3000, 900) // rows over several 64 KiB buffers
	e := newEndpoint(t, sandbox.Config{Taken: taken})
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(in, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	outputOf := func(name string, extra ...string) []byte {
		t.Helper()
		path := filepath.Join(dir, name)
		res := run(t, "", e.args(append(append([]string{"--rate", "0", "-o", path}, extra...), in)...)...)
		if res.code != 1 {
			t.Fatalf("-o %s: exit %d\n%s", name, res.code, res.stderr)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	plain := outputOf("out.csv")

	gz := outputOf("out.csv.gz")
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("out.csv.gz is not gzip: %v", err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("out.csv.gz: %v", err)
	}
	if !bytes.Equal(unzipped, plain) {
		t.Errorf("out.csv.gz decompresses to %d bytes that differ from out.csv's %d", len(unzipped), len(plain))
	}

	tsv := strings.Split(string(outputOf("out.tsv")), "\n")
	if tsv[0] != "name\texternalId\tnote\tisAvailable\tmessageCode\tverdict\tduplicateOf\tdetail" {
		t.Errorf("out.tsv header %q", tsv[0])
	}
	if want := strings.Join(readCSV(t, string(plain))[1], "\t"); tsv[1] != want {
		t.Errorf("out.tsv row 1 %q, want %q", tsv[1], want)
	}

	first, _, _ := strings.Cut(string(outputOf("out.jsonl")), "\n")
	var obj map[string]any
	if err := json.Unmarshal([]byte(first), &obj); err != nil || obj["externalId"] == nil || obj["verdict"] == nil {
		t.Errorf("out.jsonl line 1 %q is not an NDJSON row (%v)", first, err)
	}

	if b := outputOf("forced.tsv", "--output-format", "csv"); !bytes.Equal(b, plain) {
		t.Errorf("--output-format csv -o forced.tsv did not write CSV")
	}
}

// A finished run removes what earlier runs of the same output left behind:
// FILE.partial and old temporary files, not those of a run still writing.
func TestValidateRemovesLeftovers(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	dir := t.TempDir()
	out := filepath.Join(dir, "out.csv")
	old := time.Now().Add(-time.Hour)
	for _, name := range []string{"out.csv.partial", ".out.csv.tmp-killedrun1", ".out.csv.tmp-running", ".other.csv.tmp-x"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("externalId\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if name != ".out.csv.tmp-running" {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The "running" file is dated a minute ahead: certainly after the run starts.
	soon := time.Now().Add(time.Minute)
	os.Chtimes(filepath.Join(dir, ".out.csv.tmp-running"), soon, soon)
	res := run(t, "externalId\na\n", e.args("-o", out, "-")...)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	var got []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		got = append(got, e.Name())
	}
	want := []string{".other.csv.tmp-x", ".out.csv.tmp-running", "out.csv"}
	if !slices.Equal(got, want) {
		t.Errorf("folder holds %q, want %q", got, want)
	}
}

// A summary that cannot be written makes exit code 2, not the findings' 1.
func TestValidateSideFileFailureIsExit2(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"a": true}})
	res := run(t, "externalId\na\n", e.args("--summary", "/dev/full", "-")...)
	if res.code != 2 {
		t.Errorf("exit %d, want 2\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, "--summary") {
		t.Errorf("no message naming --summary:\n%s", res.stderr)
	}
}

// An NDJSON --id-field no object has is a usage error naming the fields seen.
func TestValidateNDJSONWrongIDField(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	in := `{"id":"c-1","name":"Ann","email":"a@x"}` + "\n" + `{"id":"c-2","name":"Bo"}` + "\n"
	res := run(t, in, e.args("--format", "ndjson", "-")...)
	if res.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", res.code, res.stderr)
	}
	const want = `-: no row has "externalId" in its first 2 objects (fields seen: id, name, email); use --id-field`
	if !strings.Contains(res.stderr, want) {
		t.Errorf("message lacks %q:\n%s", want, res.stderr)
	}
	if idRequests(t, e) != 0 {
		t.Errorf("%d requests, want 0", idRequests(t, e))
	}
}

// An interrupted run names the signal, points to --state, and gives the
// input's size, not how far it read.
func TestValidateInterruptMessage(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	dir := t.TempDir()
	text, _, _ := genCSV(20000, 20000)
	in, sum := filepath.Join(dir, "in.csv"), filepath.Join(dir, "run.json")
	if err := os.WriteFile(in, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(Interrupted(syscall.SIGTERM)) // before the first row: the run stops at once
	var stdout, stderr bytes.Buffer
	code := Run(ctx, e.args("--state", filepath.Join(dir, "st"), "--summary", sum, "-o", filepath.Join(dir, "out.csv"), in),
		testEnv(strings.NewReader(""), &stdout, &stderr))
	if code != 143 {
		t.Fatalf("exit %d, want 143\n%s", code, stderr.String())
	}
	if want := "interrupted by SIGTERM; re-run with the same --state to resume"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
	}
	var s struct {
		Input struct {
			Bytes int64 `json:"bytes"`
		} `json:"input"`
		Interrupted bool `json:"interrupted"`
	}
	b, err := os.ReadFile(sum)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if !s.Interrupted || s.Input.Bytes != int64(len(text)) {
		t.Errorf("summary interrupted %v input bytes %d, want true %d", s.Interrupted, s.Input.Bytes, len(text))
	}
}
