package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/azotte/azvalidate/internal/memtest"
)

var (
	formatRows     = flag.Int("formats.rows", 1_000_000, "BenchmarkFormats: rows of the export")
	formatDistinct = flag.Int("formats.distinct", 1_000, "BenchmarkFormats: distinct ids among them (each one call to the embedded sandbox)")
	formatDir      = flag.String("formats.dir", "", "BenchmarkFormats: keep the exports (export.csv, export.parquet) in this folder, e.g. to time the binary on them")
)

// BenchmarkFormats runs validate in-process against the embedded sandbox
// (no rate limit) over one export, -formats.rows rows with
// -formats.distinct distinct ids, in each pair of input and output
// formats, and reports rows/s and the peak Go heap of the whole run.
// Few distinct ids keep the calls out of the way: what is measured is
// reading and writing.
func BenchmarkFormats(b *testing.B) {
	dir := *formatDir
	if dir == "" {
		dir = b.TempDir()
	}
	csvIn, pqIn := filepath.Join(dir, "export.csv"), filepath.Join(dir, "export.parquet")
	if _, err := os.Stat(pqIn); err != nil {
		writeBigExport(b, csvIn, pqIn, *formatRows, *formatDistinct)
	}
	for _, tc := range []struct{ name, in, out string }{
		{"csv-csv", csvIn, "out.csv"},
		{"parquet-csv", pqIn, "out.csv"},
		{"parquet-parquet", pqIn, "out.parquet"},
		{"csv-parquet", csvIn, "out.parquet"},
		{"csv-xlsx", csvIn, "out.xlsx"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			out := filepath.Join(b.TempDir(), tc.out)
			var peak uint64
			for b.Loop() {
				runtime.GC()
				base := memtest.InUse()
				stop := memtest.SamplePeak(5 * time.Millisecond)
				var stderr bytes.Buffer
				code := Run(context.Background(), []string{"validate", "--sandbox", "--rate", "0", "--quiet", "-o", out, tc.in},
					testEnv(strings.NewReader(""), &bytes.Buffer{}, &stderr))
				p := stop()
				if code != 1 { // 1: the duplicates are findings
					b.Fatalf("exit %d\n%s", code, stderr.String())
				}
				peak = max(peak, p-min(base, p))
			}
			b.ReportMetric(float64(*formatRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// writeBigExport writes the benchmark's export as CSV and as Parquet (row
// groups of 64Ki rows, zstd): a string id, an int64, a timestamp and a
// nullable string.
func writeBigExport(b *testing.B, csvPath, pqPath string, n, distinct int) {
	cf, err := os.Create(csvPath)
	if err != nil {
		b.Fatal(err)
	}
	pf, err := os.Create(pqPath)
	if err != nil {
		b.Fatal(err)
	}
	w := parquet.NewGenericWriter[exportRow](pf, parquet.MaxRowsPerRowGroup(64<<10), parquet.Compression(&parquet.Zstd))
	var csvBuf bytes.Buffer
	csvBuf.WriteString("externalId,n,created,note\n")
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	batch := make([]exportRow, 0, 4096)
	for i := range n {
		r := exportRow{ExternalID: fmt.Sprintf("crm-%08d", i%distinct), N: int64(i), Created: base.Add(time.Duration(i) * time.Second)}
		note := ""
		if i%3 != 0 {
			note = "a note for row " + fmt.Sprint(i)
			r.Note = &note
		}
		fmt.Fprintf(&csvBuf, "%s,%d,%s,%s\n", r.ExternalID, r.N, r.Created.Format(time.RFC3339Nano), note)
		batch = append(batch, r)
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := w.Write(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
			if _, err := cf.Write(csvBuf.Bytes()); err != nil {
				b.Fatal(err)
			}
			csvBuf.Reset()
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	for _, f := range []*os.File{cf, pf} {
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
