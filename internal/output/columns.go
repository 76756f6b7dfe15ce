package output

import (
	"strconv"
	"time"
)

// addedColumns are the columns (CSV/TSV) and fields (NDJSON) every writer
// adds after the input's own, in this order, and what New checks for clashes
// with the input's names. Adding one is a line here, a field in Record and,
// for an optional one, a switch in Options.
//
// A CSV/TSV row has a cell for every column that is on, empty when the row
// has no value; an NDJSON object leaves out a field whose value the row
// lacks, unless the column says always.
var addedColumns = []column{
	custom("sourceFile", sourceFileCell, sourceFileValue).when(func(o *Options) bool { return len(o.Sources) > 1 }).
		typed(kindText, func(x typedCtx, r *Record) cellValue { return textValue(x.refs.source(r)) }).notNull(),
	custom("isAvailable", availableCell, availableValue).
		typed(kindBool, func(_ typedCtx, r *Record) cellValue { return cellValue{b: r.IsAvailable, null: !r.Answered} }),
	text("messageCode", func(r *Record) string { return r.MessageCode }).csvOnly(), // NDJSON has it in status
	custom("status", nil, statusValue),
	text("verdict", func(r *Record) string { return r.Verdict.String() }).always().notNull(),
	seq("duplicateOf", func(r *Record) int64 { return r.DuplicateOf }),
	custom("detail", detailCell, detailValue).
		typed(kindText, func(x typedCtx, r *Record) cellValue { return textValue(detailText(r, x.fromCSV)) }),
	text("answeredAt", answeredAt).when(func(o *Options) bool { return o.AnsweredAt }).
		typed(kindTime, func(_ typedCtx, r *Record) cellValue { return cellValue{t: r.AnsweredAt, null: r.AnsweredAt.IsZero()} }),
	seq("similarTo", func(r *Record) int64 { return r.SimilarTo }).when(nearDuplicates),
	// The kind goes with similarTo: both fields or neither.
	text("similarKind", func(r *Record) string { return r.SimilarKind }).when(nearDuplicates).
		omitWhen(func(r *Record) bool { return r.SimilarTo <= 0 }),
	text("ownerUrn", func(r *Record) string { return r.Owner.URN }).when(owners),
	text("ownerStatus", func(r *Record) string { return r.Owner.Status }).when(owners),
	custom("sameEmail", sameEmailCell, sameEmailValue).when(owners).
		omitWhen(func(r *Record) bool { return r.Owner.SameEmail == MatchUnknown }).
		typed(kindBool, func(_ typedCtx, r *Record) cellValue {
			return cellValue{b: r.Owner.SameEmail == MatchSame, null: r.Owner.SameEmail == MatchUnknown}
		}),
	seq("collidesWith", func(r *Record) int64 { return r.CollidesWith }).when(func(o *Options) bool { return o.UniqueColumns }),
	text("collidesOn", func(r *Record) string { return r.CollidesOn }).when(func(o *Options) bool { return o.UniqueColumns }),
}

func owners(o *Options) bool { return o.Owners }

// refs are the names of several inputs and where their rows are, for the
// sourceFile column and row numbers across files.
type refs struct {
	names  []string
	locate func(seq int64) (file int, row int64)
}

// newRefs returns opt's refs; nil for one input.
func newRefs(opt *Options) *refs {
	if len(opt.Sources) < 2 || opt.Locate == nil {
		return nil
	}
	x := &refs{locate: opt.Locate}
	for _, s := range opt.Sources {
		x.names = append(x.names, s.Name)
	}
	return x
}

// ref is row number n (a Row.Seq) as the output of r shows it: its number
// in its file, with the file's name when that is not r's (file is then not
// ""). With one input (x nil), n itself.
func (x *refs) ref(n int64, r *Record) (file string, row int64) {
	if x == nil {
		return "", n
	}
	f, row := x.locate(n)
	if f != r.Row.File && f < len(x.names) {
		return x.names[f], row
	}
	return "", row
}

// source is the name of r's input; "" with one input.
func (x *refs) source(r *Record) string {
	if x == nil || r.Row.File < 0 || r.Row.File >= len(x.names) {
		return ""
	}
	return x.names[r.Row.File]
}

func sourceFileCell(c *csvWriter, b []byte, r *Record) []byte {
	return appendCell(b, c.refs.source(r), c)
}

func sourceFileValue(j *jsonWriter, b []byte, r *Record) []byte {
	return appendJSONString(b, j.refs.source(r))
}

// sameEmail: true or false; empty (no NDJSON field) when the row has no
// email or no owner was found.
func sameEmailCell(_ *csvWriter, b []byte, r *Record) []byte {
	if r.Owner.SameEmail == MatchUnknown {
		return b
	}
	return strconv.AppendBool(b, r.Owner.SameEmail == MatchSame)
}

func sameEmailValue(_ *jsonWriter, b []byte, r *Record) []byte {
	return strconv.AppendBool(b, r.Owner.SameEmail == MatchSame)
}

func nearDuplicates(o *Options) bool { return o.NearDuplicates }

// answeredAt is when Azotte gave the row's answer, to the second.
func answeredAt(r *Record) string {
	if r.AnsweredAt.IsZero() {
		return ""
	}
	return r.AnsweredAt.UTC().Format(time.RFC3339)
}

