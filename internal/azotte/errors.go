package azotte

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/azotte/azvalidate/internal/human"
)

// CredentialsError is Azotte refusing the tenant or key (HTTP 401 or 403).
// It is fatal for a run: every further call would be refused too.
type CredentialsError struct {
	Status int
	Tenant string
}

// RefusedError is Azotte refusing one id with HTTP 400 and its status
// envelope (BAD_REQUEST, INVALID_REQUEST, e.g. an id too long): a finding
// about the row, not a failure to retry, as asking again gets the same.
type RefusedError struct {
	Status      int
	MessageCode string
}

// EndpointError is a base URL or path that reaches something other than
// the validate call: the client's first answer a redirect (not followed: it
// would carry the key), a 404 or a 405, or every one of its first answers
// an HTTP 400 (the requests, not the ids, are wrong). It is fatal for a run.
type EndpointError struct {
	Status   int    // the status of the answer that decided
	Answers  int    // how many answers were all refused (400); 0 when the first decided
	URL      string // where the requests went, without a password
	Location string // a redirect's target, if it named one
}

// PauseError is Azotte asking every request to wait longer than a run
// allows (Config.MaxPause of the pacer, or past its deadline): a
// Retry-After on a 429 or 503, or a spent X-RateLimit budget until its
// reset. The pacer returns it instead of sitting through the pause; the run
// stops asking and writes every row, and a later run goes on.
type PauseError struct {
	Wait   time.Duration // how long Azotte asked to wait
	Resume time.Time     // when asking may resume
	Cause  string        // the header that asked: "Retry-After", "X-RateLimit-Reset"
}

func (e *PauseError) Error() string {
	span := strings.TrimSuffix(strings.TrimSuffix(human.Span(e.Wait), " 0 s"), " 0 min") // "24 h", "1 min"
	return "Azotte asked to wait " + span + " (" + e.Cause + ")"
}

// exhaustedError is a row's error once retries ran out. It unwraps to the
// last transport or body error, if any, so errors.Is finds timeouts.
type exhaustedError struct {
	cause    string
	attempts int
	status   bool // cause is a bare HTTP status
	err      error
}

func (e *CredentialsError) Error() string {
	return fmt.Sprintf("azotte refused the credentials (HTTP %d) for tenant %q: check --tenant/AZOTTE_TENANT and the key in AZOTTE_API_KEY or --api-key-file", e.Status, e.Tenant)
}

func (e *RefusedError) Error() string {
	return "Azotte refused the id: " + strings.TrimPrefix(statusText(e.Status, e.MessageCode), "HTTP ")
}

func (e *EndpointError) Error() string {
	switch {
	case e.Answers > 0:
		return fmt.Sprintf("every request was refused (HTTP %d, the first %d answers from %s): check --base-url and --path", e.Status, e.Answers, e.URL)
	case e.Status >= 300 && e.Status < 400:
		to := ""
		if e.Location != "" {
			to = " to " + e.Location
		}
		return fmt.Sprintf("%s answered HTTP %d, a redirect%s (not followed: it would carry the key); check --base-url", e.URL, e.Status, to)
	}
	return fmt.Sprintf("%s answered HTTP %d: it is not Azotte's validate call; check --base-url and --path", e.URL, e.Status)
}

func (e *exhaustedError) Error() string {
	n := strconv.Itoa(e.attempts) + " attempts"
	if e.attempts == 1 {
		n = "1 attempt"
	}
	if e.status {
		return e.cause + " after " + n // HTTP 503 after 6 attempts
	}
	return e.cause + " (" + n + ")" // timeout after 15s (6 attempts)
}

func (e *exhaustedError) Unwrap() error { return e.err }
