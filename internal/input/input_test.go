package input

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/input")

// readAll opens input and reads it to the end, returning the rows read and
// the first error (from Open or Next) other than io.EOF.
func readAll(t testing.TB, name, input string, cfg Config) (*Reader, []Row, error) {
	t.Helper()
	return readFrom(t, name, strings.NewReader(input), cfg)
}

func readFrom(t testing.TB, name string, r io.Reader, cfg Config) (*Reader, []Row, error) {
	t.Helper()
	rd, err := Open(name, r, cfg)
	if err != nil {
		return nil, nil, err
	}
	var rows []Row
	for {
		row, err := rd.Next()
		if err == io.EOF {
			return rd, rows, nil
		}
		if err != nil {
			return rd, rows, err
		}
		rows = append(rows, row)
	}
}

// describe shows a row compactly for comparison: seq@line, then the id and
// fields of a valid row, or the reason and the fields or raw text of an
// invalid one.
func describe(r Row) string {
	s := fmt.Sprintf("%d@%d", r.Seq, r.Line)
	if r.Invalid != "" {
		if r.Fields != nil {
			return s + fmt.Sprintf(" invalid %q fields %q", r.Invalid, r.Fields)
		}
		return s + fmt.Sprintf(" invalid %q raw %q", r.Invalid, r.Raw)
	}
	s += fmt.Sprintf(" id %q", r.ID)
	if r.Padded {
		s += " padded"
	}
	if r.Fields != nil {
		s += fmt.Sprintf(" fields %q", r.Fields)
	} else {
		s += fmt.Sprintf(" raw %q", r.Raw)
	}
	return s
}

func describeAll(rows []Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, describe(r))
	}
	return out
}

