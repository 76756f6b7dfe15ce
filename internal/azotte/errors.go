package azotte

import (
	"fmt"
	"strconv"
	"strings"
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

// EndpointError is every one of a client's first answers being HTTP 400:
// the requests, not the ids, are wrong (a path or base URL that reaches
// something other than the validate call). It is fatal for a run.
type EndpointError struct {
	Status  int    // 400
	Answers int    // how many answers were all refused
	URL     string // where the requests went
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
	return fmt.Sprintf("every request was refused (HTTP %d, the first %d answers from %s): check --base-url and --path", e.Status, e.Answers, e.URL)
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
