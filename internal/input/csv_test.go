package input

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		cfg   Config
		want  []string
		blank int64 // BlankLines at the end
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
			name:  "empty lines are no rows and take no number",
			input: "externalId\na\n\nb\n\r\n\r\r\nc\n",
			want:  []string{`1@2 id "a" fields ["a"]`, `2@4 id "b" fields ["b"]`, `3@7 id "c" fields ["c"]`},
			blank: 3,
		},
		{
			name:  "empty lines before the header and at the end",
			input: "\n\r\nexternalId\na\n\n\n",
			want:  []string{`1@4 id "a" fields ["a"]`},
			blank: 4,
		},
		{
			name:  "a line of spaces is a record",
			input: "externalId\n \na\n",
			want:  []string{`1@2 invalid "blank id" fields [" "]`, `2@3 id "a" fields ["a"]`},
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
			if rd.BlankLines() != tt.blank {
				t.Errorf("BlankLines() = %d, want %d", rd.BlankLines(), tt.blank)
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
