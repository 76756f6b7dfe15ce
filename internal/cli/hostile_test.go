package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// gz compresses s; cut > 0 drops that many bytes from the end (a copy that
// failed half-way).
func gz(t *testing.T, s string, cut int) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return string(b.Bytes()[:b.Len()-cut])
}

// TestHostileInput runs messy exports through the whole command against the
// sandbox: every physical record becomes exactly one output row, valid or
// invalid with its reason, and whole-input problems get one clear message.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 200)
	bigLine := `{"externalId":"big","blob":"` + strings.Repeat("b", 5<<20) + `"}`
	rowsOf := func(n int) string {
		var b strings.Builder
		b.WriteString("externalId,n\n")
		for i := range n {
			b.WriteString("g-" + strings.Repeat("0", 3) + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + ",1\n")
		}
		return b.String()
	}
	tests := []struct {
		name     string
		file     string // name of the input file (its extension picks the format)
		input    string
		args     []string
		code     int
		verdicts []string // per output row, in order; nil: not checked
		details  []string // substrings of each row's detail, "" for any
		stderr   string   // substring of stderr
	}{
		{
			name: "BOM and CRLF", file: "a.csv",
			input:    "\ufeffexternalId,name\r\nk-1,Ann\r\nk-2,Bob\r\n",
			code:     0,
			verdicts: []string{"available", "available"},
		},
		{
			name: "mixed line endings", file: "a.csv",
			input:    "externalId,name\nk-1,Ann\r\nk-2,Bob\rstill Bob\nk-3,Cy",
			code:     0,
			verdicts: []string{"available", "available", "available"},
		},
		{
			name: "quoted delimiters, quotes and newlines", file: "a.csv",
			input:    "externalId,note\n\"k-1\",\"a, b\"\"c\"\"\nd\"\n",
			code:     0,
			verdicts: []string{"available"},
		},
		{
			name: "stray quote in an unquoted field is kept", file: "a.csv",
			input:    "externalId,name\nk-1,O\"Brien\n",
			code:     0,
			verdicts: []string{"available"},
		},
		{
			name: "text after a closing quote", file: "a.csv",
			input:    "externalId,name\n\"k-1\"x,Ann\nk-2,Bob\n",
			code:     1,
			verdicts: []string{"invalid", "available"},
			details:  []string{"extraneous text after closing quote in field 1; original: \"k-1\"x,Ann", ""},
		},
		{
			name: "ragged rows", file: "a.csv",
			input:    "name,email,externalId\nAnn,a@x\nBob,b@x,k-2,extra\n",
			code:     1,
			verdicts: []string{"invalid", "available"},
			details:  []string{"row has 2 fields, id column 3 is missing", ""},
		},
		{
			name: "field over --max-field-bytes", file: "a.csv",
			input:    "externalId,note\nk-1," + long + "\nk-2,short\n",
			args:     []string{"--max-field-bytes", "100"},
			code:     1,
			verdicts: []string{"invalid", "available"},
			details:  []string{"record longer than 100 bytes", ""},
		},
		{
			name: "invalid UTF-8 and NUL bytes", file: "a.csv",
			input:    "externalId,note\nk-\xff,bad\nk-\x001,nul\n",
			code:     1,
			verdicts: []string{"invalid", "available"},
			details:  []string{"not valid UTF-8", ""},
		},
		{
			name: "empty and blank ids", file: "a.csv",
			input:    "externalId,n\n,1\n\"  \",2\n",
			code:     1,
			verdicts: []string{"invalid", "invalid"},
			details:  []string{"empty id", "blank id"},
		},
		{
			name: "NDJSON: not objects, invalid JSON, nested and numeric ids", file: "a.ndjson",
			input:    "[1,2]\n\"str\"\n{\"externalId\":\"k-1\"\n{\"externalId\":42}\n{\"externalId\":null}\n{\"externalId\":\"k-2\"}\n",
			code:     1,
			verdicts: []string{"invalid", "invalid", "invalid", "available", "invalid", "available"},
			details:  []string{"not a JSON object", "not a JSON object", "invalid JSON", "", "not a string or number", ""},
		},
		{
			name: "NDJSON: a 5 MB line is one invalid row by default", file: "a.ndjson",
			input:    bigLine + "\n{\"externalId\":\"k-1\"}\n",
			code:     1,
			verdicts: []string{"invalid", "available"},
			details:  []string{"longer than", ""},
		},
		{
			name: "NDJSON: a 5 MB line works within --max-field-bytes", file: "a.ndjson",
			input:    bigLine + "\n",
			args:     []string{"--max-field-bytes", "8388608"},
			code:     0,
			verdicts: []string{"available"},
		},
		{
			name: "no id column", file: "a.csv",
			input:  "id,name\n1,Ann\n",
			code:   2,
			stderr: `no column "externalId" in header (columns: id, name)`,
		},
		{
			name: "ambiguous id column", file: "a.csv",
			input:  "externalid,EXTERNALID\n1,2\n",
			code:   2,
			stderr: "ambiguous",
		},
		{
			name: "empty file", file: "a.csv",
			input:  "",
			code:   2,
			stderr: "a.csv: input is empty",
		},
		{
			name: "header only", file: "a.csv",
			input:    "externalId,name\n",
			code:     0,
			verdicts: []string{},
		},
		{
			name: "truncated gzip keeps the rows before the break", file: "a.csv.gz",
			input:  gz(t, rowsOf(600), 200),
			code:   3,
			stderr: "unexpected EOF in gzip stream after row",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEndpoint(t, sandbox.Config{})
			dir := t.TempDir()
			in := filepath.Join(dir, tt.file)
			if err := os.WriteFile(in, []byte(tt.input), 0o644); err != nil {
				t.Fatal(err)
			}
			res := run(t, "", e.args(append(tt.args, "--rate", "0", "--output-format", "ndjson", in)...)...)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", res.code, tt.code, res.stderr)
			}
			if !strings.Contains(res.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, res.stderr)
			}
			var verdicts, details []string
			for _, line := range strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n") {
				if line == "" {
					continue
				}
				var row struct{ Verdict, Detail string }
				if err := json.Unmarshal([]byte(line), &row); err != nil {
					t.Fatalf("output line is not JSON: %v\n%.200s", err, line)
				}
				verdicts, details = append(verdicts, row.Verdict), append(details, row.Detail)
			}
			if tt.verdicts != nil && strings.Join(verdicts, " ") != strings.Join(tt.verdicts, " ") {
				t.Fatalf("verdicts %q, want %q", verdicts, tt.verdicts)
			}
			for i, want := range tt.details {
				if !strings.Contains(details[i], want) {
					t.Errorf("row %d detail %q lacks %q", i+1, details[i], want)
				}
			}
			if tt.name == "truncated gzip keeps the rows before the break" && (len(verdicts) == 0 || len(verdicts) >= 600) {
				t.Errorf("%d rows written before the break, want some but not all 600", len(verdicts))
			}
		})
	}
}
