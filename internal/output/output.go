// Package output writes annotated rows (CSV, TSV, NDJSON) in the order it is
// given them, and makes output files appear complete or not at all.
//
// Every writer keeps the input's own data as it was (CSV cells, NDJSON object
// bytes) and adds the same columns or fields after it, those of one table
// (addedColumns) that every writer and the clash check walk.
package output

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/verdict"
)

// Record is one input row with its outcome.
type Record struct {
	Row         input.Row
	Verdict     verdict.Verdict
	Answered    bool            // Azotte answered (IsAvailable, MessageCode and Status are meaningful)
	IsAvailable bool            // Azotte's isAvailable
	MessageCode string          // Azotte's status.messageCode, also on error rows when one was returned
	Status      json.RawMessage // Azotte's status envelope as returned; nil when none
	DuplicateOf int64           // Seq of the first row with the same id; 0 when none
	Detail      string          // why (invalid, error) or a note; "" when nothing to say
	Changed     bool            // the id's first row, and Azotte's answer differs from the journal's expired one
	SimilarTo   int64           // --near-duplicates: row of the first id of the near-collision group this row's id joined; 0 when none
	SimilarKind string          // --near-duplicates: how the ids differ (zero-width, space, case, unicode, mixed); "" when none
	AnsweredAt  time.Time       // Options.AnsweredAt: when Azotte gave the answer; zero when none
	Owner       Owner           // Options.Owners: who holds a taken id (on the id's first row); zero when not asked
	// CollidesWith is, with --unique-columns, the row of an earlier id that
	// holds the same value in a column the store keeps unique; 0 when none.
	CollidesWith int64
	CollidesOn   string // --unique-columns: the columns that collide, comma-separated; "" when none
}

// Owner is what Azotte's info call said about the customer holding a taken
// id, as a row shows it. Azotte's email is not part of it.
type Owner struct {
	URN       string // customerUrn; "" when unknown
	Status    string // the customer's status, e.g. Active
	SameEmail Match  // Azotte's email against the row's
	Gone      bool   // CUSTOMER_NOT_FOUND: nobody holds the id now
	Detail    string // why there is no owner (not found, no answer); "" otherwise
}

// Match is how Azotte's email for a customer compares with the export's,
// trimmed and case-folded.
type Match int8

// The matches.
const (
	MatchUnknown Match = iota // the row has no email, or no owner was found
	MatchSame
	MatchOther
)

// Options configure a Writer.
type Options struct {
	Format       input.Format // output format; Unknown: the input's format
	InputFormat  input.Format // format the rows were read in
	Header       []string     // CSV/TSV input header; nil for NDJSON input or a headerless input
	Columns      int          // CSV/TSV input: number of original columns (len(Header), or the first row's width without a header)
	Comma        rune         // CSV/TSV output separator; 0: ',' for CSV, '\t' for TSV
	ColumnPrefix string       // prefix for the added columns/fields, e.g. "azotte_"
	IDName       string       // name of the id column or field, used when converting between formats; default "externalId"
	ExcelSafe    bool         // CSV/TSV: prefix cells starting with = + - @ tab or CR with ' (formula injection)
	// NearDuplicates adds the similarTo and similarKind columns after detail
	// (CSV/TSV: empty cells for rows without; NDJSON: the fields on the rows
	// that have them).
	NearDuplicates bool
	// AnsweredAt adds the answeredAt column after detail: when Azotte gave
	// each row's answer, RFC 3339 in UTC (empty, or no field, when none).
	AnsweredAt bool
	// Owners adds the ownerUrn, ownerStatus and sameEmail columns (validate
	// --owners), set on taken rows whose owner was found.
	Owners bool
	// UniqueColumns adds the collidesWith and collidesOn columns (after
	// similarKind): rows repeating an earlier id's unique value.
	UniqueColumns bool
	// Sources are, when a run reads several inputs, each one in order
	// (Record.Row.File indexes them): the sourceFile column is added, an
	// NDJSON output builds each row as its input's format and header say,
	// and row numbers (duplicateOf, similarTo, collidesWith) are the
	// number in the row's file, FILE:ROW when they are of another file.
	// Nil, or one, for one input: neither. With it, Locate is required.
	Sources []Source
	// Locate turns a Row.Seq of the run's stream into the index of its
	// input among Sources and its row number there, from 1.
	Locate func(seq int64) (file int, row int64)
	// Schema, for a Parquet output of Parquet inputs (all of one schema),
	// is their schema: the output keeps their columns and types, taking
	// each row's Row.Values. Nil: the input's columns are strings.
	Schema *parquet.Schema
}

// Source is one of several inputs of a run (Options.Sources).
type Source struct {
	Name        string       // as given; the sourceFile column's value
	InputFormat input.Format // CSV, TSV or NDJSON
	Header      []string     // CSV/TSV header; nil for NDJSON or without a header
	Columns     int          // CSV/TSV: original columns (see Options.Columns)
}

