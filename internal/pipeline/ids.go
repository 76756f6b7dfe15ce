package pipeline

import (
	"bytes"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/spill"
)

// idSet remembers every distinct id of the run: while its request is in
// flight, the call; once its first row is written, only the first row's Seq
// and an index into a table of distinct answers (which are few). Safe for
// concurrent use: the reader looks up, the writer retires.
//
// It is the one structure of a run that grows with the input (10^8 rows may
// hold 10^7 or more distinct ids), so the ids are in a spill.Table, within
// the run's memory, exact and with no pointer for the garbage collector to
// follow, each with its
// state in 8 bytes: an id costs its own bytes, a 9-byte record header and
// 10 to 15 bytes of table (as the table's load goes from 4/5 to 8/15):
// 35 bytes for a 12-byte id at 10^6 ids, where a map[string]slot cost 150
// (BenchmarkMemory). The calls in flight
// are in a slice whose free places are reused (an id in flight holds its
// place there instead of an answer), so that they cost no hashing; first
// seqs above 2^32-2 are in a map that is nearly always empty.
//
// The answers have their own lock: only the writer uses them.
type idSet struct {
	mu       sync.Mutex
	ids      *spill.Table[string, idState]
	calls    []*call          // calls in flight, nil where free
	free     []uint32         // free places in calls
	bigFirst map[string]int64 // first seqs that do not fit idState.first, by id

	ansMu   sync.Mutex
	answers []azotte.Answer
	index   map[answerKey]int32 // answers with an error, by value
}

// idState is what idSet keeps of an id in its table.
type idState struct {
	first  uint32 // the first row's Seq; firstIsBig: in bigFirst
	answer uint32 // index+1 into answers, or inFlight|place in calls
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
	inFlight   = 1 << 31
	firstIsBig = math.MaxUint32 // idState.first when the Seq is in bigFirst
	// recent is how many of the first answers retire compares directly
	// before it looks in the index: SUCCESS answers are few, and come first.
	recent = 8
)

func newIDSet(mem spill.Memory) *idSet {
	return &idSet{
		ids:   spill.NewByID[idState](mem),
		index: make(map[answerKey]int32),
	}
}

// firstOf is seq as idState.first.
func firstOf(seq int64) uint32 {
	if seq >= 0 && seq < firstIsBig {
		return uint32(seq)
	}
	return firstIsBig
}

// lookup returns what is known of id, registering it with a new call (and
// isNew) when this is its first row, seq. For an id whose call is in flight,
// c is that call and ans is -1; for a retired id, c is nil and ans indexes
// answer.
func (s *idSet) lookup(id string, seq int64) (first int64, c *call, ans int32, isNew bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The place a new id's call would take, taken below if it is new.
	place := uint32(len(s.calls))
	if n := len(s.free); n > 0 {
		place = s.free[n-1]
	}
	st, isNew := s.ids.Add(id, idState{first: firstOf(seq), answer: inFlight | place})
	if !isNew {
		first = int64(st.first)
		if st.first == firstIsBig {
			first = s.bigFirst[id]
		}
		if st.answer&inFlight != 0 {
			return first, s.calls[st.answer&^inFlight], -1, false
		}
		return first, nil, int32(st.answer - 1), false
	}
	c = &call{done: make(chan struct{})}
	if n := len(s.free); n > 0 {
		s.free = s.free[:n-1]
		s.calls[place] = c
	} else {
		s.calls = append(s.calls, c)
	}
	if st.first == firstIsBig {
		if s.bigFirst == nil {
			s.bigFirst = make(map[string]int64)
		}
		s.bigFirst[strings.Clone(id)] = seq // a copy: see idtable.ByID
	}
	return seq, c, -1, true
}

// retire replaces the call of id, whose first row is first, by its
// interned answer. id must be in the set, with that first row.
func (s *idSet) retire(id string, first int64, ans azotte.Answer) {
	a := s.intern(ans)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := idState{first: firstOf(first), answer: uint32(a) + 1}
	old, found := s.ids.Put(id, st)
	if !found || old.first != st.first {
		panic("pipeline: retire of an id not in the set")
	}
	if old.answer&inFlight != 0 {
		s.calls[old.answer&^inFlight] = nil
		s.free = append(s.free, old.answer&^inFlight)
	}
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
