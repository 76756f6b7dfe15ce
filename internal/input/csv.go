package input

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// csvReader reads RFC 4180 records, keeping each record's original text so a
// malformed one can be passed on as it was. encoding/csv cannot do that: it
// returns fields only.
//
// It reads in two passes. The record pass (inQuotes) follows the quoting
// across chunks only to find the newline that ends the record, so a record
// longer than max can be skipped without holding it. The field pass (split)
// then parses the complete record.
type csvReader struct {
	*source
	comma  byte
	header []string
	idCol  int // 0-based
	trim   bool
	state  csvState // of the record pass, carried from chunk to chunk
	text   []byte   // the current record's unquoted field text, reused
	ends   []int    // where each field ends in text, reused
	slab   []string // rows' Fields are cut from it, so they cost no allocation each
}

// slabSize is how many fields a slab holds: a few hundred rows' worth, so
// that a slab is shared by rows read close together, which the pipeline
// holds for about as long.
const slabSize = 2048

type csvState uint8

const (
	fieldStart    csvState = iota // at the start of a field
	unquoted                      // in a field that did not start with a quote
	quoted                        // in a quoted field
	quoteInQuoted                 // just after a quote in a quoted field: its end or the first of a doubled one
)

func newCSVReader(s *source, comma byte, cfg Config) (*csvReader, error) {
	c := &csvReader{source: s, comma: comma, trim: cfg.Trim}
	if !cfg.NoHeader {
		rec, _, tooLong, err := c.record()
		if err == io.EOF {
			// Only blank lines: as empty as no bytes at all.
			return nil, &Error{s.name, ErrEmpty}
		}
		if err != nil {
			return nil, err
		}
		if tooLong {
			return nil, &Error{s.name, fmt.Errorf("header longer than %d bytes", s.max)}
		}
		header, problem := c.split(rec, 1)
		if problem != "" {
			return nil, &Error{s.name, fmt.Errorf("header: %s", problem)}
		}
		c.header = slices.Clone(header) // kept for the run: not in a slab of rows
	}
	idCol, err := idColumn(c.header, cfg)
	if err != nil {
		return nil, &Error{s.name, fmt.Errorf("%w%s", err, headerHint(c.header, comma))}
	}
	c.idCol = idCol
	return c, nil
}

// idColumn finds the 0-based id column: cfg.IDIndex when set, else the
// header column cfg.IDColumn means (FindColumn).
func idColumn(header []string, cfg Config) (int, error) {
	if cfg.IDIndex > 0 {
		if header != nil && cfg.IDIndex > len(header) {
			return 0, fmt.Errorf("id column %d is beyond the header's %d columns (%s)", cfg.IDIndex, len(header), columnList(header))
		}
		return cfg.IDIndex - 1, nil
	}
	if header == nil {
		return 0, nil // NoHeader: the first column
	}
	i, err := FindColumn(header, cmp.Or(cfg.IDColumn, defaultID))
	var ce *ColumnError
	switch {
	case errors.As(err, &ce) && ce.Ambiguous():
		return 0, fmt.Errorf("%w; use --id-column with the column number", err)
	case err != nil:
		return 0, fmt.Errorf("%w; use --id-column", err)
	}
	return i, nil
}

