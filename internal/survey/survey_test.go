package survey

import (
	"fmt"
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
