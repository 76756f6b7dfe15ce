package verdict

import "testing"

func TestParseSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		err      bool
	}{
		{in: "taken", want: "taken"},
		{in: "error, taken,duplicate", want: "taken,duplicate,error"},
		{in: "available,taken,duplicate,invalid,error", want: "available,taken,duplicate,invalid,error"},
		{in: "", err: true},
		{in: " , ", err: true},
		{in: "taken,maybe", err: true},
		{in: "Taken", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			s, err := ParseSet(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("ParseSet(%q) error %v, want error %v", tt.in, err, tt.err)
			}
			if err == nil && s.String() != tt.want {
				t.Errorf("ParseSet(%q) = %s, want %s", tt.in, s, tt.want)
			}
		})
	}
}

func TestNamesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range All {
		got, err := Parse(v.String())
		if err != nil || got != v {
			t.Errorf("Parse(%q) = %v, %v", v, got, err)
		}
	}
	var s Set
	if s.Has(Taken) || !s.Add(Taken).Has(Taken) || s.Add(Taken).Has(Available) {
		t.Error("Set membership is wrong")
	}
}
