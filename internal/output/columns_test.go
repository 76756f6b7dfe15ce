package output

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/azotte/azvalidate/internal/input"
)

// TestColumnTable adds two columns to the table, as a new issue would: one
// always on, in the middle, and one that an option turns on, at the end. Each
// must reach the header, every format's rows at its place, and the clash
// check, with the prefix.
func TestColumnTable(t *testing.T) {
	t.Parallel()
	at := slices.IndexFunc(addedColumns, func(c column) bool { return c.name == "verdict" }) + 1
	table := slices.Insert(slices.Clone(addedColumns), at,
		seq("rowNumber", func(r *Record) int64 { return r.Row.Seq }))
	table = append(table, text("echo", func(r *Record) string { return r.Row.ID }).when(nearDuplicates))

	header := []string{"externalId", "name"}
	plain := taken("crm-1", "Ada")
	plain.Row.Seq = 7
	noID := taken("", "Bob")
	noID.Row.Seq = 0

	run := func(t *testing.T, opt Options, recs ...*Record) string {
		t.Helper()
		var buf bytes.Buffer
		w, err := newWriter(&buf, opt, table)
		if err != nil {
			t.Fatalf("newWriter: %v", err)
		}
		for _, r := range recs {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}

	t.Run("csv", func(t *testing.T) {
		t.Parallel()
		got := readCSV(t, run(t, Options{InputFormat: input.CSV, Header: header, NearDuplicates: true, ColumnPrefix: "az_"}, plain, noID), ',')
		want := [][]string{
			{"externalId", "name", "az_isAvailable", "az_messageCode", "az_verdict", "az_rowNumber", "az_duplicateOf", "az_detail", "az_similarTo", "az_similarKind", "az_echo"},
			{"crm-1", "Ada", "false", "SUCCESS", "taken", "7", "", "", "", "", "crm-1"},
			{"", "Bob", "false", "SUCCESS", "taken", "", "", "", "", "", ""},
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	})
	t.Run("csv, option off", func(t *testing.T) {
		t.Parallel()
		got := readCSV(t, run(t, Options{InputFormat: input.CSV, Header: header}, plain), ',')
		want := [][]string{
			{"externalId", "name", "isAvailable", "messageCode", "verdict", "rowNumber", "duplicateOf", "detail"},
			{"crm-1", "Ada", "false", "SUCCESS", "taken", "7", "", ""},
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	})
	t.Run("ndjson", func(t *testing.T) {
		t.Parallel()
		got := run(t, Options{Format: input.NDJSON, InputFormat: input.CSV, Header: header, NearDuplicates: true}, plain, noID)
		want := `{"externalId":"crm-1","name":"Ada","isAvailable":false,"status":{"messageCode":"SUCCESS"},"verdict":"taken","rowNumber":7,"detail":"","echo":"crm-1"}` + "\n" +
			`{"externalId":"","name":"Bob","isAvailable":false,"status":{"messageCode":"SUCCESS"},"verdict":"taken","detail":""}` + "\n"
		if got != want {
			t.Errorf("got\n%swant\n%s", got, want)
		}
		plain := *plain
		plain.Row.Raw = []byte(`{"externalId":"crm-1"}`)
		got = run(t, Options{InputFormat: input.NDJSON}, &plain)
		want = `{"externalId":"crm-1","isAvailable":false,"status":{"messageCode":"SUCCESS"},"verdict":"taken","rowNumber":7,"detail":""}` + "\n"
		if got != want {
			t.Errorf("option off:\ngot  %swant %s", got, want)
		}
	})
	t.Run("clash", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			opt  Options
			want string // the clashing input column; "" for none
		}{
			{Options{InputFormat: input.CSV, Header: []string{"id", "ROWNUMBER"}}, "ROWNUMBER"},
			{Options{Format: input.NDJSON, InputFormat: input.CSV, Header: []string{"id", "rowNumber"}}, "rowNumber"},
			{Options{InputFormat: input.CSV, Header: []string{"id", "rowNumber"}, ColumnPrefix: "az_"}, ""},
			{Options{InputFormat: input.CSV, Header: []string{"id", "az_rowNumber"}, ColumnPrefix: "az_"}, "az_rowNumber"},
			{Options{InputFormat: input.CSV, Header: []string{"id", "Echo"}, NearDuplicates: true}, "Echo"},
			{Options{Format: input.NDJSON, InputFormat: input.CSV, Header: []string{"id", "echo"}, NearDuplicates: true}, "echo"},
			{Options{InputFormat: input.CSV, Header: []string{"id", "echo"}}, ""},
		} {
			_, err := newWriter(&strings.Builder{}, tc.opt, table)
			var clash *ClashError
			if tc.want == "" && err != nil || tc.want != "" && (!errors.As(err, &clash) || clash.Column != tc.want) {
				t.Errorf("%+v: got %v, want a clash on %q", tc.opt, err, tc.want)
			}
		}
	})
}
