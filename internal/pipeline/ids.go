package pipeline

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math"
	"sync"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
)

// idSet remembers every distinct id of the run: while its request is in
// flight, the call; once its first row is written, only the first row's Seq
// and an index into a table of distinct answers (which are few). Safe for
// concurrent use: the reader looks up, the writer retires.
//
// It is the one structure of a run that grows with the input (10^8 rows may
// hold 10^7 or more distinct ids), so it is laid out for size and for the
// garbage collector, which has no pointer to follow in it. An id costs its
// own bytes, a 9-byte header and 11 to 21 bytes of table (as the table's
// load goes from 3/8 to 3/4): 40 bytes for a 12-byte id at 10^6 ids, where
// a map[string]slot cost 150 (BenchmarkMemory).
//
//   - each id is copied into an append-only arena of byte chunks as a record
//     [first seq: 4][answer: 4][len: uvarint][id bytes]. Copying matters:
//     an input.Row's ID shares memory with the whole record's text, which a
//     set keeping the ID string would keep alive;
//   - an open-addressing hash table (linear probing, at most 3/4 full) of
//     64-bit slots, each a record's position and 24 bits of the id's hash,
//     so that a probe rarely has to look at the arena;
//   - the calls in flight in a slice whose free places are reused (a record
//     in flight holds its place there instead of an answer), so that they
//     cost no hashing; first seqs above 2^32-2 in a map that is nearly
//     always empty.
//
// The answers have their own lock: only the writer uses them.
type idSet struct {
	mu       sync.Mutex
	seed     maphash.Seed
	table    []uint64         // slot: 0 empty, else fingerprint<<refBits | (ref+1)
	n        int              // ids in the set
	chunks   [][]byte         // the arena; a record starts below chunkMax in its chunk
	calls    []*call          // calls in flight, nil where free
	free     []uint32         // free places in calls
	bigFirst map[uint64]int64 // first seqs that do not fit a record's 4 bytes

	ansMu   sync.Mutex
	answers []azotte.Answer
	index   map[answerKey]int32 // answers with an error, by value
}

// answerKey is an azotte.Answer as a map key: every field that reaches the
// output, so that two answers with one key write the same bytes. Attempts is
// left out: no output shows it (the statistics count each attempt as it
// happens), and keying on it would split one answer into one per retry
// count. intern clears it, so that an interned answer carries no one id's
// count. An error counts by its text, which is all the output shows of it;
// a time by its second, which is all answeredAt shows (the pipeline clears
// At unless that column is on, so that a run has a handful of answers).
type answerKey struct {
	isAvailable bool
	messageCode string
	status      string
	hasErr      bool // an error whose text is empty is still an error
	err         string
	at          int64 // Unix seconds; 0 for the zero time
}

// keyOf returns a's key.
func keyOf(a azotte.Answer) answerKey {
	k := answerKey{isAvailable: a.IsAvailable, messageCode: a.MessageCode, status: string(a.Status), hasErr: a.Err != nil, at: unixSeconds(a.At)}
	if a.Err != nil {
		k.err = a.Err.Error()
	}
	return k
}

// sameAnswer is keyOf(a) == keyOf(b) for answers without an error, without
// building the keys (which copies the status).
func sameAnswer(a, b azotte.Answer) bool {
	return a.Err == nil && b.Err == nil && a.IsAvailable == b.IsAvailable &&
		a.MessageCode == b.MessageCode && bytes.Equal(a.Status, b.Status) && unixSeconds(a.At) == unixSeconds(b.At)
}

// unixSeconds is t in Unix seconds, 0 for the zero time.
func unixSeconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

const (
	// A record's position (ref) is its chunk's number << offBits | its
	// offset in the chunk: 2^20 chunks of up to 1 MiB, a terabyte of ids.
	offBits    = 20
	chunkMax   = 1 << offBits
	chunkFirst = 4 << 10 // chunks double from 4 KiB, so a small run stays small
	refBits    = 40
	refMask    = 1<<refBits - 1

	// A record's header is its first seq and its answer, 4 bytes each. The
	// answer is index+1 into answers, or inFlight|place in calls.
	recHeader  = 8
	inFlight   = 1 << 31
	firstIsBig = math.MaxUint32 // a record's first seq when it is in bigFirst
	// recent is how many of the first answers retire compares directly
	// before it looks in the index: SUCCESS answers are few, and come first.
	recent      = 8
	tableFirst  = 1 << 10
	maxLoadNum  = 3 // the table grows beyond 3/4 full
	maxLoadDen  = 4
	fingerShift = refBits // a slot's fingerprint is its hash's top 64-refBits bits
)

func newIDSet() *idSet {
	return &idSet{
		seed:  maphash.MakeSeed(),
		table: make([]uint64, tableFirst),
		index: make(map[answerKey]int32),
	}
}

// lookup returns what is known of id, registering it with a new call (and
// isNew) when this is its first row, seq. For an id whose call is in flight,
// c is that call and ans is -1; for a retired id, c is nil and ans indexes
// answer.
func (s *idSet) lookup(id string, seq int64) (first int64, c *call, ans int32, isNew bool) {
	return s.lookupHash(id, maphash.String(s.seed, id), seq)
}

