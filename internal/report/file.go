package report

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// reportWriter returns the renderer for a report file's extension.
func reportWriter(path string) (func(io.Writer, Summary, *Audit) error, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".html", ".htm":
		return WriteHTML, nil
	case ".md", ".markdown":
		return WriteMarkdown, nil
	}
	return nil, fmt.Errorf("report %s: unknown extension %q: want .html or .md", path, filepath.Ext(path))
}

// CheckReportPath reports whether path names a report WriteReportFile can
// write (.html, .htm, .md or .markdown), so that a command line can be
// refused before any work.
func CheckReportPath(path string) error {
	_, err := reportWriter(path)
	return err
}

// WriteReportFile writes the audit report to path, as HTML or Markdown by its
// extension (see CheckReportPath), atomically: the file appears complete or
// not at all.
func WriteReportFile(path string, s Summary, a *Audit) error {
	write, err := reportWriter(path)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, func(w io.Writer) error { return write(w, s, a) }); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic writes a file through fill: to a temporary file beside
// path (same file system, so the rename is atomic), synced, mode 0644, then
// renamed to path. On any failure the temporary file is removed and path is
// left as it was.
func writeFileAtomic(path string, fill func(io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	bw := bufio.NewWriter(f)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
