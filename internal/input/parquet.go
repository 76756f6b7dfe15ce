package input

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// parquetBatch is how many rows the reader decodes at a time: enough to
// amortise the calls, few enough that a batch of wide rows stays small.
const parquetBatch = 128

// parquetReader reads the rows of a Parquet file, one row group after
// another: a row group's pages are read from the file as its rows are
// decoded, so memory holds a batch of rows and the pages they come from,
// never the file. Each row keeps its values as stored (Row.Values, for a
// Parquet output) and as text (Row.Fields, for every other output), one
// field per leaf column, named by its dotted path.
type parquetReader struct {
	name   string
	src    *source  // the input as stored: drained at the end, so that it is counted and hashed whole
	file   *os.File // the Parquet file: the input's own, or a temporary copy
	remove func()   // removes the copy, if any
	pf     *parquet.File
	leaves []parquetLeaf
	header []string
	idCol  int    // the id's leaf; -1 when --id-column names a group
	group  string // --id-column names a group: its leaves, for the rows' reason
	trim   bool
	max    int
	size   int64 // bytes of the file as stored, for Row.End
	total  int64 // rows in the file
	next   int   // the row group to read next
	rows   parquet.Rows
	buf    []parquet.Row
	pos, n int // buf[pos:n] are decoded rows not returned yet
	seq    int64
	err    error // sticky: io.EOF or an *Error
}

// parquetLeaf is one leaf column: how its values read as text.
type parquetLeaf struct {
	path     string
	repeated bool // a list, or inside one: a row holds any number of values
	text     func(parquet.Value) string
}

// openParquet opens the Parquet file src holds (r itself, when it is a
// regular file read from its start, else a temporary copy of src) and
// finds the id column among its leaves.
func openParquet(src *source, r io.Reader, cfg Config) (*parquetReader, error) {
	path, size, remove, err := randomAccess(src, r, "azvalidate-*.parquet")
	if err != nil {
		return nil, err
	}
	p := &parquetReader{name: src.name, src: src, remove: remove, trim: cfg.Trim, max: src.max, size: size, idCol: -1}
	fail := func(err error) (*parquetReader, error) {
		p.close()
		return nil, &Error{src.name, err}
	}
	if p.file, err = os.Open(path); err != nil {
		return fail(err)
	}
	// The page and bloom indexes help a reader that skips; this one reads all.
	p.pf, err = parquet.OpenFile(p.file, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return fail(fmt.Errorf("not a readable Parquet file: %v", err))
	}
	p.total = p.pf.NumRows()
	p.leaves = parquetLeaves(p.pf.Root())
	if len(p.leaves) == 0 {
		return fail(errors.New("the Parquet schema has no column"))
	}
	for _, l := range p.leaves {
		p.header = append(p.header, l.path)
	}
	if cfg.NoHeader || cfg.IDIndex > 0 {
		// Parquet columns have names: a number would be ambiguous.
		if cfg.IDIndex < 1 || cfg.IDIndex > len(p.header) {
			return fail(fmt.Errorf("id column %d is beyond the schema's %d columns (%s)", cfg.IDIndex, len(p.header), columnList(p.header)))
		}
		p.idCol = cfg.IDIndex - 1
	} else if p.idCol, err = idColumn(p.header, cfg); err != nil {
		// A group's name is no leaf's: its rows are invalid, each saying why.
		name := defaultID
		if cfg.IDColumn != "" {
			name = cfg.IDColumn
		}
		if sub := groupLeaves(p.header, name); sub != nil {
			p.idCol, p.group = -1, strings.Join(sub, ", ")
		} else {
			return fail(err)
		}
	}
	p.buf = make([]parquet.Row, parquetBatch)
	return p, nil
}

// groupLeaves are the leaves of header under the group name (exactly, else
// ignoring case), or nil when name is no group.
func groupLeaves(header []string, name string) []string {
	for _, fold := range []bool{false, true} {
		var sub []string
		for _, h := range header {
			if len(h) > len(name) && h[len(name)] == '.' &&
				(h[:len(name)] == name || fold && strings.EqualFold(h[:len(name)], name)) {
				sub = append(sub, h)
			}
		}
		if sub != nil {
			return sub
		}
	}
	return nil
}

// parquetLeaves lists the leaf columns under c, depth first: the order of
// the values in a parquet.Row.
func parquetLeaves(c *parquet.Column) []parquetLeaf {
	var leaves []parquetLeaf
	var walk func(c *parquet.Column)
	walk = func(c *parquet.Column) {
		if c.Leaf() {
			leaves = append(leaves, parquetLeaf{
				path:     strings.Join(c.Path(), "."),
				repeated: c.MaxRepetitionLevel() > 0,
				text:     valueText(c.Type()),
			})
			return
		}
		for _, ch := range c.Columns() {
			walk(ch)
		}
	}
	walk(c)
	return leaves
}

