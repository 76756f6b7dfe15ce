package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/azotte/azvalidate/internal/console"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

// inputFile is the raw input stream, counted (for progress) and hashed (for
// the summary) as it is read.
type inputFile struct {
	name string
	size int64 // -1 when unknown
	r    io.Reader
	c    io.Closer
	n    atomic.Int64
	hash interface {
		io.Writer
		Sum([]byte) []byte
	}
}

// openReader opens the input and a reader on it; every failure is a usage
// error (exit 2), reported before any work.
func openReader(name string, stdin io.Reader, cfg input.Config) (*inputFile, *input.Reader, error) {
	src, err := openInput(name, stdin)
	if err != nil {
		return nil, nil, err
	}
	rd, err := input.Open(src.name, src, cfg)
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	src.c = closers{rd, src.c} // an .xlsx's temporary files go with the input
	return src, rd, nil
}

// newInputFile counts and hashes what is read of r.
func newInputFile(name string, r io.Reader, c io.Closer) *inputFile {
	return &inputFile{name: name, size: -1, r: r, c: c, hash: sha256.New()}
}

func openInput(name string, stdin io.Reader) (*inputFile, error) {
	in := newInputFile(name, stdin, io.NopCloser(nil))
	if name == "-" {
		if console.IsTerminal(stdin) {
			return nil, errors.New("no input: give a FILE, or pipe an export to stdin")
		}
		return in, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		in.size = st.Size()
	}
	in.r, in.c = f, f
	return in, nil
}

func (in *inputFile) Read(p []byte) (int, error) {
	n, err := in.r.Read(p)
	in.n.Add(int64(n))
	in.hash.Write(p[:n])
	return n, err
}

func (in *inputFile) Close() error { return in.c.Close() }

// closers close each of theirs, in order.
type closers []io.Closer

func (cs closers) Close() error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// decidedBytes is how much of the input, as stored, the rows decided so far
// cover. Not the bytes read: the reader runs ahead of the answers (by the
// window, and by its buffer, which can hold a small file whole).
func decidedBytes(rd interface{ Stored(int64) int64 }, stats *stats.Stats) func() int64 {
	return func() int64 { return rd.Stored(stats.InputDecided.Load()) }
}

// spool copies r, as it is read, to a temporary file (0600: it holds the
// export) for a second pass over stdin; the caller removes the file.
func spool(r io.Reader) (io.Reader, *os.File, error) {
	f, err := os.CreateTemp("", "azvalidate-stdin-*")
	if err != nil {
		return nil, nil, fmt.Errorf("spool stdin for a second pass: %w", err)
	}
	return io.TeeReader(r, f), f, nil
}

