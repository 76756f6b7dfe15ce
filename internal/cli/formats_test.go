package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// parquetText is every value of a Parquet file, one row a line, as the
// library prints them, for idRequests.
func parquetText(data []byte) string {
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return string(data)
	}
	var b strings.Builder
	for _, rows := range readParquetRows(f) {
		for _, v := range rows {
			b.WriteString(v.String() + "\t")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func readParquetRows(f *parquet.File) []parquet.Row {
	var all []parquet.Row
	buf := make([]parquet.Row, 64)
	for _, rg := range f.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, r := range buf[:n] {
				all = append(all, r.Clone())
			}
			if err != nil {
				break
			}
		}
		rows.Close()
	}
	return all
}

func openParquet(t *testing.T, path string) *parquet.File {
	t.Helper()
	data := must(t, path)
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s is not a Parquet file the library reads: %v", path, err)
	}
	return f
}

// exportRow is a row of the test exports: a string id, an int64, a
// timestamp and a nullable string.
type exportRow struct {
	ExternalID string    `parquet:"externalId"`
	N          int64     `parquet:"n"`
	Created    time.Time `parquet:"created,timestamp(millisecond)"`
	Note       *string   `parquet:"note,optional"`
}

// genExport makes n rows whose ids repeat (every 7th row repeats an
// earlier one), one id in ten taken, and writes them as CSV and as
// Parquet (row groups of 1,000 rows), the CSV cells being the values as
// the Parquet reader shows them.
func genExport(t *testing.T, dir string, n int) (csvPath, pqPath string, taken map[string]bool, distinct int) {
	t.Helper()
	taken = map[string]bool{}
	seen := map[string]bool{}
	var rows []exportRow
	var b strings.Builder
	b.WriteString("externalId,n,created,note\n")
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range n {
		k := i
		if i%7 == 6 {
			k = i / 2
		}
		id := fmt.Sprintf("crm-%06d", k)
		if k%10 == 3 {
			taken[id] = true
		}
		seen[id] = true
		r := exportRow{ExternalID: id, N: int64(i*37 - 1000), Created: base.Add(time.Duration(i) * 1500 * time.Millisecond)}
		note := ""
		if i%3 != 0 {
			note = fmt.Sprintf("note, %d", i)
			r.Note = &note
		}
		rows = append(rows, r)
		fmt.Fprintf(&b, "%s,%d,%s,%q\n", id, r.N, r.Created.Format(time.RFC3339Nano), note)
	}
	csvPath, pqPath = filepath.Join(dir, "export.csv"), filepath.Join(dir, "export.parquet")
	if err := os.WriteFile(csvPath, []byte(strings.ReplaceAll(b.String(), `,""`+"\n", ",\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	writeParquet(t, pqPath, rows, 1000)
	return csvPath, pqPath, taken, len(seen)
}

func writeParquet[T any](t *testing.T, path string, rows []T, perGroup int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f, parquet.MaxRowsPerRowGroup(perGroup))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestParquetInputAsCSV: the same 3,000 rows as CSV and as Parquet (three
// row groups) give the same output, byte for byte, with one call per
// distinct id each.
func TestParquetInputAsCSV(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csvIn, pqIn, taken, distinct := genExport(t, dir, 3000)
	if groups := len(openParquet(t, pqIn).RowGroups()); groups < 2 {
		t.Fatalf("%d row groups, want several", groups)
	}
	outs := map[string][]byte{}
	for _, in := range []string{csvIn, pqIn} {
		e := newEndpoint(t, sandbox.Config{Taken: taken})
		out := filepath.Join(dir, filepath.Base(in)+".out.csv")
		if res := run(t, "", e.args("--rate", "0", "-o", out, in)...); res.code != 1 {
			t.Fatalf("%s: exit %d\n%s", in, res.code, res.stderr)
		}
		if got := idRequests(t, e); got != int64(distinct) {
			t.Errorf("%s: %d requests, want %d (one per distinct id)", in, got, distinct)
		}
		outs[in] = must(t, out)
	}
	if !bytes.Equal(outs[csvIn], outs[pqIn]) {
		a, b := readCSV(t, string(outs[csvIn])), readCSV(t, string(outs[pqIn]))
		for i := range min(len(a), len(b)) {
			if !slices.Equal(a[i], b[i]) {
				t.Fatalf("row %d: from CSV %q, from Parquet %q", i, a[i], b[i])
			}
		}
		t.Fatalf("from CSV %d records, from Parquet %d", len(a), len(b))
	}
	recs := readCSV(t, string(outs[pqIn]))
	if len(recs) != 3001 || recs[4][3] != "" || recs[2][3] != "note, 1" || recs[2][1] != "-963" {
		t.Errorf("%d records; rows 2 and 4: %q %q", len(recs), recs[2], recs[4])
	}
}

type intExport struct {
	ExternalID *int64 `parquet:"externalId,optional"`
	Name       string `parquet:"name"`
}

// TestParquetIntAndNullIDs: an INT64 id is asked as its decimal text; a
// null id is invalid, and stdin is read as well as a file.
func TestParquetIntAndNullIDs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "ids.parquet")
	id := func(n int64) *int64 { return &n }
	writeParquet(t, in, []intExport{{id(42), "a"}, {nil, "b"}, {id(-7), "c"}, {id(42), "d"}, {id(1234567890123), "e"}}, 2)
	e := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"42": true}})
	res := run(t, string(must(t, in)), e.args("--rate", "0", "--output-format", "csv", "-")...)
	if res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	want := [][]string{
		{"externalId", "name", "isAvailable", "messageCode", "verdict", "duplicateOf", "detail"},
		{"42", "a", "false", "SUCCESS", "taken", "", ""},
		{"", "b", "", "", "invalid", "", "id is null"},
		{"-7", "c", "true", "SUCCESS", "available", "", ""},
		{"42", "d", "false", "SUCCESS", "duplicate", "1", ""},
		{"1234567890123", "e", "true", "SUCCESS", "available", "", ""},
	}
	if got := readCSV(t, res.stdout); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("output\n%q, want\n%q", got, want)
	}
	ids := e.IDs()
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"-7", "1234567890123", "42"}) {
		t.Errorf("asked about %q", ids)
	}
	idRequests(t, e)
}

