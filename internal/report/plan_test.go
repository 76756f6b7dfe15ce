package report

import (
	"math"
	"testing"
)

func TestAPITime(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		calls int64
		rate  float64
		want  string
	}{
		{1_204_331, 8, "1,204,331 calls at 8/s ≈ 41 h 49 min"},
		{292, 8, "292 calls at 8/s ≈ 37 s"},
		{0, 8, "0 calls at 8/s ≈ 0 s"},
		{1, 8, "1 call at 8/s ≈ 0 s"},
		{5000, 8, "5,000 calls at 8/s ≈ 10 min 25 s"},
		{10_000_000, 8, "10,000,000 calls at 8/s ≈ 347 h 13 min (14.5 days)"},
		{100, 0.5, "100 calls at 0.5/s ≈ 3 min 20 s"},
		{100, 0, "100 calls at no rate limit (--rate 0): no estimate"},
	} {
		if got := apiTime(tt.calls, tt.rate); got != tt.want {
			t.Errorf("apiTime(%d, %g) = %q, want %q", tt.calls, tt.rate, got, tt.want)
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
