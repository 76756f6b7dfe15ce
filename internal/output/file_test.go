package output

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/fulldisk"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/verdict"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	return n
}

func TestFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		finish func(*File) error
		want   []string // the folder's entries afterwards
	}{
		{"commit", (*File).Commit, []string{"out.csv"}},
		{"abandon keeping partial", func(f *File) error { return f.Abandon(true) }, []string{"out.csv.partial"}},
		{"abandon", func(f *File) error { return f.Abandon(false) }, nil},
		{"abandon after commit is a no-op", func(f *File) error {
			if err := f.Commit(); err != nil {
				return err
			}
			return f.Abandon(false)
		}, []string{"out.csv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "out.csv")
			f, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte("a,b\n")); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("%s exists before Commit (err %v)", path, err)
			}
			if err := tc.finish(f); err != nil {
				t.Fatal(err)
			}
			got := names(t, dir)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("folder holds %q, want %q", got, tc.want)
			}
			for _, n := range got {
				b, err := os.ReadFile(filepath.Join(dir, n))
				if err != nil || string(b) != "a,b\n" {
					t.Errorf("%s = %q, %v", n, b, err)
				}
				if fi, _ := os.Stat(filepath.Join(dir, n)); fi.Mode().Perm() != umasked(t) {
					t.Errorf("%s mode %v, want %v (0666 less the umask)", n, fi.Mode().Perm(), umasked(t))
				}
			}
		})
	}
}

// umasked is the mode a file created 0666 gets: 0666 less the umask, read
// without setting it (which would change it for parallel tests).
func umasked(t *testing.T) os.FileMode {
	t.Helper()
	p := filepath.Join(t.TempDir(), "probe")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// rows makes n CSV records, each with a long note so that they fill
// several write buffers.
func rows(n int) []*Record {
	recs := make([]*Record, n)
	for i := range recs {
		id := fmt.Sprintf("id-%06d", i+1)
		recs[i] = &Record{
			Row:     input.Row{Seq: int64(i + 1), ID: id, Fields: []string{id, strings.Repeat("note ", 20+i%37)}},
			Verdict: verdict.Available, Answered: true, IsAvailable: true, MessageCode: "SUCCESS",
		}
	}
	return recs
}

// On a full disk, FILE.partial ends on a row boundary: whole rows, in order,
// as many as the Writer says it stored; for gzip, a complete stream. The
// file size limit stands for the full disk, so this test runs alone.
func TestFileFullDiskKeepsWholeRows(t *testing.T) {
	opt := Options{InputFormat: input.CSV, Header: []string{"externalId", "note"}}
	recs := rows(5000)
	whole := write(t, opt, recs...)
	setLimit, lift := fulldisk.Limit(t)
	for _, name := range []string{"out.csv", "out.csv.gz"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			f, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			full := uint64(150_000 + 333) // mid-row, mid-buffer (compressed: after some buffers)
			if name == "out.csv.gz" {
				full = 20_000 + 333
			}
			setLimit(full)
			w, err := New(f, opt)
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
			if !errors.Is(werr, syscall.EFBIG) {
				t.Fatalf("write error %v, want EFBIG (the limit was never reached: raise the rows)", werr)
			}
			if f.Err() == nil {
				t.Error("File.Err is nil after a failed write")
			}
			lift() // the space a full disk frees when the tail is cut
			if err := f.Abandon(true); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path + ".partial")
			if err != nil {
				t.Fatal(err)
			}
			if name == "out.csv.gz" {
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				if b, err = io.ReadAll(zr); err != nil {
					t.Fatalf("the partial gzip stream is not complete: %v", err)
				}
			}
			got := string(b)
			stored := w.(interface{ Stored() int64 }).Stored()
			if stored == 0 || stored >= int64(len(recs)) {
				t.Fatalf("Stored() = %d, want some rows but not all", stored)
			}
			if !strings.HasPrefix(whole, got) || !strings.HasSuffix(got, "\n") {
				t.Fatalf("partial (%d bytes) is not a row-aligned prefix of the whole output; it ends %q", len(got), got[max(len(got)-40, 0):])
			}
			if lines := int64(strings.Count(got, "\n")) - 1; lines != stored {
				t.Errorf("partial holds %d rows, Stored() says %d", lines, stored)
			}
		})
	}
}

// A side file that cannot be written takes the earlier one with it: no
// stale summary stands in for this run's.
func TestWriteFileFailureRemovesStale(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "run.json")
	if err := os.WriteFile(path, []byte(`{"exit_code":0}`), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFile(path, func(w io.Writer) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("WriteFile = %v, want boom", err)
	}
	if _, serr := os.Stat(path); !os.IsNotExist(serr) {
		t.Errorf("the earlier %s is still there (err %v)", path, serr)
	}
	if got := names(t, filepath.Dir(path)); len(got) != 0 {
		t.Errorf("folder holds %q, want nothing", got)
	}
	if err := WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "{}\n"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "{}\n" {
		t.Errorf("%s = %q", path, b)
	}
}

// A .gz path is written gzip-compressed, committed complete.
func TestFileGzip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.csv.gz")
	if err := WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "a,b\n1,2\n"); return err }); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || string(got) != "a,b\n1,2\n" {
		t.Errorf("decompressed %q, %v", got, err)
	}
}

func TestCreateMissingFolder(t *testing.T) {
	t.Parallel()
	if _, err := Create(filepath.Join(t.TempDir(), "no", "such", "out.csv")); err == nil {
		t.Fatal("Create in a missing folder succeeded")
	}
}

// A device or a named pipe is written directly: renaming a temporary file
// over /dev/null would replace the device.
func TestCreateWritesNonRegularFilesDirectly(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(fifo) // blocks until the writer opens the pipe
		got <- b
	}()
	f, err := Create(fifo)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("row\n"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "row\n" {
		t.Errorf("the pipe's reader got %q", b)
	}
	if st, err := os.Stat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("%s is no longer a named pipe", fifo)
	}
}

// BenchmarkFileGzip writes the same rows to a plain and to a .gz File and
// reports the gzip file's cost in time and its size, each relative to the
// plain file's in the same run.
func BenchmarkFileGzip(b *testing.B) {
	opt := Options{InputFormat: input.CSV, Header: []string{"externalId", "name", "email", "city"}}
	recs := benchRecords(input.CSV)
	const n = 100_000
	dir := b.TempDir()
	writeFile := func(name string) (time.Duration, int64) {
		start := time.Now()
		path := filepath.Join(dir, name)
		f, err := Create(path)
		if err != nil {
			b.Fatal(err)
		}
		w, err := New(f, opt)
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if err := w.Write(recs[i%len(recs)]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := f.Commit(); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		return d, st.Size()
	}
	var plainT, gzT time.Duration
	var plainB, gzB int64
	for b.Loop() {
		d, s := writeFile("out.csv")
		plainT, plainB = plainT+d, s
		d, s = writeFile("out.csv.gz")
		gzT, gzB = gzT+d, s
	}
	b.ReportMetric(float64(gzT)/float64(plainT), "gz/plain-time")
	b.ReportMetric(float64(gzB)/float64(plainB), "gz/plain-bytes")
	b.ReportMetric(float64(n)*float64(b.N)/plainT.Seconds(), "plain-rows/s")
}
