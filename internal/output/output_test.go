package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/verdict"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/output")

// write runs records through a Writer made with opt and returns the output.
func write(t testing.TB, opt Options, recs ...*Record) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(&buf, opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return buf.String()
}

func readCSV(t *testing.T, s string, comma rune) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(s))
	r.Comma = comma
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("output is not valid CSV: %v\n%s", err, s)
	}
	return recs
}

func taken(fields ...string) *Record {
	return &Record{
		Row:      input.Row{Seq: 1, ID: fields[0], Fields: fields},
		Verdict:  verdict.Taken,
		Answered: true, MessageCode: "SUCCESS",
		Status: json.RawMessage(`{"messageCode":"SUCCESS"}`),
	}
}

var added = []string{"isAvailable", "messageCode", "verdict", "duplicateOf", "detail"}

func TestCSVRoundTrip(t *testing.T) {
	t.Parallel()
	awkward := [][]string{
		{"plain", "x"},
		{"with,comma", "tab\there"},
		{`a "quoted" word`, `"`},
		{"line\nbreak", "cr\rhere"},
		{" leading", "trailing "},
		{"", "ünïcødé"},
		{"semi;colon", "pipe|bar"},
	}
	for _, tc := range []struct {
		name   string
		format input.Format
		comma  rune
	}{
		{"csv", input.CSV, ','},
		{"tsv", input.TSV, '\t'},
		{"semicolon", input.CSV, ';'},
		{"multibyte separator", input.CSV, '§'},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			header := []string{"externalId", "note"}
			var recs []*Record
			for _, f := range awkward {
				recs = append(recs, taken(f...))
			}
			out := write(t, Options{Format: tc.format, InputFormat: tc.format, Header: header, Comma: tc.comma}, recs...)
			got := readCSV(t, out, tc.comma)
			if want := append(slices.Clone(header), added...); !slices.Equal(got[0], want) {
				t.Errorf("header = %q, want %q", got[0], want)
			}
			if len(got)-1 != len(awkward) {
				t.Fatalf("%d rows, want %d", len(got)-1, len(awkward))
			}
			for i, f := range awkward {
				// encoding/csv turns \r\n inside quotes into \n; a lone \r survives.
				want := append(slices.Clone(f), "false", "SUCCESS", "taken", "", "")
				if !slices.Equal(got[i+1], want) {
					t.Errorf("row %d = %q, want %q", i+1, got[i+1], want)
				}
			}
		})
	}
}

func TestCSVRows(t *testing.T) {
	t.Parallel()
	header := []string{"externalId", "name", "city"}
	for _, tc := range []struct {
		name   string
		header []string
		cols   int
		rec    *Record
		want   string
	}{
		{
			name: "available", header: header, cols: 3,
			rec: &Record{Row: input.Row{Fields: []string{"A1", "Ann", "Oslo"}}, Verdict: verdict.Available,
				Answered: true, IsAvailable: true, MessageCode: "SUCCESS"},
			want: "A1,Ann,Oslo,true,SUCCESS,available,,\n",
		},
		{
			name: "duplicate", header: header, cols: 3,
			rec:  &Record{Row: input.Row{Fields: []string{"A1", "Ann", "Oslo"}}, Verdict: verdict.Duplicate, Answered: true, MessageCode: "SUCCESS", DuplicateOf: 12},
			want: "A1,Ann,Oslo,false,SUCCESS,duplicate,12,\n",
		},
		{
			name: "error not answered", header: header, cols: 3,
			rec:  &Record{Row: input.Row{Fields: []string{"A1", "Ann", "Oslo"}}, Verdict: verdict.Error, Detail: "HTTP 503 after 6 attempts"},
			want: "A1,Ann,Oslo,,,error,,HTTP 503 after 6 attempts\n",
		},
		{
			name: "short row padded", header: header, cols: 3,
			rec:  &Record{Row: input.Row{Fields: []string{"A1"}, Invalid: "row has 1 field, want 3"}, Verdict: verdict.Invalid},
			want: "A1,,,,,invalid,,\"row has 1 field, want 3\"\n",
		},
		{
			name: "long row kept", header: header, cols: 3,
			rec:  &Record{Row: input.Row{Fields: []string{"A1", "Ann", "Oslo", "extra"}}, Verdict: verdict.Available, Answered: true, IsAvailable: true},
			want: "A1,Ann,Oslo,extra,true,,available,,\n",
		},
		{
			name: "malformed quoting keeps the text", header: header, cols: 3,
			rec:  &Record{Row: input.Row{Invalid: `bare " in non-quoted field`, Raw: []byte("A\"1,Ann,Oslo\n")}, Verdict: verdict.Invalid},
			want: `,,,,,invalid,,"bare "" in non-quoted field; original: A""1,Ann,Oslo"` + "\n",
		},
		{
			name: "no header", header: nil, cols: 2,
			rec:  &Record{Row: input.Row{Fields: []string{"A1", "x"}}, Verdict: verdict.Available, Answered: true, IsAvailable: true},
			want: "A1,x,true,,available,,\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := write(t, Options{Format: input.CSV, InputFormat: input.CSV, Header: tc.header, Columns: tc.cols}, tc.rec)
			if tc.header != nil {
				out = out[strings.IndexByte(out, '\n')+1:]
			}
			if out != tc.want {
				t.Errorf("got  %q\nwant %q", out, tc.want)
			}
		})
	}
}

