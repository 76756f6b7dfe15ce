package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// writeXLSX saves a workbook as Excel writes one (shared strings, not the
// inline strings of excelize's StreamWriter): a "Notes" sheet first, then
// "Customers" with a header and n rows whose ids repeat every distinct rows.
// Even rows hold the id as a number formatted 00000, odd rows as text
// "00123": both show 00123. Sheet row gap is left empty (0: none).
func writeXLSX(t *testing.T, path string, n, distinct, gap int) (ids []string, taken map[string]bool) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Notes"); err != nil {
		t.Fatal(err)
	}
	f.SetCellValue("Notes", "A1", "exported for the nightly check")
	if _, err := f.NewSheet("Customers"); err != nil {
		t.Fatal(err)
	}
	const sheet = "Customers"
	numFmt := "00000"
	zeros, err := f.NewStyle(&excelize.Style{CustomNumFmt: &numFmt})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow(sheet, "A1", &[]any{"name", "externalId", "note"}); err != nil {
		t.Fatal(err)
	}
	taken = map[string]bool{}
	row := 2
	for i := range n {
		if row == gap {
			row++
		}
		k := (i * 7919) % distinct
		id := fmt.Sprintf("%05d", k)
		ids = append(ids, id)
		if k%10 == 0 {
			taken[id] = true
		}
		var cell any = id
		if i%2 == 0 {
			cell = k
		}
		note := any(nil)
		if i%3 == 0 {
			note = "note, with comma"
		}
		if err := f.SetSheetRow(sheet, "A"+strconv.Itoa(row), &[]any{fmt.Sprintf("row %d", i+1), cell, note}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := f.SetCellStyle(sheet, "B"+strconv.Itoa(row), "B"+strconv.Itoa(row), zeros); err != nil {
				t.Fatal(err)
			}
		}
		row++
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return ids, taken
}

func TestInputsXLSX(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "export.xlsx")
	ids, taken := writeXLSX(t, file, 3000, 1000, 101)
	want, dupOf, distinct := expected(ids, taken)

	check := func(t *testing.T, res result, e *endpoint) {
		t.Helper()
		if res.code != 1 {
			t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
		}
		out := readCSV(t, res.stdout)
		if got := out[0][:5]; !slices.Equal(got, []string{"name", "externalId", "note", "isAvailable", "messageCode"}) {
			t.Fatalf("header %q", got)
		}
		if len(out)-1 != len(ids) {
			t.Fatalf("%d rows out, want %d (the empty sheet row is no row)", len(out)-1, len(ids))
		}
		for i, rec := range out[1:] {
			note := ""
			if i%3 == 0 {
				note = "note, with comma"
			}
			if rec[0] != fmt.Sprintf("row %d", i+1) || rec[1] != ids[i] || rec[2] != note {
				t.Fatalf("row %d is %q, want row %d, id %s (zeros kept), note %q", i+1, rec[:3], i+1, ids[i], note)
			}
			if rec[5] != want[i] || rec[6] != dupOf[i] {
				t.Fatalf("row %d (id %s): verdict %q duplicateOf %q, want %q %q", i+1, ids[i], rec[5], rec[6], want[i], dupOf[i])
			}
		}
		if got := idRequests(t, e); got != int64(distinct) {
			t.Errorf("%d requests, want %d (one per distinct id)", got, distinct)
		}
	}

	t.Run("file", func(t *testing.T) {
		t.Parallel()
		e := newEndpoint(t, sandbox.Config{Taken: taken})
		check(t, run(t, "", e.args("--rate", "0", "--sheet", "Customers", file)...), e)
	})
	t.Run("stdin", func(t *testing.T) {
		t.Parallel()
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		e := newEndpoint(t, sandbox.Config{Taken: taken})
		check(t, run(t, string(data), e.args("--rate", "0", "--sheet", "Customers", "-")...), e)
	})
	t.Run("first sheet by default", func(t *testing.T) {
		t.Parallel()
		e := newEndpoint(t, sandbox.Config{})
		res := run(t, "", e.args(file)...)
		if res.code != 2 || !strings.Contains(res.stderr, `no column "externalId"`) || !strings.Contains(res.stderr, "exported for the nightly check") {
			t.Errorf("exit %d, want 2 naming the first sheet's columns\n%s", res.code, res.stderr)
		}
	})
	t.Run("no such sheet", func(t *testing.T) {
		t.Parallel()
		e := newEndpoint(t, sandbox.Config{})
		res := run(t, "", e.args("--sheet", "Customer", file)...)
		if res.code != 2 || !strings.Contains(res.stderr, "sheets: Notes, Customers") {
			t.Errorf("exit %d, want 2 listing the sheets\n%s", res.code, res.stderr)
		}
	})
}

