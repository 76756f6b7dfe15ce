package report

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/azotte/azvalidate/internal/output"
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
	if err := output.WriteFile(path, func(w io.Writer) error { return write(w, s, a) }); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}