// inputs are a run's input files, read one after another as one stream of
// rows. Row.Seq runs on across the files (the pipeline tells rows apart by
// it; Locate turns it back into a file and its own row number), Row.File
// says whose the row is, and Row.End runs on too, for progress.
type inputs struct {
	files []*inputFile
	rds   []*input.Reader
	cur   int // the file Next reads
	last  input.Row

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

// openInputs opens every input and reads as far as its header: all of them
// before any call. Every failure is a usage error.
func openInputs(names []string, stdin io.Reader, cfg input.Config) (*inputs, error) {
	in := &inputs{starts: make([]fileStart, len(names))}
	for _, name := range names {
		src, rd, err := openReader(name, stdin, cfg)
		if err != nil {
			in.Close()
			return nil, err
		}
		in.files, in.rds = append(in.files, src), append(in.rds, rd)
	}
	in.reached.Store(1)
	return in, nil
}

// Next returns the next row of the current file, then of the next one.
func (in *inputs) Next() (input.Row, error) {
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
func (in *inputs) Locate(seq int64) (file int, row int64) {
	for i := int(in.reached.Load()) - 1; i > 0; i-- {
		if s := in.starts[i].seq; seq > s {
			return i, seq - s
		}
	}
	return 0, seq
}

// ref names the row numbered seq as a person looks it up: "b.csv:12".
func (in *inputs) ref(seq int64) string {
	f, row := in.Locate(seq)
	return in.files[f].name + ":" + strconv.FormatInt(row, 10)
}

// Stored estimates how many bytes of the inputs as stored hold their first
// end bytes after decompression (a Row's End): for progress.
func (in *inputs) Stored(end int64) int64 {
	for i := int(in.reached.Load()) - 1; i >= 0; i-- {
		if s := in.starts[i]; end >= s.end || i == 0 {
			return s.stored + in.rds[i].Stored(end-s.end)
		}
	}
	return 0
}

// Format, Header and Delimiter are the first input's: the others agree
// where it matters (see checkInputs).
func (in *inputs) Format() input.Format { return in.rds[0].Format() }
func (in *inputs) Header() []string     { return in.rds[0].Header() }
func (in *inputs) Delimiter() rune      { return in.rds[0].Delimiter() }

// BlankLines is the blank lines skipped so far, in every input.
func (in *inputs) BlankLines() int64 {
	var n int64
	for _, rd := range in.rds {
		n += rd.BlankLines()
	}
	return n
}

// name is the inputs' names as given, for messages and the summary.
func (in *inputs) name() string {
	names := make([]string, len(in.files))
	for i, f := range in.files {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

// size is the inputs' stored size, -1 when one of them has none (a pipe).
func (in *inputs) size() int64 {
	var n int64
	for _, f := range in.files {
		if f.size < 0 {
			return -1
		}
		n += f.size
	}
	return n
}

// bytesRead is what was read of the inputs so far, as stored.
func (in *inputs) bytesRead() int64 {
	var n int64
	for _, f := range in.files {
		n += f.n.Load()
	}
	return n
}

// formatName is the inputs' format, or their formats joined by + when they
// differ.
func (in *inputs) formatName() string {
	var names []string
	for _, rd := range in.rds {
		if f := rd.Format().String(); !slices.Contains(names, f) {
			names = append(names, f)
		}
	}
	return strings.Join(names, "+")
}

// Close closes every input.
func (in *inputs) Close() error {
	var errs []error
	for _, f := range in.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// checkInputs refuses inputs one output cannot hold: formats that differ
// without --output-format (given is false), and for CSV/TSV output, an
// NDJSON input among CSV/TSV ones or a header other than the first
// input's. XLSX counts as CSV, as its rows are cells too.
func checkInputs(in *inputs, out input.Format, given bool) error {
	if len(in.rds) < 2 {
		return nil
	}
	first, name0 := in.rds[0], in.files[0].name
	for i, rd := range in.rds[1:] {
		name := in.files[i+1].name
		if rd.Format().Output() != first.Format().Output() && !given {
			return usageError("%s is %s but %s is %s: give --output-format to write them as one", name0, first.Format(), name, rd.Format())
		}
	}
	if out == input.NDJSON {
		return nil // each row becomes an object of its own keys
	}
	for i, rd := range in.rds {
		if (rd.Format().Output() == input.NDJSON) != (first.Format().Output() == input.NDJSON) {
			return usageError("%s is %s but %s is %s: %s output cannot hold both; use --output-format ndjson", name0, first.Format(), in.files[i].name, rd.Format(), out)
		}
		if diff := headerDiff(first.Header(), rd.Header()); diff != "" {
			return usageError("%s: its header differs from %s's (%s): %s output has one header; use --output-format ndjson, or give files with the same columns", in.files[i].name, name0, diff, out)
		}
	}
	return nil
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

// shapeDiff says how an input's rows differ in shape from the first's
// (format, or CSV/TSV header); "" when they all agree.
func (in *inputs) shapeDiff() string {
	first := in.rds[0]
	for i, rd := range in.rds[1:] {
		name := in.files[i+1].name
		if rd.Format().Output() != first.Format().Output() {
			return fmt.Sprintf("%s is %s but %s is %s", in.files[0].name, first.Format(), name, rd.Format())
		}
		if diff := headerDiff(first.Header(), rd.Header()); diff != "" {
			return fmt.Sprintf("%s: its header differs from %s's (%s)", name, in.files[0].name, diff)
		}
	}
	return ""
}

// fileCounts are one input's rows and verdicts, counted by the writer.
type fileCounts struct {
	rows     int64
	verdicts [8]int64 // by Verdict (there are fewer)
}

// countPerFile counts, with several inputs, each one's rows and verdicts,
// then calls next (nil: nothing). The writer calls it, one row at a time;
// the summary reads the counts once the pipeline is done.
func (v *validation) countPerFile(next func(*output.Record)) func(*output.Record) {
	v.counts = make([]fileCounts, len(v.in.files))
	return func(r *output.Record) {
		if f := r.Row.File; f >= 0 && f < len(v.counts) {
			v.counts[f].rows++
			v.counts[f].verdicts[r.Verdict]++
		}
		if next != nil {
			next(r)
		}
	}
}

// fileInfos are the summary's files: nil for one input, whose summary is as
// it always was. Verdicts has the kinds counted. A file's sha256 is set when it was read whole (whole is
// false when the run stopped short).
func fileInfos(in *inputs, counts []fileCounts, whole bool, kinds []verdict.Verdict) []report.FileInfo {
	if len(in.files) < 2 {
		return nil
	}
	files := make([]report.FileInfo, len(in.files))
	for i, f := range in.files {
		fi := report.FileInfo{Name: f.name, Format: in.rds[i].Format().String(), Bytes: f.n.Load(), Verdicts: map[string]int64{}}
		if f.size >= 0 {
			fi.Bytes = f.size
		}
		if whole {
			fi.SHA256 = hex.EncodeToString(f.hash.Sum(nil))
		}
		if i < len(counts) {
			fi.Rows = counts[i].rows
			for _, vd := range kinds {
				fi.Verdicts[vd.String()] = counts[i].verdicts[vd]
			}
		}
		files[i] = fi
	}
	return files
}
