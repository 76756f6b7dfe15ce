package unique

// Set maps 64-bit hashes of values to the first row that held each: open
// addressing with linear probing in one flat slice of 16-byte slots, at most
// 3/4 full, with no pointer for the garbage collector to follow. A value
// costs 21 to 43 bytes (as the load goes from 3/4 to 3/8): 26.8 at 10^7
// values, 40 while the table grows (BenchmarkSet). Two values with one hash count as one: odds of about
// n²/2⁶⁵ for n values. Not safe for concurrent use.
type Set struct {
	slots []slot
	n     int
}

// slot is one hash (0: empty; the hash 0 is stored as 1) and its first row.
type slot struct {
	h   uint64
	row int64
}

const (
	setFirst   = 1 << 10
	maxLoadNum = 3
	maxLoadDen = 4
)

// NewSet returns an empty set.
func NewSet() *Set { return &Set{slots: make([]slot, setFirst)} }

// Add adds h, first held by row, and reports whether it is new; when it is
// not, first is the row given when it was added.
func (s *Set) Add(h uint64, row int64) (first int64, isNew bool) {
	h = max(h, 1)
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i].h {
		case h:
			return s.slots[i].row, false
		case 0:
			s.slots[i] = slot{h, row}
			if s.n++; s.n*maxLoadDen > len(s.slots)*maxLoadNum {
				s.grow()
			}
			return row, true
		}
	}
}

// Len is how many hashes the set holds.
func (s *Set) Len() int { return s.n }

func (s *Set) grow() {
	old := s.slots
	s.slots = make([]slot, 2*len(old))
	mask := uint64(len(s.slots) - 1)
	for _, sl := range old {
		if sl.h == 0 {
			continue
		}
		i := sl.h & mask
		for s.slots[i].h != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = sl
	}
}
