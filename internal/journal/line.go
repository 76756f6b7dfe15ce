package journal

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

// line is a journal line as read back. Pointers tell a missing field from a
// zero one: a line without isAvailable must not read as "taken".
type line struct {
	ID          *string         `json:"id"`
	IDB64       []byte          `json:"idb64"` // base64, for ids that are not valid UTF-8
	IsAvailable *bool           `json:"isAvailable"`
	MessageCode string          `json:"messageCode"`
	Status      json.RawMessage `json:"status"`
	T           time.Time       `json:"t"`
}

// fastLine is a line as encodeLine writes it, split in place: its slices
// point into the line read.
type fastLine struct {
	id, code, status []byte
	available        bool
	time             time.Time
}

// fastTail is the end of every line encodeLine writes, timestamp included.
const fastTail = `,"t":"2006-01-02T15:04:05Z"}`

// parseFast splits a line written by encodeLine without encoding/json, which
// would make opening a journal of millions of lines take seconds. It accepts
// only that exact shape, with no escapes in strings, and does not check that
// status is valid JSON (the caller does, once per distinct answer). Anything
// else, such as an id that needed escaping or a hand-edited line, is left to
// decodeLine, which gives the same answer for any line that parseFast takes
// (FuzzParseFast checks this).
func parseFast(b []byte) (l fastLine, ok bool) {
	b, _ = bytes.CutSuffix(b, []byte("\n"))
	if b, ok = bytes.CutPrefix(b, []byte(`{"id":"`)); !ok {
		return l, false
	}
	if l.id, b, ok = plainString(b); !ok {
		return l, false
	}
	if b, ok = bytes.CutPrefix(b, []byte(`,"isAvailable":`)); !ok {
		return l, false
	}
	if b, ok = bytes.CutPrefix(b, []byte("true")); ok {
		l.available = true
	} else if b, ok = bytes.CutPrefix(b, []byte("false")); !ok {
		return l, false
	}
	if rest, ok := bytes.CutPrefix(b, []byte(`,"messageCode":"`)); ok {
		if l.code, b, ok = plainString(rest); !ok {
			return l, false
		}
	}
	n := len(b) - len(fastTail)
	if n < 0 {
		return l, false
	}
	tail := b[n:]
	if !bytes.HasPrefix(tail, []byte(`,"t":"`)) || !bytes.HasSuffix(tail, []byte(`Z"}`)) ||
		l.time.UnmarshalText(tail[6:len(tail)-2]) != nil || l.time.IsZero() {
		return l, false
	}
	if b = b[:n]; len(b) > 0 {
		l.status, ok = bytes.CutPrefix(b, []byte(`,"status":`))
		if !ok || len(l.status) == 0 || isSpace(l.status[0]) || isSpace(l.status[len(l.status)-1]) {
			return l, false
		}
	}
	return l, true
}

// plainString returns the JSON string that b starts with (after its opening
// quote) and what follows its closing quote, if it needs no unescaping.
func plainString(b []byte) (s, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '"')
	if i < 0 {
		return nil, nil, false
	}
	s = b[:i]
	for _, c := range s {
		if c < 0x20 || c == '\\' {
			return nil, nil, false
		}
	}
	return s, b[i+1:], utf8.Valid(s)
}

// decodeLine parses one journal line with encoding/json; ok is false for
// anything but a whole answer.
func decodeLine(b []byte) (id string, e Entry, ok bool) {
	var l line
	if json.Unmarshal(b, &l) != nil || l.IsAvailable == nil || l.T.IsZero() {
		return "", Entry{}, false
	}
	switch {
	case l.ID != nil:
		id = *l.ID
	case l.IDB64 != nil:
		id = string(l.IDB64)
	default:
		return "", Entry{}, false
	}
	return id, Entry{IsAvailable: *l.IsAvailable, MessageCode: l.MessageCode, Status: l.Status, Time: l.T}, true
}

// encodeLine appends id's line for e to b, with its '\n'. It writes the
// fields itself rather than with json.Marshal, which would re-format Status:
// the envelope is kept byte for byte, so that a resumed run writes the same
// output as an uninterrupted one. Only an envelope spread over several lines
// is compacted (the output writers do the same); status is the envelope as
// written.
func encodeLine(b []byte, id string, e Entry) (out, status []byte, err error) {
	b = encodeID(b, id)
	if b, status, err = encodeBody(b, e); err != nil {
		return b, nil, err
	}
	return appendTime(b, e.Time), status, nil
}

// encodeID appends the start of id's line: `{"id":"..."` (or "idb64").
func encodeID(b []byte, id string) []byte {
	if utf8.ValidString(id) {
		b = append(b, `{"id":`...)
		return appendString(b, id)
	}
	// encoding/json would turn the invalid bytes into U+FFFD.
	b = append(b, `{"idb64":"`...)
	b = base64.StdEncoding.AppendEncode(b, []byte(id))
	return append(b, '"')
}

// encodeBody appends the middle of a line, the same for every id with e's
// answer: isAvailable, messageCode, status and the start of the time field.
func encodeBody(b []byte, e Entry) (out, status []byte, err error) {
	status = bytes.Trim(e.Status, " \t\r\n") // JSON white space
	if len(status) > 0 {
		if !json.Valid(status) {
			return b, nil, errors.New("status is not JSON")
		}
		if bytes.ContainsAny(status, "\r\n") {
			var c bytes.Buffer
			json.Compact(&c, status) // cannot fail on valid JSON
			status = c.Bytes()
		}
	}
	b = append(b, `,"isAvailable":`...)
	b = strconv.AppendBool(b, e.IsAvailable)
	if e.MessageCode != "" {
		b = append(b, `,"messageCode":`...)
		b = appendString(b, e.MessageCode)
	}
	if len(status) > 0 {
		b = append(b, `,"status":`...)
		b = append(b, status...)
	}
	return append(b, `,"t":"`...), status, nil
}

// appendTime ends a line with its time.
func appendTime(b []byte, t time.Time) []byte {
	b = t.UTC().AppendFormat(b, time.RFC3339)
	return append(b, "\"}\n"...)
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// with encoding/json.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// answerKey appends the interning key of e's answer (not its time) to b.
func answerKey(b []byte, e Entry) []byte {
	if e.IsAvailable {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(e.MessageCode)))
	b = append(b, e.MessageCode...)
	return append(b, e.Status...)
}

func isBlank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// unsafeString is b as a string without a copy, for a callee that does not
// keep it (the index copies the ids it keeps).
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
