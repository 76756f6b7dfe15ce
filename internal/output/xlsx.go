package output

import (
	"archive/zip"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/azotte/azvalidate/internal/input"
)

// xlsxSheetRows is the rows a worksheet holds at most (Excel's limit), the
// header included: past it the rows go on in the next sheet.
const xlsxSheetRows = excelize.TotalRows

// xlsxWriter writes rows to an Excel workbook through excelize's
// StreamWriter, which keeps a sheet's rows in a temporary file past 16 MiB,
// and End zips them to the output as it reads them, so memory stays
// bounded whatever the rows. The first sheet is "rows",
// then "rows 2", ...: each with the header, styled and frozen. Every
// original cell is text, as the input held it (an id 00123 stays 00123, a
// cell starting with = stays text: no formula is ever written);
// isAvailable and sameEmail are booleans, row numbers numbers. End adds the
// sheet "Summary" with the run's counts and writes the workbook.
type xlsxWriter struct {
	out    io.Writer
	book   *excelize.File
	sheet  *excelize.StreamWriter
	sheets int // data sheets begun
	row    int // rows of the current sheet, header included
	header []any
	style  int // the header's style
	cols   []column
	ctx    typedCtx
	n      int   // original columns
	cells  []any // one row, reused
	err    error
}

func newXLSXWriter(w io.Writer, opt Options, cols []column, added []string) (*xlsxWriter, error) {
	names := originalNames(opt)
	if err := checkClash(names, added); err != nil {
		return nil, err
	}
	x := &xlsxWriter{out: w, book: excelize.NewFile(), cols: cols, n: len(names),
		ctx: typedCtx{refs: newRefs(&opt), fromCSV: opt.InputFormat != input.NDJSON}}
	for _, n := range append(names, added...) {
		x.header = append(x.header, n)
	}
	var err error
	x.style, err = x.book.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 1}},
		Alignment: &excelize.Alignment{Vertical: "center"},
	})
	if err != nil {
		x.book.Close()
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	if err := x.newSheet(); err != nil {
		x.book.Close()
		return nil, err
	}
	return x, nil
}

// newSheet ends the current data sheet, if any, and begins the next one with
// the header, frozen so that it stays in view.
func (x *xlsxWriter) newSheet() error {
	if x.sheet != nil {
		if err := x.sheet.Flush(); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	x.sheets++
	name := "rows"
	if x.sheets == 1 {
		if err := x.book.SetSheetName("Sheet1", name); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	} else {
		name = "rows " + strconv.Itoa(x.sheets)
		if _, err := x.book.NewSheet(name); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	sw, err := x.book.NewStreamWriter(name)
	if err == nil {
		err = sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
	if err == nil {
		err = sw.SetRow("A1", x.header, excelize.RowOpts{StyleID: x.style})
	}
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	x.sheet, x.row = sw, 1
	return nil
}

// Write adds r to the current sheet, beginning the next at Excel's limit.
func (x *xlsxWriter) Write(r *Record) error {
	if x.err != nil {
		return x.err
	}
	if x.row >= xlsxSheetRows {
		if x.err = x.newSheet(); x.err != nil {
			return x.err
		}
	}
	cells := x.cells[:0]
	if !x.ctx.fromCSV {
		cells = append(cells, r.Row.ID, string(trimEOL(r.Row.Raw)))
	} else {
		// Cells beyond the header are kept, as the CSV writer keeps them;
		// short rows are padded so that the added cells stay under their names.
		for _, f := range r.Row.Fields {
			cells = append(cells, f)
		}
		for i := len(r.Row.Fields); i < x.n; i++ {
			cells = append(cells, nil)
		}
	}
	for i := range x.cols {
		c := &x.cols[i]
		v := c.typedValue(x.ctx, r)
		switch {
		case v.null:
			cells = append(cells, nil)
		case c.kind == kindBool:
			cells = append(cells, v.b)
		case c.kind == kindRow && x.ctx.refs == nil:
			cells = append(cells, v.n)
		case c.kind == kindTime:
			cells = append(cells, v.t.UTC().Format(time.RFC3339))
		default:
			cells = append(cells, v.str)
		}
	}
	x.cells = cells
	x.row++
	if err := x.sheet.SetRow("A"+strconv.Itoa(x.row), cells); err != nil {
		x.err = fmt.Errorf("xlsx: sheet row %d: %w", x.row, err)
		return x.err
	}
	return nil
}

// Flush does nothing: a workbook is written whole, by End.
func (x *xlsxWriter) Flush() error {
	if x.err == errEnded {
		return nil
	}
	return x.err
}

// End ends the last data sheet, adds the Summary sheet of facts and writes
// the workbook to the underlying writer.
func (x *xlsxWriter) End(facts []Fact) error {
	if x.err == errEnded {
		return nil
	}
	if x.err != nil {
		x.book.Close()
		return x.err
	}
	err := x.end(facts)
	if cerr := x.book.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("xlsx: %w", cerr)
	}
	x.err = errEnded
	return err
}

func (x *xlsxWriter) end(facts []Fact) error {
	if err := x.sheet.Flush(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	const sum = "Summary"
	if _, err := x.book.NewSheet(sum); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	sw, err := x.book.NewStreamWriter(sum)
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := sw.SetColWidth(1, 1, 24); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := sw.SetRow("A1", []any{"summary", "value"}, excelize.RowOpts{StyleID: x.style}); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	for i, f := range facts {
		if err := sw.SetRow("A"+strconv.Itoa(i+2), []any{f.Name, f.Value}); err != nil {
			return fmt.Errorf("xlsx: summary %s: %w", f.Name, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	// excelize builds the whole archive in a buffer before writing it out,
	// memory as large as the workbook: its zip writer writes to the output
	// instead, as the archive is made, and the buffer stays empty.
	x.book.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(x.out) })
	if _, err := x.book.WriteTo(io.Discard); err != nil {
		return err
	}
	return nil
}
