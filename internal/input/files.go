package input

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// File is one input as stored, counted (for progress) and hashed (for the
// summary) as it is read.
type File struct {
	Name string // as given; "-" is stdin
	size int64  // -1 when unknown
	r    io.Reader
	c    io.Closer
	n    atomic.Int64
	hash hash.Hash
}

// NewFile counts and hashes what is read of r, named name; Close closes c.
func NewFile(name string, r io.Reader, c io.Closer) *File {
	return &File{Name: name, size: -1, r: r, c: c, hash: sha256.New()}
}

// OpenFile opens the file name, or stdin for "-".
func OpenFile(name string, stdin io.Reader) (*File, error) {
	if name == "-" {
		return NewFile(name, stdin, io.NopCloser(nil)), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	in := NewFile(name, f, f)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		in.size = st.Size()
	}
	return in, nil
}

func (f *File) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	f.n.Add(int64(n))
	f.hash.Write(p[:n])
	return n, err
}

func (f *File) Close() error { return f.c.Close() }

// Size is the file's stored size; -1 when unknown (a pipe).
func (f *File) Size() int64 { return f.size }

// BytesRead is what was read of it so far, as stored.
func (f *File) BytesRead() int64 { return f.n.Load() }

// SHA256 is the hex SHA-256 of what was read of it: the file's, once it was
// read whole.
func (f *File) SHA256() string { return hex.EncodeToString(f.hash.Sum(nil)) }

// Files are a run's inputs, read one after another as one stream of rows.
// Row.Seq runs on across the files (the pipeline tells rows apart by it;
// Locate turns it back into a file and its own row number), Row.File says
// whose the row is, and Row.End runs on too, for progress.
type Files struct {
	files []*File
	rds   []*Reader
	cur   int // the file Next reads
	last  Row

	// starts[i] is where file i begins; reached counts the files Next has
	// reached, so that other goroutines (writer, progress) read only what
	// is set.
	starts  []fileStart
	reached atomic.Int32
}

// fileStart is where a file begins in the run's stream.
type fileStart struct {
	seq, end, stored int64 // rows, decompressed bytes, stored bytes of the files before it
}

// OpenFiles opens every input ("-" is stdin) and reads as far as its
// header: all of them before the first row is read.
func OpenFiles(names []string, stdin io.Reader, cfg Config) (*Files, error) {
	return openFiles(names, stdin, func(int) Config { return cfg })
}

// Reopen opens the same inputs again, each read as this pass read it (its
// format and delimiter), for a second pass; stdin is what stands for "-"
// now (a spool of the first pass's).
func (in *Files) Reopen(stdin io.Reader, cfg Config) (*Files, error) {
	return openFiles(in.names(), stdin, func(i int) Config {
		c := cfg
		c.Format, c.Delimiter = in.rds[i].Format(), in.rds[i].Delimiter()
		return c
	})
}

func openFiles(names []string, stdin io.Reader, cfgOf func(int) Config) (*Files, error) {
	in := &Files{starts: make([]fileStart, len(names))}
	in.reached.Store(1)
	for i, name := range names {
		src, err := OpenFile(name, stdin)
		if err != nil {
			in.Close()
			return nil, err
		}
		rd, err := Open(name, src, cfgOf(i))
		if err != nil {
			src.Close()
			in.Close()
			return nil, err
		}
		src.c = closers{rd, src.c} // an .xlsx's temporary files go with the input
		in.files, in.rds = append(in.files, src), append(in.rds, rd)
	}
	return in, nil
}

// closers close each of theirs, in order.
type closers []io.Closer

func (cs closers) Close() error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// Next returns the next row of the current file, then of the next one.
func (in *Files) Next() (Row, error) {
	for {
		row, err := in.rds[in.cur].Next()
		if err == nil {
			s := in.starts[in.cur]
			row.File, row.Seq, row.End = in.cur, row.Seq+s.seq, row.End+s.end
			in.last = row
			return row, nil
		}
		if !errors.Is(err, io.EOF) || in.cur == len(in.rds)-1 {
			return row, err
		}
		prev := in.starts[in.cur]
		next := fileStart{seq: prev.seq, end: prev.end, stored: prev.stored + in.files[in.cur].n.Load()}
		if in.last.File == in.cur && in.last.Seq > prev.seq {
			next.seq, next.end = in.last.Seq, in.last.End
		}
		in.cur++
		in.starts[in.cur] = next
		in.reached.Store(int32(in.cur + 1))
	}
}

// Locate is the file of the row numbered seq in the run's stream, and its
// number in that file (from 1). seq must be of a row already read.
func (in *Files) Locate(seq int64) (file int, row int64) {
	for i := int(in.reached.Load()) - 1; i > 0; i-- {
		if s := in.starts[i].seq; seq > s {
			return i, seq - s
		}
	}
	return 0, seq
}

// Ref names the row numbered seq as a person looks it up: "b.csv:12".
func (in *Files) Ref(seq int64) string {
	f, row := in.Locate(seq)
	return in.files[f].Name + ":" + strconv.FormatInt(row, 10)
}

