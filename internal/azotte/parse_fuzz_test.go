package azotte

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// decodeFull reads data with encoding/json only, as parseBody does when
// parseCompact declines; ok is false when parseBody would return an error.
func decodeFull(data []byte) (b body, ok bool) {
	var v ValidateResponse
	if err := json.Unmarshal(data, &v); err != nil {
		return body{}, false
	}
	b.isAvailable = v.IsAvailable
	if len(v.Status) > 0 && string(v.Status) != "null" {
		b.status = v.Status
		var s Status
		if err := json.Unmarshal(v.Status, &s); err != nil {
			return body{}, false
		}
		b.code = s.MessageCode
	}
	return b, true
}

// sameJSON reports whether a and b hold the same JSON value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// compactAnswers are bodies parseCompact exists for; it must take them all,
// or the fuzz target below would hold for a parser that declines everything.
var compactAnswers = []string{
	`{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`,
	`{"isAvailable":false,"status":{"messageCode":"SUCCESS"}}`,
	`{"isAvailable":false,"status":{"messageCode":"INVALID_REQUEST"}}`,
	`{"isAvailable":true,"status":{"messageCode":""}}`,
	`{"isAvailable":true,"status":{"messageCode":"zoë ✓ 名前"}}`,
	`{"isAvailable":true,"status":{"messageCode":"a/b<c>&d` + "\x7f" + `"}}`,
}

func TestParseCompactTakesCompactAnswers(t *testing.T) {
	t.Parallel()
	for _, s := range compactAnswers {
		b, ok := parseCompact([]byte(s))
		if !ok {
			t.Errorf("parseCompact(%s) declined", s)
			continue
		}
		want, _ := decodeFull([]byte(s))
		if *b.isAvailable != *want.isAvailable || b.code != want.code || !bytes.Equal(b.status, want.status) {
			t.Errorf("parseCompact(%s) = %v %q %s, encoding/json %v %q %s", s,
				*b.isAvailable, b.code, b.status, *want.isAvailable, want.code, want.status)
		}
	}
}

// FuzzParseCompact checks that the fast path for compact answers never reads
// a body differently from encoding/json: whatever it accepts, encoding/json
// accepts with the same isAvailable, messageCode and status.
func FuzzParseCompact(f *testing.F) {
	for _, s := range compactAnswers {
		f.Add([]byte(s))
	}
	for _, s := range []string{
		// white space, inside and around
		`{"isAvailable": true, "status": {"messageCode": "SUCCESS"}}`,
		` {"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`,
		`{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}` + "\n",
		"{\"isAvailable\":true,\"status\":{\"messageCode\":\"SUCC\tESS\"}}",
		"{\"isAvailable\":true,\"status\":{\"messageCode\":\"SUCC\nESS\"}}",
		// escapes
		`{"isAvailable":true,"status":{"messageCode":"SUC\u0043ESS"}}`,
		`{"isAvailable":true,"status":{"messageCode":"a\"b"}}`,
		`{"isAvailable":true,"status":{"messageCode":"a\\"}}`,
		`{"isAvail\u0061ble":true,"status":{"messageCode":"SUCCESS"}}`,
		`{"isAvailable":true,"status":{"messageCode":"\ud800"}}`,
		// duplicate keys: encoding/json keeps the last
		`{"isAvailable":true,"status":{"messageCode":"SUCCESS"},"isAvailable":false}`,
		`{"isAvailable":true,"status":{"messageCode":"A","messageCode":"B"}}`,
		`{"isAvailable":true,"status":{"messageCode":"A"},"status":{"messageCode":"B"}}`,
		// extra fields, other shapes
		`{"isAvailable":true,"status":{"messageCode":"SUCCESS","message":"ok"}}`,
		`{"isAvailable":true,"status":{"messageCode":"SUCCESS"},"traceId":"x"}`,
		`{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}}`,
		`{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}{}`,
		`{"isAvailable":truex,"status":{"messageCode":"SUCCESS"}}`,
		`{"isAvailable":null,"status":{"messageCode":"SUCCESS"}}`,
		`{"isAvailable":"true","status":{"messageCode":"SUCCESS"}}`,
		`{"isAvailable":true,"status":null}`,
		`{"isAvailable":true,"status":{"messageCode":1}}`,
		`{"IsAvailable":true,"Status":{"MessageCode":"SUCCESS"}}`,
		`{"isAvailable":true,"status":{"messageCode":"SUCCESS"`,
		`{"isAvailable":true,"status":{"messageCode":"`,
		// unicode and raw bytes
		`{"isAvailable":true,"status":{"messageCode":"` + "\u2028\u00e9\U0001F600" + `"}}`,
		`{"isAvailable":true,"status":{"messageCode":"` + "\xff\xfe" + `"}}`,
		`{"isAvailable":true,"status":{"messageCode":"` + "e\u0301" + `"}}`,
		"\ufeff" + `{"isAvailable":true,"status":{"messageCode":"SUCCESS"}}`,
		`<html>502 Bad Gateway</html>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, ok := parseCompact(data)
		if !ok {
			return // left to encoding/json
		}
		want, ok := decodeFull(data)
		switch {
		case !ok:
			t.Fatalf("parseCompact took %q, encoding/json does not", data)
		case b.isAvailable == nil || want.isAvailable == nil:
			t.Fatalf("%q: isAvailable missing: parseCompact %v, encoding/json %v", data, b.isAvailable, want.isAvailable)
		case *b.isAvailable != *want.isAvailable || b.code != want.code || !sameJSON(b.status, want.status):
			t.Fatalf("%q: parseCompact read %v %q %s, encoding/json %v %q %s", data,
				*b.isAvailable, b.code, b.status, *want.isAvailable, want.code, want.status)
		}
	})
}
