package idtable

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/azotte/azvalidate/internal/memtest"
)

var entries = flag.Float64("entries", 1e6, "entries BenchmarkTable puts in each table")

// BenchmarkTable fills a table with -entries (default 10^6) new keys, one
// per kind its users keep, then looks every key up again in random order:
//
//   - hash: ByHash with no value (budget's and the survey's seen ids);
//   - hash-4B: ByHash with a 4-byte value (unique's first rows);
//   - hash-12B: ByHash with a 12-byte value (near's groups);
//   - id-8B: ByID with an 8-byte value and 12-byte ids (the pipeline's ids).
//
// ns/add and ns/seen are the time of one new key and one lookup of a key
// that is there; B/entry is the live heap the table holds, measured after
// a collection; B/entry-growing is what it held at its last growth, the
// old slots and the new ones (the arena included for ByID):
//
//	go test -run='^$' -bench='^BenchmarkTable$' -benchtime=1x ./internal/idtable
//	go test -run='^$' -bench='^BenchmarkTable$/hash-4B' -benchtime=1x ./internal/idtable -args -entries=1e7
func BenchmarkTable(b *testing.B) {
	n := int(*entries)
	b.Run("hash", func(b *testing.B) { benchHash[struct{}](b, n) })
	b.Run("hash-4B", func(b *testing.B) { benchHash[uint32](b, n) })
	b.Run("hash-12B", func(b *testing.B) { benchHash[[3]uint32](b, n) })
	b.Run("id-8B", func(b *testing.B) {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("CUST-%07d", i) // 12 bytes below 10^7
		}
		// Looked up as in a run: a fresh copy (hot) of an id the table
		// holds (cold), in random order.
		probes := make([]string, n)
		for i, k := range rand.Perm(n) {
			probes[i] = strings.Clone(ids[k])
		}
		var m *ByID[[2]uint32]
		measure(b, n,
			func() {
				m = NewByID[[2]uint32]()
				for i, id := range ids {
					m.Add(id, [2]uint32{uint32(i), 0})
				}
			},
			func() {
				for _, id := range probes {
					if _, added := m.Add(id, [2]uint32{}); added {
						b.Fatal("an id looked new")
					}
				}
			},
			func() (int, any) {
				arena := 0
				for _, c := range m.chunks {
					arena += cap(c)
				}
				return growing(m.t) + arena, m
			})
	})
}

func benchHash[V any](b *testing.B, n int) {
	rng := rand.New(rand.NewPCG(3, 4))
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = rng.Uint64()
	}
	probes := make([]uint64, n)
	for i, k := range rand.Perm(n) {
		probes[i] = keys[k]
	}
	var m *ByHash[V]
	var v V
	measure(b, n,
		func() {
			m = NewByHash[V]()
			for _, k := range keys {
				m.Add(k, v)
			}
		},
		func() {
			for _, k := range probes {
				if _, added := m.Add(k, v); added {
					b.Fatal("a key looked new")
				}
			}
		},
		func() (int, any) { return growing(m.t), m })
}

// measure runs fill (n new keys) and seen (n lookups) once an iteration
// and reports their figures; grown returns the growing bytes and the table,
// kept alive until the heap is measured.
func measure(b *testing.B, n int, fill, seen func(), grown func() (int, any)) {
	var add, look time.Duration
	var live, grow float64
	for b.Loop() {
		runtime.GC()
		before := memtest.Live()
		start := time.Now()
		fill()
		add += time.Since(start)
		start = time.Now()
		seen()
		look += time.Since(start)
		g, tab := grown()
		runtime.GC()
		live = float64(memtest.Live()-before) / float64(n)
		grow = float64(g) / float64(n)
		runtime.KeepAlive(tab)
	}
	ops := float64(n * b.N)
	b.ReportMetric(float64(add.Nanoseconds())/ops, "ns/add")
	b.ReportMetric(float64(look.Nanoseconds())/ops, "ns/seen")
	b.ReportMetric(live, "B/entry")
	b.ReportMetric(grow, "B/entry-growing")
	b.ReportMetric(0, "ns/op") // an iteration is both loops: not a figure of either
}

// growing is the bytes of t's slots and of the slots it had before its
// last growth, both alive while it grew.
func growing[V any](t table[V]) int {
	prev := 0
	for s := firstSize; s < len(t.slots); s += s / 2 {
		prev = s
	}
	return (prev + len(t.slots)) * int(unsafe.Sizeof(slot[V]{}))
}
