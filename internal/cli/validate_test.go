package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/sandbox/sandboxtest"
)

const (
	testTenant = "e2a1c7b2-4f3a-4b8e-9c2d-1a2b3c4d5e6f"
	testKey    = "sk_test_cli_0123456789"
)

// endpoint is a real sandbox served over loopback HTTP for one test.
type endpoint struct {
	*sandbox.Server
	*sandboxtest.Recorder // Calls, MaxInFlight
	url                   string
	keyFile               string
}

func newEndpoint(t *testing.T, cfg sandbox.Config) *endpoint {
	t.Helper()
	if cfg.Tenant == "" {
		cfg.Tenant = testTenant
	}
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	sb := sandbox.New(cfg)
	rec := sandboxtest.Record(sb)
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &endpoint{Server: sb, Recorder: rec, url: srv.URL, keyFile: keyFile}
}

// args are the flags pointing validate at e.
func (e *endpoint) args(extra ...string) []string {
	return append([]string{"validate", "--base-url", e.url, "--tenant", testTenant, "--api-key-file", e.keyFile, "--quiet"}, extra...)
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runWithEnv(t, nil, stdin, args...)
}

// runWithEnv runs a command in testEnv changed by set (nil: unchanged).
func runWithEnv(t *testing.T, set func(*Env), stdin string, args ...string) result {
	t.Helper()
	noteInputs(stdin, args)
	var out, errb bytes.Buffer
	env := testEnv(strings.NewReader(stdin), &out, &errb)
	if set != nil {
		set(&env)
	}
	code := Run(context.Background(), args, env)
	return result{code, out.String(), errb.String()}
}

// inputsRun holds, by base URL, the text of every input a test ran against
// that endpoint (stdin and the files named), for idRequests.
var inputsRun sync.Map // base URL -> *inputTexts

type inputTexts struct {
	mu    sync.Mutex
	texts []string
}

// noteInputs keeps stdin and the contents of the files args names, the
// inputs of a run against --base-url, as their rows' text.
func noteInputs(stdin string, args []string) {
	i := slices.Index(args, "--base-url")
	if i < 0 || i+1 >= len(args) {
		return
	}
	v, _ := inputsRun.LoadOrStore(args[i+1], new(inputTexts))
	in := v.(*inputTexts)
	in.mu.Lock()
	defer in.mu.Unlock()
	in.texts = append(in.texts, inputText([]byte(stdin)))
	for _, a := range args {
		if fi, err := os.Stat(a); err != nil || !fi.Mode().IsRegular() {
			continue // a flag, a value, a file still to write, /dev/full
		}
		if data, err := os.ReadFile(a); err == nil {
			in.texts = append(in.texts, inputText(data))
		}
	}
}

// inputText is an input's text: a gzipped one decompressed, a workbook's
// cells as excelize formats them (a zero-padded number as 00976), a
// Parquet file's values as the library prints them (an INT64 in decimal).
func inputText(data []byte) string {
	if zr, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
		if plain, err := io.ReadAll(zr); err == nil {
			data = plain
		}
	}
	if bytes.HasPrefix(data, []byte("PAR1")) {
		return parquetText(data)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return string(data)
	}
	defer f.Close()
	var cells strings.Builder
	for _, sheet := range f.GetSheetList() {
		rows, _ := f.GetRows(sheet)
		for _, row := range rows {
			cells.WriteString(strings.Join(row, "\t") + "\n")
		}
	}
	return cells.String()
}

// idRequests returns how many requests e saw, failing t for any about an
// id that none of the inputs run against e holds: a run asks about the ids
// of its input, and no other.
func idRequests(t *testing.T, e *endpoint) int64 {
	t.Helper()
	var texts []string
	if v, ok := inputsRun.Load(e.url); ok {
		in := v.(*inputTexts)
		in.mu.Lock()
		texts = slices.Clone(in.texts)
		in.mu.Unlock()
	}
	for _, id := range e.IDs() {
		quoted, _ := json.Marshal(id) // as NDJSON or a workbook may hold it
		escaped := strings.Trim(string(quoted), `"`)
		if !slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, id) || strings.Contains(s, escaped) }) {
			t.Errorf("a request asked about %q, an id of no input", id)
		}
	}
	return e.Requests()
}

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(s))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, s)
	}
	return recs
}

