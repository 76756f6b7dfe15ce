package budget

// HashSet is a set of 64-bit hashes (of ids): open addressing in one flat slice,
// at most half full, so that a lookup is about one cache miss (a Go map of
// a million keys costs several). Two ids with one 64-bit hash count as one:
// odds of about n²/2⁶⁵ for n ids. Not safe for concurrent use.
type HashSet struct {
	slots []uint64 // 0: empty; the hash 0 is stored as 1
	n     int
}

// NewHashSet returns an empty set.
func NewHashSet() *HashSet { return &HashSet{slots: make([]uint64, 1<<10)} }

// Add adds h and reports whether it was new.
func (s *HashSet) Add(h uint64) bool {
	h = max(h, 1)
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return false
		case 0:
			s.slots[i] = h
			if s.n++; 2*s.n > len(s.slots) {
				s.grow()
			}
			return true
		}
	}
}

func (s *HashSet) grow() {
	old := s.slots
	s.slots, s.n = make([]uint64, 2*len(old)), 0
	for _, h := range old {
		if h != 0 {
			s.Add(h)
		}
	}
}