func TestColumnClash(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		opt     Options
		wantErr string // the clashing input column; "" for no error
	}{
		{"exact", Options{InputFormat: input.CSV, Header: []string{"externalId", "verdict"}}, "verdict"},
		{"case-insensitive", Options{InputFormat: input.CSV, Header: []string{"externalId", "Detail"}}, "Detail"},
		{"prefix avoids it", Options{InputFormat: input.CSV, Header: []string{"externalId", "verdict"}, ColumnPrefix: "azotte_"}, ""},
		{"prefixed clash", Options{InputFormat: input.TSV, Header: []string{"externalId", "AZOTTE_verdict"}, ColumnPrefix: "azotte_"}, "AZOTTE_verdict"},
		{"no header cannot clash", Options{InputFormat: input.CSV, Columns: 3}, ""},
		{"ndjson to csv id name", Options{Format: input.CSV, InputFormat: input.NDJSON, IDName: "verdict"}, "verdict"},
		{"csv to ndjson status", Options{Format: input.NDJSON, InputFormat: input.CSV, Header: []string{"id", "Status"}}, "Status"},
		{"csv to ndjson messageCode is no field", Options{Format: input.NDJSON, InputFormat: input.CSV, Header: []string{"id", "messageCode"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(&bytes.Buffer{}, tc.opt)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			var clash *ClashError
			if !errors.As(err, &clash) || clash.Column != tc.wantErr {
				t.Fatalf("New error = %v, want a clash on %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), "--column-prefix") || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q should name the column and suggest --column-prefix", err)
			}
		})
	}
}

