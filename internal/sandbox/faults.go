package sandbox

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
)

// Fault is a kind of transient failure the sandbox injects at FailRate.
type Fault int

// The fault kinds, named in --faults by their String.
const (
	Fault500     Fault = iota + 1 // 500 with an INTERNAL_SERVER_ERROR envelope
	Fault502                      // 502 with the HTML page a proxy sends
	Fault503                      // 503 with Retry-After: 1
	Fault429                      // 429 with Retry-After: 1, whatever the rate
	FaultReset                    // the connection is reset (TCP RST) without an answer
	FaultHang                     // no answer until the client gives up (its timeout) or the server stops
	FaultGarbage                  // 200 whose body is truncated JSON, an HTML page, or JSON without isAvailable
)

func (f Fault) String() string {
	if f > 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

var faultNames = [...]string{
	Fault500: "500", Fault502: "502", Fault503: "503", Fault429: "429",
	FaultReset: "reset", FaultHang: "hang", FaultGarbage: "garbage",
}

// AllFaults returns every fault kind.
func AllFaults() []Fault {
	return []Fault{Fault500, Fault502, Fault503, Fault429, FaultReset, FaultHang, FaultGarbage}
}

// DefaultFaults returns the kinds drawn when Config.Faults is empty: all
// but FaultHang, which costs the client its whole timeout (15s by default)
// each time and so must be asked for.
func DefaultFaults() []Fault {
	return []Fault{Fault500, Fault502, Fault503, Fault429, FaultReset, FaultGarbage}
}

// ParseFaults parses a comma-separated list of fault names
// (500,502,503,429,reset,hang,garbage), or "all".
// FaultNames are the fault kinds' names, as ParseFaults takes them.
func FaultNames() []string { return slices.Clone(faultNames[1:]) }

func ParseFaults(s string) ([]Fault, error) {
	var out []Fault
	seen := map[Fault]bool{}
	for name := range strings.SplitSeq(s, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "all" {
			return AllFaults(), nil
		}
		f := Fault(0)
		for i, n := range faultNames {
			if n != "" && n == name {
				f = Fault(i)
			}
		}
		if f == 0 {
			return nil, fmt.Errorf("unknown fault %q: want a list of %s, or all", name, strings.Join(faultNames[1:], ","))
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out, nil
}

// fault draws whether this request fails transiently and, if so, fails it
// in one of the configured ways a client must survive. It reports whether
// it did.
func (s *Server) fault(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.FailRate <= 0 {
		return false
	}
	s.rngMu.Lock()
	hit := s.rng.Float64() < s.cfg.FailRate
	kind := s.faults[s.rng.IntN(len(s.faults))]
	variant := s.rng.IntN(3)
	s.rngMu.Unlock()
	if !hit {
		return false
	}
	s.faulted.Add(1)
	switch kind {
	case Fault500:
		writeStatus(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR")
	case Fault502: // what a proxy in front of the API sends
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>\n")
	case Fault503:
		w.Header().Set("Retry-After", s.faultRetryAfter())
		writeStatus(w, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	case Fault429:
		w.Header().Set("Retry-After", s.faultRetryAfter())
		writeStatus(w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
	case FaultReset:
		reset(w)
	case FaultHang:
		<-r.Context().Done()
		// The client gave up, or the server is stopping: in the latter case
		// an empty 200 must not reach a client still listening.
		panic(http.ErrAbortHandler)
	default: // FaultGarbage
		w.Header().Set("Content-Type", azotte.ResponseContentType)
		switch variant {
		case 0: // cut short, with a matching Content-Length
			_, _ = w.Write(answerAvailable[:len(answerAvailable)/2])
		case 1: // a captive portal or misrouted proxy answering 200
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, "<html><body>Please log in to continue.</body></html>\n")
		default: // well-formed, but not an answer
			_, _ = io.WriteString(w, `{"status":{"messageCode":"SUCCESS"}}`)
		}
	}
	return true
}

// reset closes the connection with a TCP RST instead of an answer. Where
// the connection cannot be taken over (HTTP/2), the stream is aborted.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close sends RST, not FIN
	}
	_ = conn.Close()
}

// delay sleeps the configured latency with jitter; false if ctx ended first.
func (s *Server) delay(ctx context.Context) bool {
	if s.cfg.Latency <= 0 {
		return true
	}
	d := s.cfg.Latency/2 + rand.N(s.cfg.Latency+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// faultRetryAfter is the Retry-After of an injected 429 or 503:
// Config.RetryAfter when set, else 1 second.
func (s *Server) faultRetryAfter() string {
	if s.cfg.RetryAfter > 0 {
		return strconv.Itoa(int((s.cfg.RetryAfter + time.Second - 1) / time.Second))
	}
	return "1"
}

// disturbed answers r with a random fault, or a 503 when the latency drill
// was cut short, and reports whether it did: then the request is over.
func (s *Server) disturbed(w http.ResponseWriter, r *http.Request) bool {
	if s.fault(w, r) {
		return true
	}
	if !s.delay(r.Context()) {
		// Client gone or server shutting down; a client still listening
		// should retry rather than read an empty 200.
		w.Header().Set("Retry-After", "1")
		writeStatus(w, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
		return true
	}
	return false
}
