package near

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/azotte/azvalidate/internal/spill"
)

// BenchmarkDetector adds 10^6 distinct ids per iteration to a new Detector
// and reports ids/s and the heap the Detector holds per id afterwards
// (B/id, measured after a garbage collection; the ids themselves are made
// before the measurement and not counted).
//
//	go test -run='^$' -bench=Detector -benchtime=3x ./internal/near
func BenchmarkDetector(b *testing.B) {
	const n = 1_000_000
	for _, c := range []struct{ name, form string }{
		{"lower", "crm-%07d"},          // no normalisation changes the ids
		{"upper", "CRM-%07d"},          // case folding changes every id
		{"padded-upper", " CRM-%07d"},  // two normalisations change every id: the worst case
		{"non-ascii", "kundé-%07d"},    // the general (x/text) path
		{"twins", "crm-%07d|CRM-%07d"}, // half the ids join a group
	} {
		b.Run(c.name, func(b *testing.B) {
			ids := make([]string, n)
			for i := range ids {
				if c.name == "twins" {
					ids[i] = fmt.Sprintf("crm-%07d", i/2)
					if i%2 == 1 {
						ids[i] = fmt.Sprintf("CRM-%07d", i/2)
					}
					continue
				}
				ids[i] = fmt.Sprintf(c.form, i)
			}
			b.ReportAllocs()
			var perID float64
			for b.Loop() {
				before := heapInUse()
				d := NewDetector(spill.Memory{})
				for i, id := range ids {
					d.Add(id, int64(i+1))
				}
				perID = float64(heapInUse()-before) / n
				runtime.KeepAlive(d)
			}
			b.ReportMetric(perID, "B/id")
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ids/s")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/n*1e9, "ns/id")
		})
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
