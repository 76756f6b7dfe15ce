package azotte

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// noRedirect stops the default client from following redirects: it would
// resend x-api-key to wherever the Location points, and Go strips only its
// own well-known secret headers on a cross-host redirect.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// isLoopback reports whether host is localhost or a loopback address
// (127.0.0.0/8, ::1), the only hosts plain http may reach by default.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// NewTransport returns a clone of http.DefaultTransport (proxy from the
// environment, verified TLS, HTTP/2) whose idle pool keeps at least conns
// connections to one host, so that conns workers reuse their connections
// instead of opening new ones.
func NewTransport(conns int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	conns = max(conns, 1)
	t.MaxIdleConns = max(t.MaxIdleConns, conns)
	t.MaxIdleConnsPerHost = max(conns, http.DefaultMaxIdleConnsPerHost)
	t.MaxConnsPerHost = 0
	t.ForceAttemptHTTP2 = true
	return t
}

// transportCause says briefly why no (complete) response arrived.
func (c *Client) transportCause(actx context.Context, err error) string {
	if errors.Is(actx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("timeout after %v", c.cfg.Timeout)
	}
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the server"
	case errors.As(err, &dns):
		return fmt.Sprintf("DNS lookup of %s: %s", dns.Name, dns.Err)
	}
	if s, ok := tlsCause(err); ok {
		return s
	}
	// url.Error repeats the method and URL; the inner error is the news.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
