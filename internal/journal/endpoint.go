package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Endpoint is what a journal is bound to: the answers it holds are those of
// one validate call of one tenant. The API key is never part of it.
type Endpoint struct {
	BaseURL string // scheme://host[:port][/prefix], normalised by Normalize
	Path    string // the validate call's path
	Tenant  string
}

// SandboxURL is the base URL a journal of the embedded sandbox is bound to,
// whatever loopback port the sandbox of a given run listens on.
const SandboxURL = "sandbox"

// Normalize returns e with its base URL's scheme and host in lower case,
// default ports (80 for http, 443 for https) dropped and no trailing slash,
// and its path starting with one slash and not ending with one, so that two
// spellings of one endpoint bind alike. A base URL without "://" (such as
// SandboxURL) is only trimmed.
func (e Endpoint) Normalize() (Endpoint, error) {
	e.BaseURL = strings.TrimSpace(e.BaseURL)
	if strings.Contains(e.BaseURL, "://") {
		u, err := url.Parse(e.BaseURL)
		if err != nil {
			return e, fmt.Errorf("base URL: %w", err)
		}
		u.Scheme = strings.ToLower(u.Scheme)
		host, port := strings.ToLower(u.Hostname()), u.Port()
		if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
			port = ""
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]" // IPv6
		}
		if port != "" {
			host += ":" + port
		}
		u.Host = host
		u.User = nil // credentials in a URL are not part of an endpoint's name
		u.RawQuery, u.Fragment = "", ""
		e.BaseURL = u.String()
	}
	e.BaseURL = strings.TrimRight(e.BaseURL, "/")
	e.Path = "/" + strings.Trim(strings.TrimSpace(e.Path), "/")
	return e, nil
}

// IsZero reports whether e is the zero Endpoint (no binding).
func (e Endpoint) IsZero() bool { return e == Endpoint{} }

// String names e as messages show it: the call's URL and the tenant.
func (e Endpoint) String() string {
	return fmt.Sprintf("%s%s tenant %q", e.BaseURL, e.Path, e.Tenant)
}

// MismatchError is Open's error for a journal bound to another endpoint or
// tenant than the run's: its answers are not answers for this run.
type MismatchError struct {
	Path      string
	File, Run Endpoint
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s is bound to %s, not %s", e.Path, e.File, e.Run)
}

// ErrNotJournal is wrapped by the error of Open and Read for a file whose
// first line is neither a binding nor an answer: such a file (an export
// given as --state by mistake) is never modified.
var ErrNotJournal = errors.New("not a journal")

// bindingTag starts every binding line; answer lines start with {"id".
const bindingTag = `{"journal":"azvalidate"`

// binding is the first line of a journal as JSON.
type binding struct {
	Journal string `json:"journal"` // "azvalidate"
	Version int    `json:"v"`
	BaseURL string `json:"baseURL"`
	Path    string `json:"path"`
	Tenant  string `json:"tenant"`
}

// encodeBinding returns ep's binding line, with its '\n'.
func encodeBinding(ep Endpoint) []byte {
	b, _ := json.Marshal(binding{Journal: "azvalidate", Version: 1, BaseURL: ep.BaseURL, Path: ep.Path, Tenant: ep.Tenant})
	return append(b, '\n')
}

// decodeBinding reads a binding line; ok is false for any other line.
func decodeBinding(line []byte) (ep Endpoint, ok bool) {
	if !bytes.HasPrefix(line, []byte(bindingTag)) {
		return ep, false
	}
	var b binding
	if json.Unmarshal(line, &b) != nil || b.Journal != "azvalidate" || b.Version != 1 {
		return ep, false
	}
	return Endpoint{BaseURL: b.BaseURL, Path: b.Path, Tenant: b.Tenant}, true
}
