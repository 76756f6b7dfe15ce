package output

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/thrift"

	"github.com/azotte/azvalidate/internal/input"
)

// A Parquet row group ends after this many rows, or sooner once the rows
// buffered for it hold about parquetGroupBytes of values: the writer keeps
// one row group in memory, so these bound its memory whatever the output's
// size.
const (
	parquetGroupRows  = 16 << 10
	parquetGroupBytes = 32 << 20
)

// parquetWriter writes rows to a Parquet file: the input's columns (with
// their types when the input is Parquet, as strings otherwise), then the
// added columns, typed. Rows are written row group by row group; End writes
// the footer, so that only an ended file is readable (a .partial too: its
// row groups are whole). When a write fails (a full disk), End ends the
// file on its last whole row group.
type parquetWriter struct {
	w       *parquet.Writer
	out     *bufio.Writer // what w writes to, sent on to sink after each row group
	sink    *parquetSink
	file    *File // the output, when it is a File: its last whole row group can end it
	groups  int   // row groups sent on whole
	stored  int64 // their rows
	mark    mark  // where file stood after them
	cols    []column
	ctx     typedCtx
	typed   bool // rows carry Values of the input's schema (Options.Schema)
	leaves  int  // leaf columns before the added ones
	row     parquet.Row
	rows    []parquet.Row // a batch of one, reused
	pending int64         // rows in the row group being buffered
	bytes   int           // about how many bytes of values they hold
	err     error
}

// newParquetWriter returns a writer of opt's rows, with the columns of
// cols (named added, prefixed) after the input's.
func newParquetWriter(w io.Writer, opt Options, cols []column, added []string) (*parquetWriter, error) {
	p := &parquetWriter{cols: cols, ctx: typedCtx{refs: newRefs(&opt), fromCSV: opt.InputFormat != input.NDJSON}, rows: make([]parquet.Row, 1)}
	var fields []parquet.Field
	var names []string
	if opt.Schema != nil {
		p.typed = true
		for _, f := range opt.Schema.Fields() {
			fields = append(fields, plainField{f})
		}
		p.leaves = len(opt.Schema.Columns())
		for _, f := range fields {
			names = append(names, f.Name())
		}
	} else {
		names = originalNames(opt)
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				return nil, fmt.Errorf("the input has two columns named %q: a Parquet schema needs distinct names", n)
			}
			seen[n] = true
			fields = append(fields, namedField{parquet.String(), n})
		}
		p.leaves = len(names)
	}
	if err := checkClash(names, added); err != nil {
		return nil, err
	}
	for i, c := range cols {
		fields = append(fields, namedField{parquetNode(c, p.ctx.refs != nil), added[i]})
	}
	schema := parquet.NewSchema("azvalidate", orderedGroup(fields))
	// The library's own buffer is off (it is not flushed with a row group):
	// out is flushed after each one, so that a row group ends where a File
	// can be cut back to.
	p.sink = &parquetSink{w: w}
	p.out = bufio.NewWriterSize(p.sink, bufferSize)
	p.file, _ = w.(*File)
	p.w = parquet.NewWriter(p.out, schema, parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest, Concurrency: 1}),
		parquet.CreatedBy("azvalidate", "", ""), parquet.WriteBufferSize(0))
	return p, nil
}

// parquetSink passes the library's bytes on to the output until a write
// fails, then takes and drops every byte: the library never sees the
// error, so it goes on to end its file, and its metadata then describes
// the row groups written before (see endWhole).
type parquetSink struct {
	w   io.Writer
	err error // the first write error
}

func (s *parquetSink) Write(b []byte) (int, error) {
	if s.err == nil {
		_, s.err = s.w.Write(b)
	}
	return len(b), nil
}

// originalNames are the names of a text input's columns in a Parquet or
// XLSX output: the header's (column<N> for an empty name or beyond it), or
// the id and record of an NDJSON input.
func originalNames(opt Options) []string {
	if opt.InputFormat == input.NDJSON {
		return []string{opt.IDName, "record"}
	}
	names := make([]string, opt.Columns)
	for i := range names {
		if i < len(opt.Header) && opt.Header[i] != "" {
			names[i] = opt.Header[i]
		} else {
			names[i] = fmt.Sprintf("column%d", i+1)
		}
	}
	return names
}

// parquetNode is the Parquet type of an added column: optional (null when
// the row has no value) but for verdict and sourceFile, which every row has.
func parquetNode(c column, several bool) parquet.Node {
	var n parquet.Node
	switch c.kind {
	case kindBool:
		n = parquet.Leaf(parquet.BooleanType)
	case kindRow:
		n = parquet.Int(64)
		if several {
			n = parquet.String() // FILE:ROW
		}
	case kindTime:
		n = parquet.TimestampAdjusted(parquet.Millisecond, true)
	default:
		n = parquet.String()
	}
	if c.never {
		return n
	}
	return parquet.Optional(n)
}

