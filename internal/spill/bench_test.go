package spill

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var (
	entries = flag.Float64("entries", 1e6, "ids BenchmarkSpill adds")
	share   = flag.Int("share", 8<<20, "bytes of memory the spilled table may hold")
)

// BenchmarkSpill adds -entries distinct 12-byte ids to an id table with
// an 8-byte value, then looks each up again in random order, once held in
// memory and once in a table that may hold -share bytes (default 8 MiB)
// and spills the rest:
//
//	go test -run='^$' -bench='^BenchmarkSpill$' -benchtime=1x ./internal/spill
//	go test -run='^$' -bench='^BenchmarkSpill$' -benchtime=1x ./internal/spill -args -entries=1e7
//
// ns/add is the time of one new id, ns/seen of one lookup of an id that is
// there; spilled/memory is the ratio of the spilled table's total time to
// the in-memory one's, in this run.
func BenchmarkSpill(b *testing.B) {
	n := int(*entries)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("CUST-%07d", i)
	}
	probes := make([]string, n)
	for i, k := range rand.Perm(n) {
		probes[i] = strings.Clone(ids[k])
	}
	run := func(b *testing.B, s *Store, share int) time.Duration {
		var add, look time.Duration
		for b.Loop() {
			tab := NewByID[[2]uint32](Memory{s, share})
			start := time.Now()
			for i, id := range ids {
				tab.Add(id, [2]uint32{uint32(i), 0})
			}
			add += time.Since(start)
			start = time.Now()
			for _, id := range probes {
				if _, added := tab.Add(id, [2]uint32{}); added {
					b.Fatal("an id looked new")
				}
			}
			look += time.Since(start)
		}
		b.ReportMetric(float64(add.Nanoseconds())/float64(n*b.N), "ns/add")
		b.ReportMetric(float64(look.Nanoseconds())/float64(n*b.N), "ns/seen")
		b.ReportMetric(0, "ns/op")
		return add + look
	}
	var inMemory time.Duration
	b.Run("memory", func(b *testing.B) { inMemory = run(b, nil, 0) })
	b.Run("spilled", func(b *testing.B) {
		s := NewStore(Config{Parent: b.TempDir(), Cache: 16 << 20})
		defer s.Close()
		spilled := run(b, s, *share)
		b.ReportMetric(float64(spilled)/float64(inMemory), "spilled/memory")
	})
}