// expected computes each row's verdict and duplicateOf from the input and the
// taken set, independently of the code under test.
func expected(ids []string, taken map[string]bool) (verdicts []string, dupOf []string, distinct int) {
	first := map[string]int{}
	for i, id := range ids {
		seq := i + 1
		switch f, seen := first[id]; {
		case strings.TrimSpace(id) == "":
			verdicts, dupOf = append(verdicts, "invalid"), append(dupOf, "")
		case seen:
			verdicts, dupOf = append(verdicts, "duplicate"), append(dupOf, strconv.Itoa(f))
		default:
			first[id] = seq
			v := "available"
			if taken[id] {
				v = "taken"
			}
			verdicts, dupOf = append(verdicts, v), append(dupOf, "")
		}
	}
	return verdicts, dupOf, len(first)
}

func readTaken(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	taken, _, err := sandbox.ReadTaken(f)
	if err != nil {
		t.Fatal(err)
	}
	return taken
}

func TestValidateSampleWithEmbeddedSandbox(t *testing.T) {
	t.Parallel()
	sample := "../../testdata/customers.csv"
	takenFile := "../../testdata/taken.txt"
	summary := filepath.Join(t.TempDir(), "summary.json")
	res := run(t, "", "validate", "--sandbox", "--sandbox-taken", takenFile, "--summary", summary, sample)
	if res.code != 1 {
		t.Fatalf("exit code %d, want 1 (findings)\nstderr:\n%s", res.code, res.stderr)
	}
	raw, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	in := readCSV(t, string(raw))
	out := readCSV(t, res.stdout)
	if len(out) != len(in) {
		t.Fatalf("%d output records, want %d (header + every row once)", len(out), len(in))
	}
	wantHeader := append(slices.Clone(in[0]), "isAvailable", "messageCode", "verdict", "duplicateOf", "detail")
	if !slices.Equal(out[0], wantHeader) {
		t.Fatalf("header %q, want %q", out[0], wantHeader)
	}
	var ids []string
	for _, rec := range in[1:] {
		ids = append(ids, rec[0])
	}
	verdicts, dupOf, _ := expected(ids, readTaken(t, takenFile))
	n := len(in[0])
	for i, rec := range out[1:] {
		if !slices.Equal(rec[:n], in[i+1]) {
			t.Fatalf("row %d: original columns %q, want %q (order or content changed)", i+1, rec[:n], in[i+1])
		}
		if rec[n+2] != verdicts[i] || rec[n+3] != dupOf[i] {
			t.Errorf("row %d (id %q): verdict %q duplicateOf %q, want %q %q", i+1, ids[i], rec[n+2], rec[n+3], verdicts[i], dupOf[i])
		}
		if verdicts[i] == "available" && (rec[n] != "true" || rec[n+1] != "SUCCESS") {
			t.Errorf("row %d: isAvailable %q messageCode %q, want true SUCCESS", i+1, rec[n], rec[n+1])
		}
	}
	var sum struct {
		Rows     int64            `json:"rows"`
		Verdicts map[string]int64 `json:"verdicts"`
		ExitCode int              `json:"exit_code"`
		Settings struct {
			Rate    float64 `json:"rate"`
			Sandbox bool    `json:"sandbox"`
		} `json:"settings"`
	}
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Rows != int64(len(ids)) || sum.ExitCode != 1 || !sum.Settings.Sandbox || sum.Settings.Rate != 0 {
		t.Errorf("summary rows %d exit %d sandbox %v rate %g; want %d 1 true 0", sum.Rows, sum.ExitCode, sum.Settings.Sandbox, sum.Settings.Rate, len(ids))
	}
	for _, v := range []string{"available", "taken", "duplicate", "invalid"} {
		want := int64(strings.Count(strings.Join(verdicts, " ")+" ", v+" "))
		if sum.Verdicts[v] != want || want == 0 {
			t.Errorf("summary %s = %d, want %d (> 0)", v, sum.Verdicts[v], want)
		}
	}
	if !strings.Contains(res.stderr, "taken") {
		t.Errorf("no summary table on stderr:\n%s", res.stderr)
	}
}

// genCSV makes an export of n rows whose ids repeat every `distinct` rows,
// with every tenth id taken.
func genCSV(n, distinct int) (csvText string, ids []string, taken map[string]bool) {
	var b strings.Builder
	b.WriteString("name,externalId,note\n")
	taken = map[string]bool{}
	for i := range n {
		id := fmt.Sprintf("id-%05d", (i*7919)%distinct)
		if (i*7919)%distinct%10 == 0 {
			taken[id] = true
		}
		ids = append(ids, id)
		fmt.Fprintf(&b, "row %d,%s,\"note, with comma\"\n", i+1, id)
	}
	return b.String(), ids, taken
}

