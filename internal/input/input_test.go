package input

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
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
