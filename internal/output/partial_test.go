package output

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/azotte/azvalidate/internal/fulldisk"
	"github.com/azotte/azvalidate/internal/input"
)

// parquetRows is every row of a Parquet file, in order, and the rows of
// each of its row groups.
func parquetRows(t *testing.T, data []byte) (all []parquet.Row, groups []int64) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a Parquet file the library reads: %v", err)
	}
	buf := make([]parquet.Row, 64)
	for _, rg := range f.RowGroups() {
		groups = append(groups, rg.NumRows())
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, r := range buf[:n] {
				all = append(all, r.Clone())
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("reading row %d: %v", len(all)+1, err)
			}
		}
		rows.Close()
	}
	if int64(len(all)) != f.NumRows() {
		t.Fatalf("read %d rows, the footer says %d", len(all), f.NumRows())
	}
	return all, groups
}

// On a full disk, a Parquet FILE.partial is a file the library reads,
// holding the row groups written whole before the failed one: End cuts the
// broken group off and writes a footer in the space that frees, the limit
// still in force (when the footer itself breaks off, the row groups are all
// whole, and cutting off the page index makes room). When even the footer
// does not fit, End says so and nothing is kept. Like TestFileFullDiskKeepsWholeRows, this test runs
// alone (the file size limit is the process's).
func TestParquetFullDiskKeepsWholeRowGroups(t *testing.T) {
	opt := Options{Format: input.Parquet, InputFormat: input.CSV, Header: []string{"externalId", "note"}}
	recs := rows(3*parquetGroupRows + 1000)
	for i, r := range recs { // notes that do not compress to nothing: row groups far larger than a footer
		r.Row.Fields[1] = fmt.Sprintf("%x", sha256.Sum256([]byte(r.Row.ID)))[:20+i%37]
	}
	whole := writeEnded(t, opt, nil, recs...)
	wantRows, wantGroups := parquetRows(t, whole)
	f, err := parquet.OpenFile(bytes.NewReader(whole), int64(len(whole)))
	if err != nil {
		t.Fatal(err)
	}
	starts := []int64{}
	for _, rg := range f.Metadata().RowGroups {
		starts = append(starts, rg.FileOffset)
	}
	if len(starts) != 4 {
		t.Fatalf("the whole file has %d row groups, want 4", len(starts))
	}
	gzSize := func() uint64 { // the whole output's size as a .gz File
		path := filepath.Join(t.TempDir(), "whole.parquet.gz")
		if err := WriteFile(path, func(w io.Writer) error { _, err := w.Write(whole); return err }); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return uint64(st.Size())
	}()
	setLimit, lift := fulldisk.Limit(t)
	for _, tc := range []struct {
		name   string
		full   uint64 // the file size limit
		groups int    // whole row groups kept; 0: no partial
	}{
		{"out.parquet", uint64(starts[2]+starts[3]) / 2, 2}, // mid third group
		{"out.parquet.gz", gzSize / 2, -1},                  // -1: some, not all
		{"no room for the footer", uint64(starts[2]) + 16, 0},
		// The footer breaks off: cutting off the page index makes room.
		{"footer breaks off", uint64(len(whole)) - 10, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := tc.name
			if !strings.HasPrefix(name, "out.") {
				name = "out.parquet"
			}
			path := filepath.Join(t.TempDir(), name)
			file, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			setLimit(tc.full)
			defer lift()
			w, err := New(file, opt)
			if err != nil {
				t.Fatal(err)
			}
			var werr error
			for _, r := range recs {
				if werr = w.Write(r); werr != nil {
					break
				}
			}
			if werr == nil {
				werr = w.Flush()
			}
			endErr := End(w, nil) // under the limit still: the cut makes the room
			lift()
			if !errors.Is(file.Err(), syscall.EFBIG) || werr != nil && !errors.Is(werr, syscall.EFBIG) {
				t.Fatalf("write error %v (the file's %v), want EFBIG (the limit was never reached?)", werr, file.Err())
			}
			stored := w.(interface{ Stored() int64 }).Stored()
			if tc.groups == 0 {
				if endErr == nil || !strings.Contains(endErr.Error(), "last whole row group") {
					t.Fatalf("End = %v, want the footer's write error", endErr)
				}
				if err := file.Abandon(false); err != nil {
					t.Fatal(err)
				}
				if got := names(t, filepath.Dir(path)); len(got) != 0 {
					t.Errorf("folder holds %q, want nothing", got)
				}
				return
			}
			if endErr != nil {
				t.Fatalf("End after the failed write: %v", endErr)
			}
			if err := file.Abandon(true); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path + ".partial")
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(name, ".gz") {
				zr, err := gzip.NewReader(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				if data, err = io.ReadAll(zr); err != nil {
					t.Fatalf("the partial gzip stream is not complete: %v", err)
				}
			}
			got, groups := parquetRows(t, data)
			if int64(len(got)) != stored {
				t.Errorf("the partial holds %d rows, Stored() says %d", len(got), stored)
			}
			if tc.groups > 0 && len(groups) != tc.groups || len(groups) == 0 || tc.groups < 0 && len(got) >= len(recs) {
				t.Fatalf("the partial holds %d rows in row groups %v; want %d whole row groups", len(got), groups, tc.groups)
			}
			if !slices.Equal(groups, wantGroups[:len(groups)]) {
				t.Errorf("the partial's row groups hold %v rows, the whole file's %v", groups, wantGroups)
			}
			for i := range got {
				if !got[i].Equal(wantRows[i]) {
					t.Fatalf("row %d of the partial is %v, want %v", i+1, got[i], wantRows[i])
				}
			}
		})
	}
}
