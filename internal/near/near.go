// Package near finds near-collisions among the distinct ids of an export:
// ids that differ as strings but become equal once case is folded, white
// space trimmed and collapsed, Unicode put in NFKC form or zero-width
// characters removed. "CRM-1001", "crm-1001 " and "ｃｒｍ-1001" are three
// distinct ids that a downstream system may well treat as one.
//
// It is a forecast, kept apart from the exact verdicts: a Detector is told
// each distinct id once, in input order, and answers whether the id joins a
// group started by an earlier one. It keeps a few bytes per distinct id and
// never the ids themselves, so it scales with the distinct-id set.
package near

import (
	"cmp"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"

	"github.com/azotte/azvalidate/internal/spill"
)

// The kinds of similarity, as Add reports them and the output shows them.
// The first four are single normalisations, in the order of priority in which
// Add names them when more than one alone makes two ids equal: the narrowest
// and surest sign of an accident first (an invisible character, then padding),
// the broadest last (NFKC also folds ligatures, widths, superscripts...).
const (
	ZeroWidth = "zero-width" // equal once U+200B..U+200D, U+2060 and U+FEFF are removed
	Space     = "space"      // equal once white space is trimmed and runs of it collapsed to one space
	Case      = "case"       // equal under Unicode case folding
	Unicode   = "unicode"    // equal under Unicode NFKC normalisation
	Mixed     = "mixed"      // equal only under several of the above together ("CRM-1001 " and "crm-1001")
)

// kinds are the kinds by index: the single ones in priority order, Mixed last.
var kinds = [...]string{ZeroWidth, Space, Case, Unicode, Mixed}

// Kind indices; single kinds index the hashes and masks too.
const (
	kZeroWidth = iota
	kSpace
	kCase
	kUnicode
	kMixed
	nSingle = kMixed // number of single normalisations
)

// Detector groups distinct ids by their full normal form: every
// normalisation applied at once (zero-width removal, NFKC, case folding, NFKC
// again, white space trimmed and collapsed). A group is named by the row of
// its first id; a later id with the same form joins it, and Add reports the
// kind of the difference between the two ids.
//
// Memory: one table slot of 20 bytes per distinct full form (ids that join a
// group add none), at a load of 53% to 80%: 25 to 38 bytes per distinct id.
// An id that two normalisations change in different ways (" CRM-1001":
// padded and upper-case) costs about 50 bytes more, in a side map (--trim
// spares it). A group of two or more ids costs a map entry and one example
// id (at most 64 bytes, and 1 MiB of examples in all).
//
// The table holds hashes (hash/maphash), not ids: two different full forms
// whose 64-bit hashes collide would be merged into one group, which for n
// distinct ids happens with probability about n²/2⁶⁵ (3·10⁻⁴ at 10⁸ distinct
// ids); a kind is decided by comparing hashes of 56 or 64 bits, so a wrong
// kind is as unlikely. Groups are exact classes of the full form, so they do
// not depend on the order of their members, only their first row does.
//
// A Detector is not safe for concurrent use: one goroutine (the pipeline's
// dispatcher, plan's reader) adds every id, in input order.
type Detector struct {
	seed maphash.Seed
	fold cases.Caser
	t    *spill.Table[uint64, entry] // by the full form's hash
	big  map[uint64]int64            // rows that do not fit entry.row, by key; nearly always empty
	// aux holds, by table key, the hashes of the single normalisations of
	// a group's first id that are neither the id itself nor its full form,
	// in priority order: only ids that two normalisations change in
	// different ways have them. Two is the most an ASCII id can have (case
	// and space); auxMore holds the ids with more.
	aux     map[uint64][2]uint64
	auxMore map[uint64][nSingle]uint64
	buf     []byte // scratch for ASCII keys
	stats   map[int64]*group
	count   [len(kinds)]int64 // ids that joined a group, by kind
	// exampleBytes bounds the example ids kept: a pathological input where
	// every id has a twin must not keep a copy of the export.
	exampleBytes int
}

// group is what a Detector keeps of a group of two or more ids.
type group struct {
	size    int64
	kinds   uint8  // bit k: a member joined with kind k
	example string // the first id that joined, cut to maxExample bytes; "" past the budget
}

const (
	bigRow        = math.MaxUint32
	maxExample    = 64      // bytes of an example id kept
	exampleBudget = 1 << 20 // bytes of example ids kept in all
	maxLargest    = 20      // groups listed by Stats
)

// NewDetector returns an empty Detector whose table of groups stays within
// mem.
func NewDetector(mem spill.Memory) *Detector {
	return &Detector{
		seed:    maphash.MakeSeed(),
		fold:    cases.Fold(),
		t:       spill.NewByHash[entry](mem),
		big:     make(map[uint64]int64),
		aux:     make(map[uint64][2]uint64),
		auxMore: make(map[uint64][nSingle]uint64),
		stats:   make(map[int64]*group),
	}
}

