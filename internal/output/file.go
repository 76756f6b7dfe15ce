package output

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is an output file that appears at its path complete or not at all:
// rows go to a temporary file in the same folder (so the final rename stays
// on one file system and is atomic), and Commit renames it into place. It is
// not safe for concurrent use.
//
// A path that names something other than a regular file (/dev/null,
// /dev/stdout, a named pipe) is written directly: renaming over a device
// would replace it.
type File struct {
	f      *os.File
	path   string
	direct bool // writing to path itself, not to a temporary file
	done   bool // committed or abandoned: later calls do nothing
}

// Create opens a temporary file beside path, named ".<base>.tmp-*", with mode
// 0644 (a temporary file is 0600, too strict for an export others read).
func Create(path string) (*File, error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, cause(err))
		}
		return &File{f: f, path: path, direct: true}, nil
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, cause(err))
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("create %s: %w", path, cause(err))
	}
	return &File{f: f, path: path}, nil
}

// Write writes to the temporary file.
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// Commit syncs and closes the temporary file and renames it to the path; after
// it returns nil the file at the path is complete. On failure the temporary
// file is removed. Calls after the first (or after Abandon) return nil.
func (f *File) Commit() error {
	if f.done {
		return nil
	}
	f.done = true
	if f.direct {
		return f.f.Close()
	}
	tmp := f.f.Name()
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.path, cause(err))
	}
	syncDir(filepath.Dir(f.path))
	return nil
}

// Abandon closes the temporary file and either renames it to path+".partial"
// (an interrupted run keeps the rows it finished) or removes it (a failed
// run leaves nothing). It does nothing after Commit, so it can be deferred.
func (f *File) Abandon(keepPartial bool) error {
	if f.done {
		return nil
	}
	f.done = true
	if f.direct {
		return f.f.Close() // what was written is there already
	}
	tmp := f.f.Name()
	err := f.f.Close()
	if keepPartial {
		if rerr := os.Rename(tmp, f.path+".partial"); rerr != nil {
			os.Remove(tmp)
			return fmt.Errorf("keep %s.partial: %w", f.path, cause(errors.Join(err, rerr)))
		}
		return nil
	}
	if rerr := os.Remove(tmp); rerr != nil {
		return fmt.Errorf("remove %s: %w", tmp, cause(rerr))
	}
	return nil
}

// syncDir makes a rename durable where the file system needs it. It is best
// effort: some platforms cannot sync a directory, and the data is already safe.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// WriteFile writes a whole file through fill, buffered, with the guarantees
// of File: complete or not at all.
func WriteFile(path string, fill func(io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		f.Abandon(false)
		return err
	}
	return f.Commit()
}

// cause strips the operation and path that os errors repeat, so that a
// message names the file once: "create out.csv: permission denied".
func cause(err error) error {
	var pe *os.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}
