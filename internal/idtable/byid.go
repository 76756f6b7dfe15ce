package idtable

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"reflect"
	"unsafe"
)

// ByID is a Table keyed by ids, compared byte for byte: two ids are one
// entry only when they are equal. Each id is copied into an append-only
// arena of byte chunks as a record [value][len: uvarint][id bytes], and
// the table's slots hold a record's position and 24 bits of the id's hash,
// so that a probe rarely has to look at the arena. Copying matters: an
// input.Row's ID shares memory with the whole record's text, which a table
// keeping the ID string would keep alive.
//
// An entry costs its id's bytes, V's size and a length byte in the arena
// and 10 to 15 bytes of table: 31 to 36 bytes for a 12-byte id and an
// 8-byte value. V must hold no pointers, since it lives in the arena as
// bytes; NewByID panics otherwise. Not safe for concurrent use.
type ByID[V any] struct {
	seed   maphash.Seed
	t      table[struct{}] // key word: fingerprint<<refBits | (ref+1)
	chunks [][]byte        // the arena; a record starts below chunkMax in its chunk
	cur    int             // the chunk being filled; those after it are empty (after Reset)
	size   int             // V's size
}

const (
	// A record's position (ref) is its chunk's number << offBits | its
	// offset in the chunk: 2^20 chunks of up to 1 MiB, a terabyte of ids.
	offBits    = 20
	chunkMax   = 1 << offBits
	chunkFirst = 4 << 10 // chunks double from 4 KiB, so a small table stays small
	refBits    = 40
	refMask    = 1<<refBits - 1
	// A key word's fingerprint is the hash's low bits: home uses its top
	// ones, so ids that probe the same slots still have unrelated
	// fingerprints.
	fingerMask = 1<<(64-refBits) - 1
)

// NewByID returns an empty ByID. It panics if V holds pointers.
func NewByID[V any]() *ByID[V] {
	if t := reflect.TypeFor[V](); !pointerFree(t) {
		panic(fmt.Sprintf("idtable: NewByID of %v, which holds pointers", t))
	}
	var v V
	return &ByID[V]{seed: maphash.MakeSeed(), t: newTable[struct{}](), size: int(unsafe.Sizeof(v))}
}

// Add stores v under id unless id is there already; see Table. The table
// keeps a copy of id, not id.
func (m *ByID[V]) Add(id string, v V) (stored V, added bool) {
	return m.add(id, maphash.String(m.seed, id), v)
}

// Put stores v under id; see Table.
func (m *ByID[V]) Put(id string, v V) (old V, replaced bool) {
	return m.put(id, maphash.String(m.seed, id), v)
}

// add is Add with id's hash h given; tests give colliding ones.
func (m *ByID[V]) add(id string, h uint64, v V) (V, bool) {
	i, ref, found := m.find(id, h)
	if found {
		return m.value(ref), false
	}
	m.insert(i, id, h, v)
	return v, true
}

// put is Put with id's hash h given.
func (m *ByID[V]) put(id string, h uint64, v V) (old V, replaced bool) {
	i, ref, found := m.find(id, h)
	if found {
		old = m.value(ref)
		copy(m.record(ref), bytesOf(&v))
		return old, true
	}
	m.insert(i, id, h, v)
	return old, false
}

// find returns the slot of id's record and the record's position, or the
// empty slot where id belongs. h is id's hash.
func (m *ByID[V]) find(id string, h uint64) (i int, ref uint64, found bool) {
	finger := h & fingerMask
	for i = m.t.home(h); ; i = m.t.next(i) {
		w := m.t.slots[i].key()
		if w == 0 {
			return i, 0, false
		}
		if w>>refBits != finger {
			continue
		}
		ref = w&refMask - 1
		if string(m.id(ref)) == id { // compared in place: no copy
			return i, ref, true
		}
	}
}

// insert appends id's record and puts it in the empty slot i.
func (m *ByID[V]) insert(i int, id string, h uint64, v V) {
	ref := m.append(id, v)
	if m.t.fill(i, word(h, ref), struct{}{}) {
		m.grow()
	}
}

// word is the key word of the record at ref, of an id whose hash is h.
func word(h, ref uint64) uint64 { return (h&fingerMask)<<refBits | (ref + 1) }

// grow enlarges the table and places every record again by its id's hash.
// Every record in the arena is in the table, so it walks the arena in
// order, which the processor reads ahead, instead of reading the records
// in the order of their slots, a cache miss each.
func (m *ByID[V]) grow() {
	m.t.enlarge()
	m.placeAll()
}

// placeAll places every record of the arena in the table's empty slots.
func (m *ByID[V]) placeAll() {
	m.records(func(ref uint64) {
		h := maphash.Bytes(m.seed, m.id(ref)) // as maphash.String of the id
		m.t.place(h, word(h, ref), struct{}{})
	})
}

// records calls f with the position of every record, in the arena's order.
func (m *ByID[V]) records(f func(ref uint64)) {
	for c, chunk := range m.chunks {
		for off := 0; off < len(chunk); {
			n, k := binary.Uvarint(chunk[off+m.size:])
			f(uint64(c)<<offBits | uint64(off))
			off += m.size + k + int(n)
		}
	}
}

