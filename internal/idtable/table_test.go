package idtable

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// check drives tab and a plain map through the same Adds and Puts, 3 for
// each of distinct keys, and fails at the first disagreement. key makes
// the i-th key.
func check[K comparable](t *testing.T, tab Table[K, int64], distinct int, key func(i int) K) {
	t.Helper()
	want := map[K]int64{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3 * distinct {
		k := key(rng.IntN(distinct))
		v := int64(i + 1)
		w, had := want[k]
		if rng.IntN(4) == 0 {
			old, replaced := tab.Put(k, v)
			if replaced != had || (had && old != w) {
				t.Fatalf("op %d: Put(%v) = %d, %v; want %d, %v", i, k, old, replaced, w, had)
			}
			want[k] = v
			continue
		}
		stored, added := tab.Add(k, v)
		switch {
		case !had && (!added || stored != v):
			t.Fatalf("op %d: Add(%v) of a new key = %d, %v; want %d, true", i, k, stored, added, v)
		case had && (added || stored != w):
			t.Fatalf("op %d: Add(%v) = %d, %v; want %d, false", i, k, stored, added, w)
		}
		if !had {
			want[k] = v
		}
	}
	for k, w := range want {
		if got, added := tab.Add(k, -1); added || got != w {
			t.Fatalf("at the end, %v: %d, added %v; want %d", k, got, added, w)
		}
	}
}

func TestByHashAgainstMap(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		distinct int
		key      func(int) uint64
	}{
		{"spread", 100_000, func(i int) uint64 { return uint64(i) * 0x9e3779b97f4a7c15 }},
		// Hashes with equal top bits share one probe chain (multiply-shift
		// starts from the top bits), here the last slots and round.
		{"wrapping", 2_000, func(i int) uint64 { return ^uint64(i) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			check(t, NewByHash[int64](), c.distinct, c.key)
		})
	}
}

func TestByHashZero(t *testing.T) {
	t.Parallel()
	m := NewByHash[struct{}]()
	if _, added := m.Add(0, struct{}{}); !added {
		t.Fatal("0 not added")
	}
	// 0 is kept as 1: the two are one key, as documented.
	if _, added := m.Add(1, struct{}{}); added {
		t.Error("1 added after 0")
	}
	if _, added := m.Add(2, struct{}{}); !added {
		t.Error("2 not added")
	}
}

func TestByIDAgainstMap(t *testing.T) {
	t.Parallel()
	check(t, NewByID[int64](), 100_000, func(i int) string {
		return strings.Repeat("x", i%7) + fmt.Sprint("id-", i) // ids of several lengths
	})
}

// TestByIDCollisions gives every id the same hash, so that every probe
// walks one chain and tells ids apart by their bytes alone.
func TestByIDCollisions(t *testing.T) {
	t.Parallel()
	m := NewByID[int64]()
	const h = 0xdeadbeef12345678
	ids := []string{"a", "b", "ab", "ba", "", "a\x00", strings.Repeat("a", 200)}
	for i, id := range ids {
		if _, added := m.add(id, h, int64(i+1)); !added {
			t.Fatalf("%q not new", id)
		}
	}
	for i, id := range ids {
		if v, added := m.add(id, h, 100); added || v != int64(i+1) {
			t.Fatalf("%q: %d, added %v; want %d", id, v, added, i+1)
		}
		if old, replaced := m.put(id, h, int64(-i)); !replaced || old != int64(i+1) {
			t.Fatalf("%q: Put replaced %d, %v; want %d", id, old, replaced, i+1)
		}
	}
	for i, id := range ids {
		if v, _ := m.add(id, h, 100); v != int64(-i) {
			t.Fatalf("%q after Put: %d, want %d", id, v, -i)
		}
	}
}

// TestByIDLongID covers ids longer than an arena chunk among short ones.
func TestByIDLongID(t *testing.T) {
	t.Parallel()
	m := NewByID[int64]()
	long := strings.Repeat("L", 3*chunkMax+5)
	ids := []string{"before", long, "after", long + "M"}
	for i, id := range ids {
		if _, added := m.Add(id, int64(i)); !added {
			t.Fatalf("%.10q not new", id)
		}
	}
	for i, id := range ids {
		if v, added := m.Add(id, 99); added || v != int64(i) {
			t.Errorf("%.10q: %d, added %v; want %d", id, v, added, i)
		}
	}
	if _, added := m.Add(long[:len(long)-1], 9); !added {
		t.Error("a prefix of the long id was found")
	}
}

