package azotte

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// requestBody encodes {"externalId": id}. json.Marshal of a string escapes
// exactly what JSON requires (strconv.Quote's Go escapes are not all JSON).
func requestBody(id string) []byte {
	const pre, post = `{"externalId":"`, `"}`
	if plainJSON(id) {
		// The common case (crm-1001): nothing to escape, so no encoder.
		b := make([]byte, 0, len(pre)+len(id)+len(post))
		return append(append(append(b, pre...), id...), post...)
	}
	q, _ := json.Marshal(id) // a valid UTF-8 string always encodes
	b := make([]byte, 0, len(q)+16)
	b = append(b, `{"externalId":`...)
	b = append(b, q...)
	return append(b, '}')
}

// plainJSON reports whether s can stand between JSON quotes as it is: printable
// ASCII without a quote or backslash (and without <, >, & which encoding/json
// would escape, so that both paths send the same bytes).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// judge classifies a response by status and body, following Azotte's
// documentation: 2xx + SUCCESS is an answer; 429 and 5xx gateway errors are
// transient; any other status is a row error (401/403 are handled by the
// caller). The content type is ignored: Azotte's own is not application/json.
func judge(r *result, data []byte) {
	v, parseErr := parseBody(data)
	r.answer = Answer{MessageCode: v.code, Status: v.status}
	switch s := r.status; {
	case s >= 200 && s < 300:
		switch {
		case parseErr != nil:
			r.err = parseErr
			r.retry = true
			r.cause = fmt.Sprintf("HTTP %d with unexpected body: %v", s, parseErr)
		case v.code != "" && v.code != MessageSuccess:
			r.answer.Err = fmt.Errorf("messageCode %s", v.code)
		case v.isAvailable == nil:
			r.err = errors.New("no isAvailable")
			r.retry = true
			r.cause = fmt.Sprintf("HTTP %d with unexpected body: no isAvailable", s)
		case v.code == "":
			r.answer.Err = errors.New("answer without messageCode")
		default:
			r.answer.IsAvailable = *v.isAvailable
		}
	case s == http.StatusTooManyRequests, s == http.StatusInternalServerError, s == http.StatusBadGateway,
		s == http.StatusServiceUnavailable, s == http.StatusGatewayTimeout:
		r.retry = true
		r.cause = statusText(s, v.code)
	case s == http.StatusBadRequest && v.code != "":
		r.answer.Err = &RefusedError{Status: s, MessageCode: v.code}
	case s >= 300 && s < 400 && r.header.Get("Location") != "":
		r.answer.Err = fmt.Errorf("%s: redirect to %s not followed", statusText(s, v.code), r.header.Get("Location"))
	default:
		r.answer.Err = errors.New(statusText(s, v.code))
	}
}

// statusText is "HTTP 404" or "HTTP 404 CUSTOMER_NOT_FOUND".
func statusText(status int, code string) string {
	if code == "" {
		return "HTTP " + strconv.Itoa(status)
	}
	return "HTTP " + strconv.Itoa(status) + " " + code
}

// body is what parseBody found; code and status are filled in even when
// err is set, as far as the body allowed.
type body struct {
	isAvailable *bool
	code        string
	status      json.RawMessage
}

// parseBody parses a ValidateResponse. Its error is a short reason fit for
// a row's detail.
func parseBody(data []byte) (body, error) {
	if len(data) > maxBody {
		return body{}, errors.New("larger than 1 MiB")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return body{}, errors.New("empty body")
	}
	if b, ok := parseCompact(data); ok {
		return b, nil
	}
	var v ValidateResponse
	if err := json.Unmarshal(data, &v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn) && truncated(data):
			return body{}, errors.New("truncated JSON")
		case errors.As(err, &syn):
			return body{}, fmt.Errorf("not JSON: %q", excerpt(data))
		case errors.As(err, &typ) && typ.Field != "":
			return body{}, fmt.Errorf("%s is a JSON %s", typ.Field, typ.Value)
		case errors.As(err, &typ):
			return body{}, fmt.Errorf("a JSON %s, not an object", typ.Value)
		default:
			return body{}, err
		}
	}
	b := body{isAvailable: v.IsAvailable}
	if len(v.Status) > 0 && string(v.Status) != "null" {
		b.status = v.Status
		var s Status
		if err := json.Unmarshal(v.Status, &s); err != nil {
			return b, errors.New("status is not an object")
		}
		b.code = s.MessageCode
	}
	return b, nil
}

// truncated reports whether data is the start of a JSON value cut short.
// Unmarshal does not tell (a cut in a literal is an "invalid character");
// a Decoder does, with io.ErrUnexpectedEOF.
func truncated(data []byte) bool {
	var v json.RawMessage
	return errors.Is(json.NewDecoder(bytes.NewReader(data)).Decode(&v), io.ErrUnexpectedEOF)
}

// excerpt returns the start of a body for an error message.
func excerpt(data []byte) string {
	const n = 40
	data = bytes.TrimSpace(data)
	if len(data) <= n {
		return string(data)
	}
	return strings.ToValidUTF8(string(data[:n]), "") + "..."
}

// parseCompact reads the answer as Azotte and the sandbox send it,
// {"isAvailable":B,"status":{"messageCode":"C"}} with no white space and C
// without escapes, without encoding/json's reflection. ok is false for any
// other body, which parseBody then decodes in full.
func parseCompact(data []byte) (b body, ok bool) {
	const head, mid, code, tail = `{"isAvailable":`, `,"status":`, `{"messageCode":"`, `"}}`
	rest, found := bytes.CutPrefix(data, []byte(head))
	if !found {
		return body{}, false
	}
	var avail bool
	switch {
	case bytes.HasPrefix(rest, []byte("true")):
		avail, rest = true, rest[4:]
	case bytes.HasPrefix(rest, []byte("false")):
		rest = rest[5:]
	default:
		return body{}, false
	}
	if rest, found = bytes.CutPrefix(rest, []byte(mid)); !found {
		return body{}, false
	}
	status := rest
	if rest, found = bytes.CutPrefix(rest, []byte(code)); !found {
		return body{}, false
	}
	c, found := bytes.CutSuffix(rest, []byte(tail))
	if !found || bytes.ContainsAny(c, "\\\"") || !utf8.Valid(c) {
		return body{}, false
	}
	status = status[:len(status)-1] // without the outer closing brace
	for _, ch := range c {
		if ch < 0x20 {
			return body{}, false
		}
	}
	b.isAvailable = &avail
	b.status = json.RawMessage(status)
	b.code = string(c)
	return b, true
}