func compare(t *testing.T, got []Row, want []string) {
	t.Helper()
	g := describeAll(got)
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\ngot:\n\t%s\nwant:\n\t%s", strings.Join(g, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		cfg   Config
		want  []string
	}{
		{
			name:  "plain",
			input: "externalId,name\na,Ann\nb,Bob\n",
			want:  []string{`1@2 id "a" fields ["a" "Ann"]`, `2@3 id "b" fields ["b" "Bob"]`},
		},
		{
			name:  "no final newline",
			input: "externalId,name\na,Ann\nb,Bob",
			want:  []string{`1@2 id "a" fields ["a" "Ann"]`, `2@3 id "b" fields ["b" "Bob"]`},
		},
		{
			name:  "BOM",
			input: "\ufeffexternalId,name\na,Ann\n",
			want:  []string{`1@2 id "a" fields ["a" "Ann"]`},
		},
		{
			name:  "CRLF",
			input: "name,externalId\r\nAnn,a\r\nBob,b\r\n",
			want:  []string{`1@2 id "a" fields ["Ann" "a"]`, `2@3 id "b" fields ["Bob" "b"]`},
		},
		{
			name:  "mixed line endings",
			input: "externalId,name\r\na,Ann\nb,Bob\r\nc,Cy",
			want:  []string{`1@2 id "a" fields ["a" "Ann"]`, `2@3 id "b" fields ["b" "Bob"]`, `3@4 id "c" fields ["c" "Cy"]`},
		},
		{
			name:  "quoted delimiter, doubled quotes, newlines kept as in the file",
			input: "externalId,note\n\"a,1\",\"say \"\"hi\"\"\"\nb,\"two\nlines\"\nc,\"crlf\r\nkept\"\r\n\"d\",\"\"\n",
			want: []string{
				`1@2 id "a,1" fields ["a,1" "say \"hi\""]`,
				`2@3 id "b" fields ["b" "two\nlines"]`,
				`3@5 id "c" fields ["c" "crlf\r\nkept"]`,
				`4@7 id "d" fields ["d" ""]`,
			},
		},
		{
			name:  "trailing delimiter is an empty last field",
			input: "externalId,name\na,\n",
			want:  []string{`1@2 id "a" fields ["a" ""]`},
		},
		{
			name:  "bare quote in an unquoted field is literal",
			input: "externalId,name\na\"b,O\"Brien\"\n",
			want:  []string{`1@2 id "a\"b" fields ["a\"b" "O\"Brien\""]`},
		},
		{
			name:  "unterminated quote takes the rest of the input",
			input: "externalId,note\na,ok\nb,\"open\nc,x\n",
			want:  []string{`1@2 id "a" fields ["a" "ok"]`, `2@3 invalid "unterminated quoted field starting on line 3" raw "b,\"open\nc,x"`},
		},
		{
			name:  "unterminated quote line counts lines inside the record",
			input: "externalId,a,b\nx,\"1\n2\",\"3\n",
			want:  []string{`1@2 invalid "unterminated quoted field starting on line 3" raw "x,\"1\n2\",\"3"`},
		},
		{
			name:  "extraneous text after closing quote",
			input: "externalId,note\n\"ab\"c,x\nb,\"q\"  \nc,ok\n",
			want: []string{
				`1@2 invalid "extraneous text after closing quote in field 1" raw "\"ab\"c,x"`,
				`2@3 invalid "extraneous text after closing quote in field 2" raw "b,\"q\"  "`,
				`3@4 id "c" fields ["c" "ok"]`,
			},
		},
		{
			name:  "ragged rows",
			input: "name,email,externalId\nAnn,a@x\nBob,b@x,b,extra\nCy\n",
			want: []string{
				`1@2 invalid "row has 2 fields, id column 3 is missing" fields ["Ann" "a@x"]`,
				`2@3 id "b" fields ["Bob" "b@x" "b" "extra"]`,
				`3@4 invalid "row has 1 field, id column 3 is missing" fields ["Cy"]`,
			},
		},
		{
			name:  "empty, blank and padded ids",
			input: "externalId,n\n,1\n\" \",2\n\" a \",3\n\"\tb\",4\n",
			want: []string{
				`1@2 invalid "empty id" fields ["" "1"]`,
				`2@3 invalid "blank id" fields [" " "2"]`,
				`3@4 id " a " padded fields [" a " "3"]`,
				`4@5 id "\tb" padded fields ["\tb" "4"]`,
			},
		},
		{
			name:  "padded ids trimmed",
			input: "externalId,n\n,1\n\" \",2\n\" a \",3\n\"b\u00a0\",4\n",
			cfg:   Config{Trim: true},
			want: []string{
				`1@2 invalid "empty id" fields ["" "1"]`,
				`2@3 invalid "blank id" fields [" " "2"]`,
				`3@4 id "a" fields [" a " "3"]`,
				`4@5 id "b" fields ["b\u00a0" "4"]`,
			},
		},
		{
			name:  "empty line in the middle is a row, at the end is not",
			input: "externalId\na\n\nb\n\r\n",
			want:  []string{`1@2 id "a" fields ["a"]`, `2@3 invalid "empty id" fields [""]`, `3@4 id "b" fields ["b"]`},
		},
		{
			name:  "two empty lines at the end: only the last is no row",
			input: "externalId\na\n\n\n",
			want:  []string{`1@2 id "a" fields ["a"]`, `2@3 invalid "empty id" fields [""]`},
		},
		{
			name:  "header only",
			input: "externalId,name\n",
		},
		{
			name:  "header only, no newline",
			input: "externalId,name",
		},
		{
			name:  "case-insensitive header",
			input: "Name,EXTERNALID\nAnn,a\n",
			want:  []string{`1@2 id "a" fields ["Ann" "a"]`},
		},
		{
			name:  "exact match wins over case-insensitive",
			input: "ExternalId,externalId\nx,a\n",
			want:  []string{`1@2 id "a" fields ["x" "a"]`},
		},
		{
			name:  "custom id column",
			input: "id,externalId\n7,a\n",
			cfg:   Config{IDColumn: "id"},
			want:  []string{`1@2 id "7" fields ["7" "a"]`},
		},
		{
			name:  "id index with a header",
			input: "a,b,c\n1,2,3\n",
			cfg:   Config{IDIndex: 2},
			want:  []string{`1@2 id "2" fields ["1" "2" "3"]`},
		},
		{
			name:  "no header, first column by default",
			input: "a,1\nb,2\n",
			cfg:   Config{NoHeader: true},
			want:  []string{`1@1 id "a" fields ["a" "1"]`, `2@2 id "b" fields ["b" "2"]`},
		},
		{
			name:  "no header, id index",
			input: "\ufeff1,a\n2\n",
			cfg:   Config{NoHeader: true, IDIndex: 2},
			want:  []string{`1@1 id "a" fields ["1" "a"]`, `2@2 invalid "row has 1 field, id column 2 is missing" fields ["2"]`},
		},
		{
			name:  "semicolon delimiter",
			input: "externalId;name\n\"a;1\";Ann, B\n",
			cfg:   Config{Delimiter: ';'},
			want:  []string{`1@2 id "a;1" fields ["a;1" "Ann, B"]`},
		},
		{
			name:  "record too long, then back in step",
			input: "externalId,n\na,1\nb,\"" + strings.Repeat("x\n", 20) + "\"\nc,3\n",
			cfg:   Config{MaxRecordBytes: 16},
			want: []string{
				`1@2 id "a" fields ["a" "1"]`,
				`2@3 invalid "record longer than 16 bytes" raw "b,\"x\nx\nx\nx\nx\nx\nx"`,
				`3@24 id "c" fields ["c" "3"]`,
			},
		},
		{
			name:  "huge limit",
			input: "externalId\na\n",
			cfg:   Config{MaxRecordBytes: math.MaxInt},
			want:  []string{`1@2 id "a" fields ["a"]`},
		},
		{
			name:  "record of exactly the limit, CRLF not counted",
			input: "externalId\r\n0123456789\r\n01234567890\r\n",
			cfg:   Config{MaxRecordBytes: 10},
			want:  []string{`1@2 id "0123456789" fields ["0123456789"]`, `2@3 invalid "record longer than 10 bytes" raw "0123456789"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rd, rows, err := readAll(t, "in.csv", tt.input, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, rows, tt.want)
			if rd.Format() != CSV {
				t.Errorf("Format() = %v, want csv", rd.Format())
			}
		})
	}
}

func TestCSVHeader(t *testing.T) {
	t.Parallel()
	rd, _, err := readAll(t, "in.csv", "\ufeffexternalId,\"na,me\"\r\n", Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprintf("%q", rd.Header()), `["externalId" "na,me"]`; got != want {
		t.Errorf("Header() = %s, want %s", got, want)
	}
	if rd.Delimiter() != ',' {
		t.Errorf("Delimiter() = %q, want ','", rd.Delimiter())
	}
}

// TestOpenErrors covers whole-input problems: each is an *Error naming the input.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		cfg   Config
		want  string
	}{
		{"empty", "", Config{}, "in.csv: input is empty"},
		{"only a BOM", "\ufeff", Config{}, "in.csv: input is empty"},
		{"missing column", "id,name,email\n1,a,b\n", Config{},
			`in.csv: no column "externalId" in header (columns: id, name, email); use --id-column`},
		{"missing column, odd names quoted", "id, name,,\"a,b\"\n", Config{IDColumn: "key"},
			`in.csv: no column "key" in header (columns: id, " name", "", "a,b"); use --id-column`},
		{"ambiguous exact", "externalId,x,externalId\n", Config{},
			`in.csv: ambiguous column "externalId" in header (columns 1 externalId, 3 externalId); use --id-column with the column number`},
		{"ambiguous case-insensitive", "ExternalID,x,EXTERNALID\n", Config{},
			`in.csv: ambiguous column "externalId" in header (columns 1 ExternalID, 3 EXTERNALID); use --id-column with the column number`},
		{"id index beyond header", "a,b\n", Config{IDIndex: 3},
			`in.csv: id column 3 is beyond the header's 2 columns (a, b)`},
		{"bad header", "externalId,\"name\n", Config{},
			`in.csv: header: unterminated quoted field starting on line 1`},
		{"header too long", "externalId,name\n", Config{MaxRecordBytes: 4},
			`in.csv: header longer than 4 bytes`},
		{"bad delimiter", "a\n", Config{Delimiter: '"'},
			`in.csv: delimiter '"': want one ASCII character other than a quote or line break`},
		{"gzip header broken", "\x1f\x8bxx", Config{}, `in.csv: unexpected EOF in gzip stream`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Open("in.csv", strings.NewReader(tt.input), tt.cfg)
			var ie *Error
			if !errors.As(err, &ie) || ie.Name != "in.csv" {
				t.Fatalf("Open: %v, want an *Error naming in.csv", err)
			}
			if err.Error() != tt.want {
				t.Errorf("Open:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
	t.Run("empty is ErrEmpty", func(t *testing.T) {
		t.Parallel()
		_, err := Open("-", strings.NewReader(""), Config{})
		if !errors.Is(err, ErrEmpty) {
			t.Errorf("Open: %v, want ErrEmpty", err)
		}
		_, err = Open("x.csv.gz", bytes.NewReader(gzipped(t, "")), Config{})
		if !errors.Is(err, ErrEmpty) {
			t.Errorf("Open of an empty gzip stream: %v, want ErrEmpty", err)
		}
	})
}

func TestTSV(t *testing.T) {
	t.Parallel()
	rd, rows, err := readAll(t, "in.TSV", "externalId\tnote\na\thas, commas\n\"b\tc\"\t\"q\"\n", Config{})
	if err != nil {
		t.Fatal(err)
	}
	compare(t, rows, []string{`1@2 id "a" fields ["a" "has, commas"]`, `2@3 id "b\tc" fields ["b\tc" "q"]`})
	if rd.Format() != TSV || rd.Delimiter() != '\t' {
		t.Errorf("Format, Delimiter = %v, %q; want tsv, tab", rd.Format(), rd.Delimiter())
	}
}

func TestNDJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		cfg   Config
		want  []string
	}{
		{
			name:  "strings and numbers",
			input: "{\"externalId\":\"a\",\"n\":1}\r\n{ \"externalId\" : 1001 }\n{\"externalId\":1.5e3}\n{\"externalId\":-0.0}",
			want: []string{
				`1@1 id "a" raw "{\"externalId\":\"a\",\"n\":1}"`,
				`2@2 id "1001" raw "{ \"externalId\" : 1001 }"`,
				`3@3 id "1.5e3" raw "{\"externalId\":1.5e3}"`,
				`4@4 id "-0.0" raw "{\"externalId\":-0.0}"`,
			},
		},
		{
			name:  "escaped string is unescaped",
			input: `{"externalId":"a\u0041\"\\"}` + "\n",
			want:  []string{`1@1 id "aA\"\\" raw "{\"externalId\":\"a\\u0041\\\"\\\\\"}"`},
		},
		{
			name:  "nested",
			input: `{"customer":{"externalId":"c1"}}` + "\n" + `{"customer":{"id":1}}` + "\n" + `{"customer":"x"}` + "\n" + `{"customer":null}` + "\n",
			cfg:   Config{IDField: "customer.externalId"},
			want: []string{
				`1@1 id "c1" raw "{\"customer\":{\"externalId\":\"c1\"}}"`,
				`2@2 invalid "no field \"customer.externalId\"" raw "{\"customer\":{\"id\":1}}"`,
				`3@3 invalid "no field \"customer.externalId\"" raw "{\"customer\":\"x\"}"`,
				`4@4 invalid "no field \"customer.externalId\"" raw "{\"customer\":null}"`,
			},
		},
		{
			name:  "ids that are not strings or numbers",
			input: `{"externalId":null}` + "\n" + `{"externalId":true}` + "\n" + `{"externalId":{}}` + "\n" + `{"externalId":["a"]}` + "\n",
			want: []string{
				`1@1 invalid "id is not a string or number" raw "{\"externalId\":null}"`,
				`2@2 invalid "id is not a string or number" raw "{\"externalId\":true}"`,
				`3@3 invalid "id is not a string or number" raw "{\"externalId\":{}}"`,
				`4@4 invalid "id is not a string or number" raw "{\"externalId\":[\"a\"]}"`,
			},
		},
		{
			name:  "lines that are not objects",
			input: "[1]\n\"a\"\n 7\n",
			cfg:   Config{Format: NDJSON},
			want: []string{
				`1@1 invalid "line is not a JSON object" raw "[1]"`,
				`2@2 invalid "line is not a JSON object" raw "\"a\""`,
				`3@3 invalid "line is not a JSON object" raw " 7"`,
			},
		},
		{
			name:  "invalid JSON",
			input: "{\"externalId\":\"a\"\n{\"externalId\":\"b\"} x\n{\"externalId\":\"c\"}\n",
			want: []string{
				`1@1 invalid "invalid JSON: unexpected end of JSON input" raw "{\"externalId\":\"a\""`,
				`2@2 invalid "invalid JSON: invalid character 'x' after top-level value" raw "{\"externalId\":\"b\"} x"`,
				`3@3 id "c" raw "{\"externalId\":\"c\"}"`,
			},
		},
		{
			name:  "missing, empty, blank and padded ids",
			input: `{"id":1}` + "\n" + `{"externalId":""}` + "\n" + `{"externalId":"  "}` + "\n" + `{"externalId":" a"}` + "\n",
			want: []string{
				`1@1 invalid "no field \"externalId\"" raw "{\"id\":1}"`,
				`2@2 invalid "empty id" raw "{\"externalId\":\"\"}"`,
				`3@3 invalid "blank id" raw "{\"externalId\":\"  \"}"`,
				`4@4 id " a" padded raw "{\"externalId\":\" a\"}"`,
			},
		},
		{
			name:  "padded id trimmed",
			input: `{"externalId":" a\t"}` + "\n",
			cfg:   Config{Trim: true},
			want:  []string{`1@1 id "a" raw "{\"externalId\":\" a\\t\"}"`},
		},
		{
			name:  "blank line in the middle is a row, at the end is not",
			input: "{\"externalId\":\"a\"}\n\n \t\r\n{\"externalId\":\"b\"}\n  \n",
			want: []string{
				`1@1 id "a" raw "{\"externalId\":\"a\"}"`,
				`2@2 invalid "blank line" raw ""`,
				`3@3 invalid "blank line" raw " \t"`,
				`4@4 id "b" raw "{\"externalId\":\"b\"}"`,
			},
		},
		{
			name:  "line too long, then back in step",
			input: `{"externalId":"a"}` + "\n" + `{"externalId":"` + strings.Repeat("x", 100) + `"}` + "\n" + `{"externalId":"c"}` + "\n",
			cfg:   Config{MaxRecordBytes: 20},
			want: []string{
				`1@1 id "a" raw "{\"externalId\":\"a\"}"`,
				`2@2 invalid "record longer than 20 bytes" raw "{\"externalId\":\"xxxxx"`,
				`3@3 id "c" raw "{\"externalId\":\"c\"}"`,
			},
		},
		{
			name:  "BOM",
			input: "\ufeff{\"externalId\":\"a\"}\n",
			want:  []string{`1@1 id "a" raw "{\"externalId\":\"a\"}"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rd, rows, err := readAll(t, "in.ndjson", tt.input, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, rows, tt.want)
			if rd.Format() != NDJSON || rd.Header() != nil || rd.Delimiter() != 0 {
				t.Errorf("Format, Header, Delimiter = %v, %q, %q; want ndjson, nil, 0", rd.Format(), rd.Header(), rd.Delimiter())
			}
		})
	}
}

// TestLongRecords reads records far longer than the read buffer, kept and
// skipped, so the chunked reading and the resynchronisation are exercised.
func TestLongRecords(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 5<<20)
	t.Run("ndjson 5 MB line within the limit", func(t *testing.T) {
		t.Parallel()
		line := `{"note":"` + big + `","externalId":"a"}`
		_, rows, err := readAll(t, "in.ndjson", line+"\n"+`{"externalId":"b"}`, Config{MaxRecordBytes: 8 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].ID != "a" || string(rows[0].Raw) != line || rows[1].ID != "b" {
			t.Errorf("got %d rows, want ids a and b with the long line kept", len(rows))
		}
	})
	t.Run("ndjson 5 MB line over the limit", func(t *testing.T) {
		t.Parallel()
		_, rows, err := readAll(t, "in.ndjson", `{"note":"`+big+"\"}\r\n"+`{"externalId":"b"}`, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].Invalid != "record longer than 1048576 bytes" || len(rows[0].Raw) != 1<<20 || rows[1].ID != "b" || rows[1].Line != 2 {
			t.Errorf("got %d rows (%q), want an invalid one then b", len(rows), rows[0].Invalid)
		}
	})
	t.Run("csv 5 MB quoted field with newlines over the limit", func(t *testing.T) {
		t.Parallel()
		field := strings.Repeat("y,\n", 1<<20)
		_, rows, err := readAll(t, "in.csv", "externalId,note\na,\""+field+"\"\nb,2\n", Config{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			`1@2 invalid "record longer than 1048576 bytes"`,
			fmt.Sprintf(`2@%d id "b" fields ["b" "2"]`, 3+1<<20),
		}
		if len(rows) == 2 {
			rows[0].Raw = rows[0].Raw[:0] // too long to show
		}
		compare(t, rows, []string{want[0] + ` raw ""`, want[1]})
	})
	t.Run("csv long record within the limit", func(t *testing.T) {
		t.Parallel()
		field := strings.Repeat("z", 300<<10)
		_, rows, err := readAll(t, "in.csv", "note,externalId\n\""+field+"\",a\n", Config{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].ID != "a" || rows[0].Fields[0] != field {
			t.Errorf("got %d rows, want one with id a and the long field", len(rows))
		}
	})
}

// TestRowsOwnTheirMemory keeps every row of an input much larger than the
// read buffer, then checks them: a row aliasing a reused buffer would have
// been overwritten.
func TestRowsOwnTheirMemory(t *testing.T) {
	t.Parallel()
	const n = 20000
	for _, f := range []Format{CSV, NDJSON} {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			_, rows, err := readAll(t, "-", generate(f, n), Config{Format: f})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != n {
				t.Fatalf("got %d rows, want %d", len(rows), n)
			}
			for i, r := range rows {
				id := fmt.Sprintf("c%07d", i)
				if r.ID != id || r.Seq != int64(i+1) {
					t.Fatalf("row %d: seq %d id %q, want %q", i+1, r.Seq, r.ID, id)
				}
				if f == CSV && r.Fields[1] != "Name "+id {
					t.Fatalf("row %d: fields %q", i+1, r.Fields)
				}
				if f == NDJSON && !bytes.Contains(r.Raw, []byte(id)) {
					t.Fatalf("row %d: raw %q", i+1, r.Raw)
				}
			}
		})
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		cfg   Config
		want  Format
	}{
		{"x.csv", "externalId\ta\n", Config{}, CSV},
		{"X.CSV.GZ", "externalId\ta\n", Config{}, CSV},
		{"x.tsv", "externalId,a\n", Config{}, TSV},
		{"x.tsv.gz", "externalId,a\n", Config{}, TSV},
		{"x.ndjson", "externalId\n", Config{}, NDJSON},
		{"x.jsonl", "externalId\n", Config{}, NDJSON},
		{"-", "\n  {\"externalId\":1}\n", Config{}, NDJSON},
		{"", "[1]\n", Config{}, NDJSON},
		{"-", "\ufeff{}", Config{}, NDJSON},
		{"-", "externalId\tname\na\tb\n", Config{}, TSV},
		{"-", "externalId\tname", Config{}, TSV},
		{"-", "externalId\tname,x\n", Config{}, CSV},
		{"-", "externalId,name\n", Config{}, CSV},
		{"-", "externalId\nx\ty\n", Config{}, CSV},
		{"data.txt", "externalId\ty\n", Config{}, TSV},
		{"x.csv", "{\"externalId\":1}\n", Config{Format: NDJSON}, NDJSON},
		{"x.ndjson", "externalId\n", Config{Format: CSV}, CSV},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %q", tt.name, tt.input), func(t *testing.T) {
			t.Parallel()
			for _, gz := range []bool{false, true} {
				in := []byte(tt.input)
				if gz {
					in = gzipped(t, tt.input)
				}
				cfg := tt.cfg
				cfg.IDIndex = 1 // whatever the header holds
				rd, err := Open(tt.name, bytes.NewReader(in), cfg)
				if err != nil {
					t.Fatalf("gzip %v: %v", gz, err)
				}
				if rd.Format() != tt.want {
					t.Errorf("gzip %v: Format() = %v, want %v", gz, rd.Format(), tt.want)
				}
			}
		})
	}
}

// TestSniffSlowPipe checks that sniffing a pipe does not wait for more than
// the first line: the writer sends one line and waits for the first row.
func TestSniffSlowPipe(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	go func() {
		io.WriteString(pw, "externalId\tname\na\tAnn\n")
		// Not closed until the test is done reading: Open must not need EOF.
	}()
	t.Cleanup(func() { pw.Close() })
	rd, err := Open("-", pr, Config{})
	if err != nil {
		t.Fatal(err)
	}
	row, err := rd.Next()
	if err != nil || row.ID != "a" || rd.Format() != TSV {
		t.Errorf("Next = %q, %v (format %v), want a from a TSV", row.ID, err, rd.Format())
	}
}

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGzip(t *testing.T) {
	t.Parallel()
	inputs := map[Format]string{
		CSV:    "externalId,name\r\na,\"A\nB\"\r\nb,Bob\r\n",
		TSV:    "externalId\tname\na\tAnn\nb\tBob\n",
		NDJSON: "{\"externalId\":\"a\"}\n{\"externalId\":\"b\"}\n",
	}
	for f, input := range inputs {
		for _, name := range []string{"in." + f.String() + ".gz", "in." + f.String(), "-"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				rd, rows, err := readFrom(t, name, bytes.NewReader(gzipped(t, input)), Config{})
				if err != nil {
					t.Fatal(err)
				}
				if rd.Format() != f || len(rows) != 2 || rows[0].ID != "a" || rows[1].ID != "b" {
					t.Errorf("format %v, rows %q; want %v, ids a and b", rd.Format(), describeAll(rows), f)
				}
			})
		}
	}
	t.Run("concatenated members", func(t *testing.T) {
		t.Parallel()
		in := append(gzipped(t, "externalId\na\n"), gzipped(t, "b\n")...)
		_, rows, err := readFrom(t, "in.csv.gz", bytes.NewReader(in), Config{})
		if err != nil || len(rows) != 2 || rows[1].ID != "b" {
			t.Errorf("rows %q, err %v; want ids a and b", describeAll(rows), err)
		}
	})
}

