package output

import (
	"bytes"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/verdict"
)

// typedRecords are a taken row, a duplicate of it, an unanswered invalid
// row and an available one answered at a time.
func typedRecords() []*Record {
	at := time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC)
	return []*Record{
		{Row: input.Row{Seq: 1, ID: "007", Fields: []string{"007", "Ann"}}, Verdict: verdict.Taken, Answered: true, MessageCode: "SUCCESS", AnsweredAt: at},
		{Row: input.Row{Seq: 2, ID: "007", Fields: []string{"007", "Bob"}}, Verdict: verdict.Duplicate, Answered: true, MessageCode: "SUCCESS", DuplicateOf: 1, AnsweredAt: at},
		{Row: input.Row{Seq: 3, Fields: []string{"", "Cy"}, Invalid: "empty id"}, Verdict: verdict.Invalid},
		{Row: input.Row{Seq: 4, ID: "=1+1", Fields: []string{"=1+1"}}, Verdict: verdict.Available, Answered: true, IsAvailable: true, MessageCode: "SUCCESS", AnsweredAt: at},
	}
}

func writeEnded(t *testing.T, opt Options, facts []Fact, recs ...*Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(&buf, opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := End(w, facts); err != nil {
		t.Fatalf("End: %v", err)
	}
	if err := End(w, facts); err != nil {
		t.Fatalf("End again: %v", err)
	}
	return buf.Bytes()
}

func TestParquetOutputFromText(t *testing.T) {
	t.Parallel()
	opt := Options{Format: input.Parquet, InputFormat: input.CSV, Header: []string{"externalId", "name"}, AnsweredAt: true}
	data := writeEnded(t, opt, nil, typedRecords()...)
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range f.Root().Columns() {
		got = append(got, c.Name()+" "+c.Type().String())
	}
	want := []string{"externalId STRING", "name STRING", "isAvailable BOOLEAN", "messageCode STRING", "verdict STRING",
		"duplicateOf INT(64,true)", "detail STRING", "answeredAt TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS)"}
	if !slices.Equal(got, want) {
		t.Fatalf("schema\n%q, want\n%q", got, want)
	}
	rows := make([]parquet.Row, 10)
	n, err := f.RowGroups()[0].Rows().ReadRows(rows)
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("%d rows, want 4", n)
	}
	text := func(r parquet.Row) []string {
		var s []string
		for _, v := range r {
			if v.IsNull() {
				s = append(s, "null")
			} else {
				s = append(s, v.String())
			}
		}
		return s
	}
	ms := strconv.FormatInt(time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC).UnixMilli(), 10)
	checks := [][]string{
		{"007", "Ann", "false", "SUCCESS", "taken", "null", "null", ms},
		{"007", "Bob", "false", "SUCCESS", "duplicate", "1", "null", ms},
		{"", "Cy", "null", "null", "invalid", "null", "empty id", "null"},
		{"=1+1", "", "true", "SUCCESS", "available", "null", "null", ms},
	}
	for i, w := range checks {
		if g := text(rows[i]); !slices.Equal(g, w) {
			t.Errorf("row %d: %q, want %q", i+1, g, w)
		}
	}
}

func TestParquetOutputClash(t *testing.T) {
	t.Parallel()
	for _, header := range [][]string{{"externalId", "Verdict"}, {"a", "a"}} {
		_, err := New(io.Discard, Options{Format: input.Parquet, InputFormat: input.CSV, Header: header})
		if err == nil {
			t.Errorf("header %q: no error", header)
		}
	}
}

func TestXLSXOutput(t *testing.T) {
	t.Parallel()
	opt := Options{Format: input.XLSX, InputFormat: input.CSV, Header: []string{"externalId", "name"}}
	facts := []Fact{{"rows", int64(4)}, {"input", "x.csv"}}
	data := writeEnded(t, opt, facts, typedRecords()...)
	book, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	if got := book.GetSheetList(); !slices.Equal(got, []string{"rows", "Summary"}) {
		t.Fatalf("sheets %q", got)
	}
	rows, err := book.GetRows("rows")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"externalId", "name", "isAvailable", "messageCode", "verdict", "duplicateOf", "detail"},
		{"007", "Ann", "FALSE", "SUCCESS", "taken"},
		{"007", "Bob", "FALSE", "SUCCESS", "duplicate", "1"},
		{"", "Cy", "", "", "invalid", "", "empty id"},
		{"=1+1", "", "TRUE", "SUCCESS", "available"},
	}
	for i := range max(len(rows), len(want)) {
		if i >= len(rows) || i >= len(want) || !slices.Equal(rows[i], want[i]) {
			t.Fatalf("rows\n%q, want\n%q", rows, want)
		}
	}
	if typ, _ := book.GetCellType("rows", "A2"); typ != excelize.CellTypeInlineString {
		t.Errorf("A2 is of type %v, not text", typ)
	}
	if f, _ := book.GetCellFormula("rows", "A5"); f != "" {
		t.Errorf("A5 is a formula %q", f)
	}
	panes, err := book.GetPanes("rows")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v, %v: the header is not frozen", panes, err)
	}
	sum, _ := book.GetRows("Summary")
	if len(sum) != 3 || strings.Join(sum[1], "=") != "rows=4" || strings.Join(sum[2], "=") != "input=x.csv" {
		t.Errorf("summary %q", sum)
	}
}