// Add tells d about id, a distinct id first seen on row firstRow (from 1, in
// increasing order). When id's full normal form is that of an earlier id, Add
// returns the row of that form's first id and the kind of the difference
// between the two: the first single kind, in priority order, that alone makes
// them equal, else Mixed. Otherwise it returns 0 and "", and id starts a
// group of its own (of one member until another joins it).
//
// id must not have been added before: an exact duplicate is not a
// near-collision, and the caller's distinct-id set tells them apart.
func (d *Detector) Add(id string, firstRow int64) (similarTo int64, kind string) {
	var k keys
	d.keys(id, &k)
	key := max(k.full, 1) // as the table keeps it
	e, added := d.t.Add(key, newEntry(&k, firstRow))
	if added {
		d.start(key, e, &k, firstRow)
		return 0, ""
	}
	first := int64(e.row)
	if e.row == bigRow {
		first = d.big[key]
	}
	raw := uint64(e.raw[0]) | uint64(e.raw[1])<<32
	kd := kMixed
	inKey, inAux := uint8(raw)&maskBits, uint8(raw>>nSingle)&maskBits // see entry
	var aux [nSingle]uint64
	if inAux != 0 {
		aux = d.getAux(key, inAux)
	}
	for s := range nSingle {
		bit := uint8(1) << s
		var same bool
		switch {
		case (k.mask|inKey|inAux)&bit == 0:
			// The normalisation changes neither id, and the ids differ.
		case inKey&bit != 0:
			same = k.single[s] == key
		case inAux&bit != 0:
			same = k.single[s] == aux[s]
		default: // it does not change the first id
			same = k.single[s]&^flagMask == raw&^flagMask
		}
		if same {
			kd = s
			break
		}
	}
	d.count[kd]++
	g := d.stats[first]
	if g == nil {
		g = &group{size: 1}
		if d.exampleBytes < exampleBudget {
			g.example = strings.Clone(cut(id, maxExample))
			d.exampleBytes += len(g.example)
		}
		d.stats[first] = g
	}
	g.size++
	g.kinds |= 1 << kd
	return first, kinds[kd]
}

// entry is what the table keeps of a group's first id: 12 bytes in 4-byte
// words, so that a slot is 20 bytes.
type entry struct {
	// raw is the id's raw hash, its low byte replaced by two masks saying
	// where the hash of each single normalisation that changes the id is:
	// bit k, the normalisation gives the full form (the key: the common
	// case, as in "CRM-1001"); bit nSingle+k, it is in aux. A normalisation
	// in neither mask leaves the id as it is: its hash is the raw one.
	raw [2]uint32
	row uint32 // bigRow: in big
}

// newEntry returns the entry of k's id, on row.
func newEntry(k *keys, row int64) entry {
	var inKey, inAux uint8
	for s := range nSingle {
		switch bit := uint8(1) << s; {
		case k.mask&bit == 0:
		case k.single[s] == k.full:
			inKey |= bit
		default:
			inAux |= bit
		}
	}
	raw := k.raw&^flagMask | uint64(inKey) | uint64(inAux)<<nSingle
	e := entry{raw: [2]uint32{uint32(raw), uint32(raw >> 32)}, row: bigRow}
	if row >= 0 && row < bigRow {
		e.row = uint32(row)
	}
	return e
}

// start keeps what e, the entry of k's id on row that starts the group of
// key, has no room for: the hashes its masks put in aux, a row beyond 32
// bits.
func (d *Detector) start(key uint64, e entry, k *keys, row int64) {
	if inAux := uint8(e.raw[0]>>nSingle) & maskBits; inAux != 0 {
		d.putAux(key, inAux, &k.single)
	}
	if e.row == bigRow {
		d.big[key] = row
	}
}

// putAux keeps the hashes of single[s] for the kinds s in inAux.
func (d *Detector) putAux(key uint64, inAux uint8, single *[nSingle]uint64) {
	if bits.OnesCount8(inAux) > 2 {
		d.auxMore[key] = *single
		return
	}
	var packed [2]uint64
	n := 0
	for s := range nSingle {
		if inAux&(1<<s) != 0 {
			packed[n] = single[s]
			n++
		}
	}
	d.aux[key] = packed
}

// getAux returns what putAux kept, by kind.
func (d *Detector) getAux(key uint64, inAux uint8) (single [nSingle]uint64) {
	if bits.OnesCount8(inAux) > 2 {
		return d.auxMore[key]
	}
	packed, n := d.aux[key], 0
	for s := range nSingle {
		if inAux&(1<<s) != 0 {
			single[s] = packed[n]
			n++
		}
	}
	return single
}

// cut returns s cut to at most n bytes, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Stats is what a Detector found. Its JSON form is part of plan's and
// validate's --summary.
type Stats struct {
	Groups  int64            `json:"groups"`      // groups of two or more distinct ids
	Similar int64            `json:"similar_ids"` // distinct ids that joined a group (its first id not counted)
	ByKind  map[string]int64 `json:"by_kind"`     // Similar by kind; every kind present
	Largest []Group          `json:"largest"`     // the largest groups, at most 20, largest first (ties: earliest first)
}

// Group is one group of near-colliding ids.
type Group struct {
	FirstRow int64    `json:"first_row"` // row of the group's first id
	Size     int64    `json:"size"`      // distinct ids in the group, its first included
	Kinds    []string `json:"kinds"`     // kinds with which members joined, in priority order
	Example  string   `json:"example"`   // the first id that joined (up to 64 bytes); "" when not kept
}

// Stats returns the groups found so far. It sorts every group of two or
// more ids, so call it once, at the end.
func (d *Detector) Stats() Stats {
	s := Stats{Groups: int64(len(d.stats)), ByKind: make(map[string]int64, len(kinds))}
	for k, name := range kinds {
		s.ByKind[name] = d.count[k]
		s.Similar += d.count[k]
	}
	all := make([]Group, 0, len(d.stats))
	for first, g := range d.stats {
		all = append(all, Group{FirstRow: first, Size: g.size, Example: g.example, Kinds: kindNames(g.kinds)})
	}
	slices.SortFunc(all, func(a, b Group) int {
		if c := cmp.Compare(b.Size, a.Size); c != 0 {
			return c
		}
		return cmp.Compare(a.FirstRow, b.FirstRow)
	})
	s.Largest = slices.Clip(all[:min(len(all), maxLargest)])
	return s
}

func kindNames(mask uint8) []string {
	var names []string
	for k, name := range kinds {
		if mask&(1<<k) != 0 {
			names = append(names, name)
		}
	}
	return names
}