// Stored estimates how many bytes of the inputs as stored hold their first
// end bytes after decompression (a Row's End): for progress.
func (in *Files) Stored(end int64) int64 {
	for i := int(in.reached.Load()) - 1; i >= 0; i-- {
		if s := in.starts[i]; end >= s.end || i == 0 {
			return s.stored + in.rds[i].Stored(end-s.end)
		}
	}
	return 0
}

// Len is the number of inputs; File and Reader are input i's.
func (in *Files) Len() int             { return len(in.files) }
func (in *Files) File(i int) *File     { return in.files[i] }
func (in *Files) Reader(i int) *Reader { return in.rds[i] }

// Format, Header and Delimiter are the first input's: the others agree
// where it matters (see Check).
func (in *Files) Format() Format   { return in.rds[0].Format() }
func (in *Files) Header() []string { return in.rds[0].Header() }
func (in *Files) Delimiter() rune  { return in.rds[0].Delimiter() }

// BlankLines is the blank lines skipped so far, in every input.
func (in *Files) BlankLines() int64 {
	var n int64
	for _, rd := range in.rds {
		n += rd.BlankLines()
	}
	return n
}

func (in *Files) names() []string {
	names := make([]string, len(in.files))
	for i, f := range in.files {
		names[i] = f.Name
	}
	return names
}

// Name is the inputs' names as given, for messages and the summary.
func (in *Files) Name() string { return strings.Join(in.names(), ", ") }

// Size is the inputs' stored size, -1 when one of them has none (a pipe).
func (in *Files) Size() int64 {
	var n int64
	for _, f := range in.files {
		if f.size < 0 {
			return -1
		}
		n += f.size
	}
	return n
}

// BytesRead is what was read of the inputs so far, as stored.
func (in *Files) BytesRead() int64 {
	var n int64
	for _, f := range in.files {
		n += f.n.Load()
	}
	return n
}

// FormatName is the inputs' format, or their formats joined by + when
// they differ.
func (in *Files) FormatName() string {
	var names []string
	for _, rd := range in.rds {
		if f := rd.Format().String(); !slices.Contains(names, f) {
			names = append(names, f)
		}
	}
	return strings.Join(names, "+")
}

// Close closes every input.
func (in *Files) Close() error {
	var errs []error
	for _, f := range in.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// Check refuses inputs one output in format out cannot hold: formats that
// differ unless the output format was given, and for CSV/TSV output, an
// NDJSON input among CSV/TSV ones or a header other than the first
// input's. XLSX counts as CSV, as its rows are cells too.
func (in *Files) Check(out Format, given bool) error {
	if len(in.rds) < 2 {
		return nil
	}
	first, name0 := in.rds[0], in.files[0].Name
	for i, rd := range in.rds[1:] {
		name := in.files[i+1].Name
		if rd.Format().Output() != first.Format().Output() && !given {
			return fmt.Errorf("%s is %s but %s is %s: give --output-format to write them as one", name0, first.Format(), name, rd.Format())
		}
	}
	if out == NDJSON {
		return nil // each row becomes an object of its own keys
	}
	for i, rd := range in.rds {
		if (rd.Format().Output() == NDJSON) != (first.Format().Output() == NDJSON) {
			return fmt.Errorf("%s is %s but %s is %s: %s output cannot hold both; use --output-format ndjson", name0, first.Format(), in.files[i].Name, rd.Format(), out)
		}
		if diff := headerDiff(first.Header(), rd.Header()); diff != "" {
			return fmt.Errorf("%s: its header differs from %s's (%s): %s output has one header; use --output-format ndjson, or give files with the same columns", in.files[i].Name, name0, diff, out)
		}
	}
	return nil
}

// ShapeDiff says how an input's rows differ in shape from the first's
// (format, or CSV/TSV header); "" when they all agree.
func (in *Files) ShapeDiff() string {
	first := in.rds[0]
	for i, rd := range in.rds[1:] {
		name := in.files[i+1].Name
		if rd.Format().Output() != first.Format().Output() {
			return fmt.Sprintf("%s is %s but %s is %s", in.files[0].Name, first.Format(), name, rd.Format())
		}
		if diff := headerDiff(first.Header(), rd.Header()); diff != "" {
			return fmt.Sprintf("%s: its header differs from %s's (%s)", name, in.files[0].Name, diff)
		}
	}
	return ""
}

// headerDiff says how header b differs from a; "" when it does not.
func headerDiff(a, b []string) string {
	for i := range max(len(a), len(b)) {
		switch {
		case i >= len(a):
			return fmt.Sprintf("extra column %d %q", i+1, b[i])
		case i >= len(b):
			return fmt.Sprintf("no column %d %q", i+1, a[i])
		case a[i] != b[i]:
			return fmt.Sprintf("column %d is %q, not %q", i+1, b[i], a[i])
		}
	}
	return ""
}