// TestGzipTruncated reads a gzip stream cut short: the rows before the cut
// come out, then an *Error saying where the stream broke.
func TestGzipTruncated(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{CSV, NDJSON} {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			z := gzipped(t, generate(f, 50000))
			_, rows, err := readFrom(t, "in.gz", bytes.NewReader(z[:len(z)/2]), Config{Format: f})
			var ie *Error
			if !errors.As(err, &ie) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("err = %v, want an *Error wrapping io.ErrUnexpectedEOF", err)
			}
			want := fmt.Sprintf("in.gz: unexpected EOF in gzip stream after row %d", len(rows))
			if len(rows) == 0 || err.Error() != want {
				t.Errorf("after %d rows: %v, want %s", len(rows), err, want)
			}
			for i, r := range rows {
				if r.Invalid != "" || r.Seq != int64(i+1) {
					t.Fatalf("row %d: %s", i+1, describe(r))
				}
			}
		})
	}
	t.Run("corrupt", func(t *testing.T) {
		t.Parallel()
		z := gzipped(t, generate(CSV, 1000))
		z[len(z)-5] ^= 0xff // the length in the trailer
		_, rows, err := readFrom(t, "in.csv.gz", bytes.NewReader(z), Config{})
		if !errors.Is(err, gzip.ErrChecksum) || len(rows) != 1000 {
			t.Errorf("after %d rows: %v, want gzip.ErrChecksum after 1000", len(rows), err)
		}
	})
}

