package spill

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"os"
	"slices"
	"sync"
	"unsafe"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/sstable"

	"github.com/azotte/azvalidate/internal/idtable"
)

// memory is the in-memory part of a Table: an idtable.ByID or ByHash.
type memory[K comparable, V any] interface {
	idtable.Table[K, V]
	Get(k K) (V, bool)
	Len() int
	PeakBytes() int
	Full() bool
	Reset()
}

// Table is an idtable.Table that holds at most its store's share of memory:
// when a new key would take it past, its entries go to the store and it
// starts again empty. A key is in memory or in the store, never both but
// for a Put of a key in the store, whose new value in memory shadows the
// old one until it too goes to the store.
//
// With a nil store it is its idtable, unbounded. It is not safe for
// concurrent use, but Get is safe for concurrent use while nothing
// changes the table.
type Table[K comparable, V any] struct {
	mem    memory[K, V]
	each   func(yield func(key []byte, v V) bool)                                       // mem's entries by their keys in the store
	drain  func(write func(entries func(yield func(key []byte, v V) bool)) error) error // each, sorted, then mem emptied
	encode func(dst []byte, k K) []byte                                                 // k's key in the store, after the prefix
	hash   func(k K) uint64                                                             // for the filter
	store  *Store
	db     *pebble.DB // the store's database, once the table has spilled
	prefix byte
	share  int // bytes of memory the table may hold, its filter included
	files  int // sorted files ingested since the table's keys were last compacted

	iters iterators // for lookups in the store

	filter filter // the keys in the store
	stored int64  // keys written to the store, a key put again counted again
	count  int64  // distinct keys
	buf    []byte
}

// Memory is a table's share of memory and where the rest goes. The zero
// Memory keeps everything in memory.
type Memory struct {
	Store *Store
	Share int // bytes, the table's filter included
}

// NewByID returns an exact table of ids within m.
func NewByID[V any](m Memory) *Table[string, V] {
	mem := idtable.NewByID[V]()
	seed := maphash.MakeSeed()
	t := &Table[string, V]{
		mem:    mem,
		encode: func(dst []byte, id string) []byte { return append(dst, id...) },
		hash:   func(id string) uint64 { return maphash.String(seed, id) },
	}
	t.each = func(yield func([]byte, V) bool) {
		mem.All(func(id []byte, v V) bool {
			t.buf = append(append(t.buf[:0], t.prefix), id...)
			return yield(t.buf, v)
		})
	}
	t.drain = func(write func(func(func([]byte, V) bool)) error) error {
		return mem.Drain(func(entries func(func([]byte, V) bool)) error {
			return write(func(yield func([]byte, V) bool) {
				entries(func(id []byte, v V) bool {
					t.buf = append(append(t.buf[:0], t.prefix), id...)
					return yield(t.buf, v)
				})
			})
		})
	}
	return t.with(m)
}

// NewByHash returns a table keyed by 64-bit hashes within m. V must hold
// no pointers.
func NewByHash[V any](m Memory) *Table[uint64, V] {
	mem := idtable.NewByHash[V]()
	t := &Table[uint64, V]{
		mem:    mem,
		encode: func(dst []byte, h uint64) []byte { return binary.BigEndian.AppendUint64(dst, max(h, 1)) },
		hash:   func(h uint64) uint64 { return max(h, 1) * 0x9e3779b97f4a7c15 },
	}
	t.each = func(yield func([]byte, V) bool) {
		mem.All(func(h uint64, v V) bool {
			t.buf = binary.BigEndian.AppendUint64(append(t.buf[:0], t.prefix), h)
			return yield(t.buf, v)
		})
	}
	t.drain = func(write func(func(func([]byte, V) bool)) error) error {
		return mem.Drain(func(entries func(func(uint64, V) bool)) error {
			return write(func(yield func([]byte, V) bool) {
				entries(func(h uint64, v V) bool {
					t.buf = binary.BigEndian.AppendUint64(append(t.buf[:0], t.prefix), h)
					return yield(t.buf, v)
				})
			})
		})
	}
	return t.with(m)
}

func (t *Table[K, V]) with(m Memory) *Table[K, V] {
	t.store, t.share = m.Store, m.Share
	if t.store != nil {
		t.prefix = t.store.newPrefix(&t.iters)
	}
	return t
}

// iterators are a table's idle iterators of the store. A lookup seeks one
// to the key (by prefix, so that the files' filters skip the files without
// it) instead of calling Get, which would make and close an iterator of
// every file it reads: half the time of a lookup. An iterator sees the store as
// it was when made, so they are closed when the table spills.
type iterators struct {
	mu   sync.Mutex
	idle []*pebble.Iterator
}

func (its *iterators) get(db *pebble.DB, prefix byte) (*pebble.Iterator, error) {
	its.mu.Lock()
	if n := len(its.idle); n > 0 {
		it := its.idle[n-1]
		its.idle = its.idle[:n-1]
		its.mu.Unlock()
		return it, nil
	}
	its.mu.Unlock()
	return db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefix}, UpperBound: []byte{prefix + 1}})
}

