package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/verdict"
)

// splitRecords is a run's rows: every verdict but error, awkward cells, and
// one row that could not be parsed.
func splitRecords(ndjsonInput bool) []*Record {
	cells := []string{"plain", "with,comma", "tab\there", `a "quoted" word`, "line\nbreak", "ünïcødé", ""}
	verdicts := []verdict.Verdict{verdict.Available, verdict.Taken, verdict.Available, verdict.Duplicate, verdict.Available, verdict.Taken}
	var recs []*Record
	for i := range 60 {
		seq := int64(i + 1)
		id := fmt.Sprintf("C%03d", i%50)
		v := verdicts[i%len(verdicts)]
		r := &Record{Row: input.Row{Seq: seq, ID: id}, Verdict: v, Answered: true, IsAvailable: v == verdict.Available,
			MessageCode: "SUCCESS", Status: json.RawMessage(`{"messageCode":"SUCCESS"}`)}
		if v == verdict.Duplicate {
			r.DuplicateOf = seq - 3
		}
		note := cells[i%len(cells)]
		if ndjsonInput {
			b, _ := json.Marshal(map[string]string{"externalId": id, "note": note})
			r.Row.Raw = b
		} else {
			r.Row.Fields = []string{id, note}
		}
		if i == 17 {
			r = &Record{Row: input.Row{Seq: seq, Invalid: "text after a closing quote", Raw: []byte(`"C9"x,y`)}, Verdict: verdict.Invalid}
		}
		recs = append(recs, r)
	}
	return recs
}

// outputRows splits an output into its header (nil for NDJSON) and its rows
// as text, with the verdict of each.
func outputRows(t *testing.T, out string, f input.Format) (header string, rows []string, verdicts []string) {
	t.Helper()
	if f == input.NDJSON {
		for _, l := range strings.SplitAfter(out, "\n") {
			if l == "" {
				continue
			}
			var obj struct{ Verdict string }
			if err := json.Unmarshal([]byte(l), &obj); err != nil {
				t.Fatalf("NDJSON line %q: %v", l, err)
			}
			rows, verdicts = append(rows, l), append(verdicts, obj.Verdict)
		}
		return "", rows, verdicts
	}
	comma := ','
	if f == input.TSV {
		comma = '\t'
	}
	recs := readCSV(t, out, comma)
	col := slices.Index(recs[0], "verdict")
	if col < 0 {
		t.Fatalf("no verdict column in %q", recs[0])
	}
	for _, r := range recs[1:] {
		rows, verdicts = append(rows, strings.Join(r, "\x00")), append(verdicts, r[col])
	}
	return strings.Join(recs[0], "\x00"), rows, verdicts
}

func TestSplit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opt    Options
		ndjson bool // NDJSON input
	}{
		{"csv", Options{InputFormat: input.CSV, Header: []string{"externalId", "note"}}, false},
		{"csv to tsv", Options{Format: input.TSV, InputFormat: input.CSV, Header: []string{"externalId", "note"}}, false},
		{"csv to ndjson", Options{Format: input.NDJSON, InputFormat: input.CSV, Header: []string{"externalId", "note"}}, false},
		{"ndjson", Options{InputFormat: input.NDJSON}, true},
		{"ndjson to csv", Options{Format: input.CSV, InputFormat: input.NDJSON}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "by-verdict") // created by NewSplit
			format := tc.opt.Format
			if format == input.Unknown {
				format = tc.opt.InputFormat
			}
			// A file an earlier run left for a verdict this run has no row of.
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			stale := SplitPath(dir, format, verdict.Error)
			if err := os.WriteFile(stale, []byte("old\n"), 0o644); err != nil {
				t.Fatal(err)
			}

			var main bytes.Buffer
			w, err := New(&main, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			split, err := NewSplit(dir, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			sink := Tee(w, split)
			for _, r := range splitRecords(tc.ndjson) {
				if err := sink.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := sink.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := split.Commit(); err != nil {
				t.Fatal(err)
			}

			header, rows, verdicts := outputRows(t, main.String(), format)
			byVerdict := map[string][]string{}
			for i, v := range verdicts {
				byVerdict[v] = append(byVerdict[v], rows[i])
			}
			var total int
			for _, v := range verdict.All {
				path := SplitPath(dir, format, v)
				b, err := os.ReadFile(path)
				want := byVerdict[v.String()]
				if len(want) == 0 {
					if !errors.Is(err, os.ErrNotExist) {
						t.Errorf("%s exists, but no row is %s", filepath.Base(path), v)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s rows but no file: %v", v, err)
				}
				h, got, gotVerdicts := outputRows(t, string(b), format)
				if h != header {
					t.Errorf("%s header %q, want the main output's %q", filepath.Base(path), h, header)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s holds %d rows, want the main output's %d %s rows in order:\ngot  %q\nwant %q",
						filepath.Base(path), len(got), len(want), v, got, want)
				}
				for _, gv := range gotVerdicts {
					if gv != v.String() {
						t.Errorf("%s holds a %s row", filepath.Base(path), gv)
					}
				}
				total += len(got)
			}
			if total != len(rows) || len(rows) != len(splitRecords(tc.ndjson)) {
				t.Errorf("split files hold %d rows, the main output %d, the input %d", total, len(rows), len(splitRecords(tc.ndjson)))
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file %s left", e.Name())
				}
			}
		})
	}
}

func TestSplitAbandon(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		keep bool
		want []string
	}{
		{"keep partial", true, []string{"available.csv.partial", "taken.csv.partial"}},
		{"remove", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			opt := Options{InputFormat: input.CSV, Header: []string{"externalId"}}
			split, err := NewSplit(dir, opt)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range []verdict.Verdict{verdict.Available, verdict.Taken, verdict.Available} {
				r := &Record{Row: input.Row{Seq: int64(i + 1), ID: "x", Fields: []string{"x"}}, Verdict: v}
				if err := split.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := split.Abandon(tc.keep); err != nil {
				t.Fatal(err)
			}
			if got := names(t, dir); !slices.Equal(got, tc.want) {
				t.Errorf("folder holds %q, want %q", got, tc.want)
			}
			if tc.keep {
				b, _ := os.ReadFile(filepath.Join(dir, "available.csv.partial"))
				if n := strings.Count(string(b), "\n"); n != 3 {
					t.Errorf("available.csv.partial has %d lines, want the header and 2 rows:\n%s", n, b)
				}
			}
		})
	}
}

func TestSplitClash(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "split")
	_, err := NewSplit(dir, Options{InputFormat: input.CSV, Header: []string{"externalId", "Verdict"}})
	var clash *ClashError
	if !errors.As(err, &clash) {
		t.Errorf("NewSplit with a clashing column: %v, want a ClashError", err)
	}
	if _, serr := os.Stat(dir); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("NewSplit created %s although it failed", dir)
	}
}
