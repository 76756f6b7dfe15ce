package stats

import (
	"math"
	"time"
)

// Bucket is one bucket of a Histogram: Count durations in (Lower, Upper].
type Bucket struct {
	Lower, Upper time.Duration // Upper is math.MaxInt64 for the overflow bucket
	Count        int64
}

// Buckets returns every bucket of the histogram in order, empty ones
// included, the overflow bucket last. It is safe to call while Observe runs;
// the counts are then read one by one, not as of one instant.
func (h *Histogram) Buckets() []Bucket {
	b := make([]Bucket, numBounds+1)
	lower := time.Duration(0)
	for i := range b {
		upper := time.Duration(math.MaxInt64)
		if i < numBounds {
			upper = bounds[i]
		}
		b[i] = Bucket{Lower: lower, Upper: upper, Count: h.counts[i].Load()}
		lower = upper
	}
	return b
}