// randomAccess is the path of a file holding the input: r's own when r is a
// regular file read from its start and not compressed, else a temporary
// copy of what src holds (a stream, say stdin: an .xlsx or a Parquet file
// is read from its end first). Reading the copy through src counts and
// hashes the input as any other. remove deletes the copy, if any.
func randomAccess(src *source, r io.Reader, pattern string) (path string, size int64, remove func(), err error) {
	f, ok := r.(*os.File)
	if in, isFile := r.(*File); isFile {
		f, ok = in.r.(*os.File)
	}
	if ok && !src.gzip && src.ratio == nil {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			if off, err := f.Seek(0, io.SeekCurrent); err == nil && off == int64(src.br.Buffered()) {
				return f.Name(), st.Size(), func() {}, nil
			}
		}
	}
	tmp, err := os.CreateTemp("", pattern)
	if err != nil {
		return "", 0, nil, &Error{src.name, fmt.Errorf("copy of the input: %w", err)}
	}
	remove = func() { os.Remove(tmp.Name()) }
	n, err := io.Copy(tmp, src.br)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		remove()
		var in *Error
		if errors.As(err, &in) {
			return "", 0, nil, err
		}
		return "", 0, nil, src.fail(err)
	}
	size = n
	if src.ratio != nil {
		size = src.ratio.in.Load()
	}
	return tmp.Name(), size, remove, nil
}

func (p *parquetReader) fail(err error) error {
	p.err = &Error{p.name, err}
	p.close()
	return p.err
}

// read decodes the next batch of rows, moving on to the next row group at
// the end of one; io.EOF after the last.
func (p *parquetReader) read() error {
	for {
		if p.rows == nil {
			groups := p.pf.RowGroups()
			if p.next >= len(groups) {
				// Read what is left of the input as stored, so that its
				// size and hash are the whole file's.
				if _, err := io.Copy(io.Discard, p.src.br); err != nil {
					return p.fail(err)
				}
				p.err = io.EOF
				p.close()
				return io.EOF
			}
			p.rows = groups[p.next].Rows()
			p.next++
		}
		n, err := p.rows.ReadRows(p.buf)
		if n > 0 {
			p.pos, p.n = 0, n
			return nil
		}
		if err != nil && err != io.EOF {
			return p.fail(fmt.Errorf("row group %d, after row %d: %v", p.next, p.seq, err))
		}
		if err := p.rows.Close(); err != nil {
			return p.fail(fmt.Errorf("row group %d: %v", p.next, err))
		}
		p.rows = nil
	}
}

func (p *parquetReader) nextRow() (Row, error) {
	if p.err != nil {
		return Row{}, p.err
	}
	if p.pos >= p.n {
		if err := p.read(); err != nil {
			return Row{}, err
		}
	}
	// The batch's values point into pages that the next read reuses.
	values := p.buf[p.pos].Clone()
	p.pos++
	p.seq++
	row := Row{Seq: p.seq, Line: p.seq, End: p.end(), Values: values}
	fields := make([]string, len(p.leaves))
	n := 0
	idNull, idList := false, false
	values.Range(func(col int, vals []parquet.Value) bool {
		if col >= len(p.leaves) {
			return false
		}
		l := &p.leaves[col]
		fields[col] = l.textOf(vals)
		n += len(fields[col]) + 1
		if col == p.idCol {
			idNull = len(vals) == 0 || vals[0].IsNull()
			idList = l.repeated && !idNull
		}
		return true
	})
	if n-1 > p.max {
		row.Invalid = fmt.Sprintf("record longer than %d bytes", p.max)
		row.Fields = make([]string, len(p.leaves)) // its cells would hold what memory must not
		return row, nil
	}
	row.Fields = fields
	switch {
	case p.idCol < 0:
		row.Invalid = fmt.Sprintf("id column is a group (%s), not a value; use --id-column with one of them", p.group)
	case idNull:
		row.Invalid = "id is null"
	case idList:
		row.Invalid = fmt.Sprintf("id is a list (%s), not one value", fields[p.idCol])
	default:
		row.ID, row.Padded, row.Invalid = checkID(fields[p.idCol], p.trim)
	}
	return row, nil
}

// textOf is a leaf's values in one row as text: the value, "" for null; for
// a list, its values as a JSON array.
func (l *parquetLeaf) textOf(vals []parquet.Value) string {
	if !l.repeated {
		if len(vals) == 0 || vals[0].IsNull() {
			return ""
		}
		return l.text(vals[0])
	}
	if len(vals) == 0 || len(vals) == 1 && vals[0].IsNull() {
		return ""
	}
	var b []byte
	b = append(b, '[')
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		if v.IsNull() {
			b = append(b, "null"...)
			continue
		}
		b = appendJSONText(b, l.text(v))
	}
	return string(append(b, ']'))
}

// end estimates how much of the file the rows up to this one take, by their
// share of the file's rows, for progress.
func (p *parquetReader) end() int64 {
	if p.total <= 0 {
		return 0
	}
	return min(p.size, p.size/p.total*p.seq+p.size%p.total*p.seq/p.total)
}

// close releases the file and removes a temporary copy; it may be called again.
func (p *parquetReader) close() error {
	var err error
	if p.rows != nil {
		err = p.rows.Close()
		p.rows = nil
	}
	if p.file != nil {
		err = errors.Join(err, p.file.Close())
		p.file = nil
	}
	if p.remove != nil {
		p.remove()
		p.remove = nil
	}
	return err
}
