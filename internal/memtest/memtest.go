// Package memtest measures the Go heap for memory benchmarks, through
// runtime/metrics (which, unlike runtime.ReadMemStats, does not stop the
// world): what the README's memory figures are made of. Only benchmarks
// import it.
package memtest

import (
	"runtime/metrics"
	"sync"
	"time"
)

// read reads runtime/metrics samples by name.
func read(names ...string) []uint64 {
	s := make([]metrics.Sample, len(names))
	for i, n := range names {
		s[i].Name = n
	}
	metrics.Read(s)
	v := make([]uint64, len(s))
	for i := range s {
		v[i] = s[i].Value.Uint64()
	}
	return v
}

// InUse is ReadMemStats' HeapInuse: heap spans holding objects, live or not
// yet collected.
func InUse() uint64 {
	v := read("/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes")
	return v[0] + v[1]
}

// Live is the heap the last collection marked live.
func Live() uint64 { return read("/gc/heap/live:bytes")[0] }

// Allocs is the number of heap allocations so far.
func Allocs() uint64 { return read("/gc/heap/allocs:objects")[0] }

// SamplePeak samples InUse every period until the returned stop is called;
// stop (safe to call more than once) returns the largest sample.
func SamplePeak(period time.Duration) (stop func() uint64) {
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			peak = max(peak, InUse())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	var once sync.Once
	return func() uint64 {
		once.Do(func() { close(done); wg.Wait() })
		return peak
	}
}