// TestReadError checks that a failing stream ends the input with an *Error
// after the rows it delivered, and that the error sticks.
func TestReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, f := range []Format{CSV, NDJSON} {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			// The cut line is not a row: it is not known to be complete.
			r := io.MultiReader(strings.NewReader(generate(f, 3)+"{cut"), iotest.ErrReader(boom))
			rd, rows, err := readFrom(t, "in", r, Config{Format: f})
			if !errors.Is(err, boom) || err.Error() != "in: read after row 3: boom" || len(rows) != 3 {
				t.Errorf("after %d rows: %v, want in: read after row 3: boom", len(rows), err)
			}
			if _, again := rd.Next(); again != err {
				t.Errorf("Next after the error = %v, want it again", again)
			}
		})
	}
	t.Run("at open", func(t *testing.T) {
		t.Parallel()
		_, err := Open("in", iotest.ErrReader(boom), Config{})
		if !errors.Is(err, boom) || err.Error() != "in: read: boom" {
			t.Errorf("Open: %v, want in: read: boom", err)
		}
	})
}

// TestEOFSticks checks that Next does not read again after the end: on a
// terminal that would wait for another end of input.
func TestEOFSticks(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{CSV, NDJSON} {
		in := generate(f, 2)
		r := &eofOnce{r: strings.NewReader(in[:len(in)-1])} // no final newline
		rd, rows, err := readFrom(t, "-", r, Config{Format: f})
		if err != nil || len(rows) != 2 {
			t.Fatalf("%v: %d rows, %v", f, len(rows), err)
		}
		if _, err := rd.Next(); err != io.EOF {
			t.Errorf("%v: Next after EOF = %v", f, err)
		}
	}
}

