// Package idtable owns the hash table behind every per-id structure of a
// run: the pipeline's distinct-id set, the budget's and the survey's seen
// ids, the unique-value forecast and the near-collision groups. Each of them
// holds one entry per distinct id (or value), 10^7 and more on a large
// export, so the table is laid out for size and for the garbage collector.
//
// One open-addressing table with linear probing does the work: a flat slice
// of slots, each a 64-bit key word beside its value, no pointer for the
// collector to follow. A probe starts where multiply-shift maps the hash's
// top bits onto the table, which works for any size, so the table grows by
// half (not double) when it passes 4/5 full and stays 53% to 80% full. It
// is keyed two ways:
//
//   - ByHash by a 64-bit hash of the key, which is the slot's key word: two
//     keys whose hashes collide are one, with odds of about n²/2⁶⁵ for n
//     keys. For forecasts and counts, where that is good enough;
//   - ByID by the id's bytes, copied into an append-only arena beside the
//     value: exact, for the pipeline, whose answers must never go to
//     another id.
//
// Both are a Table, the whole of what their users ask of them, so that a
// disk-backed implementation (for 10^8 ids and more: Pebble, bbolt) can
// take their place without changing the users.
package idtable

import (
	"math/bits"
	"slices"
	"unsafe"
)

// Table maps keys to values. It is small on purpose: it takes and gives
// values by copy and no pointer into it outlives a call, so an
// implementation may keep its entries anywhere, disk included, as long as
// V is a fixed-size value without pointers (which ByID requires anyway). A
// disk-backed one would add a Close. Implementations are not safe for
// concurrent use unless they say so.
type Table[K comparable, V any] interface {
	// Add stores v under k unless k is there already. It returns the value
	// under k from now on (v, or the one already there) and whether it
	// stored v.
	Add(k K, v V) (stored V, added bool)
	// Put stores v under k, whether or not k is there. It returns the value
	// it replaced and whether there was one.
	Put(k K, v V) (old V, replaced bool)
}

// Both tables are Tables.
var (
	_ Table[uint64, int64] = (*ByHash[int64])(nil)
	_ Table[string, int64] = (*ByID[int64])(nil)
)

const (
	firstSize = 1 << 10
	loadNum   = 4 // a table grows beyond 4/5 full
	loadDen   = 5
)

// table is the probing and growth that ByHash and ByID share; they differ
// in what a key word is and how a probe tells it is the key sought.
type table[V any] struct {
	slots []slot[V]
	n     int // slots in use
}

// slot is a key word (0: empty) and its value. The word is kept in halves
// so that a slot has V's alignment, not 8: a 12-byte V makes a 20-byte
// slot, not 24. The value comes first because a zero-size last field would
// be padded.
type slot[V any] struct {
	val  V
	word [2]uint32
}

func newTable[V any]() table[V] { return table[V]{slots: make([]slot[V], firstSize)} }

func (s *slot[V]) key() uint64 { return uint64(s.word[0]) | uint64(s.word[1])<<32 }

func (s *slot[V]) setKey(w uint64) { s.word = [2]uint32{uint32(w), uint32(w >> 32)} }

// home is the slot where the probe for hash h starts.
func (t *table[V]) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(t.slots)))
	return int(hi)
}

// next is the slot after i, wrapping.
func (t *table[V]) next(i int) int {
	if i++; i == len(t.slots) {
		return 0
	}
	return i
}

// fill stores key word w (not 0) and v in the empty slot i, and reports
// whether the table is now too full: the caller then grows it (enlarge,
// place).
func (t *table[V]) fill(i int, w uint64, v V) (full bool) {
	t.slots[i].val = v
	t.slots[i].setKey(w)
	t.n++
	return t.n*loadDen > len(t.slots)*loadNum
}

// enlarge replaces the slots by empty ones, half as many again, and
// returns the old ones: the caller places every entry anew with place.
func (t *table[V]) enlarge() (old []slot[V]) {
	old = t.slots
	t.slots = make([]slot[V], len(old)+len(old)/2)
	return old
}

// place puts key word w and v, of hash h, in the first empty slot from
// h's home: for entries known not to be there, as when growing.
func (t *table[V]) place(h, w uint64, v V) {
	i := t.home(h)
	for t.slots[i].key() != 0 {
		i = t.next(i)
	}
	t.slots[i].val = v
	t.slots[i].setKey(w)
}

// bytes is the memory t's slots hold.
func (t *table[V]) bytes() int { return len(t.slots) * int(unsafe.Sizeof(slot[V]{})) }

// peakBytes is the memory t's slots hold at the peak of its next growth,
// when the old slots and the new ones are both alive.
func (t *table[V]) peakBytes() int { return t.bytes() + t.bytes() + t.bytes()/2 }

// full reports whether the next new entry makes t grow.
func (t *table[V]) full() bool { return (t.n+1)*loadDen > len(t.slots)*loadNum }

// reset empties t, keeping its slots for the entries to come.
func (t *table[V]) reset() {
	clear(t.slots)
	t.n = 0
}

// compact moves the slots in use to the front and returns them, leaving
// the table broken until reset: for sorting them in place.
func (t *table[V]) compact() []slot[V] {
	n := 0
	for i := range t.slots {
		if t.slots[i].key() != 0 {
			t.slots[n] = t.slots[i]
			n++
		}
	}
	return t.slots[:n]
}

// sortedRun is how many elements sortMerged sorts at a time: a run and
// what it points to stay in the processor's cache while it is sorted.
const sortedRun = 1 << 15

// sortMerged yields the elements of s in cmp's order: it sorts s in place
// in runs of sortedRun and merges the runs. Sorting s whole costs a cache
// miss a comparison once s outgrows the cache, as an id table's arena
// does; sorted in runs, it costs about one an element.
func sortMerged[E any](s []E, cmp func(a, b E) int, yield func(E) bool) {
	type cursor struct{ i, end int }
	var heap []cursor
	for lo := 0; lo < len(s); lo += sortedRun {
		run := s[lo:min(lo+sortedRun, len(s))]
		slices.SortFunc(run, cmp)
		heap = append(heap, cursor{lo, lo + len(run)})
	}
	less := func(a, b int) bool { return cmp(s[heap[a].i], s[heap[b].i]) < 0 }
	down := func(i int) {
		for {
			c := 2*i + 1
			if c >= len(heap) {
				return
			}
			if c+1 < len(heap) && less(c+1, c) {
				c++
			}
			if !less(c, i) {
				return
			}
			heap[i], heap[c] = heap[c], heap[i]
			i = c
		}
	}
	for i := len(heap)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for len(heap) > 0 {
		if !yield(s[heap[0].i]) {
			return
		}
		if heap[0].i++; heap[0].i == heap[0].end {
			heap[0] = heap[len(heap)-1]
			heap = heap[:len(heap)-1]
		}
		down(0)
	}
}