// Exports separated by ; tab or |, read without --delimiter, written back
// with their own separator.
func TestInputsDelimiterSniffed(t *testing.T) {
	t.Parallel()
	for _, sep := range []string{";", "\t", "|"} {
		t.Run(fmt.Sprintf("%q", sep), func(t *testing.T) {
			t.Parallel()
			j := func(f ...string) string { return strings.Join(f, sep) + "\n" }
			in := j("name", "externalId", "amount") + j("Ann", "s-1", "1,5") + j("Bob", "s-2", "2,5") + j("Ann again", "s-1", "")
			e := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"s-2": true}})
			res := run(t, in, e.args("-")...)
			if res.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
			}
			r := csv.NewReader(strings.NewReader(res.stdout))
			r.Comma = rune(sep[0])
			out, err := r.ReadAll()
			if err != nil {
				t.Fatalf("output not separated by %q: %v\n%s", sep, err, res.stdout)
			}
			want := [][]string{{"s-1", "1,5", "available", ""}, {"s-2", "2,5", "taken", ""}, {"s-1", "", "duplicate", "1"}}
			for i, w := range want {
				if got := []string{out[i+1][1], out[i+1][2], out[i+1][5], out[i+1][6]}; !slices.Equal(got, w) {
					t.Errorf("row %d: %q, want %q", i+1, got, w)
				}
			}
		})
	}
	t.Run("hint", func(t *testing.T) {
		t.Parallel()
		e := newEndpoint(t, sandbox.Config{})
		res := run(t, "id;name\na;Ann\n", e.args("-")...)
		if res.code != 2 || !strings.Contains(res.stderr, "--delimiter ';'") {
			t.Errorf("exit %d, want 2 suggesting --delimiter ';'\n%s", res.code, res.stderr)
		}
		if e.Requests() != 0 {
			t.Errorf("%d requests before the header was understood", e.Requests())
		}
	})
}

// Excel's "Unicode text" is UTF-16LE with a BOM: decoded, its ids are sent
// as the UTF-8 they are.
func TestInputsUTF16(t *testing.T) {
	t.Parallel()
	text := "externalId\tname\r\nä-1\tZoë\r\nä-2\t日本\r\n"
	b := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(text)) {
		b = append(b, byte(u), byte(u>>8))
	}
	e := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"ä-2": true}})
	res := run(t, string(b), e.args("-")...)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
	}
	want := "externalId\tname\tisAvailable\tmessageCode\tverdict\tduplicateOf\tdetail\n" +
		"ä-1\tZoë\ttrue\tSUCCESS\tavailable\t\t\n" +
		"ä-2\t日本\tfalse\tSUCCESS\ttaken\t\t\n"
	if res.stdout != want {
		t.Errorf("output\n%q\nwant\n%q", res.stdout, want)
	}
}

