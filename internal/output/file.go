package output

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File is an output file that appears at its path complete or not at all:
// rows go to a temporary file in the same folder (so the final rename stays
// on one file system and is atomic), and Commit renames it into place. It is
// not safe for concurrent use.
//
// A path ending in ".gz" is written gzip-compressed. A path that names
// something other than a regular file (/dev/null, /dev/stdout, a named pipe)
// is written directly: renaming over a device would replace it.
//
// Each Write is taken as ending on a row boundary (the Writers of this
// package write whole rows per call): when one fails, on a full disk say,
// the file kept by Abandon is cut back to the end of the last Write that
// succeeded, so that FILE.partial never ends mid-row. A writer whose Writes
// are not rows (Parquet's, a row group in many) ends the file itself: cut.
type File struct {
	f       *os.File
	path    string
	direct  bool // writing to path itself, not to a temporary file
	done    bool // committed or abandoned: later calls do nothing
	created time.Time

	gz    *gzip.Writer // non-nil for a .gz path
	n     int64        // bytes written to f
	kept  int64        // bytes of f up to the end of the last successful Write
	crc   uint32       // gzip: CRC-32 of the uncompressed bytes up to kept
	size  uint32       // gzip: uncompressed bytes up to kept, modulo 2^32
	werr  error        // the first Write error; Write fails from then on
	ended bool         // cut ended the file after a failed Write: keep leaves it
	count countWriter  // counts what reaches f
}

// countWriter counts the bytes that reach the file under a gzip stream.
type countWriter struct{ f *File }

func (c countWriter) Write(p []byte) (int, error) {
	n, err := c.f.f.Write(p)
	c.f.n += int64(n)
	return n, err
}

// Create opens a temporary file beside path, named ".<base>.tmp-*", created
// with mode 0666 less the umask, as any file a program writes (a temporary
// file from os.CreateTemp is 0600).
func Create(path string) (*File, error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, cause(err))
		}
		return newFile(f, path, true), nil
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	for try := 0; ; try++ {
		name := filepath.Join(dir, "."+base+".tmp-"+rand.Text()[:12])
		// The kernel applies the umask to 0666: no need to read it, which on
		// Unix means setting it, for the whole process.
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) && try < 100 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", path, cause(err))
		}
		return newFile(f, path, false), nil
	}
}

func newFile(f *os.File, path string, direct bool) *File {
	o := &File{f: f, path: path, direct: direct, created: time.Now()}
	o.count.f = o
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		o.gz = gzip.NewWriter(o.count)
	}
	return o
}

// Write writes p to the temporary file, compressed for a .gz path. After a
// failed Write every later one fails with the same error.
func (f *File) Write(p []byte) (int, error) {
	if f.werr != nil {
		return 0, f.werr
	}
	if f.gz == nil {
		n, err := f.count.Write(p)
		if err == nil && n < len(p) {
			err = io.ErrShortWrite
		}
		if err != nil {
			f.werr = err
			return n, err
		}
		f.kept = f.n
		return n, nil
	}
	// A sync flush after each Write ends a deflate block on a byte boundary:
	// a point the stream can be cut at and closed by hand (see keep).
	n, err := f.gz.Write(p)
	if err == nil {
		err = f.gz.Flush()
	}
	if err != nil {
		f.werr = err
		return n, err
	}
	f.kept = f.n
	f.crc = crc32.Update(f.crc, crc32.IEEETable, p)
	f.size += uint32(len(p))
	return n, nil
}

// Err is the first Write error, or nil.
func (f *File) Err() error { return f.werr }

// Commit syncs and closes the temporary file and renames it to the path; after
// it returns nil the file at the path is complete. On failure the temporary
// file is removed. Calls after the first (or after Abandon) return nil.
//
// Committing also removes what earlier runs writing the same path left: its
// FILE.partial, and temporary files older than this one (left by a run that
// was killed).
func (f *File) Commit() error {
	if f.done {
		return nil
	}
	f.done = true
	err := f.werr
	if f.gz != nil && err == nil {
		err = f.gz.Close()
	}
	if f.direct {
		if cerr := f.f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", f.path, cause(err))
		}
		return nil
	}
	tmp := f.f.Name()
	if err == nil {
		err = f.f.Sync()
	}
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
	f.removeLeftovers()
	syncDir(filepath.Dir(f.path))
	return nil
}