// TestXLSXNextSheet: past Excel's 1,048,576 rows a sheet (header
// included), the rows go on in "rows 2", with the header again.
func TestXLSXNextSheet(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("writes 1,100,000 rows: 40 s, minutes under -race (.ci/run runs it without)")
	}
	t.Parallel()
	const n = 1_100_000
	path := filepath.Join(t.TempDir(), "big.xlsx")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(f, Options{Format: input.XLSX, InputFormat: input.CSV, Header: []string{"externalId"}})
	if err != nil {
		t.Fatal(err)
	}
	r := &Record{Verdict: verdict.Available, Answered: true, IsAvailable: true, MessageCode: "SUCCESS"}
	for i := range n {
		r.Row = input.Row{Seq: int64(i + 1), Fields: []string{strconv.Itoa(i + 1)}}
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := End(w, []Fact{{"rows", int64(n)}}); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	if got := book.GetSheetList(); !slices.Equal(got, []string{"rows", "rows 2", "Summary"}) {
		t.Fatalf("sheets %q", got)
	}
	count := func(sheet string) (rows int, first, second, last []string) {
		it, err := book.Rows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		for it.Next() {
			cells, _ := it.Columns()
			switch rows++; rows {
			case 1:
				first = cells
			case 2:
				second = cells
			}
			last = cells
		}
		return rows, first, second, last
	}
	rows, head, _, last := count("rows")
	if rows != excelize.TotalRows || head[0] != "externalId" || last[0] != strconv.Itoa(excelize.TotalRows-1) {
		t.Errorf("sheet rows: %d rows, header %q, last %q", rows, head, last)
	}
	rows, head, second, last := count("rows 2")
	if rows != n-(excelize.TotalRows-1)+1 || head[0] != "externalId" || second[0] != strconv.Itoa(excelize.TotalRows) || last[0] != strconv.Itoa(n) {
		t.Errorf("sheet rows 2: %d rows, header %q, first %q, last %q", rows, head, second, last)
	}
}

// TestTypedOutputsEveryColumn: every optional column on, in both typed
// formats, rows without their values: each written, null where empty.
func TestTypedOutputsEveryColumn(t *testing.T) {
	t.Parallel()
	opt := Options{InputFormat: input.CSV, Header: []string{"externalId", "name"},
		AnsweredAt: true, NearDuplicates: true, Owners: true, UniqueColumns: true}
	recs := typedRecords()
	recs[0].Owner = Owner{URN: "cu.1", Status: "Active", SameEmail: MatchSame}
	recs[1].SimilarTo, recs[1].SimilarKind = 1, "case"
	recs[3].CollidesWith, recs[3].CollidesOn = 1, "email"
	opt.Format = input.Parquet
	data := writeEnded(t, opt, nil, recs...)
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range f.Root().Columns() {
		names = append(names, c.Name())
		if c.Required() != (c.Name() == "verdict" || c.Name() == "externalId" || c.Name() == "name") {
			t.Errorf("column %s: required %v", c.Name(), c.Required())
		}
	}
	want := []string{"externalId", "name", "isAvailable", "messageCode", "verdict", "duplicateOf", "detail", "answeredAt",
		"similarTo", "similarKind", "ownerUrn", "ownerStatus", "sameEmail", "collidesWith", "collidesOn"}
	if !slices.Equal(names, want) {
		t.Errorf("columns %q, want %q", names, want)
	}
	if f.NumRows() != 4 {
		t.Errorf("%d rows", f.NumRows())
	}
	opt.Format = input.XLSX
	book, err := excelize.OpenReader(bytes.NewReader(writeEnded(t, opt, nil, recs...)))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	rows, _ := book.GetRows("rows")
	if len(rows) != 5 || !slices.Equal(rows[0], want) || rows[1][12] != "TRUE" || rows[2][9] != "case" || rows[4][14] != "email" {
		t.Errorf("rows %q", rows)
	}
}