// append appends id's record to the arena and returns its position.
func (m *ByID[V]) append(id string, v V) (ref uint64) {
	size := m.size + binary.MaxVarintLen64 + len(id)
	if len(m.chunks) == 0 || len(m.chunks[m.cur]) >= chunkMax || cap(m.chunks[m.cur])-len(m.chunks[m.cur]) < size {
		// The next chunk: one emptied by Reset if it has room, else a new
		// one, twice the last one up to chunkMax; an id too long for that
		// gets a chunk of its own.
		if len(m.chunks) > 0 {
			m.cur++
		}
		if m.cur == len(m.chunks) || cap(m.chunks[m.cur]) < size {
			n := chunkFirst
			if m.cur > 0 {
				n = min(2*cap(m.chunks[m.cur-1]), chunkMax)
			}
			c := make([]byte, 0, max(n, size))
			if m.cur == len(m.chunks) {
				m.chunks = append(m.chunks, c)
			} else {
				m.chunks[m.cur] = c
			}
		}
	}
	last := m.cur
	c := m.chunks[last]
	ref = uint64(last)<<offBits | uint64(len(c))
	c = append(c, bytesOf(&v)...)
	c = binary.AppendUvarint(c, uint64(len(id)))
	m.chunks[last] = append(c, id...)
	return ref
}

// record returns the arena from the record at ref on.
func (m *ByID[V]) record(ref uint64) []byte {
	return m.chunks[ref>>offBits][ref&(chunkMax-1):]
}

// value returns the value of the record at ref.
func (m *ByID[V]) value(ref uint64) (v V) {
	copy(bytesOf(&v), m.record(ref))
	return v
}

// id returns the id of the record at ref, in the arena.
func (m *ByID[V]) id(ref uint64) []byte {
	rec := m.record(ref)[m.size:]
	n, k := binary.Uvarint(rec)
	return rec[k : k+int(n)]
}

// bytesOf is v's memory. Only for a V without pointers (NewByID checks):
// then its bytes are all there is to it, and copying them is copying it.
// A byte copy, unlike a cast of the arena to *V, needs no alignment.
func bytesOf[V any](v *V) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
}

// pointerFree reports whether a value of type t holds no pointers.
func pointerFree(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	case reflect.Array:
		return t.Len() == 0 || pointerFree(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !pointerFree(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false // pointers, strings, slices, maps, channels, functions, interfaces
}

// Get returns the value under id, if there is one.
func (m *ByID[V]) Get(id string) (v V, ok bool) {
	if _, ref, found := m.find(id, maphash.String(m.seed, id)); found {
		return m.value(ref), true
	}
	return v, false
}

// Len returns the number of entries.
func (m *ByID[V]) Len() int { return m.t.n }

// Bytes returns the memory the table holds now, its arena included.
func (m *ByID[V]) Bytes() int { return m.t.bytes() + m.arenaBytes() }

// PeakBytes returns the memory the table would hold while its slots grow:
// when Full, the next new entry takes it there.
func (m *ByID[V]) PeakBytes() int { return m.t.peakBytes() + m.arenaBytes() + chunkMax }

// Full reports whether the next new entry makes the table's slots grow.
func (m *ByID[V]) Full() bool { return m.t.full() }

func (m *ByID[V]) arenaBytes() int {
	n := 0
	for _, c := range m.chunks {
		n += cap(c)
	}
	return n
}

// Reset empties the table, keeping its slots and its arena's memory for
// the entries to come.
func (m *ByID[V]) Reset() {
	m.t.reset()
	for i := range m.chunks {
		m.chunks[i] = m.chunks[i][:0]
	}
	m.cur = 0
}

// All yields every entry, in the order they were added; id is the table's
// copy, valid until the table changes. The table must not change meanwhile.
func (m *ByID[V]) All(yield func(id []byte, v V) bool) {
	for c, chunk := range m.chunks {
		for off := 0; off < len(chunk); {
			ref := uint64(c)<<offBits | uint64(off)
			id := m.id(ref)
			if !yield(id, m.value(ref)) {
				return
			}
			off += m.size + uvarintLen(len(id)) + len(id)
		}
	}
}

func uvarintLen(n int) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], uint64(n))
}

// Drain hands write every entry in the order of the ids' bytes, and
// empties the table if write succeeds; if not, the table keeps them all
// and Drain returns write's error. It sorts in the table's own slots, so
// it takes no memory beyond them: for writing the entries to a sorted
// file. write must not stop the entries early and return nil.
func (m *ByID[V]) Drain(write func(entries func(yield func(id []byte, v V) bool)) error) error {
	// The slots become the records' positions (+1) in the arena's order,
	// so that a sorted run's ids are one stretch of the arena.
	n := 0
	m.records(func(ref uint64) {
		m.t.slots[n].setKey(ref + 1)
		n++
	})
	used := m.t.slots[:n]
	err := write(func(yield func(id []byte, v V) bool) {
		sortMerged(used, func(a, b slot[struct{}]) int {
			return bytes.Compare(m.id(a.key()-1), m.id(b.key()-1))
		}, func(s slot[struct{}]) bool {
			ref := s.key() - 1
			return yield(m.id(ref), m.value(ref))
		})
	})
	if err != nil {
		n := m.t.n
		m.t.reset()
		m.placeAll() // every entry is still in the arena
		m.t.n = n
		return err
	}
	m.Reset()
	return nil
}
