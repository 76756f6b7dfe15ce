// Package output writes annotated rows (CSV, TSV, NDJSON) in the order it is
// given them, and makes output files appear complete or not at all.
package output

import (
	"encoding/json"
	"io"

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
}

// Options configure a Writer.
type Options struct {
	Format       input.Format // output format
	InputFormat  input.Format // format the rows were read in
	Header       []string     // CSV/TSV input header; nil for NDJSON input or a headerless input
	Columns      int          // CSV/TSV input: number of original columns (len(Header), or the first row's width without a header)
	Comma        rune         // CSV/TSV output separator; 0: ',' for CSV, '\t' for TSV
	ColumnPrefix string       // prefix for the added columns/fields, e.g. "azotte_"
	IDName       string       // name of the id column or field, used when converting between formats
}

// Writer writes Records. Write is called from one goroutine, in output order.
type Writer interface {
	Write(*Record) error
	// Flush writes buffered data to the underlying writer and reports any error.
	Flush() error
}

// New returns a Writer for opt.Format on w. It fails when an added column's
// name clashes with an input column.
func New(w io.Writer, opt Options) (Writer, error) {
	panic("unimplemented")
}
