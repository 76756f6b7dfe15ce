package input

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilesOneStream: two files read as one stream of rows, numbered on
// across them, each row located in its own file; a second pass reads the
// same rows; a header that differs is refused for CSV output.
func TestFilesOneStream(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv"), filepath.Join(dir, "c.csv")
	for path, text := range map[string]string{a: "externalId\nx-1\nx-2\n", b: "externalId\nx-3\n", c: "externalId,name\nx-4,Ann\n"} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	in, err := OpenFiles([]string{a, "-"}, strings.NewReader("externalId\nx-3\n"), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	read := func(in *Files) (ids []string) {
		for {
			row, err := in.Next()
			if errors.Is(err, io.EOF) {
				return ids
			}
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, row.ID)
		}
	}
	if ids := strings.Join(read(in), ","); ids != "x-1,x-2,x-3" {
		t.Fatalf("rows %s, want x-1,x-2,x-3", ids)
	}
	if f, row := in.Locate(3); f != 1 || row != 1 || in.Ref(2) != a+":2" || in.Ref(3) != "-:1" {
		t.Errorf("Locate(3) = %d, %d; Ref(2) %q, Ref(3) %q", f, row, in.Ref(2), in.Ref(3))
	}
	if in.Name() != a+", -" || in.Size() != -1 || in.Len() != 2 || in.File(0).BytesRead() != int64(len("externalId\nx-1\nx-2\n")) {
		t.Errorf("Name %q, Size %d, Len %d, bytes of a %d", in.Name(), in.Size(), in.Len(), in.File(0).BytesRead())
	}
	again, err := in.Reopen(strings.NewReader("externalId\nx-3\n"), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if ids := strings.Join(read(again), ","); ids != "x-1,x-2,x-3" || again.File(0).SHA256() != in.File(0).SHA256() {
		t.Errorf("second pass: rows %s, sha256 %s vs %s", ids, again.File(0).SHA256(), in.File(0).SHA256())
	}

	mixed, err := OpenFiles([]string{b, c}, nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer mixed.Close()
	if err := mixed.Check(CSV, false); err == nil || !strings.Contains(err.Error(), `its header differs from `+b+`'s (extra column 2 "name")`) {
		t.Errorf("Check(CSV) = %v, want the header difference", err)
	}
	if err := mixed.Check(NDJSON, true); err != nil {
		t.Errorf("Check(NDJSON) = %v: each row becomes an object of its own", err)
	}
}