// column is one added column: its name before Options.ColumnPrefix, whether
// the Options turn it on, and its value. A value is a string (str), a row
// number (seq), or written by the column's own functions (cell, value); the
// writers call str and seq themselves, which saves calls on every row.
//
// An NDJSON object leaves out an empty string and a row number that is not
// positive, unless keep; omit, when set, decides instead.
type column struct {
	name  string
	on    func(*Options) bool                             // nil: always on
	str   func(*Record) string                            // a string: any cell; an NDJSON string
	seq   func(*Record) int64                             // a row number: an empty cell when not positive
	cell  func(c *csvWriter, b []byte, r *Record) []byte  // otherwise: appends r's CSV/TSV cell
	value func(j *jsonWriter, b []byte, r *Record) []byte // otherwise: appends r's NDJSON value
	omit  func(r *Record) bool                            // the NDJSON object of r leaves the field out
	keep  bool                                            // NDJSON: an empty str or seq is written too
	csv   bool                                            // a CSV/TSV column, and one of the typed writers (Parquet, XLSX)
	json  bool                                            // an NDJSON field
	kind  kind                                            // what the typed writers make of it
	never bool                                            // the typed writers' value is never null (Parquet: a required column)
	val   func(x typedCtx, r *Record) cellValue           // its value for the typed writers; nil: from str or seq
}

// kind is what an added column holds, for the writers whose cells have
// types (Parquet, XLSX).
type kind uint8

const (
	kindText kind = iota // a string; "" is Parquet's null
	kindBool             // true or false; null when the row has no value
	kindRow              // a row number (Parquet INT64), FILE:ROW text with several inputs; null when none
	kindTime             // a time (Parquet TIMESTAMP, UTC); null when zero
)

// cellValue is an added column's value in one row, for the typed writers.
type cellValue struct {
	null bool
	str  string    // kindText, and kindRow as FILE:ROW
	n    int64     // kindRow
	b    bool      // kindBool
	t    time.Time // kindTime
}

func textValue(s string) cellValue { return cellValue{str: s, null: s == ""} }

// typedCtx is what a typed writer knows that a column's value may need.
type typedCtx struct {
	refs    *refs // several inputs: row numbers as FILE:ROW; nil for one
	fromCSV bool  // the rows are cells (CSV, TSV, XLSX, Parquet), not NDJSON lines
}

// typedValue is c's value in r for the typed writers.
func (c *column) typedValue(x typedCtx, r *Record) cellValue {
	switch {
	case c.val != nil:
		return c.val(x, r)
	case c.str != nil:
		v := textValue(c.str(r))
		v.null = v.null && !c.never
		return v
	}
	n := c.seq(r)
	if n <= 0 {
		return cellValue{null: true}
	}
	// As the CSV/TSV cell reads: the number in the row's own file, FILE:ROW
	// in another (several inputs make it a string column).
	file, row := x.refs.ref(n, r)
	switch {
	case file != "":
		return cellValue{str: file + ":" + strconv.FormatInt(row, 10), n: row}
	case x.refs != nil:
		return cellValue{str: strconv.FormatInt(row, 10), n: row}
	}
	return cellValue{n: row}
}

// notNull makes the column's value never null for the typed writers: a
// required Parquet column.
func (c column) notNull() column { c.never = true; return c }

// typed gives a custom column its kind and value for the typed writers.
func (c column) typed(k kind, val func(x typedCtx, r *Record) cellValue) column {
	c.kind, c.val = k, val
	return c
}

// text is a column of a string: a cell as any other (quoted as needed,
// Options.ExcelSafe applied), an NDJSON string.
func text(name string, get func(*Record) string) column {
	return column{name: name, str: get, csv: true, json: true}
}

// seq is a column of a row number.
func seq(name string, get func(*Record) int64) column {
	return column{name: name, seq: get, csv: true, json: true, kind: kindRow}
}

// custom is a column whose functions write its value; a nil one keeps it out
// of that format.
func custom(name string,
	cell func(c *csvWriter, b []byte, r *Record) []byte,
	value func(j *jsonWriter, b []byte, r *Record) []byte) column {
	return column{name: name, cell: cell, value: value, csv: cell != nil, json: value != nil}
}

// when makes the column depend on the Options.
func (c column) when(on func(*Options) bool) column { c.on = on; return c }

// always keeps the NDJSON field on every row, empty or not.
func (c column) always() column { c.keep = true; return c }

// omitWhen replaces the rule that leaves the NDJSON field out.
func (c column) omitWhen(omit func(*Record) bool) column { c.omit, c.keep = omit, true; return c }

// csvOnly keeps the column out of NDJSON output.
func (c column) csvOnly() column { c.json = false; return c }

// active returns the columns of table that opt turns on and that format
// writes, CSV/TSV (csv) or NDJSON, with their prefixed names.
func active(table []column, opt *Options, csv bool) (cols []column, names []string) {
	for _, c := range table {
		if (csv && !c.csv) || (!csv && !c.json) || (c.on != nil && !c.on(opt)) {
			continue
		}
		cols = append(cols, c)
		names = append(names, opt.ColumnPrefix+c.name)
	}
	return cols, names
}

// isAvailable: Azotte's answer, empty (CSV/TSV) or null (NDJSON) on a row
// Azotte did not answer.
func availableCell(_ *csvWriter, b []byte, r *Record) []byte {
	if r.Answered {
		return strconv.AppendBool(b, r.IsAvailable)
	}
	return b
}

func availableValue(_ *jsonWriter, b []byte, r *Record) []byte {
	if r.Answered {
		return strconv.AppendBool(b, r.IsAvailable)
	}
	return append(b, "null"...)
}

func statusValue(j *jsonWriter, b []byte, r *Record) []byte { return j.appendStatus(b, r.Status) }

// detail: always an NDJSON field, "" when there is nothing to say.
func detailCell(c *csvWriter, b []byte, r *Record) []byte {
	return appendCell(b, c.detail(r, c.fromCSV), c)
}

func detailValue(j *jsonWriter, b []byte, r *Record) []byte {
	return appendJSONString(b, j.detail(r, j.fromCSV))
}
