package output

import (
	"encoding/json"
	"testing"
)

// TestJSONLiteral: jsonLiteral accepts what encoding/json reads as a number
// or a boolean, and nothing else (a Parquet float's NaN and infinities
// among them).
func TestJSONLiteral(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"0", "-0", "7", "-12", "18446744073709551615", "0.1", "1e+06", "1E-7", "-2.5e10", "true", "false",
		"", "-", "01", "1.", ".5", "+1", "1e", "1e+", "NaN", "+Inf", "-Inf", "Infinity", "null", "0x10", "1 ", " 1", "TRUE",
	} {
		var v any
		want := json.Unmarshal([]byte(s), &v) == nil && v != nil && len(s) > 0 && s[0] != ' ' && s[len(s)-1] != ' '
		if got := jsonLiteral(s); got != want {
			t.Errorf("jsonLiteral(%q) = %v, want %v", s, got, want)
		}
	}
}
