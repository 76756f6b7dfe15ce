package output

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/verdict"
)

// Split writes each record to a file of its verdict in one folder (--split
// DIR): DIR/available.csv, DIR/taken.csv, and so on, in the output format,
// each with the header the main output has. A file is created on its
// verdict's first row, so a verdict without rows gets no file. Each file is
// an output File: it appears complete at Commit, or as FILE.partial (or not
// at all) at Abandon. Split is not safe for concurrent use; like every
// Writer it is written from one goroutine.
type Split struct {
	dir   string
	opt   Options
	files [8]*splitFile // by verdict (1 to 5); nil until its first row
}

type splitFile struct {
	f *File
	w Writer
}

// SplitPath is the file NewSplit writes the rows of v to, for output format f.
func SplitPath(dir string, f input.Format, v verdict.Verdict) string {
	return filepath.Join(dir, v.String()+"."+f.String())
}

// NewSplit checks opt (as New does) and creates dir if needed. The format of
// the files is opt.Format, or opt.InputFormat when that is Unknown.
func NewSplit(dir string, opt Options) (*Split, error) {
	if opt.Format == input.Unknown {
		opt.Format = opt.InputFormat
	}
	// Fail now, not on the first row, on options New refuses (a column clash).
	if _, err := New(io.Discard, opt); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("split: %w", err)
	}
	return &Split{dir: dir, opt: opt}, nil
}

// Write writes r to its verdict's file, creating the file on the first row.
func (s *Split) Write(r *Record) error {
	if int(r.Verdict) >= len(s.files) {
		return fmt.Errorf("split: row %d has no verdict", r.Row.Seq)
	}
	sf := s.files[r.Verdict]
	if sf == nil {
		f, err := Create(SplitPath(s.dir, s.opt.Format, r.Verdict))
		if err != nil {
			return fmt.Errorf("split: %w", err)
		}
		w, err := New(f, s.opt)
		if err != nil {
			f.Abandon(false)
			return fmt.Errorf("split: %w", err)
		}
		sf = &splitFile{f: f, w: w}
		s.files[r.Verdict] = sf
	}
	return sf.w.Write(r)
}

// Flush writes every file's buffered rows to its temporary file.
func (s *Split) Flush() error {
	var errs []error
	for _, sf := range s.files {
		if sf != nil {
			errs = append(errs, sf.w.Flush())
		}
	}
	return errors.Join(errs...)
}

// End ends every file's rows, as output.End does: before Commit, or before
// Abandon keeps FILE.partial files.
func (s *Split) End(facts []Fact) error {
	var errs []error
	for v, sf := range s.files {
		if sf == nil {
			continue
		}
		if err := sf.w.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("split %s: %w", SplitPath(s.dir, s.opt.Format, verdict.Verdict(v)), err))
			continue
		}
		if err := End(sf.w, facts); err != nil {
			errs = append(errs, fmt.Errorf("split %s: %w", SplitPath(s.dir, s.opt.Format, verdict.Verdict(v)), err))
		}
	}
	return errors.Join(errs...)
}

// Binary reports whether the files are of a format that ends with a
// summary or a footer (see Ender).
func (s *Split) Binary() bool { return s.opt.Format.Binary() }

// Commit flushes every file and renames it into place. It also removes the
// file of each verdict that had no row, left by an earlier run into the same
// folder, so that the folder describes this run only. On a failure the files
// not yet committed are removed.
func (s *Split) Commit() error {
	var errs []error
	for v, sf := range s.files {
		if sf == nil {
			if v > 0 && v <= len(verdict.All) {
				path := SplitPath(s.dir, s.opt.Format, verdict.Verdict(v))
				if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, fmt.Errorf("split: remove the earlier run's %s: %w", path, err))
				}
			}
			continue
		}
		if err := sf.w.Flush(); err != nil {
			sf.f.Abandon(false)
			errs = append(errs, fmt.Errorf("split %s: %w", SplitPath(s.dir, s.opt.Format, verdict.Verdict(v)), err))
			continue
		}
		if err := sf.f.Commit(); err != nil {
			errs = append(errs, fmt.Errorf("split: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Abandon ends every file as File.Abandon does: kept as FILE.partial, with
// the rows written so far, or removed. It does nothing to committed files.
func (s *Split) Abandon(keepPartial bool) error {
	var errs []error
	for _, sf := range s.files {
		if sf == nil {
			continue
		}
		if keepPartial {
			errs = append(errs, sf.w.Flush())
		}
		errs = append(errs, sf.f.Abandon(keepPartial))
	}
	return errors.Join(errs...)
}

// Tee returns a Writer that writes each record to every w in turn, and
// flushes them all; the first Write error stops a record there. It joins the
// main output and a Split into the one Sink the pipeline writes to.
func Tee(w ...Writer) Writer { return tee(w) }

type tee []Writer

func (t tee) Write(r *Record) error {
	for _, w := range t {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	return nil
}

func (t tee) Flush() error {
	var errs []error
	for _, w := range t {
		errs = append(errs, w.Flush())
	}
	return errors.Join(errs...)
}