// Writer writes Records. Write is called from one goroutine, in output order.
type Writer interface {
	Write(*Record) error
	// Flush writes buffered data to the underlying writer and reports any error.
	Flush() error
}

// Ender is a Writer of a file format that ends with what only the end of
// the run knows: Parquet's footer, a workbook's Summary sheet and zip
// directory. Its output is readable only once End has written that, so a
// File it writes to is committed, or kept as FILE.partial, after End. facts
// are the run's summary, for a format that holds it (XLSX).
type Ender interface {
	Writer
	End(facts []Fact) error
}

// Fact is one line of a run's summary, as an output that holds it shows it
// (XLSX's Summary sheet): a name and its value (a string, an int64, a
// float64 or a bool).
type Fact struct {
	Name  string
	Value any
}

// End ends w when it is an Ender (see Ender); other Writers need no end.
// Calling it again does nothing.
func End(w Writer, facts []Fact) error {
	if e, ok := w.(Ender); ok {
		return e.End(facts)
	}
	return nil
}

// errEnded is what an Ender's Write returns after End.
var errEnded = errors.New("output: a row written after the end of the file")

// bufferSize is the write buffer of every Writer: large enough that a syscall
// carries hundreds of rows.
const bufferSize = 64 << 10

// New returns a Writer for opt.Format on w, adding the columns of
// addedColumns that opt turns on. It fails when an added column's
// name clashes with an input column (exactly or ignoring case), naming the
// column; --column-prefix is the way out. For NDJSON input the field names of
// each object are unknown in advance, so no clash is checked there.
//
// A CSV/TSV header, when there is one, is buffered by New and reaches w on the
// first Flush (or earlier, with the rows).
func New(w io.Writer, opt Options) (Writer, error) {
	return newWriter(w, opt, addedColumns)
}

// newWriter is New with the added columns taken from table.
func newWriter(w io.Writer, opt Options, table []column) (Writer, error) {
	if opt.Format == input.Unknown {
		opt.Format = opt.InputFormat
	}
	switch opt.InputFormat {
	case input.CSV, input.TSV, input.NDJSON, input.Parquet:
	default:
		return nil, fmt.Errorf("output: unknown input format %v", opt.InputFormat)
	}
	if opt.IDName == "" {
		opt.IDName = "externalId"
	}
	if opt.Columns < len(opt.Header) {
		opt.Columns = len(opt.Header)
	}
	fromCSV := opt.InputFormat != input.NDJSON

	switch opt.Format {
	case input.CSV, input.TSV:
		if opt.Comma == 0 {
			opt.Comma = ','
			if opt.Format == input.TSV {
				opt.Comma = '\t'
			}
		}
		if opt.Comma == '"' || opt.Comma == '\r' || opt.Comma == '\n' || !utf8.ValidRune(opt.Comma) || opt.Comma == utf8.RuneError {
			return nil, fmt.Errorf("output: invalid separator %q", opt.Comma)
		}
		cols, added := active(table, &opt, true)
		var header []string
		switch {
		case !fromCSV:
			header = []string{opt.IDName, "record"}
		case opt.Header != nil:
			header = opt.Header
		}
		if err := checkClash(header, added); err != nil {
			return nil, err
		}
		cw := newCSVWriter(w, opt, fromCSV, cols)
		cw.refs = newRefs(&opt)
		if !fromCSV || opt.Header != nil {
			cw.writeHeader(append(header[:len(header):len(header)], added...))
		}
		return cw, nil

	case input.NDJSON:
		cols, added := active(table, &opt, false)
		if len(opt.Sources) > 1 {
			return newMultiJSONWriter(w, opt, cols, added)
		}
		if !fromCSV {
			return newJSONWriter(w, opt, cols, added, nil), nil
		}
		keys := columnKeys(opt.Header, opt.Columns)
		if err := checkClash(keys, added); err != nil {
			return nil, err
		}
		j := newJSONWriter(w, opt, cols, added, keys)
		if opt.InputFormat == input.Parquet {
			j.literal = parquetLiterals(opt.Schema)
		}
		return j, nil

	case input.Parquet:
		cols, added := active(table, &opt, true)
		return newParquetWriter(w, opt, cols, added)

	case input.XLSX:
		cols, added := active(table, &opt, true)
		return newXLSXWriter(w, opt, cols, added)
	}
	return nil, fmt.Errorf("output: unknown output format %v", opt.Format)
}

// newMultiJSONWriter is the NDJSON writer of rows of several inputs, each
// built as its own input's format and header say.
func newMultiJSONWriter(w io.Writer, opt Options, cols []column, added []string) (Writer, error) {
	j := newJSONWriter(w, opt, cols, added, nil)
	j.refs = newRefs(&opt)
	for _, src := range opt.Sources {
		sh := jsonShape{columns: max(src.Columns, len(src.Header))}
		switch src.InputFormat {
		case input.NDJSON:
		case input.CSV, input.TSV, input.Parquet:
			sh.fromCSV = true
			if src.InputFormat == input.Parquet {
				sh.literal = parquetLiterals(opt.Schema) // nil unless all inputs share one schema
			}
			keys := columnKeys(src.Header, sh.columns)
			if err := checkClash(keys, added); err != nil {
				return nil, fmt.Errorf("%s: %w", src.Name, err)
			}
			for _, k := range keys {
				sh.keys = append(sh.keys, appendKey(nil, k))
			}
		default:
			return nil, fmt.Errorf("output: unknown input format %v of %s", src.InputFormat, src.Name)
		}
		j.shapes = append(j.shapes, sh)
	}
	return j, nil
}