func (c *csvReader) next() (Row, error) {
	if c.err != nil {
		return Row{}, c.err
	}
	rec, line, tooLong, err := c.record()
	if err != nil {
		return Row{}, err
	}
	c.seq++
	row := Row{Seq: c.seq, Line: line, End: c.off}
	if tooLong {
		return invalid(row, rec, fmt.Sprintf("record longer than %d bytes", c.max)), nil
	}
	fields, problem := c.split(rec, line)
	if problem != "" {
		return invalid(row, rec, problem), nil
	}
	// From here on the fields hold the record's text, so Raw is not needed.
	row.Fields = fields
	if len(fields) <= c.idCol {
		row.Invalid = fmt.Sprintf("row has %d field%s, id column %d is missing", len(fields), plural(len(fields)), c.idCol+1)
		return row, nil
	}
	row.ID, row.Padded, row.Invalid = checkID(fields[c.idCol], c.trim)
	return row, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// invalid makes row an invalid row with a copy of its text.
func invalid(row Row, rec []byte, why string) Row {
	row.Invalid, row.Raw = why, bytes.Clone(rec)
	if row.Raw == nil {
		row.Raw = []byte{}
	}
	return row
}

// record reads the next record that is not a blank line, however many lines
// its quoted fields span. Blank lines are counted, as encoding/csv, pandas
// and jq skip them; a record with one empty field cannot be told from one,
// but no export we know of writes such a thing on purpose.
func (c *csvReader) record() (rec []byte, line int64, tooLong bool, err error) {
	for {
		c.state = fieldStart
		rec, line, tooLong, err = c.read(c.inQuotes)
		if err == io.EOF {
			c.err = io.EOF
		}
		if err != nil || tooLong || !blank(rec) {
			return rec, line, tooLong, err
		}
		c.blank.Add(1)
	}
}

// blank reports whether a line (its line ending stripped) is empty or holds
// only carriage returns.
func blank(line []byte) bool {
	for _, b := range line {
		if b != '\r' {
			return false
		}
	}
	return true
}

// inQuotes advances the record pass over chunk, at most one line, and reports
// whether the newline that ends chunk, if any, is inside a quoted field.
// It only needs to be right about that: split judges the record.
func (c *csvReader) inQuotes(chunk []byte) bool {
	body, nl := bytes.CutSuffix(chunk, []byte("\n"))
	st := c.state
	for i := 0; i < len(body); i++ {
		switch st {
		case fieldStart, quoteInQuoted:
			switch body[i] {
			case '"':
				st = quoted // opening, or a doubled quote inside
			case c.comma:
				st = fieldStart
			default:
				st = unquoted // after a closing quote: extraneous text
			}
		case unquoted:
			j := bytes.IndexByte(body[i:], c.comma)
			if j < 0 {
				i = len(body)
				break
			}
			i += j
			st = fieldStart
		case quoted:
			j := bytes.IndexByte(body[i:], '"')
			if j < 0 {
				i = len(body)
				break
			}
			i += j
			st = quoteInQuoted
		}
	}
	c.state = st
	return nl && st == quoted
}

// split parses a complete record (line ending stripped) that starts on
// physical line line into fields. The fields share one string, and the
// slice holding them is cut from a slab shared with neighbouring rows (with
// its capacity cut too, so that an append to one row's fields cannot reach
// another's), so a row costs one allocation however many fields it has. A
// record it cannot parse gives the reason instead.
func (c *csvReader) split(rec []byte, line int64) (fields []string, problem string) {
	c.text, c.ends = c.text[:0], c.ends[:0]
	for i := 0; ; {
		if i < len(rec) && rec[i] == '"' {
			start := i
			for i++; ; {
				j := bytes.IndexByte(rec[i:], '"')
				if j < 0 {
					return nil, fmt.Sprintf("unterminated quoted field starting on line %d", line+int64(bytes.Count(rec[:start], []byte("\n"))))
				}
				c.text = append(c.text, rec[i:i+j]...)
				i += j + 1
				if i == len(rec) || rec[i] != '"' {
					break
				}
				c.text = append(c.text, '"') // a doubled quote
				i++
			}
			c.ends = append(c.ends, len(c.text))
			if i == len(rec) {
				break
			}
			if rec[i] != c.comma {
				return nil, fmt.Sprintf("extraneous text after closing quote in field %d", len(c.ends))
			}
			i++
			continue
		}
		// Unquoted: a quote here is taken literally, as most exporters
		// that write one mean it.
		j := bytes.IndexByte(rec[i:], c.comma)
		if j < 0 {
			c.text = append(c.text, rec[i:]...)
			c.ends = append(c.ends, len(c.text))
			break
		}
		c.text = append(c.text, rec[i:i+j]...)
		c.ends = append(c.ends, len(c.text))
		i += j + 1
	}
	all := string(c.text)
	n := len(c.ends)
	if cap(c.slab)-len(c.slab) < n {
		c.slab = make([]string, 0, max(slabSize, n))
	}
	at := len(c.slab)
	c.slab = c.slab[:at+n]
	fields = c.slab[at : at+n : at+n]
	prev := 0
	for k, end := range c.ends {
		fields[k], prev = all[prev:end], end
	}
	return fields, ""
}

// checkID judges an id as found in the file: empty and white-space-only ids
// are unusable; surrounding white space is trimmed with trim, else flagged.
func checkID(id string, trim bool) (usable string, padded bool, invalid string) {
	if id == "" {
		return "", false, "empty id"
	}
	if !utf8.ValidString(id) {
		// JSON cannot carry it: sending it would ask about another id.
		return "", false, "id is not valid UTF-8"
	}
	t := strings.TrimFunc(id, unicode.IsSpace)
	switch {
	case t == "":
		return "", false, "blank id"
	case t == id:
		return id, false, ""
	case trim:
		return t, false, ""
	}
	return id, true, ""
}
