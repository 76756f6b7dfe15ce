package spill

import "math/bits"

// filter is a blocked Bloom filter of 64-bit hashes: each key sets and
// tests 6 bits of one 512-bit block, one cache line, so that a lookup
// costs one memory access. At 10 bits a key it answers "may have" for about
// 3% of the keys it was not given; a Table asks its store only then.
type filter struct {
	blocks   [][8]uint64
	capacity int64 // keys it was sized for
}

// filterBitsPerKey is the filter's size: 8 bits, 1 byte a key, a fraction
// of what a key costs in memory, which the filter spares a store lookup of
// about 20 µs for nearly every key not there.
const filterBitsPerKey = 8

// newFilter returns an empty filter for capacity keys, of at most
// maxBytes (but one block); a filter cut to maxBytes holds its capacity at
// fewer bits a key, and answers "may have" more often.
func newFilter(capacity int64, maxBytes int) filter {
	n := max(1, min((capacity*filterBitsPerKey+511)/512, int64(maxBytes/64)))
	return filter{blocks: make([][8]uint64, n), capacity: capacity}
}

// block returns h's block and the rest of its bits for the positions.
func (f *filter) block(h uint64) (*[8]uint64, uint64) {
	hi, lo := bits.Mul64(h, uint64(len(f.blocks)))
	return &f.blocks[hi], lo
}

func (f *filter) add(h uint64) {
	b, r := f.block(h)
	for range 6 {
		b[r>>61&7] |= 1 << (r >> 55 & 63)
		r <<= 9
	}
}

// mayHave reports whether h may have been added; never false for one that
// was.
func (f *filter) mayHave(h uint64) bool {
	if len(f.blocks) == 0 {
		return false
	}
	b, r := f.block(h)
	for range 6 {
		if b[r>>61&7]&(1<<(r>>55&63)) == 0 {
			return false
		}
		r <<= 9
	}
	return true
}

// bytes is the memory f holds.
func (f *filter) bytes() int { return len(f.blocks) * 64 }
