// Package input streams CSV, TSV and NDJSON exports (optionally gzipped, UTF-8
// or UTF-16 with a BOM) and .xlsx workbooks into Rows, one per record, each
// with the id to validate or the reason it has none. It never reads a whole
// input into memory (an .xlsx read from a stream is spooled to a temporary
// file: a zip archive cannot be read front to back). Blank lines (and empty
// sheet rows) are not records: they are skipped, counted and not numbered.
// FindColumn and Field are the one rule by which every flag naming a column
// or an NDJSON field finds it.
package input

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// Format is an input or output file format.
type Format uint8

// The formats.
const (
	Unknown Format = iota
	CSV
	TSV
	NDJSON
	XLSX    // its output is CSV unless told otherwise (Format.Output)
	Parquet // columns typed as the file's schema says
)

func (f Format) String() string {
	switch f {
	case CSV:
		return "csv"
	case TSV:
		return "tsv"
	case NDJSON:
		return "ndjson"
	case XLSX:
		return "xlsx"
	case Parquet:
		return "parquet"
	}
	return "unknown"
}

// Readable are the formats an input may be in, and Writable those an
// output may be in: what --format and --output-format take.
var (
	Readable = []Format{CSV, TSV, NDJSON, XLSX, Parquet}
	Writable = []Format{CSV, TSV, NDJSON, XLSX, Parquet}
)

// Binary reports whether f is a file format rather than text lines: one
// that ends with what only the end of the run knows (Parquet's footer, a
// workbook's directory), and that a terminal cannot show.
func (f Format) Binary() bool { return f == XLSX || f == Parquet }

// Output is the output format an input in f gets by default: f itself, but
// CSV for XLSX, whose rows are cells as CSV's are (and whose workbook a
// validation should not have to rebuild to be read).
func (f Format) Output() Format {
	if f == XLSX {
		return CSV
	}
	return f
}

// ParseFormat parses "csv", "tsv", "ndjson" (or "jsonl"), "xlsx" and "parquet".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "csv":
		return CSV, nil
	case "tsv":
		return TSV, nil
	case "ndjson", "jsonl":
		return NDJSON, nil
	case "xlsx":
		return XLSX, nil
	case "parquet":
		return Parquet, nil
	}
	return Unknown, fmt.Errorf("unknown format %q (want csv, tsv, ndjson, xlsx or parquet)", s)
}

// Row is one input record.
type Row struct {
	Seq     int64       // record number from 1, the header not counted
	Line    int64       // physical line (XLSX: sheet row) where the record starts, from 1 (header and blank lines counted)
	End     int64       // bytes of the input up to the end of this record (after decompression), for progress
	ID      string      // the id exactly as the file holds it (trimmed with Config.Trim)
	Fields  []string    // CSV/TSV/XLSX/Parquet: the record's fields (XLSX: cells as the sheet shows them; Parquet: each leaf column's value as text), owned by the Row; nil for NDJSON
	Values  parquet.Row // Parquet: the record's values as stored (types, nulls, nesting), owned by the Row; nil otherwise
	Raw     []byte      // NDJSON: the line without its line ending; CSV/TSV: the record's original text when it could not be split into Fields
	Invalid string      // why the row has no usable id; "" when ID is usable
	Padded  bool        // the id had surrounding white space and Trim was off
	File    int         // which of several inputs read in one run holds the row, from 0; 0 for a run's only input
}

// Config says how to read an input. Zero values get the documented defaults (see the README's flags).
type Config struct {
	Format         Format // Unknown: from the name's extension, else sniffed
	IDColumn       string // CSV/TSV header name of the id; default "externalId"
	IDIndex        int    // CSV/TSV 1-based id column, with NoHeader (or instead of IDColumn)
	NoHeader       bool   // CSV/TSV: the first record is data
	Delimiter      rune   // CSV/TSV field separator; 0: sniffed from the header (see Open)
	IDField        string // NDJSON dotted path of the id; default "externalId"
	Trim           bool   // strip white space around ids
	MaxRecordBytes int    // longest record kept; a longer one is an invalid row; default 1 MiB
	Sheet          string // XLSX sheet name; "": the first sheet
}

