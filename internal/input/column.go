package input

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file is the one rule by which a user names a column (CSV, TSV, XLSX)
// or an NDJSON field: the id (--id-column, --id-field), the email of
// --owners (--email-column) and --unique-columns. A name means the column
// spelled exactly so, else the one column equal to it ignoring case; a name
// that several columns answer to is refused, not guessed.

// FindColumn returns the 0-based index of the column of header that name
// means: the one spelled exactly name, else the one equal to it ignoring case
// (strings.EqualFold). Names are compared as the header holds them (the
// input's BOM stripped, nothing trimmed). Without a header (header nil, as
// with --no-header) name must be a column number from 1. Any error is a
// *ColumnError: no column answers to name, or several do (two spelled
// exactly name, or none exactly and several ignoring case). It does not
// modify header.
func FindColumn(header []string, name string) (int, error) {
	if header == nil {
		n, err := strconv.Atoi(name)
		if err != nil || n < 1 {
			return 0, &ColumnError{name: name}
		}
		return n - 1, nil
	}
	cols := matching(header, func(h string) bool { return h == name })
	if len(cols) == 0 {
		cols = matching(header, func(h string) bool { return strings.EqualFold(h, name) })
	}
	if len(cols) == 1 {
		return cols[0], nil
	}
	return 0, &ColumnError{name: name, header: header, cols: cols}
}

func matching(header []string, match func(string) bool) []int {
	var cols []int
	for i, h := range header {
		if match(h) {
			cols = append(cols, i)
		}
	}
	return cols
}

// ColumnError is a name FindColumn cannot take for one column. Its message
// names the columns there are, or the ones the name could mean.
type ColumnError struct {
	name   string
	header []string // nil: there was none, and name is not a column number
	cols   []int    // 0-based: the columns name answers to, when several do
}

func (e *ColumnError) Error() string {
	switch {
	case e.header == nil:
		return fmt.Sprintf("column %q: without a header, name columns by their 1-based number", e.name)
	case !e.Ambiguous():
		return fmt.Sprintf("no column %q in header (columns: %s)", e.name, columnList(e.header))
	}
	var cols []string
	for _, i := range e.cols {
		cols = append(cols, fmt.Sprintf("%d %s", i+1, column(e.header[i])))
	}
	return fmt.Sprintf("ambiguous column %q in header (columns %s)", e.name, strings.Join(cols, ", "))
}

// Ambiguous reports whether several columns answer to the name; otherwise
// none does.
func (e *ColumnError) Ambiguous() bool { return len(e.cols) > 1 }

// columnList lists header for a message; a wide header is cut short.
func columnList(header []string) string {
	const most = 20
	var b strings.Builder
	for i, h := range header {
		if i == most {
			fmt.Fprintf(&b, ", ... (%d more)", len(header)-most)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(column(h))
	}
	return b.String()
}

// column shows a column name as is, or quoted when white space, a comma or
// an unprintable character would otherwise hide what it is.
func column(h string) string {
	q := strconv.Quote(h)
	if h == "" || q[1:len(q)-1] != h || strings.Contains(h, ",") || strings.TrimFunc(h, unicode.IsSpace) != h {
		return q
	}
	return h
}

// Field is an NDJSON field named by a dotted path (customer.email: the
// field email of the object in the field customer), each of its steps found
// among an object's keys by FindColumn's rule: the key spelled exactly (the
// last of duplicates, as encoding/json takes), else the one key equal to it
// ignoring case. A Field is safe for concurrent use.
type Field struct {
	name string   // as given, for messages
	path []string // name split at its dots
}

// NewField returns the Field that name, a dotted path, means.
func NewField(name string) Field { return Field{name, strings.Split(name, ".")} }

// String is the field's name as given.
func (f Field) String() string { return f.name }

// Find returns the JSON text of f's value in obj, a valid JSON object (as
// the Raw of an NDJSON Row that has an id is): its walk relies on that. ok is
// false when obj has no such field or names it ambiguously. It allocates
// only for a key holding an escape.
func (f Field) Find(obj []byte) (val []byte, ok bool) {
	val, m, _ := f.find(obj)
	return val, m == exact || m == folded
}

// Value is the value Find finds, as text: a string decoded, a number as its
// literal text, null as "", anything else as its JSON text.
func (f Field) Value(obj []byte) (value string, ok bool) {
	v, ok := f.Find(obj)
	switch {
	case !ok:
		return "", false
	case v[0] == '"' && bytes.IndexByte(v, '\\') < 0:
		return string(v[1 : len(v)-1]), true
	case v[0] == '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", false // cannot happen: v is valid
		}
		return s, true
	case string(v) == "null":
		return "", true
	}
	return string(v), true
}

// match is how a key, or a Field, was found in an object.
type match uint8

const (
	missing   match = iota
	exact           // spelled exactly
	folded          // equal ignoring case only, and the only such key
	ambiguous       // none spelled exactly, several different ones equal ignoring case
)

// find is Find, saying how the field was found, or at which step of its
// path not (a path's object missing counts as the field missing).
func (f Field) find(obj []byte) (val []byte, m match, step int) {
	v := bytes.TrimLeft(obj, " \t\r\n")
	for i, key := range f.path {
		if len(v) == 0 || v[0] != '{' {
			return nil, missing, i
		}
		if v, m = lookup(v, key); m == missing || m == ambiguous {
			return nil, m, i
		}
	}
	return v, m, len(f.path)
}

