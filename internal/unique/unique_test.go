package unique

import (
	"fmt"
	"math"
	"testing"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/spill"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		k       Kind
		in, out string
	}{
		{Email, "  Ann@Example.COM\t", "ann@example.com"},
		{Email, "ÄNN@Example.com", "änn@example.com"},
		{Email, " ", ""},
		{Phone, "+49 30 1234-56", "+4930123456"},
		{Phone, "(0049) 30/123456", "004930123456"},
		{Phone, "n/a", ""},
		{Phone, "+", ""},
		{Exact, " A b ", " A b "},
		{Exact, "  ", ""},
	} {
		if got := string(Normalize(nil, c.k, c.in)); got != c.out {
			t.Errorf("Normalize(%v, %q) = %q, want %q", c.k, c.in, got, c.out)
		}
	}
}

func TestParseColumnsAndKinds(t *testing.T) {
	cols, err := ParseColumns("email, Mobile_Phone,contact.eMail,vat,code:phone")
	if err != nil {
		t.Fatal(err)
	}
	want := []Column{{"email", Email}, {"Mobile_Phone", Phone}, {"contact.eMail", Email}, {"vat", Exact}, {"code", Phone}}
	for i, c := range cols {
		if c != want[i] {
			t.Errorf("column %d: %+v, want %+v", i, c, want[i])
		}
	}
	for _, bad := range []string{"email,", "email,email", "x:fuzzy"} {
		if _, err := ParseColumns(bad); err == nil {
			t.Errorf("ParseColumns(%q): no error", bad)
		}
	}
}

// TestCheckerKeepsFirstRow tells a Checker 5000 values (its set grows
// several times), then each again: every repeat names its value's first row.
func TestCheckerKeepsFirstRow(t *testing.T) {
	c, err := NewChecker([]Column{{Name: "code", Kind: Exact}}, input.CSV, []string{"externalId", "code"}, spill.Memory{})
	if err != nil {
		t.Fatal(err)
	}
	row := input.Row{Fields: []string{"", ""}}
	for i := range 5000 {
		row.Seq, row.Fields[1] = int64(i+1), fmt.Sprint("v", i)
		if with, on := c.Check(row); with != 0 {
			t.Fatalf("value %d collides with row %d on %q", i, with, on)
		}
	}
	for i := range 5000 {
		row.Seq, row.Fields[1] = 99999, fmt.Sprint("v", i)
		if with, on := c.Check(row); with != int64(i+1) || on != "code" {
			t.Fatalf("value %d again: with %d on %q, want %d on code", i, with, on, i+1)
		}
	}
	if s := c.Stats(); s.Rows != 5000 || s.ByColumn["code"] != 5000 {
		t.Errorf("Stats %+v", s)
	}
}

// TestRowsBeyond32Bits: a first row past 2^32-1 is kept beside the set.
func TestRowsBeyond32Bits(t *testing.T) {
	c, err := NewChecker([]Column{{Name: "a", Kind: Exact}, {Name: "b", Kind: Exact}}, input.CSV, []string{"externalId", "a", "b"}, spill.Memory{})
	if err != nil {
		t.Fatal(err)
	}
	big := int64(math.MaxUint32) + 5
	for _, r := range []struct {
		seq  int64
		a, b string
		with int64
		on   string
	}{
		{big, "x", "x", 0, ""}, // one value in two columns
		{math.MaxUint32, "y", "z", 0, ""},
		{big + 1, "q", "x", big, "b"},
		{big + 2, "x", "q", big, "a"},
		{big + 4, "q", "x", big + 1, "a,b"},
		{big + 3, "y", "", math.MaxUint32, "a"},
		{7, "z", "y", 0, ""}, // columns apart
	} {
		with, on := c.Check(input.Row{Seq: r.seq, Fields: []string{"", r.a, r.b}})
		if with != r.with || on != r.on {
			t.Errorf("row %d: with %d on %q, want %d on %q", r.seq, with, on, r.with, r.on)
		}
	}
}

// TestNewCheckerFindsColumns: columns and fields are found by input's one
// rule, as the id column is: exact, then ignoring case, never a guess.
func TestNewCheckerFindsColumns(t *testing.T) {
	t.Parallel()
	header := []string{"externalId", "EMail", "Phone", "PHONE", "fax", "fax"}
	for _, tc := range []struct {
		name, col string
		want      int    // field index
		err       string // else the error
	}{
		{name: "ignoring case", col: "email", want: 1},
		{name: "exact", col: "Phone", want: 2},
		{name: "ambiguous ignoring case", col: "phone", err: `ambiguous column "phone" in header (columns 3 Phone, 4 PHONE)`},
		{name: "ambiguous exact", col: "fax", err: `ambiguous column "fax" in header (columns 5 fax, 6 fax)`},
		{name: "missing", col: "vat", err: `no column "vat" in header (columns: externalId, EMail, Phone, PHONE, fax, fax)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewChecker([]Column{{Name: tc.col}}, input.CSV, header, spill.Memory{})
			switch {
			case tc.err != "":
				if err == nil || err.Error() != tc.err {
					t.Errorf("error %v, want %q", err, tc.err)
				}
			case err != nil:
				t.Errorf("error %v", err)
			case c.index[0] != tc.want:
				t.Errorf("column %q at %d, want %d", tc.col, c.index[0], tc.want)
			}
		})
	}
	if _, err := NewChecker([]Column{{Name: "email"}}, input.CSV, nil, spill.Memory{}); err == nil {
		t.Error("a name without a header: no error")
	}
}

// TestCheckNDJSONFields: an NDJSON field is found in any case, at any depth;
// an object naming it ambiguously has no value for it.
func TestCheckNDJSONFields(t *testing.T) {
	t.Parallel()
	c, err := NewChecker([]Column{{Name: "contact.email", Kind: Email}}, input.NDJSON, nil, spill.Memory{})
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		raw  string
		with int64
	}{
		{`{"contact":{"email":"a@x"}}`, 0},
		{`{"Contact":{"EMAIL":"A@x"}}`, 1},
		{`{"contact":{"Email":"a@x","EMAIL":"b@x"}}`, 0}, // ambiguous: no value
		{`{"contact":{"Email":"b@x","EMAIL":"b@x","email":"c@x"}}`, 0},
		{`{"CONTACT":{"email":"c@x"}}`, 4},
	} {
		row := input.Row{Seq: int64(i + 1), Raw: []byte(tc.raw)}
		if with, _ := c.Check(row); with != tc.with {
			t.Errorf("row %d %s: collides with %d, want %d", i+1, tc.raw, with, tc.with)
		}
	}
}
