package cli

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/verdict"
)

// namedPath is a file a run reads or writes, with the flag that named it.
type namedPath struct {
	flag, path string
	role       string // how a clash names it: "the input", "the output"
}

// checkPaths refuses, before any call, settings under which a run would
// destroy a file it needs: a file written that is the input, the --state
// journal or another file written; -o naming a folder; a file written into
// a folder that does not exist. The run would otherwise fail, or overwrite,
// only at its end, after every call was made.
func checkPaths(c *validateConfig) error {
	reads := readPaths(c.files, c.state)
	var writes []namedPath
	add := func(flag, path, role string) {
		if path != "" && path != "-" {
			writes = append(writes, namedPath{flag, path, role})
		}
	}
	add("-o", c.output, "the output")
	add("--changes", c.changes, "the changes file")
	add("--summary", c.summary, "the summary")
	for _, r := range c.reports {
		add("--report", r, "the report")
	}
	add("--metrics-file", c.metricsFile, "the metrics file")
	if c.split != "" {
		// The files' format is not known before the input is opened: every
		// format's file counts.
		for _, f := range input.Writable {
			for _, v := range verdict.All {
				add("--split", output.SplitPath(c.split, f, v), "the "+v.String()+" file")
			}
		}
	}

	if c.output != "-" {
		if st, err := os.Stat(c.output); err == nil && st.IsDir() {
			return usageError("-o %s is a folder; name a file in it", c.output)
		}
	}
	return checkWrites(reads, writes, c.split)
}

// readPaths are the files a run reads: its inputs and the journal.
func readPaths(files []string, state string) []namedPath {
	var reads []namedPath
	for _, f := range files {
		if f != "-" {
			reads = append(reads, namedPath{"", f, "the input"})
		}
	}
	if state != "" {
		reads = append(reads, namedPath{"--state", state, "the journal"})
	}
	return reads
}

// checkWrites refuses a file written that is one read or another written,
// and one in a folder that does not exist (but split, which --split
// creates).
func checkWrites(reads, writes []namedPath, split string) error {
	for i, w := range writes {
		for _, r := range reads {
			if samePath(w.path, r.path) {
				return clash(w, r)
			}
		}
		for _, o := range writes[:i] {
			if samePath(w.path, o.path) {
				return clash(w, o)
			}
		}
	}
	for _, w := range writes {
		dir := filepath.Dir(w.path)
		if split != "" && filepath.Clean(dir) == filepath.Clean(split) {
			continue // --split creates its folder
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usageError("%s %s: no folder %s", w.flag, w.path, dir)
		}
	}
	return nil
}

// clash is the error for w naming the same file as other, naming each path
// once: `--summary out.csv is also the output (-o)`, or, spelt differently,
// `--summary ./out.csv is also the output (-o out.csv)`.
func clash(w, other namedPath) error {
	if w.flag == "--split" && other.flag != "" && other.flag != "--state" {
		w, other = other, w // name first the file the user named
	}
	var paren []string
	if other.flag != "" {
		paren = append(paren, other.flag)
	}
	if w.path != other.path {
		paren = append(paren, other.path)
	}
	role := other.role
	if len(paren) > 0 {
		role += " (" + strings.Join(paren, " ") + ")"
	}
	return usageError("%s %s is also %s", w.flag, w.path, role)
}

// samePath reports whether a and b name the same file that a run would
// harm by writing: the same existing file (hard links and symbolic links
// included), or, when neither exists yet, the same absolute path. Devices
// and pipes (/dev/null, /dev/stdout) may be named twice.
func samePath(a, b string) bool {
	sa, ea := os.Stat(a)
	sb, eb := os.Stat(b)
	switch {
	case ea == nil && eb == nil:
		return os.SameFile(sa, sb) && sa.Mode().IsRegular()
	case ea == nil || eb == nil:
		return false
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}
