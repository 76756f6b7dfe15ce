package budget

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestSelectorOrder(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	// Input order: s1 (3 days old), u1, s2 (5 days old), f, u2, s3 (4 days old), s4 (5 days old).
	feed := func(s *Selector) {
		s.Stale("s1", t0.Add(-72*time.Hour))
		s.Unanswered("u1")
		s.Stale("s2", t0.Add(-120*time.Hour))
		s.Fresh()
		s.Unanswered("u2")
		s.Stale("s3", t0.Add(-96*time.Hour))
		s.Stale("s4", t0.Add(-120*time.Hour))
	}
	for _, tc := range []struct {
		capacity int
		want     []string
	}{
		{-1, []string{"u1", "u2", "s2", "s4", "s3", "s1"}},
		{0, nil},
		{1, []string{"u1"}},
		{2, []string{"u1", "u2"}},
		{3, []string{"u1", "u2", "s2"}},
		{4, []string{"u1", "u2", "s2", "s4"}},
		{5, []string{"u1", "u2", "s2", "s4", "s3"}},
		{100, []string{"u1", "u2", "s2", "s4", "s3", "s1"}},
	} {
		t.Run(fmt.Sprint(tc.capacity), func(t *testing.T) {
			s := NewSelector(tc.capacity)
			feed(s)
			if got := s.Ids(); !slices.Equal(got, tc.want) {
				t.Errorf("Ids() = %q, want %q", got, tc.want)
			}
			if c := s.Counts(); c != (Counts{Unanswered: 2, Stale: 4, Fresh: 1}) {
				t.Errorf("Counts() = %+v", c)
			}
		})
	}
}

// TestSelectorKeepsOldest: with many stale ids and room for few, the
// oldest are kept whatever the order they come in.
func TestSelectorKeepsOldest(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s := NewSelector(10)
	for i := range 1000 {
		age := (i * 7919) % 1000 // a permutation of 0..999
		s.Stale(fmt.Sprint("age-", age), t0.Add(-time.Duration(age)*time.Hour))
	}
	want := []string{"age-999", "age-998", "age-997", "age-996", "age-995", "age-994", "age-993", "age-992", "age-991", "age-990"}
	if got := s.Ids(); !slices.Equal(got, want) {
		t.Errorf("Ids() = %q, want %q", got, want)
	}
}

func TestCapacity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		b    Budget
		rate float64
		want int
	}{
		{Budget{}, 8, -1},
		{Budget{MaxCalls: 2000}, 8, 2000},
		{Budget{Deadline: 2 * time.Second}, 100, 200},
		{Budget{Deadline: 2 * time.Second}, 0, -1},
		{Budget{MaxCalls: 50, Deadline: time.Hour}, 8, 50},
		{Budget{MaxCalls: 50000, Deadline: time.Hour}, 8, 28800},
	} {
		if got := tc.b.Capacity(tc.rate); got != tc.want {
			t.Errorf("%+v.Capacity(%g) = %d, want %d", tc.b, tc.rate, got, tc.want)
		}
	}
}

func TestRuns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		c      Counts
		perRun int
		want   int64
	}{
		{Counts{}, 100, 0},
		{Counts{Unanswered: 6000}, 2000, 3},
		{Counts{Unanswered: 6000, Stale: 1}, 2000, 4},
		{Counts{Stale: 10, Fresh: 99}, 0, 1},
	} {
		if got := Runs(tc.c, tc.perRun); got != tc.want {
			t.Errorf("Runs(%+v, %d) = %d, want %d", tc.c, tc.perRun, got, tc.want)
		}
	}
}

// TestSelectorRepeats: an id told twice (a duplicate row) is kept once.
func TestSelectorRepeats(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s := NewSelector(3)
	s.Unanswered("u1")
	s.Stale("s1", t0)
	s.Unanswered("u1")
	s.Stale("s1", t0)
	s.Stale("s2", t0.Add(time.Hour))
	s.Stale("s2", t0.Add(time.Hour))
	if got, want := s.Ids(), []string{"u1", "s1", "s2"}; !slices.Equal(got, want) {
		t.Errorf("Ids() = %q, want %q", got, want)
	}
	if s.Full() {
		t.Error("Full with one never-answered id of 3")
	}
	s.Unanswered("u2")
	s.Unanswered("u3")
	if !s.Full() || !slices.Equal(s.Ids(), []string{"u1", "u2", "u3"}) {
		t.Errorf("Full() = %v, Ids() = %q; want true and the three never answered", s.Full(), s.Ids())
	}
}
