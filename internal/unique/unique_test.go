package unique

import "testing"

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

func TestSetKeepsFirstRow(t *testing.T) {
	s := NewSet()
	for i := range uint64(5000) {
		if _, isNew := s.Add(i*0x9e3779b97f4a7c15, int64(i+1)); !isNew {
			t.Fatalf("hash %d not new", i)
		}
	}
	for i := range uint64(5000) {
		if first, isNew := s.Add(i*0x9e3779b97f4a7c15, 99999); isNew || first != int64(i+1) {
			t.Fatalf("hash %d: first %d new %v, want %d", i, first, isNew, i+1)
		}
	}
	if s.Len() != 5000 {
		t.Errorf("Len %d", s.Len())
	}
}