// TestByIDValues keeps a struct value of odd size beside ids of every
// length, so that values sit at every alignment in the arena.
func TestByIDValues(t *testing.T) {
	t.Parallel()
	type value struct {
		a uint32
		b uint8
		c uint64
	}
	m := NewByID[value]()
	for i := range 1000 {
		id := strings.Repeat("i", i%13)
		m.Put(id+fmt.Sprint(i), value{uint32(i), uint8(i), uint64(i) << 40})
	}
	for i := range 1000 {
		id := strings.Repeat("i", i%13)
		if v, _ := m.Add(id+fmt.Sprint(i), value{}); v != (value{uint32(i), uint8(i), uint64(i) << 40}) {
			t.Fatalf("id %d: %+v", i, v)
		}
	}
}

func TestNewByIDRefusesPointers(t *testing.T) {
	t.Parallel()
	type withString struct {
		n int
		s string
	}
	for name, f := range map[string]func(){
		"pointer": func() { NewByID[*int]() },
		"string":  func() { NewByID[withString]() },
		"slice":   func() { NewByID[[2][]byte]() },
		"any":     func() { NewByID[any]() },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
	NewByID[struct {
		a [3]uint32
		b bool
	}]() // no panic
}

// TestSlotSizes holds the table to the sizes its users' memory figures
// rest on.
func TestSlotSizes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name       string
		size, want uintptr
	}{
		{"no value", unsafe.Sizeof(slot[struct{}]{}), 8},
		{"uint32", unsafe.Sizeof(slot[uint32]{}), 12},
		{"int64", unsafe.Sizeof(slot[int64]{}), 16},
		{"[3]uint32", unsafe.Sizeof(slot[[3]uint32]{}), 20},
	} {
		if c.size != c.want {
			t.Errorf("a slot with %s is %d bytes, want %d", c.name, c.size, c.want)
		}
	}
}

// TestDrain checks that Drain gives every entry once, in key order, across
// several sorted runs; that a failed write leaves every entry in place;
// and that a drained table is empty and usable again.
func TestDrain(t *testing.T) {
	const n = 3*sortedRun + 17
	ids := NewByID[int64]()
	hashes := NewByHash[int64]()
	rng := rand.New(rand.NewPCG(3, 4))
	want := map[string]int64{}
	for i := range n {
		id := fmt.Sprintf("id-%x", rng.Uint64())
		if i%5 == 0 {
			id = id[:len(id)/2] // prefixes of other ids sort before them
		}
		want[id] = int64(i)
		ids.Put(id, int64(i))
		hashes.Put(uint64(i)*0x9e3779b97f4a7c15, int64(i))
	}
	errStop := fmt.Errorf("disk full")
	fail := func(entries func(func([]byte, int64) bool)) error {
		entries(func([]byte, int64) bool { return false })
		return errStop
	}
	if err := ids.Drain(fail); err != errStop || ids.Len() != len(want) {
		t.Fatalf("failed Drain = %v with %d entries left; want %v, %d", err, ids.Len(), errStop, len(want))
	}
	for id, v := range want {
		if got, ok := ids.Get(id); !ok || got != v {
			t.Fatalf("after a failed Drain, Get(%q) = %d, %v; want %d", id, got, ok, v)
		}
	}
	var prev []byte
	seen := 0
	err := ids.Drain(func(entries func(func([]byte, int64) bool)) error {
		entries(func(id []byte, v int64) bool {
			if seen > 0 && strings.Compare(string(prev), string(id)) >= 0 {
				t.Fatalf("Drain gave %q after %q", id, prev)
			}
			if want[string(id)] != v {
				t.Fatalf("Drain gave %q = %d; want %d", id, v, want[string(id)])
			}
			prev = append(prev[:0], id...)
			seen++
			return true
		})
		return nil
	})
	if err != nil || seen != len(want) || ids.Len() != 0 {
		t.Fatalf("Drain = %v after %d entries, %d left; want nil, %d, 0", err, seen, ids.Len(), len(want))
	}
	if _, added := ids.Add(string(prev), 1); !added {
		t.Fatal("a drained table still has an entry")
	}

	last, count := uint64(0), 0
	hashes.Drain(func(entries func(func(uint64, int64) bool)) error {
		entries(func(h uint64, _ int64) bool {
			if h <= last {
				t.Fatalf("Drain gave hash %#x after %#x", h, last)
			}
			last = h
			count++
			return true
		})
		return nil
	})
	if count != n || hashes.Len() != 0 {
		t.Fatalf("Drain of hashes gave %d, left %d; want %d, 0", count, hashes.Len(), n)
	}
}
