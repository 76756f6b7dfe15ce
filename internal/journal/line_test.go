package journal

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParseFast checks that the fast path of Open never reads a line
// differently from encoding/json: whatever it accepts, decodeLine accepts
// with the same answer.
func FuzzParseFast(f *testing.F) {
	for _, e := range []Entry{free, taken, at(Entry{IsAvailable: true}, 5),
		{MessageCode: "X", Status: json.RawMessage(`{"a":[1,"b\"}"],"t":"2026-11-26T10:00:00Z"}`), Time: t0}} {
		for _, id := range []string{"crm-1", "", "q\"uote", "\xff"} {
			line, _, err := encodeLine(nil, id, e)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(line)
		}
	}
	f.Add([]byte(`{"id":"a","isAvailable":true,"status":null,"t":"2026-11-26T10:00:00Z"}`))
	f.Add([]byte(`{"id":"a","isAvailable":true,"status":{} ,"t":"2026-11-26T10:00:00Z"}`))
	f.Add([]byte(`{"id":"a","isAvailable":true,"t":"0001-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		l, ok := parseFast(line)
		if !ok || (len(l.status) > 0 && !json.Valid(l.status)) {
			return // left to decodeLine
		}
		id, e, ok := decodeLine(line)
		switch {
		case !ok:
			t.Fatalf("parseFast took %q, encoding/json does not", line)
		case id != string(l.id) || e.IsAvailable != l.available || e.MessageCode != string(l.code) ||
			!bytes.Equal(e.Status, l.status) || !e.Time.Equal(l.time):
			t.Fatalf("%q: parseFast read %q %v %q %s %v, encoding/json %q %v %q %s %v", line,
				l.id, l.available, l.code, l.status, l.time, id, e.IsAvailable, e.MessageCode, e.Status, e.Time)
		}
	})
}
