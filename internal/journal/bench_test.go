package journal

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppend measures appends per second with one writer and with many
// (group commit), each Append waiting for its write(2).
func BenchmarkAppend(b *testing.B) {
	for _, bm := range []struct {
		name    string
		writers int // goroutines per GOMAXPROCS; 0: one goroutine
	}{{"serial", 0}, {"parallel", 4}, {"parallel-x16", 16}} {
		b.Run(bm.name, func(b *testing.B) {
			j := mustOpen(b, statePath(b), 0, t0)
			defer mustClose(b, j)
			var n atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			if bm.writers == 0 {
				for i := 0; b.Loop(); i++ {
					mustAppend(b, j, "crm-"+strconv.Itoa(i), free)
				}
			} else {
				b.SetParallelism(bm.writers)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := j.Append("crm-"+strconv.FormatInt(n.Add(1), 10), free); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
			j.w.mu.Lock()
			b.ReportMetric(float64(b.N)/float64(j.w.writes), "lines/write")
			j.w.mu.Unlock()
		})
	}
}

// BenchmarkOpen reads a journal of 10^6 answers (ids like those of a CRM
// export, a few distinct answers) and reports the heap it keeps per entry.
func BenchmarkOpen(b *testing.B) {
	const entries = 1_000_000
	path := statePath(b)
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.Write(encodeBinding(ep1))
	var line []byte
	for i := range entries {
		e := free
		if i%7 == 0 {
			e = taken
		}
		e = at(e, i%86400)
		line, _, _ = encodeLine(line[:0], "crm-"+strconv.Itoa(10_000_000+i), e)
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(path)

	var before, after runtime.MemStats
	var kept uint64
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()

		j := mustOpen(b, path, 0, t0)

		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		kept = after.HeapAlloc - before.HeapAlloc
		if j.Len() != entries {
			b.Fatalf("Len = %d, want %d", j.Len(), entries)
		}
		mustClose(b, j) // after ReadMemStats: j is alive until here
		b.StartTimer()
	}
	b.ReportMetric(float64(kept)/entries, "bytes/entry")
	b.ReportMetric(float64(fi.Size())/entries, "file-bytes/entry")
	b.ReportMetric(float64(entries)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkCompact compacts a journal of 10^7 lines for 10^6 ids (ten
// nights of one export) and reads the same file, and reports compacting ÷
// reading: a compaction is one read plus one sequential write.
func BenchmarkCompact(b *testing.B) {
	const ids, rounds = 1_000_000, 10
	dir := b.TempDir()
	master := filepath.Join(dir, "master.state")
	f, err := os.Create(master)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.Write(encodeBinding(ep1))
	var line []byte
	for r := range rounds {
		for i := range ids {
			e := free
			if (i+r)%7 == 0 {
				e = taken
			}
			e = at(e, r*86400+i%86400)
			line, _, _ = encodeLine(line[:0], "crm-"+strconv.Itoa(10_000_000+i), e)
			w.Write(line)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}

	var read, compact time.Duration
	path := filepath.Join(dir, "state")
	for b.Loop() {
		start := time.Now()
		j, err := Read(master, 0, t0)
		if err != nil {
			b.Fatal(err)
		}
		read += time.Since(start)
		if j.Len() != ids {
			b.Fatalf("Len = %d, want %d", j.Len(), ids)
		}
		j.Close()

		// A second name for the file: the rename replaces the name, not
		// the file, so the next round reads the long journal again.
		os.Remove(path)
		if err := os.Link(master, path); err != nil {
			b.Fatal(err)
		}
		runtime.GC() // the reading's garbage is not the compaction's
		start = time.Now()
		before, after, err := Compact(path)
		compact += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if before.Lines != ids*rounds+1 || after.Lines != ids+1 {
			b.Fatalf("Compact: %d -> %d lines, want %d -> %d", before.Lines, after.Lines, ids*rounds+1, ids+1)
		}
	}
	b.ReportMetric(compact.Seconds()/read.Seconds(), "compact/read")
	b.ReportMetric(float64(ids*rounds)*float64(b.N)/compact.Seconds(), "compacted-lines/s")
}
