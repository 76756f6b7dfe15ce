package output

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/azotte/azvalidate/internal/input"
)

// TestNearColumns: with Options.NearDuplicates, CSV/TSV rows get similarTo
// and similarKind after detail (empty without a near-collision); without
// it, no such column. NDJSON rows get the fields exactly when they are set.
func TestNearColumns(t *testing.T) {
	t.Parallel()
	header := []string{"externalId", "name"}
	plain := taken("crm-1", "Ada")
	near := taken("CRM-1", "Bob")
	near.Row.Seq, near.SimilarTo, near.SimilarKind = 2, 1, "case"

	t.Run("csv on", func(t *testing.T) {
		t.Parallel()
		got := readCSV(t, write(t, Options{InputFormat: input.CSV, Header: header, NearDuplicates: true}, plain, near), ',')
		want := [][]string{
			{"externalId", "name", "isAvailable", "messageCode", "verdict", "duplicateOf", "detail", "similarTo", "similarKind"},
			{"crm-1", "Ada", "false", "SUCCESS", "taken", "", "", "", ""},
			{"CRM-1", "Bob", "false", "SUCCESS", "taken", "", "", "1", "case"},
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	})
	t.Run("tsv on, prefixed", func(t *testing.T) {
		t.Parallel()
		got := readCSV(t, write(t, Options{InputFormat: input.TSV, Header: header, NearDuplicates: true, ColumnPrefix: "az_"}, near), '\t')
		if h := got[0]; h[len(h)-2] != "az_similarTo" || h[len(h)-1] != "az_similarKind" {
			t.Errorf("header %q", h)
		}
		if r := got[1]; r[len(r)-2] != "1" || r[len(r)-1] != "case" {
			t.Errorf("row %q", r)
		}
	})
	t.Run("csv off", func(t *testing.T) {
		t.Parallel()
		out := write(t, Options{InputFormat: input.CSV, Header: header}, plain, near)
		if strings.Contains(out, "similar") || strings.Contains(out, "case") {
			t.Errorf("near columns without NearDuplicates:\n%s", out)
		}
		if got := readCSV(t, out, ','); len(got[0]) != 7 || len(got[2]) != 7 {
			t.Errorf("got %q", got)
		}
	})
	t.Run("ndjson", func(t *testing.T) {
		t.Parallel()
		out := write(t, Options{Format: input.NDJSON, InputFormat: input.CSV, Header: header, NearDuplicates: true}, plain, near)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if strings.Contains(lines[0], "similar") {
			t.Errorf("a row without a near-collision has the fields: %s", lines[0])
		}
		if !strings.HasSuffix(lines[1], `"detail":"","similarTo":1,"similarKind":"case"}`) {
			t.Errorf("got %s", lines[1])
		}
	})
	t.Run("clash", func(t *testing.T) {
		t.Parallel()
		h := []string{"externalId", "SimilarTo"}
		var clash *ClashError
		if _, err := New(&strings.Builder{}, Options{InputFormat: input.CSV, Header: h, NearDuplicates: true}); !errors.As(err, &clash) || clash.Column != "SimilarTo" {
			t.Errorf("csv: got %v", err)
		}
		if _, err := New(&strings.Builder{}, Options{Format: input.NDJSON, InputFormat: input.CSV, Header: h, NearDuplicates: true}); !errors.As(err, &clash) {
			t.Errorf("ndjson: got %v", err)
		}
		if _, err := New(&strings.Builder{}, Options{InputFormat: input.CSV, Header: h}); err != nil {
			t.Errorf("without NearDuplicates: %v", err)
		}
	})
}