// eofOnce fails the test's reads after it has returned io.EOF once.
type eofOnce struct {
	r   io.Reader
	eof bool
}

func (e *eofOnce) Read(p []byte) (int, error) {
	if e.eof {
		return 0, errors.New("read after EOF")
	}
	n, err := e.r.Read(p)
	e.eof = err == io.EOF
	return n, err
}

// TestGolden reads the fixtures in testdata/input and compares the rows with
// the .golden files beside them; go test -update rewrites those.
func TestGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../testdata/input/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, ".golden") {
			continue
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var got bytes.Buffer
			rd, rows, err := readFrom(t, filepath.Base(file), f, Config{})
			if err != nil {
				fmt.Fprintf(&got, "error: %v\n", err)
			} else {
				fmt.Fprintf(&got, "format %v header %q\n", rd.Format(), rd.Header())
			}
			for _, r := range rows {
				fmt.Fprintln(&got, describe(r))
			}
			golden := file + ".golden"
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("rows differ from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", golden, got.Bytes(), want)
			}
		})
	}
}

// generate makes an input of n rows with ids c0000000, c0000001, ...
func generate(f Format, n int) string {
	var b strings.Builder
	if f == CSV {
		b.WriteString("externalId,name,email,note\n")
	}
	for i := range n {
		id := fmt.Sprintf("c%07d", i)
		switch f {
		case CSV:
			fmt.Fprintf(&b, "%s,Name %s,%s@example.com,\"a note, with a comma\"\n", id, id, id)
		case NDJSON:
			fmt.Fprintf(&b, `{"externalId":%q,"name":"Name %s","email":"%s@example.com","tags":["a","b"],"n":%d}`+"\n", id, id, id, i)
		}
	}
	return b.String()
}