// parquetCells are the rows of a Parquet file as text, null as "", as the
// CSV output writes them (a timestamp in RFC 3339 seconds).
func parquetCells(t *testing.T, f *parquet.File) [][]string {
	t.Helper()
	var leaves []*parquet.Column
	var walk func(c *parquet.Column)
	walk = func(c *parquet.Column) {
		if c.Leaf() {
			leaves = append(leaves, c)
		}
		for _, ch := range c.Columns() {
			walk(ch)
		}
	}
	walk(f.Root())
	var out [][]string
	for _, r := range readParquetRows(f) {
		cells := make([]string, len(leaves))
		for _, v := range r {
			c := v.Column()
			switch {
			case v.IsNull():
			case strings.HasPrefix(leaves[c].Type().String(), "TIMESTAMP"):
				cells[c] = time.UnixMilli(v.Int64()).UTC().Format(time.RFC3339Nano)
			default:
				cells[c] = v.String()
			}
		}
		out = append(out, cells)
	}
	return out
}

// schemaOf is each top-level column's name and type.
func schemaOf(f *parquet.File) []string {
	var s []string
	for _, c := range f.Root().Columns() {
		typ := "group"
		if c.Leaf() {
			typ = c.Type().String()
		}
		if c.Optional() {
			typ = "optional " + typ
		}
		s = append(s, c.Name()+" "+typ)
	}
	return s
}

// TestParquetOutput: -o out.parquet holds the input's columns (typed from
// Parquet, strings from CSV), then the added ones typed, every row in
// order with the CSV output's values.
func TestParquetOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csvIn, pqIn, taken, _ := genExport(t, dir, 3000)
	added := []string{"isAvailable optional BOOLEAN", "messageCode optional STRING", "verdict STRING",
		"duplicateOf optional INT(64,true)", "detail optional STRING", "answeredAt optional TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS)"}
	for _, tc := range []struct {
		in     string
		schema []string
	}{
		{csvIn, []string{"externalId STRING", "n STRING", "created STRING", "note STRING"}},
		{pqIn, []string{"externalId STRING", "n INT(64,true)", "created TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS)", "note optional STRING"}},
	} {
		t.Run(filepath.Ext(tc.in), func(t *testing.T) {
			t.Parallel()
			e := newEndpoint(t, sandbox.Config{Taken: taken})
			sub := t.TempDir()
			outCSV, outPQ, state := filepath.Join(sub, "out.csv"), filepath.Join(sub, "out.parquet"), filepath.Join(sub, "st")
			for _, out := range []string{outCSV, outPQ} { // the second run's answers come from the journal, as old as the first's
				if res := run(t, "", e.args("--rate", "0", "--answered-at", "--state", state, "-o", out, tc.in)...); res.code != 1 {
					t.Fatalf("exit %d\n%s", res.code, res.stderr)
				}
			}
			f := openParquet(t, outPQ)
			if got, want := schemaOf(f), append(slices.Clone(tc.schema), added...); !slices.Equal(got, want) {
				t.Errorf("schema\n%q, want\n%q", got, want)
			}
			want := readCSV(t, string(must(t, outCSV)))[1:]
			got := parquetCells(t, f)
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for i := range want {
				if tc.in == pqIn {
					// The input's timestamps have milliseconds; the CSV shows them so.
					got[i][2] = want[i][2]
				}
				if !slices.Equal(got[i], want[i]) {
					t.Fatalf("row %d: %q, the CSV output's %q", i+1, got[i], want[i])
				}
			}
		})
	}
}

