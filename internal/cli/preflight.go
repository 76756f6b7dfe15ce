package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"
	"unicode"

	"github.com/azotte/azvalidate/internal/azotte"
)

// preflightAttempts bounds the preflight's requests when no response came
// for a reason that may pass (a reset, a timeout); a refused connection, an
// unknown host or a distrusted certificate stop it at the first.
const preflightAttempts = 3

// preflight asks Azotte about one probe id before the run starts, so that an
// endpoint that cannot be reached, refuses the credentials or is not the
// validate call stops the run at once (exit 2) with the cause, instead of
// as one error row after another. Any other answer, 200 or a busy 429 or
// 503 alike, lets the run start: Azotte is there and takes the key. pause
// is the wait before a second attempt (0: half a second), doubled after.
func preflight(ctx context.Context, cl *azotte.Client, tenant string, pause time.Duration) error {
	if pause <= 0 {
		pause = azotte.DefaultBackoffBase
	}
	for attempt := 1; ; attempt++ {
		p, err := cl.Preflight(ctx)
		if ctx.Err() != nil {
			return nil // the run stops at once and says why, with its summary
		}
		if err != nil {
			return exitError{code: exitUsage, err: err}
		}
		switch s := p.Status; {
		case s == 0 && attempt < preflightAttempts && !lasting(p.Err):
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done(): // the next round reports the interrupt
			case <-t.C:
			}
			t.Stop()
			pause *= 2
			continue
		case s == 0:
			return exitError{code: exitUsage, err: &azotte.UnreachableError{URL: cl.URL(), Cause: p.Cause}}
		case s == http.StatusUnauthorized, s == http.StatusForbidden:
			return exitError{code: exitUsage, err: &azotte.CredentialsError{Status: s, Tenant: tenant}}
		case s == http.StatusNotFound, s == http.StatusMethodNotAllowed:
			return usageError("%s answered HTTP %d: it is not Azotte's validate call; check --base-url and --path", cl.URL(), s)
		case s >= 300 && s < 400:
			to := ""
			if p.Location != "" {
				to = " to " + p.Location
			}
			return usageError("%s answered HTTP %d, a redirect%s (not followed: it would carry the key); check --base-url", cl.URL(), s, to)
		}
		return nil
	}
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

// checkHeaderValue refuses a tenant or key holding a control character (a
// newline pasted with it, a tab, NUL...): HTTP cannot carry it in a header,
// and every request would fail before reaching Azotte. what names the
// value; a secret's value is never shown, only where the character is.
func checkHeaderValue(what, value string, secret bool) error {
	for i, r := range value {
		if !unicode.IsControl(r) {
			continue
		}
		name := fmt.Sprintf("a control character (U+%04X)", r)
		switch r {
		case '\n':
			name = "a newline"
		case '\r':
			name = "a carriage return"
		case '\t':
			name = "a tab"
		case 0:
			name = "a NUL byte"
		}
		if secret {
			return usageError("%s holds %s at byte %d (the key is not shown); remove it", what, name, i+1)
		}
		return usageError("%s %q holds %s at byte %d; remove it", what, value, name, i+1)
	}
	return nil
}