// columnKeys names a CSV/TSV row's fields as NDJSON keys: the header's
// names, or column1, column2, ... without a header.
func columnKeys(header []string, columns int) []string {
	if header != nil {
		return header
	}
	keys := make([]string, columns)
	for i := range keys {
		keys[i] = fmt.Sprintf("column%d", i+1)
	}
	return keys
}

// checkClash reports the first original column that an added one would
// shadow. Case-insensitive clashes count too: spreadsheets and most SQL
// loaders treat "Verdict" and "verdict" as the same column.
func checkClash(original, added []string) error {
	for _, a := range added {
		for _, o := range original {
			if strings.EqualFold(o, a) {
				return &ClashError{Column: o, Added: a}
			}
		}
	}
	return nil
}

// ClashError is an input column whose name an added column would take.
type ClashError struct {
	Column string // the input's column, as spelt there
	Added  string // the added column's name, prefix included
}

func (e *ClashError) Error() string {
	return fmt.Sprintf("the input already has a column %q, which clashes with the added column %q: "+
		"choose a prefix for the added columns with --column-prefix (e.g. --column-prefix azotte_)", e.Column, e.Added)
}

// errWriter holds what every writer shares: the buffer, the scratch line and
// the first error, which sticks so that a failed disk is reported once, at the
// next Write or Flush, and no later row is half written after it.
type errWriter struct {
	bw     *rowBuffer
	header int64  // lines of bw that are a header, not a row
	line   []byte // scratch: one encoded row, reused
	tmp    []byte // scratch: a composed detail, reused
	err    error
}

func (e *errWriter) emit() error {
	if e.err != nil {
		return e.err
	}
	_, e.err = e.bw.Write(e.line)
	return e.err
}

// Stored is the number of rows (the header not counted) handed to the
// underlying writer by writes that succeeded: after a failed write to a File,
// the rows its FILE.partial holds.
func (e *errWriter) Stored() int64 { return max(e.bw.stored-e.header, 0) }

// Flush writes buffered rows to the underlying writer; it returns the first
// error seen by any Write or Flush.
func (e *errWriter) Flush() error {
	if e.err != nil {
		return e.err
	}
	e.err = e.bw.Flush()
	return e.err
}

// rowBuffer buffers whole rows and hands them on in one Write of whole rows
// (unlike bufio.Writer, which cuts a row at its buffer's end), so that a File
// whose disk fills up can be cut back to a row boundary.
type rowBuffer struct {
	w      io.Writer
	buf    []byte
	rows   int64 // lines in buf
	stored int64 // lines handed on by a Write that succeeded
}

func newRowBuffer(w io.Writer) *rowBuffer {
	return &rowBuffer{w: w, buf: make([]byte, 0, bufferSize)}
}

// Write buffers the row p, writing the buffer on once it is full.
func (b *rowBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	b.rows++
	if len(b.buf) >= bufferSize {
		if err := b.Flush(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes the buffered rows in one Write.
func (b *rowBuffer) Flush() error {
	if len(b.buf) == 0 {
		return nil
	}
	n, err := b.w.Write(b.buf)
	if err == nil && n < len(b.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return err
	}
	b.stored += b.rows
	b.rows = 0
	if cap(b.buf) > 4*bufferSize {
		b.buf = make([]byte, 0, bufferSize) // one huge row need not stay allocated
	} else {
		b.buf = b.buf[:0]
	}
	return nil
}

// detail is the detail cell or field of r. For a CSV/TSV row that could not
// be parsed, it carries the original text too, since that text is in no other
// cell; the result then lives in tmp until the next call.
func (e *errWriter) detail(r *Record, fromCSV bool) []byte {
	reason := r.Detail
	if reason == "" {
		reason = r.Row.Invalid
	}
	e.tmp = append(e.tmp[:0], reason...)
	if fromCSV && r.Row.Invalid != "" && r.Row.Raw != nil {
		e.tmp = append(e.tmp, "; original: "...)
		e.tmp = append(e.tmp, trimEOL(r.Row.Raw)...)
	}
	return e.tmp
}

// detailText is detail's text as a string, for the typed writers.
func detailText(r *Record, fromCSV bool) string {
	reason := r.Detail
	if reason == "" {
		reason = r.Row.Invalid
	}
	if fromCSV && r.Row.Invalid != "" && r.Row.Raw != nil {
		return reason + "; original: " + string(trimEOL(r.Row.Raw))
	}
	return reason
}

// trimEOL drops a line ending the reader may have left on a raw record.
func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
