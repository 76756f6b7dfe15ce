// Package unique forecasts the store's refusals of values that must be
// unique per tenant besides the id (--unique-columns): an e-mail address or
// a phone number already used by another customer is refused (409) when the
// customer is stored, even when its id is available.
//
// A Checker is told the first row of every distinct id, in input order, and
// says, for each configured column, whether an earlier such row held the
// same value after normalisation (Normalize). It keeps no values, only a
// 64-bit hash of each with the row that first held it (an idtable.ByHash
// of 12-byte slots: 15 to 23 bytes a value), so memory grows with the
// distinct values and not with their length. Two values with one hash count
// as one: odds of about n²/2⁶⁵ for n values.
package unique

import (
	"fmt"
	"hash/maphash"
	"math"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/spill"
)

// Kind is how a column's values are compared.
type Kind uint8

// The kinds.
const (
	Exact Kind = iota // byte for byte
	Email             // trimmed and case-folded
	Phone             // '+' and ASCII digits only
)

func (k Kind) String() string {
	switch k {
	case Email:
		return "email"
	case Phone:
		return "phone"
	}
	return "exact"
}

// KindOf is the kind a column gets from its name: e-mail for a name that
// contains "mail", phone for one that contains "phone" or "mobile", exact
// otherwise (case ignored; for an NDJSON path, its last part).
func KindOf(name string) Kind {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToLower(name)
	switch {
	case strings.Contains(name, "mail"):
		return Email
	case strings.Contains(name, "phone"), strings.Contains(name, "mobile"):
		return Phone
	}
	return Exact
}

// Normalize appends to buf the form of v that k compares: an e-mail trimmed
// of white space and case-folded, a phone number reduced to its '+' signs and
// ASCII digits (so "+49 30 1234-56" and "+4930123456" are equal, but a
// leading 00 stays 00 and is not read as '+'), any other value as it is. An
// empty result (an empty value, white space only, a phone without digits)
// never collides.
func Normalize(buf []byte, k Kind, v string) []byte {
	switch k {
	case Email:
		v = strings.TrimSpace(v)
		start := len(buf)
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c >= utf8.RuneSelf {
				// Rare: full Unicode case folding, which allocates.
				return append(buf[:start], cases.Fold().String(v)...)
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf = append(buf, c)
		}
		return buf
	case Phone:
		start, digits := len(buf), false
		for i := 0; i < len(v); i++ {
			switch c := v[i]; {
			case '0' <= c && c <= '9':
				digits = true
				buf = append(buf, c)
			case c == '+':
				buf = append(buf, c)
			}
		}
		if !digits {
			return buf[:start] // no digit: nothing to compare
		}
		return buf
	}
	if strings.TrimSpace(v) == "" {
		return buf // white space only is as good as empty
	}
	return append(buf, v...)
}

// Column is one column of --unique-columns.
type Column struct {
	Name string // as given: a CSV/TSV header name (or 1-based number without a header), an NDJSON dotted path
	Kind Kind
}

// ParseColumns reads a --unique-columns list: names separated by commas,
// each optionally followed by ":email", ":phone" or ":exact" to choose its
// comparison instead of KindOf's guess from the name.
func ParseColumns(list string) ([]Column, error) {
	var cols []Column
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		name, kind, hasKind := strings.Cut(part, ":")
		c := Column{Name: name, Kind: KindOf(name)}
		if hasKind {
			switch kind {
			case "email":
				c.Kind = Email
			case "phone":
				c.Kind = Phone
			case "exact":
				c.Kind = Exact
			default:
				return nil, fmt.Errorf("column %q: unknown comparison %q (want email, phone or exact)", name, kind)
			}
		}
		if name == "" {
			return nil, fmt.Errorf("empty column name in %q", list)
		}
		for _, o := range cols {
			if o.Name == name {
				return nil, fmt.Errorf("column %q is named twice", name)
			}
		}
		cols = append(cols, c)
	}
	if len(cols) > maxColumns {
		return nil, fmt.Errorf("at most %d columns, got %d", maxColumns, len(cols))
	}
	return cols, nil
}

// maxColumns bounds a list: a row's colliding columns are a bit set.
const maxColumns = 16

