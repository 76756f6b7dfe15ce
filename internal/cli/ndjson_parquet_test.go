package cli

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/sandbox"
)

type typedExport struct {
	ExternalID string    `parquet:"externalId"`
	N          int64     `parquet:"n"`
	Small      int32     `parquet:"small"`
	Unsigned   uint64    `parquet:"unsigned"`
	Ratio      float64   `parquet:"ratio"`
	Flag       bool      `parquet:"flag"`
	Maybe      *int64    `parquet:"maybe,optional"`
	Price      int32     `parquet:"price,decimal(2:9)"`
	When       time.Time `parquet:"when,timestamp(millisecond)"`
	Tags       []int64   `parquet:"tags,list"`
	Name       *string   `parquet:"name,optional"`
}

// TestNDJSONFromParquetKeepsTypes: NDJSON output of a Parquet input writes
// numbers and booleans as JSON numbers and booleans (their nulls as null),
// exactly as the file holds them, however large; what JSON cannot say
// exactly stays a string: NaN, decimals, timestamps; lists and strings are
// as before (a list as the text of a JSON array of strings, a null string "").
func TestNDJSONFromParquetKeepsTypes(t *testing.T) {
	t.Parallel()
	in := filepath.Join(t.TempDir(), "typed.parquet")
	seven, name := int64(7), "Ada"
	when := time.Date(2026, 11, 27, 8, 30, 1, 250e6, time.UTC)
	writeParquet(t, in, []typedExport{
		{"t-1", 9007199254740993, -12, math.MaxUint64, 0.1, true, &seven, 1234, when, []int64{1, 2}, &name},
		{"t-2", -1, 0, 0, math.NaN(), false, nil, -5, when, nil, nil},
	}, 1)
	e := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"t-2": true}})
	res := run(t, "", e.args("--rate", "0", "--output-format", "ndjson", in)...)
	if res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), res.stdout)
	}
	want := []map[string]any{{
		"externalId": "t-1", "n": json.Number("9007199254740993"), "small": json.Number("-12"),
		"unsigned": json.Number("18446744073709551615"), "ratio": json.Number("0.1"), "flag": true,
		"maybe": json.Number("7"), "price": "12.34", "when": "2026-11-27T08:30:01.25Z", "tags.list.element": `["1","2"]`,
		"name": "Ada", "verdict": "available",
	}, {
		"externalId": "t-2", "n": json.Number("-1"), "small": json.Number("0"), "unsigned": json.Number("0"),
		"ratio": "NaN", "flag": false, "maybe": nil, "price": "-0.05", "when": "2026-11-27T08:30:01.25Z",
		"tags.list.element": "", "name": "", "verdict": "taken",
	}}
	for i, line := range lines {
		d := json.NewDecoder(bytes.NewReader([]byte(line)))
		d.UseNumber()
		var got map[string]any
		if err := d.Decode(&got); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, line)
		}
		for k, w := range want[i] {
			if g, ok := got[k]; !ok || g != w {
				t.Errorf("line %d: %s is %#v, want %#v\n%s", i+1, k, g, w, line)
			}
		}
	}
	idRequests(t, e)
}