// Write adds r to the row group being buffered, ending the group when it is full.
func (p *parquetWriter) Write(r *Record) error {
	if p.err != nil {
		return p.err
	}
	row := p.row[:0]
	if p.typed {
		row = append(row, r.Row.Values...)
		for _, f := range r.Row.Fields {
			p.bytes += len(f) + 8
		}
	} else {
		for i, cell := range originalCells(r, p.leaves) {
			row = append(row, parquet.ByteArrayValue([]byte(cell)).Level(0, 0, i))
			p.bytes += len(cell) + 8
		}
	}
	for i := range p.cols {
		c := &p.cols[i]
		idx := p.leaves + i
		def := 1
		if c.never {
			def = 0
		}
		v := c.typedValue(p.ctx, r)
		if v.null {
			row = append(row, parquet.NullValue().Level(0, 0, idx))
			continue
		}
		var pv parquet.Value
		switch c.kind {
		case kindBool:
			pv = parquet.BooleanValue(v.b)
		case kindRow:
			if p.ctx.refs != nil {
				pv = parquet.ByteArrayValue([]byte(v.str))
			} else {
				pv = parquet.Int64Value(v.n)
			}
		case kindTime:
			pv = parquet.Int64Value(v.t.UnixMilli())
		default:
			pv = parquet.ByteArrayValue([]byte(v.str))
			p.bytes += len(v.str)
		}
		row = append(row, pv.Level(0, def, idx))
		p.bytes += 8
	}
	p.row = row
	p.rows[0] = row
	if _, err := p.w.WriteRows(p.rows); err != nil {
		p.err = err
		return err
	}
	p.pending++
	if p.pending >= parquetGroupRows || p.bytes >= parquetGroupBytes {
		return p.Flush()
	}
	return nil
}

// originalCells are a text row's cells in a typed output of n original
// columns: its fields padded to n (cells beyond n have no column), or the
// id and line of an NDJSON row.
func originalCells(r *Record, n int) []string {
	if r.Row.Fields == nil && r.Row.Raw != nil && n == 2 {
		return []string{r.Row.ID, string(trimEOL(r.Row.Raw))}
	}
	cells := r.Row.Fields
	if len(cells) >= n {
		return cells[:n]
	}
	return append(cells[:len(cells):len(cells)], make([]string, n-len(cells))...)
}

// Flush ends the row group being buffered, handing it to the underlying writer.
func (p *parquetWriter) Flush() error {
	if p.err == errEnded {
		return nil
	}
	if p.err != nil || p.pending == 0 {
		return p.err
	}
	if p.err = p.w.Flush(); p.err != nil {
		return p.err
	}
	p.out.Flush() // cannot fail: the sink keeps the error
	if p.err = p.sink.err; p.err != nil {
		return p.err
	}
	p.groups++
	p.stored += p.pending
	if p.file != nil {
		p.mark = p.file.mark()
	}
	p.pending, p.bytes = 0, 0
	return nil
}

// Stored is the rows of the row groups written whole: after a failed write
// to a File, the rows its FILE.partial holds (see End).
func (p *parquetWriter) Stored() int64 { return p.stored }

// End writes the last row group and the footer. After a failed write it
// ends the file on its last whole row group instead (endWhole).
func (p *parquetWriter) End([]Fact) error {
	if p.err == errEnded {
		return nil
	}
	if p.err == nil {
		p.Flush()
	}
	if p.err != nil && p.sink.err == nil {
		return p.err // not a write that failed
	}
	if err := p.w.Close(); err != nil {
		if p.err == nil {
			p.err = err
		}
		return p.err
	}
	p.out.Flush()
	if p.sink.err != nil {
		if err := p.endWhole(); err != nil {
			p.err = err
			return err
		}
	}
	p.err = errEnded
	return nil
}

// endWhole ends a file whose write failed on its last whole row group: the
// file is cut back to where that group ended, which frees the space of the
// broken one (usually far more than a footer takes), and ends there with
// the footer the library made, less the later row groups and the page
// index (written after them, so cut off: an optional index, which readers
// do without). With no whole row group, or an output that is not a File,
// there is nothing to keep: it returns the write error.
func (p *parquetWriter) endWhole() error {
	if p.file == nil || p.groups == 0 {
		return p.sink.err
	}
	meta := *p.w.File().Metadata()
	meta.RowGroups = meta.RowGroups[:p.groups]
	meta.NumRows = p.stored
	for i := range meta.RowGroups {
		for j := range meta.RowGroups[i].Columns {
			c := &meta.RowGroups[i].Columns[j]
			c.ColumnIndexOffset, c.ColumnIndexLength, c.OffsetIndexOffset, c.OffsetIndexLength = 0, 0, 0, 0
		}
	}
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), &meta)
	if err == nil {
		footer = binary.LittleEndian.AppendUint32(footer, uint32(len(footer)))
		err = p.file.cut(p.mark, append(footer, "PAR1"...))
	}
	if err != nil {
		return fmt.Errorf("end it on its last whole row group: %w", cause(err))
	}
	return nil
}

// orderedGroup is a Parquet group whose fields keep their order (the
// library's parquet.Group sorts them by name): the input's columns first, in
// the input's order, then the added ones.
type orderedGroup []parquet.Field

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return "group(" + strings.Join(g.names(), ", ") + ")" }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return g }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type        { return reflect.TypeFor[map[string]any]() }

func (g orderedGroup) names() []string {
	names := make([]string, len(g))
	for i, f := range g {
		names[i] = f.Name()
	}
	return names
}

// plainField is a field of the input's schema with the input file's
// encodings and codecs dropped, its leaves written as the writer's defaults
// say. A dictionary-encoded input column would otherwise keep a dictionary
// of every value of the column, across row groups: memory growing with the
// rows.
type plainField struct{ parquet.Field }

func (f plainField) Encoding() encoding.Encoding { return nil }
func (f plainField) Compression() compress.Codec { return nil }

func (f plainField) Fields() []parquet.Field {
	in := f.Field.Fields()
	out := make([]parquet.Field, len(in))
	for i, c := range in {
		out[i] = plainField{c}
	}
	return out
}

// namedField is a node under a name in an orderedGroup.
type namedField struct {
	parquet.Node
	name string
}

func (f namedField) Name() string { return f.name }

// Value is for writing Go values, which this package does not: rows are
// built value by value.
func (f namedField) Value(base reflect.Value) reflect.Value {
	return reflect.Value{}
}