func TestValidateOrderAndCallsUnderRandomLatency(t *testing.T) {
	t.Parallel()
	text, ids, taken := genCSV(2000, 700)
	e := newEndpoint(t, sandbox.Config{Taken: taken, Latency: 4 * time.Millisecond})
	res := run(t, text, e.args("--rate", "0", "--concurrency", "24", "-")...)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
	}
	out := readCSV(t, res.stdout)
	verdicts, dupOf, distinct := expected(ids, taken)
	if len(out) != len(ids)+1 {
		t.Fatalf("%d rows out, want %d", len(out)-1, len(ids))
	}
	for i, rec := range out[1:] {
		if rec[0] != fmt.Sprintf("row %d", i+1) || rec[1] != ids[i] {
			t.Fatalf("output row %d is %q: order not kept", i+1, rec[:2])
		}
		if rec[5] != verdicts[i] || rec[6] != dupOf[i] {
			t.Fatalf("row %d: verdict %q dup %q, want %q %q", i+1, rec[5], rec[6], verdicts[i], dupOf[i])
		}
	}
	if got := idRequests(t, e); got != int64(distinct) {
		t.Errorf("sandbox saw %d requests, want %d (one per distinct id)", got, distinct)
	}
	if m := e.MaxInFlight(); m > 24 {
		t.Errorf("%d requests in flight at once, above --concurrency 24", m)
	}
}

func TestValidateNDJSONKeepsBytes(t *testing.T) {
	t.Parallel()
	lines := []string{
		`{"customer":{"externalId":"c-1","name":"Zoë \u00e9"},  "n" : 1 }`,
		`{ "customer" : { "externalId" : "c-2" } , "tags":["a","b"]}`,
		`{"customer":{"externalId":"c-1"}}`,
		`{"customer":{"externalId":1001}}`,
		`[1,2]`,
		`{"customer":{}}`,
	}
	e := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"c-2": true}})
	res := run(t, strings.Join(lines, "\n")+"\n", e.args("--id-field", "customer.externalId", "--format", "ndjson")...)
	if res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	out := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if len(out) != len(lines) {
		t.Fatalf("%d lines out, want %d:\n%s", len(out), len(lines), res.stdout)
	}
	want := []string{"available", "taken", "duplicate", "available", "invalid", "invalid"}
	for i, line := range out {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, line)
		}
		if obj["verdict"] != want[i] {
			t.Errorf("line %d verdict %v, want %s", i+1, obj["verdict"], want[i])
		}
		if strings.HasPrefix(lines[i], "{") {
			orig := strings.TrimSuffix(strings.TrimSpace(lines[i]), "}")
			if !strings.HasPrefix(line, orig) {
				t.Errorf("line %d does not keep the original bytes\n got %s\nwant prefix %s", i+1, line, orig)
			}
		}
	}
	if !strings.Contains(out[2], `"duplicateOf":1`) {
		t.Errorf("duplicate line lacks duplicateOf 1: %s", out[2])
	}
	if !strings.Contains(out[0], `"status":{"messageCode":"SUCCESS"}`) {
		t.Errorf("answered line lacks Azotte's status envelope: %s", out[0])
	}
	if idRequests(t, e) != 3 {
		t.Errorf("%d requests, want 3 (c-1, c-2, 1001)", idRequests(t, e))
	}
}

func TestValidateOnlyFiltersButCountsAll(t *testing.T) {
	t.Parallel()
	text, ids, taken := genCSV(300, 120)
	e := newEndpoint(t, sandbox.Config{Taken: taken})
	summary := filepath.Join(t.TempDir(), "s.json")
	res := run(t, text, e.args("--rate", "0", "--only", "taken,duplicate", "--summary", summary, "-")...)
	if res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	verdicts, _, _ := expected(ids, taken)
	var want []string
	for i, v := range verdicts {
		if v == "taken" || v == "duplicate" {
			want = append(want, fmt.Sprintf("row %d", i+1))
		}
	}
	var got []string
	for _, rec := range readCSV(t, res.stdout)[1:] {
		got = append(got, rec[0])
	}
	if !slices.Equal(got, want) {
		t.Fatalf("--only wrote %d rows, want %d (taken and duplicate, in order)", len(got), len(want))
	}
	var sum struct {
		Rows     int64            `json:"rows"`
		Verdicts map[string]int64 `json:"verdicts"`
	}
	b, _ := os.ReadFile(summary)
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 300 || sum.Verdicts["available"] == 0 {
		t.Errorf("summary rows %d available %d: must count every row, written or not", sum.Rows, sum.Verdicts["available"])
	}
}