// removeLeftovers removes, best effort, FILE.partial and the ".FILE.tmp-*"
// files last changed before this File was created: a run still writing the
// same path (which would be a mistake) keeps its temporary file.
func (f *File) removeLeftovers() {
	if st, err := os.Lstat(f.path + ".partial"); err == nil && st.Mode().IsRegular() {
		os.Remove(f.path + ".partial")
	}
	dir, base := filepath.Split(f.path)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := "." + base + ".tmp-"
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), prefix) || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(f.created) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
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
	var err error
	if keepPartial {
		err = f.keep()
	}
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if keepPartial && err == nil {
		err = os.Rename(tmp, f.path+".partial")
	}
	if keepPartial {
		if err != nil {
			os.Remove(tmp)
			return fmt.Errorf("keep %s.partial: %w", f.path, cause(err))
		}
		return nil
	}
	if rerr := os.Remove(tmp); rerr != nil {
		return fmt.Errorf("remove %s: %w", tmp, cause(rerr))
	}
	return nil
}

// keep ends the temporary file on a row boundary: closed as it is when every
// Write succeeded, else cut back to the end of the last successful one (and,
// for gzip, closed by hand there: see gzipEnd), unless cut ended it already.
func (f *File) keep() error {
	if f.werr == nil {
		if f.gz != nil {
			return f.gz.Close()
		}
		return nil
	}
	if f.ended {
		return nil
	}
	if err := f.f.Truncate(f.kept); err != nil {
		return err
	}
	if f.gz == nil || f.kept == 0 {
		return nil
	}
	if _, err := f.f.WriteAt(gzipEnd(nil, f.crc, f.size), f.kept); err != nil {
		f.f.Truncate(f.kept) // a stream without its end still decompresses
	}
	return nil
}

// A mark is a point a File can be cut back to: the end of a successful
// Write, with (for gzip) the CRC-32 and size of the bytes before it.
type mark struct {
	at        int64
	crc, size uint32
}

// mark is where the file stands after its last successful Write.
func (f *File) mark() mark { return mark{f.kept, f.crc, f.size} }

// cut ends a file whose Write failed at m, an earlier mark, followed by
// tail: what a writer needs to end its whole rows there (a Parquet footer
// after its last whole row group). FILE.partial is then what cut left. On
// failure the file is not fit to keep.
func (f *File) cut(m mark, tail []byte) error {
	if f.werr == nil || f.done || f.direct || (f.gz != nil && m.at == 0) {
		return errors.New("no file to cut") // a gzip stream needs its header, written with the first row
	}
	end := tail
	if f.gz != nil {
		end = gzipEnd(tail, m.crc, m.size)
	}
	if err := f.f.Truncate(m.at); err != nil {
		return err
	}
	if _, err := f.f.WriteAt(end, m.at); err != nil {
		return err
	}
	f.kept, f.ended = m.at+int64(len(end)), true
	return nil
}

// gzipEnd ends a gzip stream cut after a sync flush, where the deflate
// stream is byte aligned and may go on with any blocks: tail compressed on
// its own, ending in a final block, then the trailer (CRC-32 and size of
// all the uncompressed bytes). crc and size are those of the bytes before
// tail.
func gzipEnd(tail []byte, crc, size uint32) []byte {
	var b bytes.Buffer
	zw, _ := flate.NewWriter(&b, flate.DefaultCompression) // a valid level: no error
	zw.Write(tail)                                         // to a bytes.Buffer: no error
	zw.Close()
	end := binary.LittleEndian.AppendUint32(b.Bytes(), crc32.Update(crc, crc32.IEEETable, tail))
	return binary.LittleEndian.AppendUint32(end, size+uint32(len(tail)))
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
// of File: complete or not at all. When it fails, an earlier file at path is
// removed too, so that no stale file (yesterday's summary, saying all went
// well) stands in for the one that could not be written.
func WriteFile(path string, fill func(io.Writer) error) error {
	err := writeFile(path, fill)
	if err != nil {
		if st, serr := os.Lstat(path); serr == nil && st.Mode().IsRegular() {
			if rerr := os.Remove(path); rerr == nil {
				err = fmt.Errorf("%w (the earlier %s was removed)", err, path)
			}
		}
	}
	return err
}

func writeFile(path string, fill func(io.Writer) error) error {
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
