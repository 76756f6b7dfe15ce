package azotte

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Paths of Azotte's info call (who holds an id), beside the validate ones.
const (
	DefaultInfoPath = "/api/v1/c2a/customer/info"
	LegacyInfoPath  = "/api/c2a/customer/info"
)

// MessageNotFound is status.messageCode of a 404 from the info call: no
// customer holds the id.
const MessageNotFound = "CUSTOMER_NOT_FOUND"

// InfoPath derives the info call's path from the validate call's: the
// trailing "validate" replaced by "info". ok is false when path does not
// end in "validate".
func InfoPath(validatePath string) (path string, ok bool) {
	p, ok := strings.CutSuffix(validatePath, "validate")
	if !ok {
		return "", false
	}
	return p + "info", true
}

// InfoResponse is Azotte's answer to GET .../customer/info?exId=ID. Result
// holds more fields than these; only these are read.
type InfoResponse struct {
	Result *InfoResult     `json:"result"`
	Status json.RawMessage `json:"status"`
}

// InfoResult is the customer snapshot of an info answer.
type InfoResult struct {
	CustomerURN        string `json:"customerUrn"`
	ExternalIdentifier string `json:"externalIdentifier"`
	Email              string `json:"email"`
	Status             string `json:"status"`
}

// Owner is what Azotte's info call said about the customer holding an id,
// or why it said nothing usable.
type Owner struct {
	Found  bool   // a customer holds the id; false with a nil Err: CUSTOMER_NOT_FOUND
	URN    string // customerUrn
	Status string // the customer's status, e.g. Active
	// Email is Azotte's email for the customer: another customer's personal
	// data, to compare with the export's and never to write anywhere.
	Email       string
	MessageCode string    // status.messageCode
	Err         error     // non-nil: no usable answer after retries (or an unexpected one)
	Attempts    int       // HTTP attempts made
	At          time.Time // when Azotte answered; zero when Err is set
}

// Info asks Azotte who holds id (GET {base}{InfoPath(Path)}?exId=id),
// through the same pacer, retries and error classes as Validate: a
// row-level failure is in Owner.Err with a nil error; the error is non-nil
// only when the run should stop (*CredentialsError, or ctx's error).
func (c *Client) Info(ctx context.Context, id string) (Owner, error) {
	if c.infoURL == "" {
		return Owner{Err: fmt.Errorf("no info path: --path %s does not end in \"validate\"", c.cfg.Path)}, nil
	}
	u := c.infoURL + "?exId=" + url.QueryEscape(id)
	r, attempts, err := c.exchange(ctx, id, true, func(actx context.Context) result {
		return c.try(actx, http.MethodGet, u, nil, judgeInfo)
	})
	if err != nil {
		return Owner{Attempts: attempts}, err
	}
	if r.retry {
		r.owner.Err = r.exhausted(attempts)
	}
	r.owner.Attempts = attempts
	if r.owner.Err == nil {
		r.owner.At = c.now()
	}
	return r.owner, nil
}

// judgeInfo classifies an info answer as judge does a validate answer:
// 2xx + SUCCESS with a result is the owner, 404 CUSTOMER_NOT_FOUND is no
// owner, 429 and 5xx gateway errors are transient, anything else is an
// error for the row.
func judgeInfo(r *result, data []byte) {
	v, code, err := parseInfo(data)
	r.owner = Owner{MessageCode: code}
	switch s := r.status; {
	case s >= 200 && s < 300:
		switch {
		case err != nil:
			r.err, r.retry = err, true
			r.cause = fmt.Sprintf("HTTP %d with unexpected body: %v", s, err)
		case code != "" && code != MessageSuccess:
			r.owner.Err = fmt.Errorf("info: messageCode %s", code)
		case v.Result == nil || v.Result.CustomerURN == "":
			r.err, r.retry = errors.New("no result"), true
			r.cause = fmt.Sprintf("HTTP %d with unexpected body: no result", s)
		default:
			r.owner.Found = true
			r.owner.URN, r.owner.Status, r.owner.Email = v.Result.CustomerURN, v.Result.Status, v.Result.Email
		}
	case s == http.StatusNotFound && code == MessageNotFound:
		// Found stays false: nobody holds the id now.
	case s == http.StatusTooManyRequests, s == http.StatusInternalServerError, s == http.StatusBadGateway,
		s == http.StatusServiceUnavailable, s == http.StatusGatewayTimeout:
		r.retry = true
		r.cause = statusText(s, code)
	default:
		r.owner.Err = errors.New("info: " + statusText(s, code))
	}
}

// parseInfo parses an InfoResponse and its status.messageCode; the code is
// filled in as far as the body allowed, even with an error.
func parseInfo(data []byte) (InfoResponse, string, error) {
	var v InfoResponse
	if len(data) > maxBody {
		return v, "", errors.New("larger than 1 MiB")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return v, "", errors.New("empty body")
	}
	if err := json.Unmarshal(data, &v); err != nil {
		// Never quote the body, as validate's errors do: it may hold
		// another customer's email, and the error reaches the output.
		switch {
		case truncated(data):
			return v, "", errors.New("truncated JSON")
		case json.Valid(data):
			return v, "", errors.New("not an info answer")
		}
		return v, "", errors.New("not JSON")
	}
	var s Status
	if len(v.Status) > 0 && json.Unmarshal(v.Status, &s) != nil {
		return v, "", errors.New("status is not an object")
	}
	return v, s.MessageCode, nil
}
