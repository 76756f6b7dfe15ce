package output

import (
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// csvWriter writes CSV or TSV rows: the original cells (or, for NDJSON
// input, the id and the original line) followed by the added cells.
type csvWriter struct {
	errWriter
	sep     string // the separator, UTF-8 encoded
	sepByte byte   // sep[0] when sep is one byte, the common case; 0 otherwise
	fromCSV bool
	columns int      // original columns a CSV/TSV row is padded to
	safe    bool     // Options.ExcelSafe
	cols    []column // the added columns
	refs    *refs    // several inputs: row numbers as FILE:ROW; nil for one
}

func newCSVWriter(w io.Writer, opt Options, fromCSV bool, cols []column) *csvWriter {
	c := &csvWriter{
		errWriter: errWriter{bw: newRowBuffer(w)},
		sep:       string(opt.Comma),
		fromCSV:   fromCSV,
		columns:   opt.Columns,
		safe:      opt.ExcelSafe,
		cols:      cols,
	}
	if opt.Comma < utf8.RuneSelf {
		c.sepByte = byte(opt.Comma)
	}
	return c
}

func (c *csvWriter) writeHeader(names []string) {
	c.line = c.line[:0]
	for i, n := range names {
		if i > 0 {
			c.line = append(c.line, c.sep...)
		}
		c.line = c.appendField(c.line, n)
	}
	c.line = append(c.line, '\n')
	c.header = 1
	c.emit()
}

// Write encodes r as one CSV/TSV record.
func (c *csvWriter) Write(r *Record) error {
	if c.err != nil {
		return c.err
	}
	b := c.line[:0]
	if c.fromCSV {
		for i, f := range r.Row.Fields {
			if i > 0 {
				b = append(b, c.sep...)
			}
			b = c.appendField(b, f)
		}
		// Short rows are padded so that the added columns stay under their
		// header; long rows keep every cell (ragged out as ragged in).
		for i := len(r.Row.Fields); i < c.columns; i++ {
			if i > 0 {
				b = append(b, c.sep...)
			}
		}
		if len(r.Row.Fields) > 0 || c.columns > 0 {
			b = append(b, c.sep...)
		}
	} else {
		b = c.appendField(b, r.Row.ID)
		b = append(b, c.sep...)
		b = appendCell(b, trimEOL(r.Row.Raw), c)
		b = append(b, c.sep...)
	}

	for i := range c.cols {
		if i > 0 {
			b = append(b, c.sep...)
		}
		switch col := &c.cols[i]; {
		case col.str != nil:
			b = appendCell(b, col.str(r), c)
		case col.seq != nil:
			if n := col.seq(r); n > 0 {
				if file, row := c.refs.ref(n, r); file != "" {
					b = appendCell(b, file+":"+strconv.FormatInt(row, 10), c)
				} else {
					b = strconv.AppendInt(b, row, 10)
				}
			}
		default:
			b = col.cell(c, b, r)
		}
	}
	b = append(b, '\n')
	c.line = b
	return c.emit()
}

// appendField appends s as one cell, quoted as RFC 4180 says when it holds
// the separator, a quote or a line break, and also when it starts or ends
// with white space, which some readers would otherwise trim.
func (c *csvWriter) appendField(dst []byte, s string) []byte {
	return appendCell(dst, s, c)
}

// appendCell appends one cell. With Options.ExcelSafe, a cell that a
// spreadsheet would run as a formula gets a leading single quote (OWASP's
// advice against CSV injection).
func appendCell[S string | []byte](dst []byte, s S, c *csvWriter) []byte {
	if c.safe && len(s) > 0 && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return appendField(dst, "'"+string(s), c.sep, c.sepByte) // rare: worth an allocation
	}
	return appendField(dst, s, c.sep, c.sepByte)
}

func appendField[S string | []byte](dst []byte, s S, sep string, sepByte byte) []byte {
	if !needsQuotes(s, sep, sepByte) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

func needsQuotes[S string | []byte](s S, sep string, sepByte byte) bool {
	if len(s) == 0 {
		return false
	}
	if isBlank(s[0]) || isBlank(s[len(s)-1]) {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"', '\r', '\n':
			return true
		case sepByte:
			if sepByte != 0 {
				return true
			}
		}
	}
	// A multi-byte separator is rare enough to pay for a conversion.
	return sepByte == 0 && strings.Contains(string(s), sep)
}

func isBlank(b byte) bool { return b == ' ' || b == '\t' }