// Blank lines are no rows: the rows after them are numbered as if they were
// not there, duplicateOf included.
func TestInputsBlankLines(t *testing.T) {
	t.Parallel()
	t.Run("csv", func(t *testing.T) {
		t.Parallel()
		in := "\r\nexternalId,name\n\nb-1,Ann\r\n\r\n\r\nb-2,Bob\n\nb-1,Ann again\n\n"
		e := newEndpoint(t, sandbox.Config{})
		sum := filepath.Join(t.TempDir(), "sum.json")
		res := run(t, in, e.args("-", "--summary", sum)...)
		if res.code != 1 {
			t.Fatalf("exit %d, want 1 (a duplicate)\n%s", res.code, res.stderr)
		}
		var s struct {
			Rows       int64 `json:"rows"`
			BlankLines int64 `json:"blank_lines"`
		}
		readJSON(t, sum, &s)
		if s.Rows != 3 || s.BlankLines != 6 {
			t.Errorf("summary: %d rows, %d blank lines; want 3 and 6", s.Rows, s.BlankLines)
		}
		out := readCSV(t, res.stdout)
		want := [][]string{{"b-1", "available", ""}, {"b-2", "available", ""}, {"b-1", "duplicate", "1"}}
		if len(out) != len(want)+1 {
			t.Fatalf("%d rows, want %d:\n%s", len(out)-1, len(want), res.stdout)
		}
		for i, w := range want {
			if got := []string{out[i+1][0], out[i+1][4], out[i+1][5]}; !slices.Equal(got, w) {
				t.Errorf("row %d: %q, want %q", i+1, got, w)
			}
		}
	})
	t.Run("ndjson", func(t *testing.T) {
		t.Parallel()
		in := "\n{\"externalId\":\"n-1\"}\n \t\n\n{\"externalId\":\"n-2\"}\r\n\r\n{\"externalId\":\"n-1\"}\n{\"externalId\":\"n-2\"}\n\n"
		e := newEndpoint(t, sandbox.Config{})
		res := run(t, in, e.args("-")...)
		if res.code != 1 {
			t.Fatalf("exit %d, want 1 (duplicates)\n%s", res.code, res.stderr)
		}
		lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
		wantDup := []float64{0, 0, 1, 2}
		if len(lines) != len(wantDup) {
			t.Fatalf("%d lines, want %d:\n%s", len(lines), len(wantDup), res.stdout)
		}
		for i, line := range lines {
			var obj struct {
				Verdict     string  `json:"verdict"`
				DuplicateOf float64 `json:"duplicateOf"`
			}
			if err := json.Unmarshal([]byte(line), &obj); err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			if obj.DuplicateOf != wantDup[i] || (wantDup[i] == 0) != (obj.Verdict == "available") {
				t.Errorf("line %d: verdict %s duplicateOf %v, want duplicateOf %v", i+1, obj.Verdict, obj.DuplicateOf, wantDup[i])
			}
		}
	})
}

// An id Azotte refuses (too long: 400 INVALID_REQUEST) is a finding that no
// retry changes: invalid, exit 1, not an error with exit 3.
func TestInputsRefusedIDs(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("externalId\n")
	long := map[int]bool{7: true, 23: true}
	for i := 1; i <= 30; i++ {
		if long[i] {
			b.WriteString(strings.Repeat(strconv.Itoa(i%10), sandbox.MaxIDBytes+1) + "\n")
		} else {
			fmt.Fprintf(&b, "r-%d\n", i)
		}
	}
	e := newEndpoint(t, sandbox.Config{})
	res := run(t, b.String(), e.args("--rate", "0", "-")...)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
	}
	for i, rec := range readCSV(t, res.stdout)[1:] {
		verdict, detail := rec[3], rec[5]
		if long[i+1] {
			if verdict != "invalid" || detail != "Azotte refused the id: 400 INVALID_REQUEST" {
				t.Errorf("row %d: %s %q, want invalid, refused 400 INVALID_REQUEST", i+1, verdict, detail)
			}
		} else if verdict != "available" {
			t.Errorf("row %d: %s %q, want available", i+1, verdict, detail)
		}
	}
	if idRequests(t, e) != 30 {
		t.Errorf("%d requests, want 30 (a refusal is not retried)", idRequests(t, e))
	}
}

// An endpoint that refuses every request is a wrong --base-url or --path,
// not 5000 invalid rows: exit 2, early.
func TestInputsEndpointRefusesAll(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"status":{"messageCode":"BAD_REQUEST"}}`))
	}))
	t.Cleanup(srv.Close)
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text, _, _ := genCSV(5000, 5000)
	res := run(t, text, "validate", "--base-url", srv.URL, "--tenant", testTenant, "--api-key-file", keyFile, "--quiet",
		"--rate", "0", "--concurrency", "8", "-")
	if res.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", res.code, res.stderr)
	}
	if got := n.Load(); got > 60 {
		t.Errorf("%d requests before stopping, want at most 60", got)
	}
	if !strings.Contains(res.stderr, "check --base-url and --path") || strings.Contains(res.stderr, testKey) {
		t.Errorf("stderr should name the flags to check, without the key:\n%s", res.stderr)
	}
}
