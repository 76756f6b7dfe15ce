package azotte

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
)

// A client's first request goes alone and is judged more strictly than the
// rest: it proves that Azotte is there, takes the credentials and is the
// call asked for. Until it has, every other request waits; once it has
// failed, they all return its error without a request of their own. So a
// closed port, a distrusted certificate, a wrong key or path stops a run
// after one request about an id of its input (none for a closed port),
// not after an error row per id, and no request is made about an id that
// is not in the input.

// firstAttempts bounds the first request's attempts when no response came
// for a reason that may pass (a reset, a timeout); a refused connection, an
// unknown host or a distrusted certificate stop it at the first.
const firstAttempts = 3

// opener lets one request at a time prove the endpoint, until one has.
type opener struct {
	open  atomic.Bool   // proven: requests go as they come
	token chan struct{} // one token, held by the request proving the endpoint
	done  chan struct{} // closed once proven or refused
	err   error         // the refusal; written before done is closed
}

func newOpener() *opener {
	o := &opener{token: make(chan struct{}, 1), done: make(chan struct{})}
	o.token <- struct{}{}
	return o
}

// wait returns at once once the endpoint is proven, and the refusal once it
// was refused. Before, it waits for its turn: first true means the caller's
// request is to prove the endpoint, and it must call settle or release.
func (o *opener) wait(ctx context.Context) (first bool, err error) {
	if o.open.Load() {
		return false, nil
	}
	select {
	case <-o.token: // done is never closed while the token is free
		return true, nil
	case <-o.done:
		return false, o.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// settle ends the proof: a nil err proves the endpoint, any other refuses it
// for every request to come.
func (o *opener) settle(err error) {
	o.err = err
	o.open.Store(err == nil)
	close(o.done)
}

// release hands the proof to the next request: the caller's stopped first.
func (o *opener) release() { o.token <- struct{}{} }

// judgeFirst judges the first request's attempt: the refusal that stops the
// run, or nil, with decided false when no response came for a reason that
// may pass and attempts are left. Any answer but these proves the endpoint,
// a busy 429 or 503 too: Azotte is there and takes the key.
func (c *Client) judgeFirst(r result, attempt int, info bool) (err error, decided bool) {
	switch s := r.status; {
	case s == 0 && attempt < firstAttempts && !lasting(r.err):
		return nil, false
	case s == 0:
		return &UnreachableError{URL: c.URL(), Cause: r.cause}, true
	case s == http.StatusUnauthorized, s == http.StatusForbidden:
		return &CredentialsError{Status: s, Tenant: c.cfg.Tenant}, true
	case s >= 300 && s < 400:
		return &EndpointError{Status: s, URL: c.URL(), Location: r.header.Get("Location")}, true
	case !info && (s == http.StatusNotFound || s == http.StatusMethodNotAllowed):
		// An info call's 404 is an answer: no customer holds the id.
		return &EndpointError{Status: s, URL: c.URL()}, true
	}
	return nil, true
}

// lasting reports whether a transport error will not pass by asking again
// at once: nothing listens, the host has no address, the certificate is not
// trusted.
func lasting(err error) bool {
	var dns *net.DNSError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return true
	case errors.As(err, &dns):
		return dns.IsNotFound
	case errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &invalid), errors.As(err, &verify):
		return true
	}
	return false
}
