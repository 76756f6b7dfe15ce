package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strconv"
)

// jsonWriter writes NDJSON lines: the original object with the added fields
// before its closing brace, or, for CSV/TSV input, an object built from the
// row's cells.
type jsonWriter struct {
	errWriter
	fromCSV bool
	columns int      // CSV/TSV: cells per row, short rows padded with ""
	keys    [][]byte // CSV/TSV: `"name":` for each original column, encoded once
	added   [5][]byte
	near    [2][]byte    // `"similarTo":`, `"similarKind":`, prefixed
	compact bytes.Buffer // scratch for a status envelope that spans lines
}

func newJSONWriter(w io.Writer, opt Options, added, keys []string) *jsonWriter {
	j := &jsonWriter{
		errWriter: errWriter{bw: bufio.NewWriterSize(w, bufferSize)},
		fromCSV:   keys != nil,
		columns:   opt.Columns,
	}
	for i, name := range added {
		j.added[i] = appendKey(nil, name)
	}
	for i, name := range nearAdded {
		j.near[i] = appendKey(nil, opt.ColumnPrefix+name)
	}
	for _, k := range keys {
		j.keys = append(j.keys, appendKey(nil, k))
	}
	return j
}

func appendKey(dst []byte, name string) []byte {
	return append(appendJSONString(dst, name), ':')
}

// Write encodes r as one NDJSON line.
func (j *jsonWriter) Write(r *Record) error {
	if j.err != nil {
		return j.err
	}
	b := j.line[:0]
	if j.fromCSV {
		b = j.appendCells(b, r.Row.Fields)
	} else if obj, empty, ok := objectPrefix(r); ok {
		// The original bytes, up to (not including) the closing brace.
		b = append(b, obj...)
		if !empty {
			b = append(b, ',')
		}
	} else {
		// Not an object: there is nothing to add fields to, so the text
		// becomes a string field of a new object.
		b = append(b, `{"raw":`...)
		b = appendJSONString(b, trimEOL(r.Row.Raw))
		b = append(b, ',')
	}
	b = j.appendAdded(b, r)
	b = append(b, '}', '\n')
	j.line = b
	return j.emit()
}

// appendCells writes a CSV/TSV row as the start of an object, with its
// trailing comma: header names as keys, column<N> beyond the header.
func (j *jsonWriter) appendCells(b []byte, fields []string) []byte {
	b = append(b, '{')
	n := max(len(fields), j.columns)
	for i := range n {
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
		b = appendJSONString(b, f)
		b = append(b, ',')
	}
	return b
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

// appendAdded writes the added fields and no closing brace.
func (j *jsonWriter) appendAdded(b []byte, r *Record) []byte {
	b = append(b, j.added[0]...)
	if r.Answered {
		b = strconv.AppendBool(b, r.IsAvailable)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, ',')
	b = append(b, j.added[1]...)
	b = j.appendStatus(b, r.Status)
	b = append(b, ',')
	b = append(b, j.added[2]...)
	b = appendJSONString(b, r.Verdict.String())
	b = append(b, ',')
	if r.DuplicateOf > 0 {
		b = append(b, j.added[3]...)
		b = strconv.AppendInt(b, r.DuplicateOf, 10)
		b = append(b, ',')
	}
	b = append(b, j.added[4]...)
	b = appendJSONString(b, j.detail(r, j.fromCSV))
	if r.SimilarTo > 0 {
		b = append(b, ',')
		b = append(b, j.near[0]...)
		b = strconv.AppendInt(b, r.SimilarTo, 10)
		b = append(b, ',')
		b = append(b, j.near[1]...)
		b = appendJSONString(b, r.SimilarKind)
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
