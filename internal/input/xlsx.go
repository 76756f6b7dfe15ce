package input

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/xuri/excelize/v2"
)

// xlsxInMemory is the largest sheet or shared-string part excelize keeps in
// memory; a larger one goes to one of its temporary files and is streamed
// from there, so a big sheet costs disk, not memory.
const xlsxInMemory = 1 << 20

// xlsxReader reads the rows of one sheet of an .xlsx workbook, each cell as
// the sheet shows it (its number format applied: 00123 stays 00123), as text.
type xlsxReader struct {
	name   string
	src    *source // the input as stored: drained at the end, so that it is counted and hashed whole
	book   *excelize.File
	rows   *excelize.Rows
	header []string
	idCol  int
	trim   bool
	max    int
	size   int64 // bytes of the workbook as stored, for Row.End
	last   int64 // last row of the sheet's dimension; 0 when unknown
	line   int64 // sheet rows read
	seq    int64
	blank  atomic.Int64
	err    error // sticky: io.EOF or an *Error
}

// openXLSX opens the workbook that src holds (r itself, when it is a
// regular file, else a temporary copy of src) and reads as far as the header
// of cfg.Sheet, or of the first sheet.
func openXLSX(src *source, r io.Reader, cfg Config) (x *xlsxReader, err error) {
	fail := func(err error) (*xlsxReader, error) {
		if x != nil {
			x.close()
		}
		return nil, &Error{src.name, err}
	}
	path, size, remove, err := randomAccess(src, r, "azvalidate-*.xlsx")
	if err != nil {
		return nil, err
	}
	book, err := excelize.OpenFile(path, excelize.Options{UnzipXMLSizeLimit: xlsxInMemory})
	// excelize has read the archive: what it needs is in memory or in its
	// own temporary files, so the copy can go now.
	remove()
	if err != nil {
		return nil, &Error{src.name, fmt.Errorf("not a readable .xlsx workbook: %v", err)}
	}
	x = &xlsxReader{name: src.name, src: src, book: book, trim: cfg.Trim, max: src.max, size: size}
	sheets := book.GetSheetList()
	sheet := cfg.Sheet
	switch {
	case len(sheets) == 0:
		return fail(errors.New("the workbook has no sheet"))
	case sheet == "":
		sheet = sheets[0]
	case !slices.Contains(sheets, sheet):
		return fail(fmt.Errorf("no sheet %q in the workbook (sheets: %s); use --sheet", sheet, columnList(sheets)))
	}
	if ref, err := book.GetSheetDimension(sheet); err == nil {
		if _, end, ok := strings.Cut(ref, ":"); ok {
			// A one-row dimension is what some writers put on any sheet: unknown.
			if _, row, err := excelize.CellNameToCoordinates(end); err == nil && row > 1 {
				x.last = int64(row)
			}
		}
	}
	if x.rows, err = book.Rows(sheet); err != nil {
		return fail(fmt.Errorf("sheet %q: %v", sheet, err))
	}
	if !cfg.NoHeader {
		cells, err := x.record()
		if err == io.EOF {
			return fail(fmt.Errorf("sheet %q is empty", sheet))
		}
		if err != nil {
			return nil, err
		}
		x.header = cells
	}
	if x.idCol, err = idColumn(x.header, cfg); err != nil {
		return fail(err)
	}
	return x, nil
}

// record returns the cells of the next row that has any, skipping (and
// counting) empty ones; io.EOF after the last.
func (x *xlsxReader) record() ([]string, error) {
	for x.rows.Next() {
		x.line++
		cells, err := x.rows.Columns()
		if err != nil {
			return nil, x.fail(fmt.Errorf("sheet row %d: %v", x.line, err))
		}
		if slices.ContainsFunc(cells, func(c string) bool { return c != "" }) {
			return cells, nil
		}
		x.blank.Add(1)
	}
	if err := x.rows.Error(); err != nil {
		return nil, x.fail(fmt.Errorf("after sheet row %d: %v", x.line, err))
	}
	if _, err := io.Copy(io.Discard, x.src.br); err != nil {
		return nil, x.fail(err)
	}
	x.err = io.EOF
	x.close()
	return nil, io.EOF
}

func (x *xlsxReader) fail(err error) error {
	x.err = &Error{x.name, err}
	x.close()
	return x.err
}

func (x *xlsxReader) next() (Row, error) {
	if x.err != nil {
		return Row{}, x.err
	}
	cells, err := x.record()
	if err != nil {
		return Row{}, err
	}
	x.seq++
	row := Row{Seq: x.seq, Line: x.line, End: x.end()}
	n := 0
	for _, c := range cells {
		n += len(c) + 1
	}
	if n-1 > x.max {
		return invalid(row, nil, fmt.Sprintf("record longer than %d bytes", x.max)), nil
	}
	row.Fields = cells
	id := ""
	if x.idCol < len(cells) {
		id = cells[x.idCol] // trailing empty cells are not in cells
	}
	row.ID, row.Padded, row.Invalid = checkID(id, x.trim)
	return row, nil
}

// end estimates how much of the workbook the rows up to this one take, by
// their share of the sheet's rows, for progress.
func (x *xlsxReader) end() int64 {
	if x.last <= 0 {
		return 0
	}
	return min(x.size, x.size/x.last*x.line+x.size%x.last*x.line/x.last)
}

// close removes excelize's temporary files; it may be called again.
func (x *xlsxReader) close() error {
	if x.book == nil {
		return nil
	}
	var err error
	if x.rows != nil {
		err = x.rows.Close()
	}
	err = errors.Join(err, x.book.Close())
	x.book, x.rows = nil, nil
	return err
}