func (its *iterators) put(it *pebble.Iterator) {
	its.mu.Lock()
	its.idle = append(its.idle, it)
	its.mu.Unlock()
}

// close closes the idle iterators; none may be in use.
func (its *iterators) close() {
	its.mu.Lock()
	defer its.mu.Unlock()
	for _, it := range its.idle {
		it.Close()
	}
	its.idle = nil
}

// Get returns the value under k, if there is one.
func (t *Table[K, V]) Get(k K) (V, bool) {
	if v, ok := t.mem.Get(k); ok || t.stored == 0 {
		return v, ok
	}
	return t.fromStore(k)
}

// Add stores v under k unless k is there already; see idtable.Table.
func (t *Table[K, V]) Add(k K, v V) (stored V, added bool) {
	if t.mayMove() {
		if old, ok := t.Get(k); ok {
			return old, false
		}
		t.makeRoom() // k is new: room for it may move the others to the store
	}
	// Else one probe of memory does it all, as in an idtable.
	if stored, added = t.mem.Add(k, v); added {
		t.count++
	}
	return stored, added
}

// Put stores v under k; see idtable.Table.
func (t *Table[K, V]) Put(k K, v V) (old V, replaced bool) {
	if t.mayMove() {
		if old, replaced = t.Get(k); !replaced {
			t.makeRoom()
		}
		t.mem.Put(k, v) // a key in the store is shadowed by its new value here
	} else {
		old, replaced = t.mem.Put(k, v)
	}
	if !replaced {
		t.count++
	}
	return old, replaced
}

// mayMove reports whether a key may be in the store, or the next new key
// may move the table's entries there: then a key must be looked up before
// it is stored, and otherwise memory alone answers.
func (t *Table[K, V]) mayMove() bool {
	return t.stored > 0 || (t.store != nil && t.mem.Full())
}

// Len returns the number of keys.
func (t *Table[K, V]) Len() int { return int(t.count) }

// Spilled reports whether the table has written to its store.
func (t *Table[K, V]) Spilled() bool { return t.stored > 0 }

// fromStore looks k up in the store.
func (t *Table[K, V]) fromStore(k K) (v V, ok bool) {
	if !t.filter.mayHave(t.hash(k)) {
		return v, false
	}
	var kb [64]byte
	key := t.encode(append(kb[:0], t.prefix), k)
	it, err := t.iters.get(t.db, t.prefix)
	if err == nil {
		if ok = it.SeekPrefixGE(key) && bytes.Equal(it.Key(), key); ok {
			copy(bytesOf(&v), it.Value())
		}
		err = it.Error()
		t.iters.put(it)
	}
	if err != nil {
		// The store is this run's own files: a read failing is a broken
		// disk, and going on would give an id another's answer.
		panic(fmt.Errorf("spill: read %s: %w", t.store.Dir(), err))
	}
	return v, ok
}

// makeRoom writes the table's entries to the store when the next new key
// would take its memory past the store's share.
func (t *Table[K, V]) makeRoom() {
	if t.store == nil || !t.mem.Full() || t.mem.Len() == 0 {
		return
	}
	// The filter grows with the keys spilled and leaves less room for
	// those in memory, but at least a quarter of the share: spilling a few
	// keys at a time would take forever.
	room := max(t.share-t.filter.bytes(), t.share/4)
	if t.mem.PeakBytes() <= room {
		return
	}
	db := t.store.open()
	if db == nil {
		return // the store failed: keep everything in memory
	}
	if err := t.spill(db); err != nil {
		t.store.fail(err) // memory keeps its entries
	}
}

// spill moves every entry in memory to db, as one sorted file ingested
// whole: no memtable to fill and flush. Memory is empty after, unless
// spill fails. The table's files are merged into one when there are
// compactAfter of them, or when its keys outgrow the filter, which the
// merge makes anew: one pass over the store does both.
func (t *Table[K, V]) spill(db *pebble.DB) error {
	n := int64(t.mem.Len())
	if t.stored == 0 {
		t.filter = newFilter(n*filterGrowth, t.share/2)
	}
	t.iters.close() // they would not see the new file
	path, w, err := t.store.newFile()
	if err != nil {
		return err
	}
	err = t.drain(func(entries func(func(key []byte, v V) bool)) error {
		var err error
		entries(func(key []byte, v V) bool {
			if err = w.Set(key, bytesOf(&v)); err != nil {
				return false
			}
			t.filter.add(t.hashKey(key[1:]))
			return true
		})
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = db.Ingest(context.Background(), []string{path})
		}
		return err
	})
	if err != nil {
		os.Remove(path)
		return err
	}
	t.db = db
	t.stored += n
	if t.files++; t.files >= compactAfter || t.stored > t.filter.capacity {
		return t.merge()
	}
	return nil
}

