package output

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"

	"github.com/parquet-go/parquet-go"

	"github.com/azotte/azvalidate/internal/input"
)

// jsonWriter writes NDJSON lines: the original object with the added fields
// before its closing brace, or, for CSV/TSV input, an object built from the
// row's cells.
type jsonWriter struct {
	errWriter
	fromCSV bool
	columns int          // CSV/TSV: cells per row, short rows padded with ""
	keys    [][]byte     // CSV/TSV: `"name":` for each original column, encoded once
	literal []bool       // Parquet: the columns whose values are written as JSON numbers or booleans (see parquetLiterals); nil for none
	null    []bool       // scratch: which of a Parquet row's columns are null
	added   []field      // the added fields
	compact bytes.Buffer // scratch for a status envelope that spans lines

	refs   *refs       // several inputs: row numbers as FILE:ROW; nil for one
	shapes []jsonShape // several inputs: each one's fromCSV, columns and keys, by Row.File
}

// jsonShape is how the rows of one of several inputs become objects.
type jsonShape struct {
	fromCSV bool
	columns int
	keys    [][]byte
	literal []bool
}

// newJSONWriter returns a writer adding cols, named added (prefixed), to
// NDJSON objects, or, with keys, to objects built from CSV/TSV rows.
func newJSONWriter(w io.Writer, opt Options, cols []column, added, keys []string) *jsonWriter {
	j := &jsonWriter{
		errWriter: errWriter{bw: newRowBuffer(w)},
		fromCSV:   keys != nil,
		columns:   opt.Columns,
	}
	for i, c := range cols {
		j.added = append(j.added, field{c, appendKey(nil, added[i])})
	}
	for _, k := range keys {
		j.keys = append(j.keys, appendKey(nil, k))
	}
	return j
}

// field is an added column with its key, `"name":`, prefixed, encoded once.
type field struct {
	column
	key []byte
}

func appendKey(dst []byte, name string) []byte {
	return append(appendJSONString(dst, name), ':')
}

// Write encodes r as one NDJSON line.
func (j *jsonWriter) Write(r *Record) error {
	if j.err != nil {
		return j.err
	}
	if f := r.Row.File; f >= 0 && f < len(j.shapes) {
		s := &j.shapes[f]
		j.fromCSV, j.columns, j.keys, j.literal = s.fromCSV, s.columns, s.keys, s.literal
	}
	b := j.line[:0]
	var more bool // b holds a field: the next one follows a comma
	if j.fromCSV {
		b, more = j.appendCells(b, r)
	} else if obj, empty, ok := objectPrefix(r); ok {
		// The original bytes, up to (not including) the closing brace.
		b = append(b, obj...)
		more = !empty
	} else {
		// Not an object: there is nothing to add fields to, so the text
		// becomes a string field of a new object.
		b = append(b, `{"raw":`...)
		b = appendJSONString(b, trimEOL(r.Row.Raw))
		more = true
	}
	b = j.appendAdded(b, r, more)
	b = append(b, '}', '\n')
	j.line = b
	return j.emit()
}

// appendCells writes a CSV/TSV or Parquet row as the start of an object:
// header names as keys, column<N> beyond the header. Cells are strings, but
// for a Parquet column of numbers or booleans (j.literal), whose values are
// written as JSON literals, null as null. more is whether it wrote a field.
func (j *jsonWriter) appendCells(b []byte, r *Record) (_ []byte, more bool) {
	fields := r.Row.Fields
	literal := j.literal
	if r.Row.Values == nil {
		literal = nil // a row the reader could not read as values
	} else if literal != nil {
		j.null = slices.Grow(j.null[:0], len(literal))[:len(literal)]
		clear(j.null)
		r.Row.Values.Range(func(col int, vals []parquet.Value) bool {
			if col < len(j.null) {
				j.null[col] = len(vals) == 0 || vals[0].IsNull()
			}
			return true
		})
	}
	b = append(b, '{')
	n := max(len(fields), j.columns)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		if i < len(j.keys) {
			b = append(b, j.keys[i]...)
		} else {
			b = append(b, `"column`...)
			b = strconv.AppendInt(b, int64(i+1), 10)
			b = append(b, `":`...)
		}
		var f string
		if i < len(fields) {
			f = fields[i]
		}
		switch {
		case i < len(literal) && literal[i] && j.null[i]:
			b = append(b, "null"...)
		case i < len(literal) && literal[i] && jsonLiteral(f):
			b = append(b, f...)
		default:
			b = appendJSONString(b, f)
		}
	}
	return b, n > 0
}

