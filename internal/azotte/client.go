package azotte

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Answer is what Azotte said about one id, or why it said nothing usable.
type Answer struct {
	IsAvailable bool
	MessageCode string          // status.messageCode, "" when absent
	Status      json.RawMessage // the status envelope as returned; nil when none
	Err         error           // non-nil: no usable answer after retries (a row error); never holds the key
	Attempts    int             // HTTP attempts made for this id
}

// Attempt describes one HTTP exchange, for statistics and adaptive pacers.
type Attempt struct {
	Status     int           // HTTP status; 0 when no response arrived
	Latency    time.Duration // from sending the request to reading the body
	Err        error         // transport, timeout or body error; nil otherwise
	Header     http.Header   // response headers; nil when no response arrived
	RetryAfter time.Duration // parsed Retry-After, 0 when absent
	Retry      bool          // the client will try this id again
}

// Pacer decides when the next request may start; it is shared by all workers
// and must be safe for concurrent use.
type Pacer interface {
	Wait(ctx context.Context) error
}

// Config configures a Client. Zero values get the SPEC defaults in New.
type Config struct {
	BaseURL           string // e.g. https://acme.sandbox.azotte.com
	Path              string // default DefaultPath
	Tenant            string // sent as x-tn
	APIKey            string // sent as x-api-key; a secret, never printed
	AllowInsecureHTTP bool   // allow http:// to a non-loopback host

	HTTPClient  *http.Client  // nil: a client on NewTransport(Concurrency)
	Concurrency int           // sizes the idle connection pool
	Timeout     time.Duration // per attempt; default 15s
	Retries     int           // further attempts after the first; negative = 0
	BackoffBase time.Duration // first backoff ceiling; default 500ms
	BackoffMax  time.Duration // largest backoff (and Retry-After honoured); default 60s

	Pacer   Pacer         // nil: unpaced
	Observe func(Attempt) // called after every attempt; must be safe for concurrent use
}

// CredentialsError is Azotte refusing the tenant or key (HTTP 401 or 403).
// It is fatal for a run: every further call would be refused too.
type CredentialsError struct {
	Status int
	Tenant string
}

func (e *CredentialsError) Error() string {
	return fmt.Sprintf("azotte refused the credentials (HTTP %d) for tenant %q: check --tenant/AZOTTE_TENANT and the key in AZOTTE_API_KEY or --api-key-file", e.Status, e.Tenant)
}