// TestParquetOutputSeveralFiles: with several inputs, row references are
// strings, FILE:ROW for a row of another file, and sourceFile a column;
// --split writes Parquet too.
func TestParquetOutputSeveralFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b, out := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv"), filepath.Join(dir, "out.parquet")
	os.WriteFile(a, []byte("externalId\nx\ny\n"), 0o644)
	os.WriteFile(b, []byte("externalId\nz\nx\nz\n"), 0o644)
	e := newEndpoint(t, sandbox.Config{})
	split := filepath.Join(dir, "split")
	if res := run(t, "", e.args("--rate", "0", "-o", out, "--split", split, a, b)...); res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	// --split follows the output's format: a Parquet file per verdict.
	if dup := parquetCells(t, openParquet(t, filepath.Join(split, "duplicate.parquet"))); len(dup) != 2 || dup[0][5] != a+":1" {
		t.Errorf("split duplicate.parquet: %q", dup)
	}
	f := openParquet(t, out)
	if s := schemaOf(f); !slices.Contains(s, "duplicateOf optional STRING") || s[1] != "sourceFile STRING" {
		t.Errorf("schema %q", s)
	}
	cells := parquetCells(t, f)
	if len(cells) != 5 || cells[3][1] != b || cells[3][5] != a+":1" || cells[4][5] != "1" {
		t.Errorf("rows %q", cells)
	}
	idRequests(t, e)
}

// cancelAfter serves h and interrupts the run (as SIGINT does) once n
// requests have been answered.
func cancelAfter(h http.Handler, n int64, cancel context.CancelCauseFunc) http.Handler {
	var seen atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if seen.Add(1) == n {
			cancel(Interrupted(syscall.SIGINT))
		}
	})
}

// TestParquetOutputInterrupted: an interrupted run leaves out.parquet.partial,
// a file the library reads, holding a prefix of the rows.
func TestParquetOutputInterrupted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	text, ids, taken := genCSV(20000, 20000)
	in, out := filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.parquet")
	if err := os.WriteFile(in, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	srv := httptest.NewServer(cancelAfter(sandbox.New(sandbox.Config{Tenant: testTenant, APIKey: testKey, Taken: taken}), 2000, cancel))
	t.Cleanup(srv.Close)
	key := filepath.Join(dir, "key")
	os.WriteFile(key, []byte(testKey), 0o600)
	var stdout, stderr bytes.Buffer
	code := Run(ctx, []string{"validate", "--base-url", srv.URL, "--tenant", testTenant, "--api-key-file", key, "--quiet",
		"--rate", "0", "--concurrency", "4", "-o", out, in}, testEnv(strings.NewReader(""), &stdout, &stderr))
	if code != 130 {
		t.Fatalf("exit %d, want 130\n%s", code, stderr.String())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after an interrupted run (%v)", out, err)
	}
	cells := parquetCells(t, openParquet(t, out+".partial"))
	if len(cells) < 1 || len(cells) >= 20000 {
		t.Fatalf("%s holds %d rows: want some, not all", out+".partial", len(cells))
	}
	verdicts, _, _ := expected(ids, taken)
	for i, c := range cells {
		if c[0] != "row "+strconv.Itoa(i+1) || c[1] != ids[i] || c[5] != verdicts[i] {
			t.Fatalf("row %d of the partial: %q, want row %d, id %s, %s", i+1, c, i+1, ids[i], verdicts[i])
		}
	}
}

