package cli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// TestValidateUniqueColumns: --unique-columns email,phone marks exactly the
// first rows of an id that repeat an earlier such row's e-mail (trimmed,
// case-folded) or phone ('+' and digits), with that row and the columns;
// empty values, duplicate ids and invalid rows never collide; the verdicts
// and calls are those of a run without it.
func TestValidateUniqueColumns(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"c": true}})
	rows := []struct {
		id, email, phone string
		with, on         string // expected collidesWith, collidesOn
	}{
		{"a", "Ann@Example.com", "+49 30 1234-56", "", ""},        // 1
		{"b", "  ann@example.COM ", "", "1", "email"},             // 2 case and spaces
		{"c", "", "+4930123456", "1", "phone"},                    // 3 phone punctuation
		{"d", "", "", "", ""},                                     // 4 empty values never collide
		{"e", " ", "n/a", "", ""},                                 // 5 blank e-mail, phone without digits: empty
		{"f", "bob@x.io", "0049 30 123456", "", ""},               // 6 a leading 00 is not +
		{"g", "BOB@x.io", "(0049) 30-123456", "6", "email,phone"}, // 7 both, with one row
		{"a", "ann@example.com", "+4930123456", "", ""},           // 8 duplicate id: the same customer
		{"h", "bob@X.IO", "+49 (30) 1234 56", "6", "email,phone"}, // 9 both, with two rows: the first listed column's
		{"", "dave@x.io", "", "", ""},                             // 10 invalid row: never stored
		{"i", "dave@x.io", "", "", ""},                            // 11 not a collision with 10
		{"j", "", "n/a", "", ""},                                  // 12 no digits again: empty
	}
	var in strings.Builder
	in.WriteString("externalId,email,phone\n")
	for _, r := range rows {
		in.WriteString(r.id + "," + r.email + "," + r.phone + "\n")
	}

	var verdicts [2][]string
	for i, on := range []bool{false, true} {
		sum := filepath.Join(t.TempDir(), "run.json")
		args := slices.DeleteFunc(e.args("--summary", sum, "-"), func(a string) bool { return a == "--quiet" })
		if on {
			args = append(args, "--unique-columns", "email,phone")
		}
		r := run(t, in.String(), args...)
		if r.code != 1 {
			t.Fatalf("unique %v: exit %d, want 1\n%s", on, r.code, r.stderr)
		}
		recs := readCSV(t, r.stdout)
		header, out := recs[0], recs[1:]
		if len(out) != len(rows) {
			t.Fatalf("unique %v: %d rows, want %d", on, len(out), len(rows))
		}
		vcol := slices.Index(header, "verdict")
		for _, row := range out {
			verdicts[i] = append(verdicts[i], row[vcol])
		}
		var s struct {
			Unique *struct {
				Rows     int64            `json:"rows"`
				ByColumn map[string]int64 `json:"by_column"`
			} `json:"unique_collisions"`
		}
		readJSON(t, sum, &s)
		if !on {
			if slices.Contains(header, "collidesWith") || s.Unique != nil {
				t.Errorf("collision columns or summary without --unique-columns: %q %+v", header, s.Unique)
			}
			continue
		}
		if n := len(header); header[n-2] != "collidesWith" || header[n-1] != "collidesOn" {
			t.Fatalf("header %q", header)
		}
		var wantRows, wantEmail, wantPhone int64
		for j, row := range out {
			n := len(row)
			if row[n-2] != rows[j].with || row[n-1] != rows[j].on {
				t.Errorf("row %d %q: collidesWith %q collidesOn %q, want %q %q", j+1, rows[j].email+"|"+rows[j].phone, row[n-2], row[n-1], rows[j].with, rows[j].on)
			}
			if rows[j].on != "" {
				wantRows++
			}
			if strings.Contains(rows[j].on, "email") {
				wantEmail++
			}
			if strings.Contains(rows[j].on, "phone") {
				wantPhone++
			}
		}
		if s.Unique == nil || s.Unique.Rows != wantRows || s.Unique.ByColumn["email"] != wantEmail || s.Unique.ByColumn["phone"] != wantPhone {
			t.Errorf("summary unique_collisions %+v, want %d rows, email %d, phone %d", s.Unique, wantRows, wantEmail, wantPhone)
		}
		if !strings.Contains(r.stderr, "unique collisions") {
			t.Errorf("summary table lacks unique collisions:\n%s", r.stderr)
		}
	}
	if !slices.Equal(verdicts[0], verdicts[1]) {
		t.Errorf("verdicts differ: without %q, with %q", verdicts[0], verdicts[1])
	}
	if got, want := idRequests(t, e), int64(2*10); got != want {
		t.Errorf("%d requests, want %d (each distinct id once per run)", got, want)
	}
}

// TestValidateUniqueColumnsNDJSON: NDJSON columns are dotted field paths
// read from each object, a kind may be chosen after a colon, and the
// collision fields are left out of rows without one.
func TestValidateUniqueColumnsNDJSON(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	in := `{"externalId":"a","contact":{"addr":"X@Y.z"},"tel":"+1 555 0100"}
{"externalId":"b","contact":{"addr":"x@y.Z"},"tel":"+15550100"}
{"externalId":"c","contact":{"addr":"x\u0040y.z"}}
{"externalId":"d","tel":"+1 555 0100"}
`
	r := run(t, in, e.args("--format", "ndjson", "--unique-columns", "contact.addr:email,tel", "-")...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	want := []struct {
		with int64
		on   string
	}{
		{0, ""},
		{1, "contact.addr"},
		{1, "contact.addr"}, // \u0040 is @
		{1, "tel"},          // compared exactly: the same text
	}
	for i, l := range lines {
		var o map[string]any
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		with, _ := o["collidesWith"].(float64)
		on, _ := o["collidesOn"].(string)
		_, hasWith := o["collidesWith"]
		if int64(with) != want[i].with || on != want[i].on || hasWith != (want[i].with != 0) {
			t.Errorf("line %d: collidesWith %v collidesOn %q, want %d %q", i+1, o["collidesWith"], on, want[i].with, want[i].on)
		}
	}
}

// TestValidateUniqueColumnsUnknown: a column the header lacks is a usage
// error before any call.
func TestValidateUniqueColumnsUnknown(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	r := run(t, "externalId,email\na,x@y.z\n", e.args("--unique-columns", "email,phone", "-")...)
	if r.code != 2 || !strings.Contains(r.stderr, `no column "phone"`) {
		t.Errorf("exit %d, stderr %q; want 2 naming phone", r.code, r.stderr)
	}
	if n := e.Requests(); n != 0 {
		t.Errorf("%d requests before the usage error", n)
	}
}