// Error is a whole-input problem (no id column, empty file, unreadable
// stream): the run cannot go on. Its message names the input.
type Error struct {
	Name string // input name as given ("-" for stdin)
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.Name, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// ErrEmpty is returned by Open for an input with no bytes at all.
var ErrEmpty = errors.New("input is empty")

// Reader yields the Rows of one input in order. It is not safe for concurrent use.
type Reader struct {
	name   string
	format Format
	header []string
	comma  rune
	ratio  *ratio // nil unless gzip or UTF-16
	next   func() (Row, error)
	blanks *atomic.Int64   // blank lines skipped so far
	close  func() error    // releases an XLSX's or a Parquet file's temporary files; nil otherwise
	schema *parquet.Schema // Parquet: the file's schema; nil otherwise
}

// The defaults of Config's zero values.
const (
	defaultID        = "externalId"
	defaultMaxRecord = 1 << 20
)

// Open starts reading the input called name ("-" or "" for stdin) from r,
// the bytes as stored. A gzip stream is recognised by its magic number, so
// name need not end in ".gz"; so is UTF-16 with a byte order mark, decoded to
// UTF-8. The format is cfg.Format, else the one named by the extension, else
// sniffed from the first line (an .xlsx by its zip magic). Without
// cfg.Delimiter a CSV/TSV delimiter is sniffed from the header: of , ; tab
// and |, the one that finds the id column, splitting the header into the most
// fields (the format's own on a tie). Open reads as far as the CSV/TSV/XLSX
// header, so an empty input, a header without the id column or an
// unreadable stream fail here, as an *Error. The returned Reader, like r, is
// not safe for concurrent use.
func Open(name string, r io.Reader, cfg Config) (*Reader, error) {
	if name == "" {
		name = "-"
	}
	if cfg.MaxRecordBytes <= 0 {
		cfg.MaxRecordBytes = defaultMaxRecord
	}
	src, err := newSource(name, r, cfg.MaxRecordBytes)
	if err != nil {
		return nil, err
	}
	format := cfg.Format
	if format == Unknown {
		format = formatFromName(name)
	}
	if format == Unknown {
		if format, err = src.sniff(); err != nil {
			return nil, err
		}
	}
	rd := &Reader{name: name, format: format, ratio: src.ratio, blanks: &src.blank}
	switch format {
	case CSV, TSV:
		comma := cfg.Delimiter
		if comma == 0 {
			if comma, err = src.sniffDelimiter(format, cfg); err != nil {
				return nil, err
			}
		}
		if err := checkDelimiter(comma); err != nil {
			return nil, &Error{name, err}
		}
		c, err := newCSVReader(src, byte(comma), cfg)
		if err != nil {
			return nil, err
		}
		rd.header, rd.comma, rd.next = c.header, comma, c.next
	case NDJSON:
		rd.next = newNDJSONReader(src, cfg).next
	case XLSX:
		x, err := openXLSX(src, r, cfg)
		if err != nil {
			return nil, err
		}
		// Row.End is already in bytes as stored.
		rd.header, rd.next, rd.close, rd.blanks, rd.ratio = x.header, x.next, x.close, &x.blank, nil
	case Parquet:
		p, err := openParquet(src, r, cfg)
		if err != nil {
			return nil, err
		}
		// Row.End is already in bytes as stored.
		rd.header, rd.next, rd.close, rd.ratio, rd.schema = p.header, p.nextRow, p.close, nil, p.pf.Schema()
	default:
		return nil, &Error{name, fmt.Errorf("unknown format %d", format)}
	}
	return rd, nil
}

// BlankLines is how many blank lines (empty, or only a carriage return;
// NDJSON: only white space; XLSX: rows without a value) were skipped so far.
// They are not rows and take no row number. Safe to call from any goroutine.
func (r *Reader) BlankLines() int64 { return r.blanks.Load() }

// Close releases what the Reader holds besides the input (an .xlsx's
// temporary files). It does not close the input. Reading to the end closes
// too; Close may be called again.
func (r *Reader) Close() error {
	if r.close == nil {
		return nil
	}
	return r.close()
}

// Stored estimates how many bytes of the input as stored (compressed, if it
// is) hold its first end bytes after decompression, e.g. a Row's End: for
// progress against the file's size. Safe to call from any goroutine.
func (r *Reader) Stored(end int64) int64 {
	if r.ratio == nil {
		return end
	}
	in, out := r.ratio.in.Load(), r.ratio.out.Load()
	if out == 0 {
		return 0
	}
	return int64(float64(end) * float64(in) / float64(out))
}

// Format is the input's format, as configured or detected.
func (r *Reader) Format() Format { return r.format }

// Schema is a Parquet input's schema (nil for other formats): Row.Values
// are rows of it.
func (r *Reader) Schema() *parquet.Schema { return r.schema }

// Header is the CSV/TSV header, BOM stripped (nil for NDJSON or NoHeader);
// for XLSX the header row, for Parquet the leaf columns' dotted paths.
// The caller must not modify it.
func (r *Reader) Header() []string { return r.header }

// ParseDelimiter reads a delimiter as a user writes it: one character, or
// "tab" or `\t` for a tab.
func ParseDelimiter(s string) (rune, error) {
	switch s {
	case `\t`, "tab":
		return '\t', nil
	}
	r, size := utf8.DecodeRuneInString(s)
	if s == "" || size != len(s) || checkDelimiter(r) != nil {
		return 0, fmt.Errorf("delimiter %q: %s", s, delimiterRule)
	}
	return r, nil
}

const delimiterRule = "want one ASCII character other than a quote or line break"

// checkDelimiter is the one rule for delimiters. The record scanner works on
// bytes; a multi-byte delimiter would complicate it for a case no export we
// know of needs.
func checkDelimiter(r rune) error {
	if r <= 0 || r >= utf8.RuneSelf || r == '"' || r == '\r' || r == '\n' {
		return fmt.Errorf("delimiter %q: %s", r, delimiterRule)
	}
	return nil
}

// Delimiter is the CSV/TSV field separator in use (0 for NDJSON and XLSX).
func (r *Reader) Delimiter() rune { return r.comma }

// Next returns the next Row, or io.EOF after the last. Any other error is a
// whole-input failure (*Error) after which no more Rows come: Next keeps
// returning it. A malformed record is not an error but a Row with Invalid
// set. The Row owns all its memory, so callers may keep it.
func (r *Reader) Next() (Row, error) { return r.next() }
