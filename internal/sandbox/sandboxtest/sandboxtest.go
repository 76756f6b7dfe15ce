// Package sandboxtest lets tests see what reached a sandbox: how many
// requests asked about each id, and how many were handled at once. It wraps
// any http.Handler, so the sandbox itself keeps no bookkeeping that only
// tests read.
package sandboxtest

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
)

// Recorder is an http.Handler that counts what passes through to the
// handler it wraps. It is safe for concurrent use.
type Recorder struct {
	next http.Handler

	mu        sync.Mutex
	calls     map[string]int // validate requests, by the externalId of their body
	info      map[string]int // info requests, by their exId
	infoTotal int

	inFlight, maxInFlight atomic.Int64
}

// Record wraps h.
func Record(h http.Handler) *Recorder {
	return &Recorder{next: h, calls: make(map[string]int), info: make(map[string]int)}
}

// ServeHTTP counts the request's externalId, if its body has one, or the
// exId of an info request (a GET with that query parameter), and passes the
// request on with its body intact.
func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	n := r.inFlight.Add(1)
	defer r.inFlight.Add(-1)
	for m := r.maxInFlight.Load(); n > m && !r.maxInFlight.CompareAndSwap(m, n); m = r.maxInFlight.Load() {
	}
	if req.Method == http.MethodGet && req.URL.Query().Has("exId") {
		r.mu.Lock()
		r.info[req.URL.Query().Get("exId")]++
		r.infoTotal++
		r.mu.Unlock()
	} else if req.Body != nil {
		data, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(data))
		var body struct {
			ExternalID *string `json:"externalId"`
		}
		if json.Unmarshal(data, &body) == nil && body.ExternalID != nil {
			r.mu.Lock()
			r.calls[*body.ExternalID]++
			r.mu.Unlock()
		}
	}
	r.next.ServeHTTP(w, req)
}

// Calls returns how many requests carried id in their body, whatever the
// answer.
func (r *Recorder) Calls(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[id]
}

// IDs returns every id a request asked about, validate or info, sorted.
func (r *Recorder) IDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := make(map[string]bool, len(r.calls)+len(r.info))
	for id := range r.calls {
		seen[id] = true
	}
	for id := range r.info {
		seen[id] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// InfoCalls returns how many info requests asked about id, whatever the
// answer.
func (r *Recorder) InfoCalls(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info[id]
}

// InfoTotal returns how many info requests arrived, whatever the answer.
func (r *Recorder) InfoTotal() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.infoTotal
}

// MaxInFlight returns the most requests handled at once so far.
func (r *Recorder) MaxInFlight() int64 { return r.maxInFlight.Load() }
