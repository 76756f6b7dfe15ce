package input

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"testing"
)

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