// TestXLSXOutput: -o out.xlsx has a frozen header, every row, ids with
// leading zeros as text, and a Summary sheet whose counts are the summary
// JSON's.
func TestXLSXOutput(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("externalId,name\n")
	var ids []string
	for i := range 3000 {
		id := fmt.Sprintf("%07d", i%2500)
		if i == 17 {
			id = ""
		}
		ids = append(ids, id)
		fmt.Fprintf(&b, "%s,=cell %d\n", id, i)
	}
	dir := t.TempDir()
	in, out, sum := filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.xlsx"), filepath.Join(dir, "s.json")
	os.WriteFile(in, []byte(b.String()), 0o644)
	taken := map[string]bool{"0000012": true}
	e := newEndpoint(t, sandbox.Config{Taken: taken})
	if res := run(t, "", e.args("--rate", "0", "-o", out, "--summary", sum, in)...); res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	book, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	if got := book.GetSheetList(); !slices.Equal(got, []string{"rows", "Summary"}) {
		t.Fatalf("sheets %q", got)
	}
	rows, err := book.GetRows("rows")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"externalId", "name", "isAvailable", "messageCode", "verdict", "duplicateOf", "detail"}; !slices.Equal(rows[0], want) {
		t.Errorf("header %q", rows[0])
	}
	if panes, err := book.GetPanes("rows"); err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v (%v): the header is not frozen", panes, err)
	}
	verdicts, dupOf, _ := expected(ids, taken)
	if len(rows) != 3001 {
		t.Fatalf("%d rows, want 3001", len(rows))
	}
	for i, r := range rows[1:] {
		r = append(r, make([]string, 7)...)
		if r[0] != ids[i] || r[1] != fmt.Sprintf("=cell %d", i) || r[4] != verdicts[i] || r[5] != dupOf[i] {
			t.Fatalf("row %d: %q, want id %q, verdict %s, duplicateOf %q", i+1, r[:7], ids[i], verdicts[i], dupOf[i])
		}
	}
	if typ, _ := book.GetCellType("rows", "A3"); typ != excelize.CellTypeInlineString || rows[2][0] != "0000001" {
		t.Errorf("A3 %q is of type %v, not text", rows[2][0], typ)
	}
	var s map[string]any
	readJSON(t, sum, &s)
	facts, _ := book.GetRows("Summary")
	got := map[string]string{}
	for _, f := range facts[1:] {
		got[f[0]] = f[1]
	}
	for _, k := range []string{"rows", "distinct_ids", "api_calls", "padded_ids", "journal_hits"} {
		if want := fmt.Sprint(s[k]); got[k] != want {
			t.Errorf("Summary %s = %q, the JSON says %s", k, got[k], want)
		}
	}
	for v, n := range s["verdicts"].(map[string]any) {
		if want := fmt.Sprint(n); got["verdicts."+v] != want {
			t.Errorf("Summary verdicts.%s = %q, the JSON says %s", v, got["verdicts."+v], want)
		}
	}
	idRequests(t, e)
}

// TestBinaryOutputs: a workbook or a Parquet file goes to stdout when it is
// a pipe (a terminal is refused), whole.
func TestBinaryOutputs(t *testing.T) {
	t.Parallel()
	res := run(t, "externalId\nx\n", "validate", "--sandbox", "--output-format", "xlsx", "-")
	if res.code != 0 || !bytes.HasPrefix([]byte(res.stdout), []byte("PK")) {
		t.Errorf("xlsx to a pipe: exit %d, %d bytes\n%s", res.code, len(res.stdout), res.stderr)
	}
	res = run(t, "externalId\nx\n", "validate", "--sandbox", "--output-format", "parquet", "-")
	if res.code != 0 || !strings.HasPrefix(res.stdout, "PAR1") || !strings.HasSuffix(res.stdout, "PAR1") {
		t.Errorf("parquet to a pipe: exit %d, %d bytes\n%s", res.code, len(res.stdout), res.stderr)
	}
}

// TestParquetSeveralInputsAndPlan: two Parquet files of one schema are one
// export, their output keeps the types; plan counts them without a call.
func TestParquetSeveralInputsAndPlan(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b, out := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet"), filepath.Join(dir, "out.parquet")
	id := func(n int64) *int64 { return &n }
	writeParquet(t, a, []intExport{{id(1), "a"}, {id(2), "b"}}, 1)
	writeParquet(t, b, []intExport{{id(3), "c"}, {id(1), "d"}, {nil, "e"}}, 2)
	e := newEndpoint(t, sandbox.Config{})
	if res := run(t, "", e.args("--rate", "0", "-o", out, a, b)...); res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	f := openParquet(t, out)
	if s := schemaOf(f); !slices.Equal(s[:3], []string{"externalId optional INT(64,true)", "name STRING", "sourceFile STRING"}) {
		t.Errorf("schema %q", s)
	}
	cells := parquetCells(t, f)
	if len(cells) != 5 || cells[3][0] != "1" || cells[3][2] != b || cells[3][6] != a+":1" || cells[4][5] != "invalid" {
		t.Errorf("rows %q", cells)
	}
	if got := idRequests(t, e); got != 3 {
		t.Errorf("%d requests, want 3", got)
	}
	res := run(t, "", "plan", a, b)
	if res.code != 0 || !regexpLine(res.stdout, `^distinct ids +3$`) || !regexpLine(res.stdout, `^invalid rows +1 `) {
		t.Errorf("plan: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
}

func regexpLine(s, pattern string) bool {
	return regexp.MustCompile(`(?m)` + pattern).MatchString(s)
}