// lookupHash is lookup with id's hash h given; tests give colliding ones.
func (s *idSet) lookupHash(id string, h uint64, seq int64) (first int64, c *call, ans int32, isNew bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ref, found := s.find(id, h)
	if found {
		rec := s.record(ref)
		first = s.first(ref, rec)
		a := binary.LittleEndian.Uint32(rec[4:])
		if a&inFlight != 0 {
			return first, s.calls[a&^inFlight], -1, false
		}
		return first, nil, int32(a - 1), false
	}
	c = &call{done: make(chan struct{})}
	var place uint32
	if n := len(s.free); n > 0 {
		place, s.free = s.free[n-1], s.free[:n-1]
		s.calls[place] = c
	} else {
		place = uint32(len(s.calls))
		s.calls = append(s.calls, c)
	}
	ref = s.add(id, seq, inFlight|place)
	s.table[i] = h>>fingerShift<<refBits | (ref + 1)
	s.n++
	if s.n*maxLoadDen > len(s.table)*maxLoadNum {
		s.grow()
	}
	return seq, c, -1, true
}

// retire replaces id's call by its interned answer. id must be in the set.
func (s *idSet) retire(id string, first int64, ans azotte.Answer) {
	s.retireHash(id, maphash.String(s.seed, id), ans)
}

// retireHash is retire with id's hash h given.
func (s *idSet) retireHash(id string, h uint64, ans azotte.Answer) {
	a := s.intern(ans)
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ref, found := s.find(id, h)
	if !found {
		panic("pipeline: retire of an id not in the set")
	}
	rec := s.record(ref)
	if old := binary.LittleEndian.Uint32(rec[4:]); old&inFlight != 0 {
		s.calls[old&^inFlight] = nil
		s.free = append(s.free, old&^inFlight)
	}
	binary.LittleEndian.PutUint32(rec[4:], uint32(a)+1)
}

// intern returns the index of ans in answers, adding it if it is new.
func (s *idSet) intern(ans azotte.Answer) int32 {
	ans.Attempts = 0 // not in the key: see answerKey
	s.ansMu.Lock()
	defer s.ansMu.Unlock()
	// Most answers are one of a few, found here without building the key.
	for i, a := range s.answers[:min(len(s.answers), recent)] {
		if sameAnswer(a, ans) {
			return int32(i)
		}
	}
	k := keyOf(ans)
	i, ok := s.index[k]
	if !ok {
		i = int32(len(s.answers))
		s.answers = append(s.answers, ans)
		s.index[k] = i
	}
	return i
}

// answer returns the interned answer i, as returned by lookup.
func (s *idSet) answer(i int32) azotte.Answer {
	s.ansMu.Lock()
	defer s.ansMu.Unlock()
	return s.answers[i]
}

// find returns id's record position and found, or the free slot where id
// belongs. h is id's hash. The caller holds mu.
func (s *idSet) find(id string, h uint64) (slot int, ref uint64, found bool) {
	mask := len(s.table) - 1
	finger := h >> fingerShift
	for i := int(h) & mask; ; i = (i + 1) & mask {
		v := s.table[i]
		if v == 0 {
			return i, 0, false
		}
		if v>>refBits != finger {
			continue
		}
		ref = v&refMask - 1
		if string(s.id(ref)) == id { // compared in place: no copy
			return i, ref, true
		}
	}
}

// grow doubles the table, placing every record again by its id's hash.
// The caller holds mu.
func (s *idSet) grow() {
	old := s.table
	s.table = make([]uint64, 2*len(old))
	mask := len(s.table) - 1
	for _, v := range old {
		if v == 0 {
			continue
		}
		h := maphash.Bytes(s.seed, s.id(v&refMask-1)) // as maphash.String of the id
		i := int(h) & mask
		for s.table[i] != 0 {
			i = (i + 1) & mask
		}
		s.table[i] = v
	}
}

// add appends id's record to the arena and returns its position. The
// caller holds mu.
func (s *idSet) add(id string, seq int64, answer uint32) (ref uint64) {
	size := recHeader + binary.MaxVarintLen64 + len(id)
	last := len(s.chunks) - 1
	if last < 0 || len(s.chunks[last]) >= chunkMax || cap(s.chunks[last])-len(s.chunks[last]) < size {
		// A new chunk, twice the last one up to chunkMax; an id too long
		// for that gets a chunk of its own.
		n := chunkFirst
		if last >= 0 {
			n = min(2*cap(s.chunks[last]), chunkMax)
		}
		s.chunks = append(s.chunks, make([]byte, 0, max(n, size)))
		last++
	}
	c := s.chunks[last]
	ref = uint64(last)<<offBits | uint64(len(c))
	first := uint32(firstIsBig)
	if seq >= 0 && seq < firstIsBig {
		first = uint32(seq)
	} else {
		if s.bigFirst == nil {
			s.bigFirst = make(map[uint64]int64)
		}
		s.bigFirst[ref] = seq
	}
	c = binary.LittleEndian.AppendUint32(c, first)
	c = binary.LittleEndian.AppendUint32(c, answer)
	c = binary.AppendUvarint(c, uint64(len(id)))
	s.chunks[last] = append(c, id...)
	return ref
}

// record returns the arena from the record at ref on.
func (s *idSet) record(ref uint64) []byte {
	return s.chunks[ref>>offBits][ref&(chunkMax-1):]
}

// first returns the first seq of the record rec at ref.
func (s *idSet) first(ref uint64, rec []byte) int64 {
	f := binary.LittleEndian.Uint32(rec)
	if f == firstIsBig {
		return s.bigFirst[ref]
	}
	return int64(f)
}

// id returns the id of the record at ref, in the arena.
func (s *idSet) id(ref uint64) []byte {
	rec := s.record(ref)[recHeader:]
	n, k := binary.Uvarint(rec)
	return rec[k : k+int(n)]
}