// Checker finds the rows that repeat an earlier row's value in any of its
// columns. Not safe for concurrent use.
type Checker struct {
	cols   []Column
	index  []int                          // CSV/TSV: each column's field index
	fields []input.Field                  // NDJSON: each column's field
	sets   []*spill.Table[uint64, uint32] // by column: a value's hash to its first row (bigRow: in big)
	big    map[bigKey]int64               // first rows that do not fit 32 bits; nearly always empty
	seed   maphash.Seed
	buf    []byte
	on     map[uint32]string // collidesOn text by bit set of columns, built once each
	counts []int64           // rows colliding, by column
	rows   int64             // rows colliding on any column
}

// NewChecker returns a Checker of cols for an input read as format with
// header (CSV/TSV; nil without one, when names must be 1-based numbers),
// each column found by input.FindColumn, each NDJSON field by input.Field.
func NewChecker(cols []Column, format input.Format, header []string, mem spill.Memory) (*Checker, error) {
	c := &Checker{cols: cols, seed: maphash.MakeSeed(), big: make(map[bigKey]int64), on: make(map[uint32]string), counts: make([]int64, len(cols))}
	for _, col := range cols {
		c.sets = append(c.sets, spill.NewByHash[uint32](mem))
		if format == input.NDJSON {
			c.fields = append(c.fields, input.NewField(col.Name))
			continue
		}
		i, err := input.FindColumn(header, col.Name)
		if err != nil {
			return nil, err
		}
		c.index = append(c.index, i)
	}
	return c, nil
}

// Check looks up row's values, remembering those not seen before, and
// returns the row of the earlier row that held the first colliding column's
// value and the colliding columns' names, joined by commas in the list's
// order ("email,phone" when both collide); 0 and "" when none does.
func (c *Checker) Check(row input.Row) (with int64, on string) {
	var hit uint32
	for i, col := range c.cols {
		v, ok := c.value(row, i)
		if !ok {
			continue
		}
		c.buf = Normalize(c.buf[:0], col.Kind, v)
		if len(c.buf) == 0 {
			continue
		}
		h := maphash.Bytes(c.seed, c.buf)
		first, isNew := c.sets[i].Add(h, firstOf(row.Seq))
		if isNew {
			if first == bigRow {
				c.big[bigKey{i, h}] = row.Seq
			}
			continue
		}
		if hit == 0 {
			with = int64(first)
			if first == bigRow {
				with = c.big[bigKey{i, h}]
			}
		}
		hit |= 1 << i
		c.counts[i]++
	}
	if hit == 0 {
		return 0, ""
	}
	c.rows++
	on, ok := c.on[hit]
	if !ok {
		var names []string
		for i, col := range c.cols {
			if hit&(1<<i) != 0 {
				names = append(names, col.Name)
			}
		}
		on = strings.Join(names, ",")
		c.on[hit] = on
	}
	return with, on
}

// bigRow is a first row that does not fit 32 bits, kept in Checker.big.
const bigRow = math.MaxUint32

// firstOf is seq as a set keeps it.
func firstOf(seq int64) uint32 {
	if seq >= 0 && seq < bigRow {
		return uint32(seq)
	}
	return bigRow
}

// bigKey is a value in Checker.big: its column (two columns' values have
// one hash when they are equal) and its hash.
type bigKey struct {
	col int
	h   uint64
}

// value is row's value of column i.
func (c *Checker) value(row input.Row, i int) (string, bool) {
	if c.fields != nil {
		if row.Raw == nil {
			return "", false
		}
		return c.fields[i].Value(row.Raw)
	}
	if j := c.index[i]; j < len(row.Fields) {
		return row.Fields[j], true
	}
	return "", false
}

// Stats are what a Checker found: the summary's unique_collisions.
type Stats struct {
	Rows     int64            `json:"rows"`      // rows colliding on any column
	ByColumn map[string]int64 `json:"by_column"` // rows colliding, by column (a row colliding on two counts in both)
}

// Stats returns the counts so far.
func (c *Checker) Stats() Stats {
	s := Stats{Rows: c.rows, ByColumn: make(map[string]int64, len(c.cols))}
	for i, col := range c.cols {
		s.ByColumn[col.Name] = c.counts[i]
	}
	return s
}

// Columns returns the columns checked, in the list's order.
func (c *Checker) Columns() []Column { return c.cols }
