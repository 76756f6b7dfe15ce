package idtable

import (
	"cmp"
	"slices"
)

// ByHash is a Table keyed by 64-bit hashes (hash/maphash of the key the
// caller means): a slot is the hash and its value, 8 bytes plus V's size,
// so an entry costs 10 to 15 bytes with no value, 20 to 30 with an int64.
// The hash 0 is kept as 1, a collision like any other. Not safe for
// concurrent use.
type ByHash[V any] struct {
	t table[V]
}

// NewByHash returns an empty ByHash.
func NewByHash[V any]() *ByHash[V] { return &ByHash[V]{t: newTable[V]()} }

// Add stores v under h unless h is there already; see Table.
func (m *ByHash[V]) Add(h uint64, v V) (stored V, added bool) {
	h = max(h, 1)
	i, found := m.find(h)
	if found {
		return m.t.slots[i].val, false
	}
	m.fill(i, h, v)
	return v, true
}

// Put stores v under h; see Table.
func (m *ByHash[V]) Put(h uint64, v V) (old V, replaced bool) {
	h = max(h, 1)
	i, found := m.find(h)
	if found {
		old = m.t.slots[i].val
		m.t.slots[i].val = v
		return old, true
	}
	m.fill(i, h, v)
	return old, false
}

// find returns the slot holding h (not 0), or the empty slot where it
// belongs.
func (m *ByHash[V]) find(h uint64) (i int, found bool) {
	for i = m.t.home(h); ; i = m.t.next(i) {
		switch m.t.slots[i].key() {
		case h:
			return i, true
		case 0:
			return i, false
		}
	}
}

func (m *ByHash[V]) fill(i int, h uint64, v V) {
	if !m.t.fill(i, h, v) {
		return
	}
	for _, s := range m.t.enlarge() {
		if h := s.key(); h != 0 {
			m.t.place(h, h, s.val) // the key word is the hash
		}
	}
}

// Get returns the value under h, if there is one.
func (m *ByHash[V]) Get(h uint64) (v V, ok bool) {
	h = max(h, 1)
	if i, found := m.find(h); found {
		return m.t.slots[i].val, true
	}
	return v, false
}

// Len returns the number of entries.
func (m *ByHash[V]) Len() int { return m.t.n }

// Bytes returns the memory the table holds now.
func (m *ByHash[V]) Bytes() int { return m.t.bytes() }

// PeakBytes returns the memory the table would hold while it grows: when
// Full, the next new entry takes it there.
func (m *ByHash[V]) PeakBytes() int { return m.t.peakBytes() }

// Full reports whether the next new entry makes the table grow.
func (m *ByHash[V]) Full() bool { return m.t.full() }

// Reset empties the table, keeping its memory for the entries to come.
func (m *ByHash[V]) Reset() { m.t.reset() }

// Drain hands write every entry in the order of the hashes, and empties
// the table if write succeeds; if not, the table keeps them all and Drain
// returns write's error. It sorts the table's own slots, so it takes no
// memory beyond them (but to restore them after an error). It must not
// be called again after write has stopped early and returned nil.
func (m *ByHash[V]) Drain(write func(entries func(yield func(h uint64, v V) bool)) error) error {
	used := m.t.compact()
	err := write(func(yield func(h uint64, v V) bool) {
		sortMerged(used, func(a, b slot[V]) int { return cmp.Compare(a.key(), b.key()) },
			func(s slot[V]) bool { return yield(s.key(), s.val) })
	})
	if err != nil {
		used = slices.Clone(used)
		m.t.reset()
		for _, s := range used {
			m.t.place(s.key(), s.key(), s.val)
		}
		m.t.n = len(used)
		return err
	}
	m.Reset()
	return nil
}

// All yields every entry, in no particular order. The table must not
// change meanwhile.
func (m *ByHash[V]) All(yield func(h uint64, v V) bool) {
	for i := range m.t.slots {
		s := &m.t.slots[i]
		if h := s.key(); h != 0 && !yield(h, s.val) {
			return
		}
	}
}
