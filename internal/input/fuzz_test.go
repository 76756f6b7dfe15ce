package input

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// FuzzCSV reads arbitrary bytes as CSV. Besides not panicking, rows must be
// numbered without gaps, valid rows must carry the id column as their id,
// and the fields of the valid rows must survive a round trip: written out
// fully quoted and read again, they come back the same.
func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"externalId,name\na,Ann\n",
		"\ufeffa,\"b,\nc\"\r\n\"d\"\"e\",f\n\n",
		"a\"b,\"c\"d,\"open\n",
		"x,y\r\n\r\n,\n \"q\" ,z",
		generate(CSV, 5),
	} {
		f.Add([]byte(s), uint8(0), uint16(0), false)
		f.Add([]byte(s), uint8(1), uint16(7), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, idIndex uint8, max uint16, trim bool) {
		if bytes.HasPrefix(data, gzipMagic) {
			return
		}
		for _, noHeader := range []bool{true, false} {
			cfg := Config{Format: CSV, NoHeader: noHeader, IDIndex: int(idIndex%4) + 1, Trim: trim, MaxRecordBytes: int(max % 300)}
			_, rows, err := readFrom(t, "fuzz", bytes.NewReader(data), cfg)
			if err != nil {
				continue // an empty input or a header without the id column
			}
			idCol := cfg.IDIndex - 1
			var out strings.Builder
			var valid [][]string
			for i, r := range rows {
				if r.Seq != int64(i+1) || (i > 0 && r.Line <= rows[i-1].Line) {
					t.Fatalf("row %d: seq %d line %d after line %d", i+1, r.Seq, r.Line, rows[i-min(i, 1)].Line)
				}
				if r.Invalid != "" {
					// Its text is kept: as fields if it could be split, else raw.
					if (r.Raw == nil && r.Fields == nil) || r.ID != "" {
						t.Fatalf("row %d: invalid %q without fields or raw text, or with id %q", r.Seq, r.Invalid, r.ID)
					}
					continue
				}
				want := r.Fields[idCol]
				if trim {
					want = strings.TrimFunc(want, unicode.IsSpace)
				}
				if r.ID != want {
					t.Fatalf("row %d: id %q, field %d is %q", r.Seq, r.ID, idCol+1, r.Fields[idCol])
				}
				valid = append(valid, r.Fields)
				for k, field := range r.Fields {
					if k > 0 {
						out.WriteByte(',')
					}
					out.WriteString(`"` + strings.ReplaceAll(field, `"`, `""`) + `"`)
				}
				out.WriteByte('\n')
			}
			if len(valid) == 0 {
				continue
			}
			_, again, err := readAll(t, "again", out.String(), Config{Format: CSV, NoHeader: true, IDIndex: 1})
			if err != nil || len(again) != len(valid) {
				t.Fatalf("read again: %d rows, %v; want %d", len(again), err, len(valid))
			}
			for i, r := range again {
				if !equal(r.Fields, valid[i]) {
					t.Fatalf("round trip of row %d: %q became %q", i+1, valid[i], r.Fields)
				}
			}
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzNDJSON reads arbitrary bytes as NDJSON: every line but a blank one
// must come out as a row, in order, numbered without the blank ones, with the
// line's text as Raw, and the id found must be the one encoding/json finds.
func FuzzNDJSON(f *testing.F) {
	for _, s := range []string{
		`{"externalId":"a"}` + "\n" + `{"externalId":1e3}`,
		"{\"externalId\":null}\r\n\n[1]\n \n",
		"\ufeff{\"a\":{\"externalId\":\"x\"}}\n{bad\n",
		`{"ExternalID":"a"}` + "\n" + `{"EXTERNALID":1,"ExternalId":2}` + "\n" + `{"externalid":"x","\u0045xternalid":"y","externalid":"z"}`,
		`{"A":{"externalID":"x"},"a":{"externalId":"y"}}` + "\n" + `{"a":{"ExternalId":1,"EXTERNALid":2,"externalId":3}}`,
		generate(NDJSON, 5),
	} {
		f.Add([]byte(s), uint16(0), false)
		f.Add([]byte(s), uint16(9), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, max uint16, nested bool) {
		if bytes.HasPrefix(data, gzipMagic) || bytes.HasPrefix(data, utf16LEBOM) || bytes.HasPrefix(data, utf16BEBOM) {
			return // decoded first: the lines below are not the ones read
		}
		cfg := Config{Format: NDJSON, MaxRecordBytes: int(max % 300)}
		if nested {
			cfg.IDField = "a.externalId"
		}
		_, rows, err := readFrom(t, "fuzz", bytes.NewReader(data), cfg)
		var nf *NoFieldError
		if errors.As(err, &nf) {
			// A wrong --id-field: no object the reader parsed may have it.
			path := strings.Split(cmp.Or(cfg.IDField, "externalId"), ".")
			for i, line := range bytes.Split(bytes.TrimPrefix(data, utf8BOM), []byte("\n")) {
				line = bytes.TrimSuffix(line, []byte("\r"))
				if len(line) > cmp.Or(cfg.MaxRecordBytes, defaultMaxRecord) || !json.Valid(line) || bytes.TrimSpace(line)[0] != '{' {
					continue
				}
				if _, _, invalid := referenceID(line, path); !strings.HasPrefix(invalid, "no field") {
					t.Fatalf("%v, but line %d %q has it", err, i+1, line)
				}
			}
			return
		}
		if err != nil {
			if len(bytes.TrimPrefix(data, utf8BOM)) == 0 {
				return
			}
			t.Fatal(err)
		}
		limit := cfg.MaxRecordBytes
		if limit == 0 {
			limit = defaultMaxRecord
		}
		tooLongWhy := fmt.Sprintf("record longer than %d bytes", limit)
		// The lines as a reference reader sees them.
		lines := bytes.Split(bytes.TrimPrefix(data, utf8BOM), []byte("\n"))
		for i := range lines[:len(lines)-1] {
			lines[i] = bytes.TrimSuffix(lines[i], []byte("\r"))
		}
		if len(lines[len(lines)-1]) == 0 {
			lines = lines[:len(lines)-1] // after the final newline: no line
		}
		// Blank lines are no rows, unless too long to hold and see blank.
		var numbers []int64
		kept := lines[:0]
		for i, line := range lines {
			if len(line) <= limit && len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			kept, numbers = append(kept, line), append(numbers, int64(i+1))
		}
		lines = kept
		if len(rows) != len(lines) {
			t.Fatalf("%d rows from %d lines", len(rows), len(lines))
		}
		for i, r := range rows {
			line := lines[i]
			tooLong := len(line) > limit
			if tooLong {
				line = line[:limit]
			}
			if r.Seq != int64(i+1) || r.Line != numbers[i] || !bytes.Equal(r.Raw, line) || tooLong != (r.Invalid == tooLongWhy) {
				t.Fatalf("row %d: seq %d line %d raw %q (%s), want line %d raw %q", i+1, r.Seq, r.Line, r.Raw, r.Invalid, numbers[i], line)
			}
			if (r.Invalid == "") == (r.ID == "") {
				t.Fatalf("row %d: id %q with invalid %q", i+1, r.ID, r.Invalid)
			}
			if tooLong || !json.Valid(line) || bytes.TrimSpace(line)[0] != '{' {
				continue
			}
			id, padded, invalid := referenceID(line, strings.Split(cmp.Or(cfg.IDField, "externalId"), "."))
			if r.ID != id || r.Padded != padded || r.Invalid != invalid {
				t.Fatalf("row %d %q: id %q padded %v invalid %q, want %q %v %q", i+1, line, r.ID, r.Padded, r.Invalid, id, padded, invalid)
			}
		}
	})
}

// referenceID finds the id in a valid JSON object the slow, obvious way:
// at each step of path, the key spelled exactly, else the one key equal to
// it ignoring case.
func referenceID(line []byte, path []string) (id string, padded bool, invalid string) {
	v := json.RawMessage(line)
	for step, key := range path {
		var obj map[string]json.RawMessage
		if json.Unmarshal(v, &obj) != nil {
			obj = nil // not an object
		}
		var folds []string
		if _, ok := obj[key]; !ok {
			for _, k := range referenceKeys(v) {
				if strings.EqualFold(k, key) && !slices.Contains(folds, k) {
					folds = append(folds, k)
				}
			}
		}
		switch {
		case len(folds) == 1:
			key = folds[0]
		case len(folds) > 1:
			var keys []string
			for _, k := range folds {
				keys = append(keys, column(strings.Join(append(slices.Clone(path[:step]), k), ".")))
			}
			return "", false, fmt.Sprintf("ambiguous field %q (fields %s)", strings.Join(path, "."), strings.Join(keys, ", "))
		}
		var ok bool
		if v, ok = obj[key]; !ok {
			return "", false, fmt.Sprintf("no field %q", strings.Join(path, "."))
		}
	}
	switch v[0] {
	case '"':
		if bytes.IndexByte(v, '\\') < 0 {
			id = string(v[1 : len(v)-1])
		} else if err := json.Unmarshal(v, &id); err != nil {
			panic(err)
		}
	case 'n', 't', 'f', '{', '[':
		return "", false, "id is not a string or number"
	default:
		id = string(v)
	}
	return checkID(id, false)
}

func BenchmarkCSV(b *testing.B)    { benchmark(b, CSV) }
func BenchmarkNDJSON(b *testing.B) { benchmark(b, NDJSON) }

// benchmark reads a generated 100k-row input and reports rows/s and
// allocations per row.
func benchmark(b *testing.B, f Format) {
	const n = 100_000
	data := []byte(generate(f, n))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rows := 0
	for b.Loop() {
		rd, err := Open("-", bytes.NewReader(data), Config{Format: f})
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(rows), "allocs/row")
}

// referenceKeys lists the keys of obj, valid JSON, in order (none when it
// is not an object).
func referenceKeys(obj []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			panic(err) // cannot happen: obj is valid
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			panic(err)
		}
	}
	return keys
}
