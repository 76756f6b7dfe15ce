package input

import (
	"errors"
	"testing"
)

// TestFindColumn: the one rule for every column flag; exact first, then
// ignoring case, several candidates refused, numbers only without a header.
func TestFindColumn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		header    []string
		col       string
		want      int
		err       string
		ambiguous bool
	}{
		{name: "exact", header: []string{"id", "email"}, col: "email", want: 1},
		{name: "ignoring case", header: []string{"id", "EMail"}, col: "email", want: 1},
		{name: "non-ASCII ignoring case", header: []string{"id", "STRAßE"}, col: "straße", want: 1},
		{name: "exact beats ignoring case", header: []string{"Email", "email", "EMAIL"}, col: "email", want: 1},
		{name: "ambiguous ignoring case", header: []string{"id", "Email", "EMAIL"}, col: "email", ambiguous: true,
			err: `ambiguous column "email" in header (columns 2 Email, 3 EMAIL)`},
		{name: "ambiguous exact", header: []string{"email", "id", "email"}, col: "email", ambiguous: true,
			err: `ambiguous column "email" in header (columns 1 email, 3 email)`},
		{name: "missing", header: []string{"id", " mail"}, col: "email",
			err: `no column "email" in header (columns: id, " mail")`},
		{name: "not trimmed", header: []string{"id", " email"}, col: "email",
			err: `no column "email" in header (columns: id, " email")`},
		{name: "a number is a name with a header", header: []string{"a", "b"}, col: "2",
			err: `no column "2" in header (columns: a, b)`},
		{name: "a numeric name", header: []string{"2", "1"}, col: "1", want: 1},
		{name: "number without a header", col: "3", want: 2},
		{name: "name without a header", col: "email",
			err: `column "email": without a header, name columns by their 1-based number`},
		{name: "zero without a header", col: "0",
			err: `column "0": without a header, name columns by their 1-based number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := FindColumn(tt.header, tt.col)
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Fatalf("FindColumn(%q, %q) = %d, %v; want %d", tt.header, tt.col, got, err, tt.want)
				}
				return
			}
			var ce *ColumnError
			if !errors.As(err, &ce) || err.Error() != tt.err || ce.Ambiguous() != tt.ambiguous {
				t.Fatalf("FindColumn(%q, %q): %v; want a *ColumnError %q (ambiguous %v)", tt.header, tt.col, err, tt.err, tt.ambiguous)
			}
		})
	}
}

// TestField: FindColumn's rule among an object's keys, at each step of a
// dotted path.
func TestField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, field, obj string
		want             string // the value's JSON text; "" when not found
		ambiguity        string // Field.ambiguity's reason, when ambiguous
	}{
		{name: "exact", field: "email", obj: `{"id":1,"email":"a@b"}`, want: `"a@b"`},
		{name: "ignoring case", field: "email", obj: `{"id":1,"EMail":"a@b"}`, want: `"a@b"`},
		{name: "exact beats ignoring case, before or after", field: "email", obj: `{"Email":1,"email":2,"EMAIL":3}`, want: `2`},
		{name: "duplicate exact: the last", field: "email", obj: `{"email":1,"Email":0,"email":2}`, want: `2`},
		{name: "duplicate ignoring case: the last", field: "email", obj: `{"Email":1,"Email":2}`, want: `2`},
		{name: "escaped key is the same key", field: "email", obj: `{"Email":1,"\u0045mail":2}`, want: `2`},
		{name: "escaped exact key", field: "email", obj: `{"Email":1,"e\u006dail":2}`, want: `2`},
		{name: "ambiguous", field: "email", obj: `{"Email":1,"id":0,"EMAIL":2,"Email":3}`,
			ambiguity: `ambiguous field "email" (fields Email, EMAIL)`},
		{name: "ambiguous, then exact", field: "email", obj: `{"Email":1,"EMAIL":2,"email":3}`, want: `3`},
		{name: "missing", field: "email", obj: `{"mail":1}`},
		{name: "shorter and longer keys", field: "key", obj: `{"ke":1,"keyy":2,"KEYY":3}`},
		{name: "escaped Kelvin sign is K ignoring case", field: "key", obj: `{"\u212Aey":1}`, want: `1`},
		{name: "Kelvin sign is K ignoring case", field: "key", obj: "{\"\u212Aey\":1}", want: `1`},
		{name: "Kelvin sign and K are two keys", field: "key", obj: "{\"KEY\":1,\"\u212Aey\":2}",
			ambiguity: "ambiguous field \"key\" (fields KEY, \u212Aey)"},
		{name: "non-ASCII name", field: "straße", obj: `{"strasse":1,"STRAßE":2}`, want: `2`},
		{name: "bad UTF-8 is not a letter", field: "key", obj: "{\"k\xffy\":1}"},
		{name: "nested", field: "contact.email", obj: `{"contact":{"email":" x "},"email":"no"}`, want: `" x "`},
		{name: "nested ignoring case", field: "contact.email", obj: `{"Contact":{"EMAIL":{"a":[1]}}}`, want: `{"a":[1]}`},
		{name: "nested not an object", field: "contact.email", obj: `{"contact":"x"}`},
		{name: "nested ambiguous", field: "contact.email", obj: `{"contact":{"eMail":1,"Email":2}}`,
			ambiguity: `ambiguous field "contact.email" (fields contact.eMail, contact.Email)`},
		{name: "ambiguous parent", field: "contact.email", obj: ` {"Contact":{"email":1},"CONTACT":{}}`,
			ambiguity: `ambiguous field "contact.email" (fields Contact, CONTACT)`},
		{name: "dotted key is a path", field: "a.b", obj: `{"a.b":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := NewField(tt.field)
			val, ok := f.Find([]byte(tt.obj))
			if string(val) != tt.want || ok != (tt.want != "") {
				t.Errorf("Find(%s) = %s, %v; want %s", tt.obj, val, ok, tt.want)
			}
			if got := f.ambiguity([]byte(tt.obj)); got != tt.ambiguity {
				t.Errorf("ambiguity(%s) = %q, want %q", tt.obj, got, tt.ambiguity)
			}
		})
	}
}

func TestFieldValue(t *testing.T) {
	t.Parallel()
	f := NewField("v")
	for obj, want := range map[string]string{
		`{"v":"a\u0041"}`: "aA",
		`{"v":"a"}`:       "a",
		`{"v":1e3}`:       "1e3",
		`{"v":null}`:      "",
		`{"v":true}`:      "true",
		`{"v":[1, 2]}`:    "[1, 2]",
	} {
		if got, ok := f.Value([]byte(obj)); got != want || !ok {
			t.Errorf("Value(%s) = %q, %v; want %q", obj, got, ok, want)
		}
	}
	if got, ok := f.Value([]byte(`{"w":1}`)); ok {
		t.Errorf("Value without the field = %q, true", got)
	}
}

// TestFieldFindAllocs: Find is on the hot path of --unique-columns and
// --email-column, once per row and field.
func TestFieldFindAllocs(t *testing.T) {
	f := NewField("contact.email")
	obj := []byte(`{"externalId":"c1","name":"A long enough name to matter","Contact":{"phone":"+49","EMAIL":"someone@example.com"}}`)
	if n := testing.AllocsPerRun(100, func() { f.Find(obj) }); n != 0 {
		t.Errorf("Find: %v allocations, want 0", n)
	}
}
