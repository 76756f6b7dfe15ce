package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/azotte/azvalidate/internal/memtest"
	"github.com/xuri/excelize/v2"
)

// saveXLSX writes rows (nil: an empty row) to the first sheet of a new
// workbook with SetSheetRow, as shared strings; numbers stay numbers.
func saveXLSX(t testing.TB, rows [][]any, style func(f *excelize.File, sheet string)) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		if r == nil {
			continue
		}
		if err := f.SetSheetRow("Sheet1", "A"+strconv.Itoa(i+1), &r); err != nil {
			t.Fatal(err)
		}
	}
	if style != nil {
		style(f, "Sheet1")
	}
	path := filepath.Join(t.TempDir(), "in.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestXLSX(t *testing.T) {
	t.Parallel()
	path := saveXLSX(t, [][]any{
		nil,
		{"name", "externalId", "n"},
		{"Ann", 123, 1.5},
		{"", nil},
		{"Bob", "00123", nil},
		{"Cy", " c ", 3},
		{"Dee"},
		nil,
	}, func(f *excelize.File, sheet string) {
		code := "00000"
		s, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		f.SetCellStyle(sheet, "B3", "B3", s)
	})
	want := []string{
		`1@3 id "00123" fields ["Ann" "00123" "1.5"]`,
		`2@5 id "00123" fields ["Bob" "00123"]`,
		`3@6 id " c " padded fields ["Cy" " c " "3"]`,
		`4@7 invalid "empty id" fields ["Dee"]`,
	}
	for _, how := range []string{"file", "stream"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var r io.Reader = f
			name := path
			if how == "stream" {
				r, name = io.MultiReader(f), "-" // not a file: copied, format sniffed
			}
			rd, rows, err := readFrom(t, name, r, Config{})
			if err != nil {
				t.Fatal(err)
			}
			compare(t, rows, want)
			if rd.Format() != XLSX || rd.Format().Output() != CSV || fmt.Sprintf("%q", rd.Header()) != `["name" "externalId" "n"]` {
				t.Errorf("Format %v, output %v, header %q", rd.Format(), rd.Format().Output(), rd.Header())
			}
			if rd.BlankLines() != 2 {
				t.Errorf("BlankLines() = %d, want 2 (a row never written, one of empty cells)", rd.BlankLines())
			}
			if err := rd.Close(); err != nil {
				t.Errorf("Close after the end: %v", err)
			}
		})
	}
}

func TestXLSXErrors(t *testing.T) {
	t.Parallel()
	path := saveXLSX(t, [][]any{{"id"}, {"a"}}, nil)
	data, _ := os.ReadFile(path)
	tests := []struct {
		name, file string
		data       []byte
		cfg        Config
		want       string
	}{
		{"no id column", "in.xlsx", data, Config{}, `no column "externalId" in header (columns: id)`},
		{"no such sheet", "in.xlsx", data, Config{IDColumn: "id", Sheet: "Customers"}, `no sheet "Customers" in the workbook (sheets: Sheet1)`},
		{"not a workbook", "in.xlsx", []byte("externalId\na\n"), Config{}, "not a readable .xlsx workbook"},
		{"a zip that is no workbook", "-", []byte("PK\x03\x04 and nothing else"), Config{}, "not a readable .xlsx workbook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Open(tt.file, bytes.NewReader(tt.data), tt.cfg)
			var in *Error
			if !errors.As(err, &in) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open: %v, want an *Error containing %q", err, tt.want)
			}
		})
	}
}

func TestDelimiterSniffed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, input string
		cfg               Config
		want              rune
	}{
		{"comma", "in.csv", "externalId,name\n", Config{}, ','},
		{"semicolon", "in.csv", "externalId;name;note\n", Config{}, ';'},
		{"semicolon wins over the commas inside", "in.csv", "\"a,b\";externalId;name, full\n", Config{}, ';'},
		{"pipe", "in.csv", "name|externalId\n", Config{}, '|'},
		{"tab in a .csv", "in.csv", "name\texternalId\n", Config{}, '\t'},
		{"comma in a .tsv", "in.tsv", "name,externalId\n", Config{}, ','},
		{"the one that finds the column", "in.csv", "externalId;a|b|c|d\n", Config{IDColumn: "externalId;a"}, '|'},
		{"own one on a tie", "in.tsv", "externalId\n", Config{}, '\t'},
		{"after blank lines", "in.csv", "\r\n\nexternalId;b\n", Config{}, ';'},
		{"no header: own one when it splits", "in.csv", "a,b;c\n", Config{NoHeader: true, IDIndex: 1}, ','},
		{"no header: another when it does not", "in.csv", "a;b;c\n", Config{NoHeader: true, IDIndex: 2}, ';'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rd, err := Open(tt.file, strings.NewReader(tt.input), tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if rd.Delimiter() != tt.want {
				t.Errorf("Delimiter() = %q, want %q", rd.Delimiter(), tt.want)
			}
		})
	}
	_, err := Open("in.csv", strings.NewReader("id\tname\n"), Config{})
	if err == nil || !strings.Contains(err.Error(), "try --delimiter tab") {
		t.Errorf("Open: %v, want a hint at --delimiter tab", err)
	}
}

func TestUTF16(t *testing.T) {
	t.Parallel()
	text := "externalId,name\r\n\r\nü-1,Zoë 😀\r\n"
	for _, order := range []string{"LE", "BE"} {
		t.Run(order, func(t *testing.T) {
			t.Parallel()
			var b []byte
			for _, u := range utf16.Encode([]rune("\ufeff" + text)) {
				if order == "LE" {
					b = append(b, byte(u), byte(u>>8))
				} else {
					b = append(b, byte(u>>8), byte(u))
				}
			}
			rd, rows, err := readFrom(t, "-", bytes.NewReader(b), Config{})
			if err != nil {
				t.Fatal(err)
			}
			compare(t, rows, []string{`1@3 id "ü-1" fields ["ü-1" "Zoë 😀"]`})
			if got := rd.Stored(int64(len(text))); got < int64(len(b))*9/10 || got > int64(len(b)) {
				t.Errorf("Stored(all) = %d, want about the %d bytes stored", got, len(b))
			}
		})
	}
}

// BenchmarkXLSXPeak reads a 10^5-row sheet (written with shared strings)
// and reports the peak heap in use while reading, above what was in use
// before, and how it compares to the workbook's size.
func BenchmarkXLSXPeak(b *testing.B) {
	const n = 100_000
	rows := make([][]any, 0, n+1)
	rows = append(rows, []any{"externalId", "name", "email", "note"})
	for i := range n {
		id := fmt.Sprintf("c%07d", i)
		rows = append(rows, []any{id, "Name " + id, id + "@example.com", "a note, with a comma"})
	}
	path := saveXLSX(b, rows, nil)
	rows = nil
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	var peak uint64
	read := 0
	for b.Loop() {
		runtime.GC()
		base := memtest.InUse()
		stop := memtest.SamplePeak(time.Millisecond)
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		rd, err := Open(path, f, Config{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			read++
		}
		f.Close()
		peak = max(peak, stop()-min(base, stop()))
	}
	b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
	b.ReportMetric(float64(peak)/float64(st.Size()), "peak/file")
	b.ReportMetric(float64(st.Size())/(1<<20), "file-MiB")
}
