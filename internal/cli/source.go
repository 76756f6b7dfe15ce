package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/azotte/azvalidate/internal/console"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/survey"
	"github.com/azotte/azvalidate/internal/verdict"
)

// openInputs opens a run's inputs (see input.Files); stdin must not be a
// terminal when one of them is "-".
func openInputs(names []string, stdin io.Reader, cfg input.Config) (*input.Files, error) {
	if slices.Contains(names, "-") && console.IsTerminal(stdin) {
		return nil, errors.New("no input: give a FILE, or pipe an export to stdin")
	}
	return input.OpenFiles(names, stdin, cfg)
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

// countPerFile counts, with several inputs, each one's rows and verdicts,
// then calls next (nil: nothing). The writer calls it, one row at a time;
// the summary reads the counts once the pipeline is done.
func (v *validation) countPerFile(next func(*output.Record)) func(*output.Record) {
	v.counts = make([]survey.Counts, v.in.Len())
	return func(r *output.Record) {
		if f := r.Row.File; f >= 0 && f < len(v.counts) {
			v.counts[f].Rows++
			v.counts[f].Verdicts[r.Verdict]++
		}
		if next != nil {
			next(r)
		}
	}
}

// fileInfos are the summary's files: nil for one input, whose summary is as
// it always was. Verdicts has the kinds counted. A file's sha256 is set when it was read whole (whole is
// false when the run stopped short).
func fileInfos(in *input.Files, counts []survey.Counts, whole bool, kinds []verdict.Verdict) []report.FileInfo {
	if in.Len() < 2 {
		return nil
	}
	files := make([]report.FileInfo, in.Len())
	for i := range files {
		f := in.File(i)
		fi := report.FileInfo{Name: f.Name, Format: in.Reader(i).Format().String(), Bytes: f.BytesRead(), Verdicts: map[string]int64{}}
		if f.Size() >= 0 {
			fi.Bytes = f.Size()
		}
		if whole {
			fi.SHA256 = f.SHA256()
		}
		if i < len(counts) {
			fi.Rows = counts[i].Rows
			for _, vd := range kinds {
				fi.Verdicts[vd.String()] = counts[i].Verdicts[vd]
			}
		}
		files[i] = fi
	}
	return files
}