func TestColumnPrefix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  Options
		want string // first line
	}{
		{"csv", Options{InputFormat: input.CSV, Header: []string{"externalId"}, ColumnPrefix: "azotte_"},
			"externalId,azotte_isAvailable,azotte_messageCode,azotte_verdict,azotte_duplicateOf,azotte_detail"},
		{"ndjson to tsv", Options{Format: input.TSV, InputFormat: input.NDJSON, ColumnPrefix: "az."},
			"externalId\trecord\taz.isAvailable\taz.messageCode\taz.verdict\taz.duplicateOf\taz.detail"},
		{"ndjson", Options{InputFormat: input.NDJSON, ColumnPrefix: "azotte_"},
			`{"id":1,"azotte_isAvailable":null,"azotte_status":null,"azotte_verdict":"error","azotte_detail":""}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := write(t, tc.opt, &Record{Row: input.Row{Fields: []string{"1"}, Raw: []byte(`{"id":1}`)}, Verdict: verdict.Error})
			if got, _, _ := strings.Cut(out, "\n"); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// failWriter fails every write, as a full disk does.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorSticks(t *testing.T) {
	t.Parallel()
	w, err := New(failWriter{}, Options{InputFormat: input.NDJSON})
	if err != nil {
		t.Fatal(err)
	}
	big := &Record{Row: input.Row{Raw: []byte(`{"x":"` + strings.Repeat("a", bufferSize) + `"}`)}, Verdict: verdict.Invalid}
	if err := w.Write(big); err == nil {
		t.Fatal("Write of a row larger than the buffer succeeded on a failing writer")
	}
	if err := w.Write(big); err == nil {
		t.Error("second Write succeeded after an error")
	}
	if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Flush = %v, want the first error", err)
	}
}

// TestGolden pins the exact bytes of every input/output pairing. Run
// `go test ./internal/output -update` after an intended format change.
func TestGolden(t *testing.T) {
	t.Parallel()
	csvRows := []*Record{
		{Row: input.Row{Seq: 1, ID: "A1", Fields: []string{"A1", "Ann Lee", "Oslo"}}, Verdict: verdict.Available, Answered: true, IsAvailable: true, MessageCode: "SUCCESS", Status: json.RawMessage(`{"messageCode":"SUCCESS"}`)},
		{Row: input.Row{Seq: 2, ID: "B2", Fields: []string{"B2", "Bo, \"B\"", "Bergen\nNorth"}}, Verdict: verdict.Taken, Answered: true, MessageCode: "SUCCESS", Status: json.RawMessage(`{"messageCode":"SUCCESS"}`)},
		{Row: input.Row{Seq: 3, ID: "A1", Fields: []string{"A1", "Ann again", ""}}, Verdict: verdict.Duplicate, Answered: true, IsAvailable: true, MessageCode: "SUCCESS", DuplicateOf: 1, Status: json.RawMessage(`{"messageCode":"SUCCESS"}`)},
		{Row: input.Row{Seq: 4, Fields: []string{"", "No Id"}, Invalid: "empty id"}, Verdict: verdict.Invalid},
		{Row: input.Row{Seq: 5, Invalid: "extraneous \" in field", Raw: []byte("C\"3,x,y")}, Verdict: verdict.Invalid},
		{Row: input.Row{Seq: 6, ID: " D4 ", Fields: []string{" D4 ", "Dee", "Drammen"}, Padded: true}, Verdict: verdict.Error, MessageCode: "FAILED", Status: json.RawMessage(`{"messageCode":"FAILED"}`), Detail: "messageCode FAILED"},
	}
	jsonRows := []*Record{
		{Row: input.Row{Seq: 1, ID: "A1", Raw: []byte(`{"externalId":"A1","name":"Ann Lee"}`)}, Verdict: verdict.Available, Answered: true, IsAvailable: true, MessageCode: "SUCCESS", Status: json.RawMessage(`{"messageCode":"SUCCESS"}`)},
		{Row: input.Row{Seq: 2, ID: "A1", Raw: []byte(`{ "externalId": "A1" }`)}, Verdict: verdict.Duplicate, Answered: true, IsAvailable: true, MessageCode: "SUCCESS", DuplicateOf: 1, Status: json.RawMessage(`{"messageCode":"SUCCESS"}`)},
		{Row: input.Row{Seq: 3, Raw: []byte(`{}`), Invalid: "no externalId"}, Verdict: verdict.Invalid},
		{Row: input.Row{Seq: 4, Raw: []byte(`not json, "at all"`), Invalid: "not a JSON object"}, Verdict: verdict.Invalid},
		{Row: input.Row{Seq: 5, ID: "E5", Raw: []byte(`{"externalId":"E5"}`)}, Verdict: verdict.Error, Detail: "HTTP 503 after 6 attempts"},
	}
	// The same rows with near-collisions (one kind needing quotes, one
	// detail a spreadsheet would run), for the optional columns.
	nearRows := func(rows []*Record) []*Record {
		out := make([]*Record, len(rows))
		for i, r := range rows {
			c := *r
			out[i] = &c
		}
		out[1].SimilarTo, out[1].SimilarKind = 1, "case"
		out[len(out)-1].SimilarTo, out[len(out)-1].SimilarKind = 3, `mixed, "odd"`
		out[len(out)-1].Detail = "=HYPERLINK(1)"
		return out
	}
	header := []string{"externalId", "name", "city"}
	for _, tc := range []struct {
		name string
		opt  Options
		recs []*Record
	}{
		{"csv-to-csv", Options{InputFormat: input.CSV, Header: header}, csvRows},
		{"csv-to-tsv", Options{Format: input.TSV, InputFormat: input.CSV, Header: header}, csvRows},
		{"csv-to-ndjson", Options{Format: input.NDJSON, InputFormat: input.CSV, Header: header}, csvRows},
		{"ndjson-to-ndjson", Options{InputFormat: input.NDJSON}, jsonRows},
		{"ndjson-to-csv", Options{Format: input.CSV, InputFormat: input.NDJSON}, jsonRows},
		{"csv-to-csv-near", Options{InputFormat: input.CSV, Header: header, NearDuplicates: true, ExcelSafe: true, ColumnPrefix: "az_"}, nearRows(csvRows)},
		{"csv-to-ndjson-near", Options{Format: input.NDJSON, InputFormat: input.CSV, Header: header, NearDuplicates: true, ColumnPrefix: "az_"}, nearRows(csvRows)},
		{"ndjson-to-ndjson-near", Options{InputFormat: input.NDJSON, NearDuplicates: true}, nearRows(jsonRows)},
		{"ndjson-to-tsv-near", Options{Format: input.TSV, InputFormat: input.NDJSON, NearDuplicates: true}, nearRows(jsonRows)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := write(t, tc.opt, tc.recs...)
			path := filepath.Join("..", "..", "testdata", "output", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// FuzzCSVRoundTrip checks that whatever the cells hold, encoding/csv reads
// back the same cells plus the added ones.
func FuzzCSVRoundTrip(f *testing.F) {
	f.Add("A1", "x,y", "tab\t", false)
	f.Add(`q"uote`, " lead", "line\nbreak\r", true)
	f.Fuzz(func(t *testing.T, a, b, detail string, tsv bool) {
		format, comma := input.CSV, ','
		if tsv {
			format, comma = input.TSV, '\t'
		}
		rec := &Record{Row: input.Row{Fields: []string{a, b}}, Verdict: verdict.Error, Detail: detail}
		out := write(t, Options{Format: format, InputFormat: format, Header: []string{"externalId", "b"}}, rec)
		r := csv.NewReader(strings.NewReader(out))
		r.Comma = comma
		got, err := r.ReadAll()
		if err != nil {
			t.Fatalf("output is not valid CSV: %v\n%q", err, out)
		}
		// encoding/csv reads \r\n inside a quoted cell as \n.
		norm := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
		want := []string{norm(a), norm(b), "", "", "error", "", norm(detail)}
		if len(got) != 2 || !slices.Equal(got[1], want) {
			t.Fatalf("read back %q, want %q\n%q", got, want, out)
		}
	})
}
