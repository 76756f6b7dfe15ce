package input

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ndjsonReader reads one JSON object per line and finds the id in it.
type ndjsonReader struct {
	*source
	field Field // Config.IDField
	trim  bool

	// Until an object has the field: the objects read and the top-level
	// fields they had, to tell a wrong --id-field from rows lacking an id.
	found   bool
	objects int
	fields  []string
}

// fieldProbe is how many objects without the id field make a wrong
// --id-field, not a few rows lacking an id.
const fieldProbe = 1000

func newNDJSONReader(s *source, cfg Config) *ndjsonReader {
	field := cfg.IDField
	if field == "" {
		field = defaultID
	}
	return &ndjsonReader{source: s, field: NewField(field), trim: cfg.Trim}
}

func (n *ndjsonReader) next() (Row, error) {
	if n.err != nil {
		return Row{}, n.err
	}
	line, lineNo, tooLong, err := n.read(nil)
	// A line of white space only is nothing to jq either: skipped, counted.
	for err == nil && !tooLong && len(bytes.TrimSpace(line)) == 0 {
		n.blank.Add(1)
		line, lineNo, tooLong, err = n.read(nil)
	}
	if err == io.EOF {
		n.err = io.EOF
		if !n.found && n.objects > 0 {
			n.err = n.noField()
		}
		return Row{}, n.err
	}
	if err != nil {
		return Row{}, err
	}
	n.seq++
	row := Row{Seq: n.seq, Line: lineNo, End: n.off, Raw: append([]byte{}, line...)}
	switch {
	case tooLong:
		row.Invalid = fmt.Sprintf("record longer than %d bytes", n.max)
	default:
		row.ID, row.Padded, row.Invalid = n.id(line)
		if !n.found && n.objects >= fieldProbe {
			n.err = n.noField()
			return Row{}, n.err
		}
	}
	return row, nil
}

// noField is the error for an input none of whose first objects has the id
// field.
func (n *ndjsonReader) noField() error {
	return &NoFieldError{Name: n.name, Field: n.field.String(), Objects: n.objects, Fields: n.fields}
}

// NoFieldError is an NDJSON input none of whose first objects (up to 1,000)
// has the id field: a wrong --id-field, not rows lacking an id. Unlike an
// *Error (an input that broke off) it is a usage error.
type NoFieldError struct {
	Name    string   // input name as given
	Field   string   // the id field looked for
	Objects int      // objects read
	Fields  []string // top-level fields seen in them, first seen first (a few dozen at most)
}

func (e *NoFieldError) Error() string {
	seen := "none"
	if len(e.Fields) > 0 {
		seen = strings.Join(e.Fields, ", ")
	}
	return fmt.Sprintf("%s: no row has %q in its first %d objects (fields seen: %s); use --id-field",
		e.Name, e.Field, e.Objects, seen)
}

// noteFields adds the top-level field names of obj, a valid JSON object, to
// those seen, up to a few dozen.
func (n *ndjsonReader) noteFields(obj []byte) {
	const most = 30
	i := skipSpace(obj, 1)
	for obj[i] != '}' && len(n.fields) < most {
		end := skipString(obj, i)
		var k string
		if json.Unmarshal(obj[i:end], &k) == nil && !slices.Contains(n.fields, k) {
			n.fields = append(n.fields, k)
		}
		i = skipSpace(obj, skipSpace(obj, end)+1)
		if i = skipSpace(obj, skipValue(obj, i)); obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
}

// id finds the id in a line, or says why there is none.
func (n *ndjsonReader) id(line []byte) (id string, padded bool, invalid string) {
	if !json.Valid(line) {
		// Decode again only to learn why: Valid does not say.
		err := json.Unmarshal(line, new(json.RawMessage))
		return "", false, "invalid JSON: " + err.Error()
	}
	obj := bytes.TrimLeft(line, " \t\r\n")
	if obj[0] != '{' {
		return "", false, "line is not a JSON object"
	}
	v, m, _ := n.field.find(obj)
	switch m {
	case missing:
		if !n.found {
			n.objects++
			n.noteFields(obj)
		}
		return "", false, fmt.Sprintf("no field %q", n.field.String())
	case ambiguous:
		// The field is there, in several spellings: not a wrong --id-field.
		n.found = true
		return "", false, n.field.ambiguity(obj)
	}
	n.found = true
	switch c := v[0]; {
	case c == '"':
		if bytes.IndexByte(v, '\\') < 0 {
			id = string(v[1 : len(v)-1]) // no escapes: the bytes as they are
		} else {
			// Decoded into a variable of its own: &id would move the
			// result to the heap on every call, escapes or not.
			var unquoted string
			if err := json.Unmarshal(v, &unquoted); err != nil {
				return "", false, "invalid JSON: " + err.Error() // cannot happen: v is valid
			}
			id = unquoted
		}
	case c == '-' || '0' <= c && c <= '9':
		id = string(v) // its literal text: 1001 must not become 1001.0 or 1e3
	default:
		return "", false, "id is not a string or number"
	}
	return checkID(id, n.trim)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i].
func skipString(b []byte, i int) int {
	for i++; b[i] != '"'; i++ {
		if b[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		for depth := 0; ; {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	// A number, true, false or null.
	for i < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[i])) {
		i++
	}
	return i
}
