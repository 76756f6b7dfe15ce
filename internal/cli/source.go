package cli

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/stats"
	"golang.org/x/term"
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
		return nil, nil, exitError{code: exitUsage, err: err}
	}
	rd, err := input.Open(src.name, src, cfg)
	if err != nil {
		src.Close()
		return nil, nil, exitError{code: exitUsage, err: err}
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
		if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
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
func decidedBytes(rd *input.Reader, stats *stats.Stats) func() int64 {
	return func() int64 { return rd.Stored(stats.InputDecided.Load()) }
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
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
