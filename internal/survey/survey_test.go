package survey

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/azotte/azvalidate/internal/input"
)

// TestReadCounts: one pass counts rows, invalid, padded and duplicate ones
// and the distinct ids, per file too.
func TestReadCounts(t *testing.T) {
	t.Parallel()
	text := "externalId\nx-1\nx-2\nx-1\n\n x-3\nx-2\n"
	rd, err := input.Open("t.csv", strings.NewReader(text), input.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := Survey{Files: make([]Counts, 1), Sample: NewReservoir(10, 1)}
	if err := s.Read(t.Context(), rd); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(s.Rows, s.Invalid, s.Padded, s.Duplicates, s.Distinct, s.Files[0].Rows, len(s.Sample.IDs))
	if got != "5 0 1 2 3 5 3" {
		t.Errorf("rows, invalid, padded, duplicates, distinct, file rows, sample = %s; want 5 0 1 2 3 5 3", got)
	}
}

// TestReservoirUniform: each of 100 ids lands in a sample of 10 about
// one time in ten, over 2,000 samples.
func TestReservoirUniform(t *testing.T) {
	t.Parallel()
	hits := map[string]int{}
	const samples = 2000
	for seed := range uint64(samples) {
		r := NewReservoir(10, seed)
		for i := range 100 {
			r.Add(fmt.Sprint("id-", i))
		}
		for _, id := range r.IDs {
			hits[id]++
		}
	}
	for i := range 100 {
		// Expected 200 each; 4.5 standard deviations (about 60) either way.
		if n := hits[fmt.Sprint("id-", i)]; n < 140 || n > 260 {
			t.Errorf("id-%d sampled %d times of %d, want about 200", i, n, samples)
		}
	}
}

// TestWilson: known intervals, within [0, 1], never empty at 0.
func TestWilson(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		k, n      int64
		low, high float64
	}{
		{5, 100, 0.0215, 0.1118},
		{0, 100, 0, 0.0370},
		{100, 100, 0.9630, 1},
		{0, 0, 0, 1},
	} {
		low, high := wilson(tc.k, tc.n)
		if math.Abs(low-tc.low) > 5e-4 || math.Abs(high-tc.high) > 5e-4 {
			t.Errorf("wilson(%d, %d) = %.4f, %.4f; want %.4f, %.4f", tc.k, tc.n, low, high, tc.low, tc.high)
		}
	}
}
