package output

import (
	"bytes"
	"encoding/json"
	"testing"
)

// jsonEncode is the reference: encoding/json without HTML escaping.
func jsonEncode(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

var jsonStrings = []string{
	"", "plain", `quote " and \ backslash`, "nl\n cr\r tab\t", "\x00\x01\x1f\x7f\b\f",
	"ünïcødé 日本 🎉", "\xff bad \xc3", "\u2028\u2029", "<&>", "\xed\xa0\x80 surrogate",
}

func TestAppendJSONString(t *testing.T) {
	t.Parallel()
	for _, s := range jsonStrings {
		if got, want := string(appendJSONString(nil, s)), jsonEncode(s); got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
		if got, want := string(appendJSONString(nil, []byte(s))), jsonEncode(s); got != want {
			t.Errorf("appendJSONString([]byte(%q)) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendJSONString(nil, s)), jsonEncode(s); got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}
