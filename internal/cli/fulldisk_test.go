package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/azotte/azvalidate/internal/fulldisk"
	"github.com/azotte/azvalidate/internal/sandbox"
)

// TestFullDiskKeepsTheRowsDone: a run whose output's disk fills up (the
// process's file size limit stands for it) stops with exit 2 and keeps in
// FILE.partial a prefix of the rows of a run that finished, as many as the
// summary's rows, and says so: for CSV whole rows, for Parquet whole row
// groups, in a file parquet-go reads (all of them when the footer broke
// off). Without room for the Parquet footer it says that nothing is kept,
// and the summary's rows are the rows decided. The limit is the process's,
// so this test runs alone (not in parallel), against the sandbox over
// loopback.
func TestFullDiskKeepsTheRowsDone(t *testing.T) {
	const n = 3*16384 + 1000 // Parquet: three full row groups and a short one
	text, _, taken := genCSV(n, 2000)
	in := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(in, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEndpoint(t, sandbox.Config{Taken: taken})
	setLimit, lift := fulldisk.Limit(t)
	wholes := map[string][]byte{} // by extension: the output of a run with room
	midThird := func(whole []byte) uint64 {
		groups := openParquetBytes(t, whole).Metadata().RowGroups
		return uint64(groups[2].FileOffset + groups[2].TotalCompressedSize/2)
	}
	for _, tc := range []struct {
		name, ext string
		full      func(whole []byte) uint64                       // the file size limit
		prefix    func(t *testing.T, whole, partial []byte) int64 // checks the partial, returns its rows; nil: none kept
		all       bool                                            // the partial holds every row
	}{
		{"csv", "csv", func(whole []byte) uint64 { return uint64(len(whole)/2 + 333) }, csvPrefix, false},
		{"parquet", "parquet", midThird, parquetPrefix, false},
		// The third group breaks off 16 bytes in: no room for a footer.
		{"parquet without room", "parquet", func(whole []byte) uint64 {
			return uint64(openParquetBytes(t, whole).Metadata().RowGroups[2].FileOffset + 16)
		}, nil, false},
		// Every row group is written, the footer breaks off: the cut frees
		// the page index, room for a footer without it.
		{"parquet footer", "parquet", func(whole []byte) uint64 { return uint64(len(whole) - 10) }, parquetPrefix, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			want := wholes[tc.ext]
			if want == nil {
				whole := filepath.Join(dir, "whole."+tc.ext)
				if res := run(t, "", e.args("--rate", "0", "-o", whole, in)...); res.code != 1 {
					t.Fatalf("a run with room: exit %d\n%s", res.code, res.stderr)
				}
				want = must(t, whole)
				wholes[tc.ext] = want
			}
			out, sum := filepath.Join(dir, "out."+tc.ext), filepath.Join(dir, "summary.json")
			setLimit(tc.full(want))
			res := run(t, "", e.args("--rate", "0", "--summary", sum, "-o", out, in)...)
			lift()
			var s struct {
				Rows     int64 `json:"rows"`
				ExitCode int   `json:"exit_code"`
			}
			readJSON(t, sum, &s)
			if res.code != 2 || s.ExitCode != 2 {
				t.Fatalf("exit %d, summary's %d, want 2\n%s", res.code, s.ExitCode, res.stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s exists after a run whose disk filled up (%v)", out, err)
			}
			said := "the rows done, in order, are in " + out + ".partial"
			if tc.prefix == nil {
				said = "end it on its last whole row group: file too large; the rows done are not kept"
			}
			for _, w := range []string{"file too large", said} {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
				}
			}
			if tc.prefix == nil {
				if _, err := os.Stat(out + ".partial"); !os.IsNotExist(err) {
					t.Errorf("%s.partial exists (%v)", out, err)
				}
				if s.Rows < 3*16384 {
					t.Errorf("summary: %d rows, want the rows decided (at least the third group's 49152), none being kept", s.Rows)
				}
				return
			}
			rows := tc.prefix(t, want, must(t, out+".partial"))
			if tc.all && rows != n || !tc.all && (rows < 1 || rows >= n) {
				t.Errorf("%s.partial holds %d rows of %d", out, rows, n)
			}
			if s.Rows != rows {
				t.Errorf("summary: %d rows, want %d (what the partial holds)", s.Rows, rows)
			}
		})
	}
}

// csvPrefix checks that partial is whole rows, a prefix of whole, and
// returns its rows.
func csvPrefix(t *testing.T, whole, partial []byte) int64 {
	t.Helper()
	if len(partial) == 0 || !bytes.HasPrefix(whole, partial) || partial[len(partial)-1] != '\n' {
		t.Fatalf("the partial (%d bytes) is not a prefix of whole rows of the full output (%d bytes)", len(partial), len(whole))
	}
	return int64(bytes.Count(partial, []byte("\n")) - 1)
}

// parquetPrefix checks that partial is a Parquet file of the first row
// groups of whole, each whole, and returns its rows.
func parquetPrefix(t *testing.T, whole, partial []byte) int64 {
	t.Helper()
	f, wf := openParquetBytes(t, partial), openParquetBytes(t, whole)
	for i, rg := range f.RowGroups() {
		if i >= len(wf.RowGroups()) || rg.NumRows() != wf.RowGroups()[i].NumRows() {
			t.Fatalf("row group %d of the partial holds %d rows, not as many as the full output's", i+1, rg.NumRows())
		}
	}
	got, want := readParquetRows(f), readParquetRows(wf)
	if int64(len(got)) != f.NumRows() || len(got) > len(want) {
		t.Fatalf("the partial holds %d rows (its footer says %d), the full output %d", len(got), f.NumRows(), len(want))
	}
	for i := range got {
		if !got[i].Equal(want[i]) {
			t.Fatalf("row %d of the partial is %v, want %v", i+1, got[i], want[i])
		}
	}
	return int64(len(got))
}

func openParquetBytes(t *testing.T, data []byte) *parquet.File {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a Parquet file the library reads: %v", err)
	}
	return f
}