// parquetLiterals says, for each leaf column of a Parquet input's schema,
// whether its values are written to NDJSON as JSON literals: a column of
// booleans or numbers (see input.JSONLiteral) outside any list. nil when
// there is no such column, or no schema.
func parquetLiterals(schema *parquet.Schema) []bool {
	if schema == nil {
		return nil
	}
	var lit []bool
	for i, path := range schema.Columns() {
		leaf, ok := schema.Lookup(path...)
		if ok && leaf.MaxRepetitionLevel == 0 && input.JSONLiteral(leaf.Node.Type()) {
			if lit == nil {
				lit = make([]bool, len(schema.Columns()))
			}
			lit[i] = true
		}
	}
	return lit
}

// jsonLiteral reports whether s is a JSON number, true or false: what a
// Parquet number or boolean reads as, but for NaN and the infinities.
func jsonLiteral(s string) bool {
	if s == "true" || s == "false" {
		return true
	}
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// objectPrefix returns the row's original object without its closing brace
// (and any white space after it), and whether the object is empty. ok is
// false when the row holds no JSON object. Rows the reader accepted are
// objects by construction; only invalid rows are checked in full.
func objectPrefix(r *Record) (obj []byte, empty, ok bool) {
	raw := r.Row.Raw
	t := bytes.TrimSpace(raw)
	if len(t) < 2 || t[0] != '{' || t[len(t)-1] != '}' {
		return nil, false, false
	}
	if r.Row.Invalid != "" && !json.Valid(t) {
		return nil, false, false
	}
	end := bytes.LastIndexByte(raw, '}')
	empty = len(bytes.TrimSpace(t[1:len(t)-1])) == 0
	return raw[:end], empty, true
}

// appendAdded writes the added fields that r has, after a comma when more,
// and no closing brace.
func (j *jsonWriter) appendAdded(b []byte, r *Record, more bool) []byte {
	for i := range j.added {
		col := &j.added[i]
		if col.omit != nil && col.omit(r) {
			continue
		}
		start := len(b)
		if more {
			b = append(b, ',')
		}
		b = append(b, col.key...)
		switch {
		case col.str != nil:
			s := col.str(r)
			if s == "" && !col.keep {
				b = b[:start]
				continue
			}
			b = appendJSONString(b, s)
		case col.seq != nil:
			n := col.seq(r)
			if n <= 0 && !col.keep {
				b = b[:start]
				continue
			}
			if file, row := j.refs.ref(n, r); file != "" {
				b = appendJSONString(b, file+":"+strconv.FormatInt(row, 10))
			} else {
				b = strconv.AppendInt(b, row, 10)
			}
		default:
			b = col.value(j, b, r)
		}
		more = true
	}
	return b
}

// appendStatus writes Azotte's envelope as returned, or null when there is
// none. It is written on error rows too (a messageCode other than SUCCESS),
// where it is the best explanation of the error. An envelope
// that Azotte pretty-printed over several lines is compacted, since a line
// break would split the NDJSON record; one that is not JSON at all (the
// client only passes parsed envelopes, so this is defensive) becomes a string.
func (j *jsonWriter) appendStatus(b []byte, status json.RawMessage) []byte {
	if len(status) == 0 {
		return append(b, "null"...)
	}
	if bytes.IndexByte(status, '\n') < 0 && bytes.IndexByte(status, '\r') < 0 {
		return append(b, status...)
	}
	j.compact.Reset()
	if err := json.Compact(&j.compact, status); err != nil {
		return appendJSONString(b, []byte(status))
	}
	return append(b, j.compact.Bytes()...)
}