func TestValidateWrongKeyStopsEarly(t *testing.T) {
	t.Parallel()
	text, _, _ := genCSV(5000, 5000)
	e := newEndpoint(t, sandbox.Config{APIKey: "sk_test_another_key"})
	res := run(t, text, e.args("--rate", "0", "--concurrency", "8", "-")...)
	if res.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", res.code, res.stderr)
	}
	if got := e.Requests(); got > 50 {
		t.Errorf("%d requests before stopping, want a handful", got)
	}
	if !strings.Contains(res.stderr, testTenant) || !strings.Contains(res.stderr, "401") {
		t.Errorf("message should name the tenant and the status:\n%s", res.stderr)
	}
	if strings.Contains(res.stderr+res.stdout, testKey) {
		t.Errorf("the API key leaked into the output")
	}
}

func TestValidateExitCodes(t *testing.T) {
	t.Parallel()
	unique := "externalId\na\nb\nc\n"
	tests := []struct {
		name  string
		cfg   sandbox.Config
		stdin string
		args  []string
		want  int
	}{
		{"all available", sandbox.Config{}, unique, nil, 0},
		{"taken", sandbox.Config{Taken: map[string]bool{"b": true}}, unique, nil, 1},
		{"duplicate", sandbox.Config{}, "externalId\na\na\n", nil, 1},
		{"invalid", sandbox.Config{}, "externalId\na\n\"\"\n", nil, 1},
		{"errors", sandbox.Config{FailRate: 1}, unique, []string{"--retries", "0"}, 3},
		{"errors win over findings", sandbox.Config{FailRate: 1}, "externalId\na\na\n", []string{"--retries", "0"}, 3},
		{"bad flag", sandbox.Config{}, unique, []string{"--concurrency", "0"}, 2},
		{"unknown verdict", sandbox.Config{}, unique, []string{"--only", "maybe"}, 2},
		{"no id column", sandbox.Config{}, "id\na\n", nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEndpoint(t, tt.cfg)
			res := run(t, tt.stdin, e.args(append(tt.args, "-")...)...)
			if res.code != tt.want {
				t.Errorf("exit %d, want %d\nstderr:\n%s", res.code, tt.want, res.stderr)
			}
		})
	}
}

func TestValidateCSVRoundTrip(t *testing.T) {
	t.Parallel()
	in := "\ufeffexternalId;notes;amount\r\n" +
		"x-1;\"multi\r\nline; with \"\"quotes\"\"\";1,5\r\n" +
		"\"x-2\";plain;2\r\n" +
		"x-3;\"semi;colon\";\r\n"
	e := newEndpoint(t, sandbox.Config{})
	res := run(t, in, e.args("--delimiter", ";", "-")...)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, "\"multi\r\nline; with \"\"quotes\"\"\"") {
		t.Errorf("the quoted field with CRLF, delimiter and quotes is not kept byte for byte:\n%q", res.stdout)
	}
	r := csv.NewReader(strings.NewReader(res.stdout))
	r.Comma = ';'
	got, err := r.ReadAll()
	if err != nil {
		t.Fatalf("output: %v\n%s", err, res.stdout)
	}
	want := [][]string{
		{"externalId", "notes", "amount"},
		{"x-1", "multi\nline; with \"quotes\"", "1,5"}, // encoding/csv reads \r\n in a field as \n
		{"x-2", "plain", "2"},
		{"x-3", "semi;colon", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !slices.Equal(got[i][:3], want[i]) {
			t.Errorf("record %d: %q, want %q", i, got[i][:3], want[i])
		}
	}
}

func TestValidateOutputFileIsAtomic(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	dir := t.TempDir()
	out := filepath.Join(dir, "out.csv")
	res := run(t, "externalId\na\nb\n", e.args("-o", out, "-")...)
	if res.code != 0 || res.stdout != "" {
		t.Fatalf("exit %d, stdout %q (want 0 and nothing)\n%s", res.code, res.stdout, res.stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only out.csv (no temporary left)", len(entries))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(b), "\n"); lines != 3 {
		t.Errorf("out.csv has %d lines, want 3", lines)
	}
}

func TestValidateFlagsAfterFile(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	file := filepath.Join(t.TempDir(), "in.tsv")
	os.WriteFile(file, []byte("name\texternalId\nAda\tq-1\n"), 0o644)
	args := append([]string{"validate", file}, e.args()[1:]...)
	res := run(t, "", args...)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(res.stdout))
	sc.Scan()
	if h := sc.Text(); h != "name\texternalId\tisAvailable\tmessageCode\tverdict\tduplicateOf\tdetail" {
		t.Errorf("TSV header %q", h)
	}
}
