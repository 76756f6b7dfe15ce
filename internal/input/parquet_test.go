package input

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// saveParquet writes rows with the library, rowsPerGroup to a row group.
func saveParquet[T any](t testing.TB, rows []T, rowsPerGroup int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f, parquet.MaxRowsPerRowGroup(rowsPerGroup))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

type typedRow struct {
	Name    string    `parquet:"name"`
	ID      *string   `parquet:"externalId,optional"`
	N       int64     `parquet:"n"`
	Small   int32     `parquet:"small"`
	Big     uint64    `parquet:"big"`
	Created time.Time `parquet:"created,timestamp(millisecond)"`
	Day     int32     `parquet:"day,date"` // days since 1970 (v0.32.0 writes a time.Time as a date wrongly)
	Price   int64     `parquet:"price,decimal(2:18)"`
	Ratio   float64   `parquet:"ratio"`
	OK      bool      `parquet:"ok"`
	Note    *string   `parquet:"note,optional"`
	Tags    []string  `parquet:"tags,list"`
}

func ptr[T any](v T) *T { return &v }

func parquetRows(t *testing.T, rd *Reader) []Row {
	t.Helper()
	var rows []Row
	for {
		row, err := rd.Next()
		if err != nil {
			if err.Error() == "EOF" {
				return rows
			}
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
}

func TestParquetTypes(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 27, 8, 30, 1, 250e6, time.UTC)
	path := saveParquet(t, []typedRow{
		{Name: "Ann", ID: ptr("00123"), N: -7, Small: 3, Big: 1 << 63, Created: at, Day: 20784, Price: -1234, Ratio: 0.5, OK: true, Note: ptr("x"), Tags: []string{"a", "b"}},
		{Name: "Bob", ID: nil, N: 1},
		{Name: "Cy", ID: ptr(" c "), Price: 5},
	}, 2)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := Open(path, NewFile(path, f, f), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if rd.Format() != Parquet || rd.Schema() == nil {
		t.Fatalf("format %v, schema %v", rd.Format(), rd.Schema())
	}
	wantHeader := []string{"name", "externalId", "n", "small", "big", "created", "day", "price", "ratio", "ok", "note", "tags.list.element"}
	if !slices.Equal(rd.Header(), wantHeader) {
		t.Fatalf("header %q, want %q", rd.Header(), wantHeader)
	}
	rows := parquetRows(t, rd)
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	want := []string{"Ann", "00123", "-7", "3", "9223372036854775808", "2026-11-27T08:30:01.25Z", "2026-11-27", "-12.34", "0.5", "true", "x", `["a","b"]`}
	if !slices.Equal(rows[0].Fields, want) {
		t.Errorf("row 1 fields\n%q, want\n%q", rows[0].Fields, want)
	}
	if rows[0].ID != "00123" || rows[0].Invalid != "" || rows[0].Seq != 1 || len(rows[0].Values) == 0 {
		t.Errorf("row 1: %+v", rows[0])
	}
	if rows[1].Invalid != "id is null" || rows[1].Fields[1] != "" || rows[1].Fields[7] != "0.00" {
		t.Errorf("row 2: invalid %q, fields %q", rows[1].Invalid, rows[1].Fields)
	}
	if !rows[2].Padded || rows[2].ID != " c " || rows[2].Fields[7] != "0.05" || rows[2].Seq != 3 {
		t.Errorf("row 3: %+v", rows[2])
	}
	if rows[2].End <= 0 {
		t.Errorf("row 3 ends at %d", rows[2].End)
	}
}

type intID struct {
	ExternalID int64  `parquet:"externalId"`
	Name       string `parquet:"name"`
}

type nested struct {
	Customer struct {
		ExternalID string `parquet:"externalId"`
		Email      string `parquet:"email"`
	} `parquet:"customer"`
	Tags []string `parquet:"tags,list"`
}

func TestParquetIDs(t *testing.T) {
	t.Parallel()
	t.Run("int64 id as its decimal text", func(t *testing.T) {
		t.Parallel()
		path := saveParquet(t, []intID{{42, "a"}, {-3, "b"}, {0, "c"}}, 100)
		rows := openRows(t, path, Config{})
		if got := []string{rows[0].ID, rows[1].ID, rows[2].ID}; !slices.Equal(got, []string{"42", "-3", "0"}) {
			t.Errorf("ids %q", got)
		}
	})
	t.Run("dotted path into a group", func(t *testing.T) {
		t.Parallel()
		var r nested
		r.Customer.ExternalID, r.Customer.Email = "crm-1", "a@example.com"
		path := saveParquet(t, []nested{r}, 100)
		rows := openRows(t, path, Config{IDColumn: "Customer.ExternalID"})
		if rows[0].ID != "crm-1" || rows[0].Invalid != "" {
			t.Errorf("row: %+v", rows[0])
		}
	})
	t.Run("a group is no id", func(t *testing.T) {
		t.Parallel()
		path := saveParquet(t, []nested{{}}, 100)
		rows := openRows(t, path, Config{IDColumn: "customer"})
		if !strings.Contains(rows[0].Invalid, "id column is a group (customer.externalId, customer.email)") {
			t.Errorf("invalid %q", rows[0].Invalid)
		}
	})
	t.Run("a list is no id", func(t *testing.T) {
		t.Parallel()
		path := saveParquet(t, []nested{{Tags: []string{"x", "y"}}, {Tags: []string{}}}, 100)
		rows := openRows(t, path, Config{IDColumn: "tags.list.element"})
		if rows[0].Invalid != `id is a list (["x","y"]), not one value` || rows[1].Invalid != "id is null" {
			t.Errorf("invalid %q, %q", rows[0].Invalid, rows[1].Invalid)
		}
	})
	t.Run("no such column", func(t *testing.T) {
		t.Parallel()
		path := saveParquet(t, []intID{{1, "a"}}, 100)
		f, _ := os.Open(path)
		defer f.Close()
		_, err := Open(path, NewFile(path, f, f), Config{IDColumn: "id"})
		if err == nil || !strings.Contains(err.Error(), `in.parquet: no column "id" in header (columns: externalId, name); use --id-column`) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("not a Parquet file", func(t *testing.T) {
		t.Parallel()
		_, err := Open("x.parquet", strings.NewReader("PAR1 but nothing else"), Config{})
		if err == nil || !strings.Contains(err.Error(), "x.parquet: not a readable Parquet file") {
			t.Errorf("err %v", err)
		}
	})
}

// openRows reads every row of path through a pipe, as stdin is read: a
// stream the reader must copy before it can read the footer.
func openRows(t *testing.T, path string, cfg Config) []Row {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	in := NewFile("-", bytes.NewReader(data), nil)
	rd, err := Open("-", in, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rd.Format() != Parquet {
		t.Fatalf("sniffed %v", rd.Format())
	}
	rows := parquetRows(t, rd)
	if in.BytesRead() != int64(len(data)) {
		t.Errorf("read %d bytes of %d", in.BytesRead(), len(data))
	}
	return rows
}