// ambiguity says why obj names f ambiguously, naming the keys it could mean
// (with the path before them as given): for an invalid row, never on the
// hot path.
func (f Field) ambiguity(obj []byte) string {
	_, m, step := f.find(obj)
	if m != ambiguous {
		return ""
	}
	v := bytes.TrimLeft(obj, " \t\r\n")
	for _, key := range f.path[:step] {
		v, _ = lookup(v, key)
	}
	prefix := strings.Join(f.path[:step], ".")
	if prefix != "" {
		prefix += "."
	}
	var keys []string
	for _, k := range foldKeys(v, f.path[step]) {
		keys = append(keys, column(prefix+k))
	}
	return fmt.Sprintf("ambiguous field %q (fields %s)", f.name, strings.Join(keys, ", "))
}

// lookup returns the value of key in obj, a valid JSON object (checked by
// json.Valid: the skipping below relies on it), found by the rule of Field.
// Walking the bytes instead of decoding into a map makes NDJSON reading
// several times faster and allocation free.
func lookup(obj []byte, key string) (val []byte, m match) {
	simple := plainASCII(key)
	var fold []byte // the first key equal to key only ignoring case
	i := skipSpace(obj, 1)
	for obj[i] != '}' {
		end := skipString(obj, i)
		k := obj[i+1 : end-1]
		i = skipSpace(obj, skipSpace(obj, end)+1) // past the colon
		vend := skipValue(obj, i)
		switch same, folds := keyMatch(k, key, simple); {
		case same:
			val, m = obj[i:vend], exact // of duplicates, the last
		case !folds || m == exact:
		case fold == nil:
			fold, val, m = k, obj[i:vend], folded
		case m == folded && sameKey(fold, k):
			val = obj[i:vend] // a duplicate: the last, as of an exact key
		case m == folded:
			val, m = nil, ambiguous
		}
		if i = skipSpace(obj, vend); obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return val, m
}

// keyMatch compares the raw key k (without quotes) with key: the same, or
// only equal ignoring case. simple is plainASCII(key), the usual name.
func keyMatch(k []byte, key string, simple bool) (same, folds bool) {
	if simple {
		// The fast path, as most keys are not key: an escape or a non-ASCII
		// letter only makes a raw key longer than the ASCII it can mean
		// (\u0041 is six bytes for one; the Kelvin sign, K ignoring case,
		// three), so a raw key as long as key means it only byte for byte,
		// a shorter one never, and a longer one only through an escape or a
		// non-ASCII byte.
		switch {
		case len(k) == len(key):
			same = string(k) == key
			return same, !same && asciiFold(k, key)
		case len(k) < len(key), plainASCII(k):
			return false, false
		}
	}
	if plainKey(k) {
		same = string(k) == key
		return same, !same && equalFold(k, key)
	}
	s, ok := decodeKey(k)
	return ok && s == key, ok && s != key && strings.EqualFold(s, key)
}

// plainASCII reports whether b is ASCII without a backslash: as a raw JSON
// key, the key it means byte for byte.
func plainASCII[T string | []byte](b T) bool {
	for i := 0; i < len(b); i++ {
		if c := b[i]; c >= utf8.RuneSelf || c == '\\' {
			return false
		}
	}
	return true
}

// asciiFold is strings.EqualFold for k and key of the same length, key
// ASCII: a non-ASCII byte of k matches nothing.
func asciiFold(k []byte, key string) bool {
	for i := range len(k) {
		if a, b := k[i], key[i]; a != b && lower(a) != lower(b) {
			return false
		}
	}
	return true
}

// sameKey reports whether the raw keys a and b mean the same key.
func sameKey(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if plainKey(a) && plainKey(b) {
		return false
	}
	s, ok := decodeKey(a)
	t, ok2 := decodeKey(b)
	return ok && ok2 && s == t
}

// plainKey reports whether the raw key k means its bytes as they are: no
// escapes, and no bad UTF-8 that encoding/json would replace.
func plainKey(k []byte) bool { return bytes.IndexByte(k, '\\') < 0 && utf8.Valid(k) }

// decodeKey decodes a raw key as encoding/json does.
func decodeKey(k []byte) (string, bool) {
	var s string
	err := json.Unmarshal(append(append([]byte{'"'}, k...), '"'), &s)
	return s, err == nil
}

// equalFold is strings.EqualFold(string(k), key) without a conversion that
// could allocate: ASCII first, the rare rest by strings.EqualFold.
func equalFold(k []byte, key string) bool {
	for i := 0; i < len(k) && i < len(key); i++ {
		a, b := k[i], key[i]
		if a|b >= utf8.RuneSelf {
			return strings.EqualFold(string(k[i:]), key[i:])
		}
		if a != b && lower(a) != lower(b) {
			return false
		}
	}
	return len(k) == len(key)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// foldKeys lists the keys of obj, a valid JSON object, equal to key
// ignoring case, decoded, each once, first seen first.
func foldKeys(obj []byte, key string) []string {
	var keys []string
	i := skipSpace(obj, 1)
	for obj[i] != '}' {
		end := skipString(obj, i)
		if k, ok := decodeKey(obj[i+1 : end-1]); ok && strings.EqualFold(k, key) && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
		i = skipSpace(obj, skipSpace(obj, end)+1)
		if i = skipSpace(obj, skipValue(obj, i)); obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return keys
}
