// Package live serves a run while it runs (validate --listen): Prometheus
// metrics at /metrics (the live view of internal/metrics' figures, beside
// the Go runtime's and the process's), a status page at / that refreshes itself, and
// /healthz. Everything is read from the run's counters (stats.Stats) when a
// request comes: between requests the run does no work for the server.
package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/metrics"
	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/stats"
)

// Config is what the server shows.
type Config struct {
	Stats    *stats.Stats
	Start    time.Time
	Input    string          // the input's name; "-" is stdin
	Settings report.Settings // the run's settings; never holds the key
	// Rate is the pacer's rate now, in requests per second (0: unlimited);
	// nil: the configured rate.
	Rate func() float64
	// Pause says why requests are held while Azotte asked to wait
	// ("paused 14 s: Azotte answered 429 Retry-After 15"); nil or "": not
	// paused.
	Pause func() string
	// Progress is how far the run is; nil: rows decided, total unknown.
	Progress func() Progress
	// Refresh is the status page's reload period; default 5s.
	Refresh time.Duration
	Now     func() time.Time // nil: time.Now
}

// Progress is how far a run is: Count of Unit done, and Done of Total
// (input bytes, or ids for a budgeted run) for the share and the ETA.
type Progress struct {
	Count       int64
	Unit        string // "rows" or "ids"
	Done, Total int64  // Total <= 0: unknown
}

// Share is the part done, in [0, 1), or -1 when the total is unknown.
// It stays below 1 while the run goes on, as the progress line does.
func (p Progress) Share() float64 {
	if p.Total <= 0 {
		return -1
	}
	return float64(min(p.Done, p.Total-1)) / float64(p.Total)
}

// maxErrors is how many recent failed requests the status page lists.
const maxErrors = 5

// Event is a failed request, as the status page lists it.
type Event struct {
	Time   time.Time
	ID     string
	Status int // 0: no answer
	Err    string
}

// Server is the --listen server of one run.
type Server struct {
	cfg  Config
	ln   net.Listener
	srv  *http.Server
	done chan struct{}

	mu     sync.Mutex
	errors []Event // the last maxErrors, oldest first
}

// Start listens on addr (host:port; see ResolveAddr) and serves until Close.
// The address is bound before Start returns, so that a port in use is an
// error of the run's configuration, not a message later on.
func Start(addr string, cfg Config) (*Server, error) {
	if cfg.Refresh <= 0 {
		cfg.Refresh = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Stats == nil {
		cfg.Stats = new(stats.Stats)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, ln: ln, done: make(chan struct{})}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), metrics.NewCollector(s.snapshot))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /{$}", s.status)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln)
	}()
	return s, nil
}

// Addr is the address the server listens on, e.g. 127.0.0.1:41234 (the
// port chosen when the address asked for port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server: the port is closed when it returns. Requests
// under way get a second to finish.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.srv.Close()
	}
	<-s.done
	return err
}

// NoteAttempt keeps a failed request (no answer, or a status of 400 or
// above but 429, which the page counts apart) for the status page; it fits
// azotte.Config.Observe beside the run's own observer.
func (s *Server) NoteAttempt(a azotte.Attempt) {
	if a.Err == nil && (a.Status < 400 || a.Status == http.StatusTooManyRequests) {
		return
	}
	e := Event{Time: s.cfg.Now(), ID: a.ID, Status: a.Status}
	if a.Err != nil {
		e.Err = a.Err.Error()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errors) == maxErrors {
		s.errors = append(s.errors[:0], s.errors[1:]...)
	}
	s.errors = append(s.errors, e)
}

// recentErrors returns the failed requests kept, newest first.
func (s *Server) recentErrors() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Event, len(s.errors))
	for i, e := range s.errors {
		out[len(out)-1-i] = e
	}
	return out
}

func (s *Server) progress() Progress {
	if s.cfg.Progress != nil {
		return s.cfg.Progress()
	}
	return Progress{Count: s.cfg.Stats.Rows.Load(), Unit: "rows"}
}

// snapshot is the run so far as /metrics shows it, read from the counters
// at each scrape.
func (s *Server) snapshot() metrics.Run {
	sum := report.Summary{Header: report.Header{Start: s.cfg.Start}, Settings: s.cfg.Settings}
	sum.Fill(s.cfg.Stats)
	return metrics.Run{Summary: sum, Latency: &s.cfg.Stats.Latency, Running: true, Rate: s.rate(), Progress: s.progress().Share()}
}

func (s *Server) rate() float64 {
	if s.cfg.Rate != nil {
		return s.cfg.Rate()
	}
	return s.cfg.Settings.Rate
}

// ResolveAddr turns --listen's value into an address to listen on, and
// tells whether it is loopback only. A port alone ("9090", ":9090") is on
// the loopback interface: serving other hosts takes an address that says
// so ("0.0.0.0:9090", "[::]:9090", a host name).
func ResolveAddr(flag string) (addr string, loopback bool, err error) {
	if !strings.Contains(flag, ":") {
		flag = ":" + flag
	}
	host, port, err := net.SplitHostPort(flag)
	if err != nil {
		return "", false, err
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || port == "" {
		return "", false, fmt.Errorf("port %q is not a number from 0 to 65535", port)
	} else {
		port = strconv.FormatUint(n, 10)
	}
	switch ip := net.ParseIP(host); {
	case host == "":
		return net.JoinHostPort("127.0.0.1", port), true, nil
	case host == "localhost":
		return net.JoinHostPort(host, port), true, nil
	case ip != nil:
		return net.JoinHostPort(host, port), ip.IsLoopback(), nil
	}
	return net.JoinHostPort(host, port), false, nil
}
