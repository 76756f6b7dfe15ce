package suggest

import "testing"

func TestClosest(t *testing.T) {
	t.Parallel()
	names := []string{"output", "output-format", "only", "o", "rate", "retries", "quiet", "q"}
	for typed, want := range map[string]string{
		"ouput":   "output",
		"outptu":  "output",
		"outpt":   "output",
		"outp":    "output", // a prefix of two: the nearer
		"ret":     "retries",
		"output-": "output-format",
		"rtae":    "rate",
		"retires": "retries",
		"x":       "", // one letter is nobody's typo
		"z":       "",
		"output":  "", // it exists: nothing to suggest
		"banana":  "",
	} {
		if got := Closest(typed, names); got != want {
			t.Errorf("Closest(%q) = %q, want %q", typed, got, want)
		}
	}
}
