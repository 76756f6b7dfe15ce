package near

import (
	"math"
	"math/bits"
)

// table is an open-addressing hash table of full-form hashes, each with the
// row of its first id and that id's raw hash (with flags). It is three
// parallel arrays (20 bytes a slot, no pointers for the garbage collector to
// follow) probed linearly from a start found by multiply-shift, which works
// for any size: so the table grows by half, not double, and stays 53% to 80%
// full.
type table struct {
	keys []uint64 // the full form's hash; 0 marks an empty slot (a hash of 0 is stored as 1)
	raws []uint64
	rows []uint32         // first row; bigRow: see big
	big  map[uint64]int64 // rows that do not fit 32 bits, by key; nearly always empty
	n    int
}

const (
	tableFirst = 1 << 10
	loadNum    = 4 // grow beyond 4/5 full
	loadDen    = 5
	bigRow     = math.MaxUint32
)

func newTable() table {
	return table{keys: make([]uint64, tableFirst), raws: make([]uint64, tableFirst), rows: make([]uint32, tableFirst)}
}

// find returns the slot holding key, or the empty slot where it belongs.
func (t *table) find(key uint64) (int, bool) {
	key = max(key, 1)
	i, _ := bits.Mul64(key, uint64(len(t.keys)))
	for {
		switch t.keys[i] {
		case key:
			return int(i), true
		case 0:
			return int(i), false
		}
		if i++; i == uint64(len(t.keys)) {
			i = 0
		}
	}
}

func (t *table) get(i int) (row int64, raw uint64) {
	row = int64(t.rows[i])
	if row == bigRow {
		row = t.big[t.keys[i]]
	}
	return row, t.raws[i]
}

// insert puts key in the empty slot i that find returned for it.
func (t *table) insert(i int, key, raw uint64, row int64) {
	key = max(key, 1)
	t.keys[i], t.raws[i] = key, raw
	if row >= 0 && row < bigRow {
		t.rows[i] = uint32(row)
	} else {
		if t.big == nil {
			t.big = make(map[uint64]int64)
		}
		t.rows[i] = bigRow
		t.big[key] = row
	}
	t.n++
	if t.n*loadDen > len(t.keys)*loadNum {
		t.grow()
	}
}

func (t *table) grow() {
	old := *t
	size := len(old.keys) + len(old.keys)/2
	t.keys, t.raws, t.rows = make([]uint64, size), make([]uint64, size), make([]uint32, size)
	for j, key := range old.keys {
		if key == 0 {
			continue
		}
		i, _ := t.find(key)
		t.keys[i], t.raws[i], t.rows[i] = key, old.raws[j], old.rows[j]
	}
}
