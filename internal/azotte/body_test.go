package azotte

import (
	"encoding/json"
	"testing"
)

// The fast path for plain ids must send the bytes encoding/json would.
func TestRequestBodyMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"crm-1001", "a b", `q"uote`, `back\slash`, "<&>", "tab\tnl\n", "zoë", "\u2028", "~", "\x7f"} {
		want, _ := json.Marshal(ValidateRequest{ExternalID: id})
		if got := requestBody(id); string(got) != string(want) {
			t.Errorf("requestBody(%q) = %s, want %s", id, got, want)
		}
	}
}
