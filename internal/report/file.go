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

// CheckReportPaths checks every --report path as CheckReportPath does, and
// refuses a path given twice (after cleaning: "a.html" and "./a.html" are
// one file), which would write one file twice and mean a typo.
func CheckReportPaths(paths []string) error {
	seen := make(map[string]bool, len(paths))
	for _, p := range paths {
		if err := CheckReportPath(p); err != nil {
			return err
		}
		c := filepath.Clean(p)
		if seen[c] {
			return fmt.Errorf("report %s: given twice", p)
		}
		seen[c] = true
	}
	return nil
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