// Compact merges what the table has in the store into one sorted file, so
// that a lookup reads one file: for a table whose writing is done and
// whose lookups are to come, as a journal's index once it is read.
func (t *Table[K, V]) Compact() error {
	if t.files <= 1 {
		return nil // one file or none, or merged since
	}
	return t.merge()
}

const (
	// compactAfter is how many sorted files a table ingests before they are
	// merged into one: a lookup of a key in the store reads a block of each.
	compactAfter = 8
	// filterGrowth is how many keys a filter made anew is sized for, for
	// each key in the store then: a filter that grows fourfold each time
	// costs few merges, and its keys' bits are never more than the share
	// allows (see newFilter).
	filterGrowth = 4
)

// merge writes every key of the table in the store, in order, to one new
// file that replaces its files, and makes the filter anew when the keys
// have outgrown it. Pebble's own compaction would do the merge, but level
// by level, rewriting the newest files once for each level between them
// and the oldest.
func (t *Table[K, V]) merge() error {
	t.iters.close()
	f, refilter := t.filter, t.stored > t.filter.capacity
	if refilter {
		// Past half the share the filter stays as it is and fills up: more
		// lookups of new keys go to the store, which costs time but keeps
		// the limit.
		if f = newFilter(t.stored*filterGrowth, t.share/2); len(f.blocks) <= len(t.filter.blocks) {
			f, refilter = t.filter, false
			f.capacity = math.MaxInt64 // as large as it may be
		}
	}
	path, w, err := t.store.newFile()
	if err != nil {
		return err
	}
	n, err := t.copyTo(w, func(key []byte) {
		if refilter {
			f.add(t.hashKey(key[1:]))
		}
	})
	if err == nil {
		_, err = t.db.IngestAndExcise(context.Background(), []string{path}, nil, nil, pebble.KeyRange{Start: []byte{t.prefix}, End: []byte{t.prefix + 1}})
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	t.filter, t.stored, t.files = f, n, 1
	return nil
}

// copyTo writes the table's keys in the store, in order, to w, which it
// closes, calling each for every key; it returns how many there are.
func (t *Table[K, V]) copyTo(w *sstable.Writer, each func(key []byte)) (int64, error) {
	it, err := t.db.NewIter(&pebble.IterOptions{LowerBound: []byte{t.prefix}, UpperBound: []byte{t.prefix + 1}})
	if err != nil {
		w.Close()
		return 0, err
	}
	n := int64(0)
	for it.First(); it.Valid() && err == nil; it.Next() {
		err = w.Set(it.Key(), it.Value())
		each(it.Key())
		n++
	}
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// hashKey is t.hash of the key whose encoding is key.
func (t *Table[K, V]) hashKey(key []byte) uint64 {
	var k K
	switch p := any(&k).(type) {
	case *string:
		*p = unsafe.String(unsafe.SliceData(key), len(key)) // hashed, not kept
	case *uint64:
		*p = binary.BigEndian.Uint64(key)
	}
	return t.hash(k)
}

// All yields every entry, in no particular order; key is the key's
// encoding (an id's bytes, a hash's 8 bytes big-endian), valid until the
// next yield. A table that has spilled writes what it holds in memory to
// the store first. The table must not change meanwhile.
func (t *Table[K, V]) All(yield func(key []byte, v V) bool) error {
	if t.stored == 0 {
		t.each(func(key []byte, v V) bool { return yield(key[1:], v) })
		return nil
	}
	return t.fromStoreAll(yield)
}

// Sorted is All in the order of the keys' bytes (for an id table,
// strings.Compare's).
func (t *Table[K, V]) Sorted(yield func(key []byte, v V) bool) error {
	if t.stored == 0 {
		type entry struct {
			key []byte
			v   V
		}
		all := make([]entry, 0, t.mem.Len())
		t.each(func(key []byte, v V) bool {
			all = append(all, entry{bytes.Clone(key[1:]), v})
			return true
		})
		slices.SortFunc(all, func(a, b entry) int { return bytes.Compare(a.key, b.key) })
		for _, e := range all {
			if !yield(e.key, e.v) {
				break
			}
		}
		return nil
	}
	return t.fromStoreAll(yield) // the store keeps keys in order
}

// fromStoreAll writes the entries in memory to the store and yields every
// entry there, in order.
func (t *Table[K, V]) fromStoreAll(yield func(key []byte, v V) bool) error {
	if t.mem.Len() > 0 {
		if err := t.spill(t.db); err != nil {
			return err
		}
	}
	it, err := t.db.NewIter(&pebble.IterOptions{LowerBound: []byte{t.prefix}, UpperBound: []byte{t.prefix + 1}})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		var v V
		copy(bytesOf(&v), it.Value())
		if !yield(it.Key()[1:], v) {
			break
		}
	}
	return it.Close()
}

// bytesOf is v's memory; V holds no pointers (idtable.ByID checks).
func bytesOf[V any](v *V) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
}