// Row.End and Reader.Stored place each row in the input as stored, so that
// progress can follow the rows decided rather than the bytes buffered.
func TestRowEndAndStored(t *testing.T) {
	t.Parallel()
	var text strings.Builder
	text.WriteString("externalId\n")
	for i := range 2000 {
		fmt.Fprintf(&text, "id-%04d\n", i)
	}
	plain := text.String()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(plain))
	zw.Close()
	for name, stored := range map[string][]byte{"a.csv": []byte(plain), "a.csv.gz": z.Bytes()} {
		rd, err := Open(name, bytes.NewReader(stored), Config{})
		if err != nil {
			t.Fatal(err)
		}
		var last Row
		for {
			row, err := rd.Next()
			if err != nil {
				break
			}
			if want := int64(len("externalId\n") + int(row.Seq)*len("id-0000\n")); row.End != want {
				t.Fatalf("%s row %d: End %d, want %d", name, row.Seq, row.End, want)
			}
			if row.Seq == 1000 {
				// Half the rows: about half the stored bytes, though the
				// reader's buffer holds the whole (small) input by now.
				if got, half := rd.Stored(row.End), int64(len(stored)/2); got < half*8/10 || got > half*12/10 {
					t.Errorf("%s: Stored at row 1000 = %d, want about %d", name, got, half)
				}
			}
			last = row
		}
		if got := rd.Stored(last.End); got < int64(len(stored))*9/10 || got > int64(len(stored))*11/10 {
			t.Errorf("%s: Stored at the end = %d, want about %d", name, got, len(stored))
		}
	}
}
