package idtable

import (
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
	for c, chunk := range m.chunks {
		for off := 0; off < len(chunk); {
			rec := chunk[off+m.size:]
			n, k := binary.Uvarint(rec)
			h := maphash.Bytes(m.seed, rec[k:k+int(n)]) // as maphash.String of the id
			m.t.place(h, word(h, uint64(c)<<offBits|uint64(off)), struct{}{})
			off += m.size + k + int(n)
		}
	}
}

// append appends id's record to the arena and returns its position.
func (m *ByID[V]) append(id string, v V) (ref uint64) {
	size := m.size + binary.MaxVarintLen64 + len(id)
	last := len(m.chunks) - 1
	if last < 0 || len(m.chunks[last]) >= chunkMax || cap(m.chunks[last])-len(m.chunks[last]) < size {
		// A new chunk, twice the last one up to chunkMax; an id too long
		// for that gets a chunk of its own.
		n := chunkFirst
		if last >= 0 {
			n = min(2*cap(m.chunks[last]), chunkMax)
		}
		m.chunks = append(m.chunks, make([]byte, 0, max(n, size)))
		last++
	}
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
