package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/sandbox"
)

const sandboxSynopsis = `
Serves an Azotte-compatible customer validate endpoint (on both
` + azotte.DefaultPath + ` and ` + azotte.LegacyPath + `)
for trying azvalidate and for drills: tenant and key checks (401/403), 400 for a
bad body, 405, 415, 429 with Retry-After above --rate, optional latency and
random transient faults. GET /healthz answers ok. Runs until interrupted.

--rate R enforces a token bucket (R per second, --burst in size) and, unless
--no-ratelimit-headers, describes it on every answer: X-RateLimit-Limit (the
bucket size), X-RateLimit-Remaining (tokens left), X-RateLimit-Reset (Unix
time at which the bucket is full again). A client that spreads Remaining
evenly until Reset never gets a 429.

--fail-rate P fails each request with probability P in one of the --faults
kinds, drawn anew per request so that a retry can succeed:
  500      500 with an INTERNAL_SERVER_ERROR envelope
  502      502 with a proxy's HTML page
  503      503 with Retry-After: 1 (or --retry-after)
  429      429 with Retry-After: 1 (or --retry-after), whatever the rate
  reset    the connection is reset (TCP RST), no answer
  hang     no answer until the client times out (not in the default list:
           it costs the client its whole --timeout each time)
  garbage  200 with truncated JSON, an HTML page or JSON without isAvailable`

const sandboxExamples = `  # a local endpoint with a few taken ids
  azvalidate sandbox --tenant acme --api-key sk_test_local --taken testdata/taken.txt

  # then, in another shell
  AZOTTE_BASE_URL=http://127.0.0.1:8080 AZOTTE_TENANT=acme AZOTTE_API_KEY=sk_test_local \
    azvalidate validate testdata/customers.csv

  # a drill: 100 ms latency, 20 requests/s, 5% transient faults
  azvalidate sandbox --tenant acme --api-key sk_test_local \
    --latency 100ms --rate 20 --fail-rate 0.05

  # the 429-only path: a limit the client is not told about, and only resets and hangs
  azvalidate sandbox --rate 5 --no-ratelimit-headers --fail-rate 0.1 --faults reset,hang

  # a spent daily quota: every request 429 with Retry-After: 86400
  azvalidate sandbox --fail-rate 1 --faults 429 --retry-after 24h
`

// addSandbox adds the sandbox command to root.
func addSandbox(root *cobra.Command, env Env) {
	cmd := &cobra.Command{
		Use:     "sandbox [flags]",
		Short:   "serve a local Azotte-compatible validate endpoint",
		Long:    sandboxSynopsis,
		Example: sandboxExamples,
		Args:    cobra.ArbitraryArgs, // refused below, with the usage error's hint
	}
	root.AddCommand(cmd)
	fs := flagsOf(cmd)
	var cfg sandbox.Config
	var addr, taken, faults string
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "listen `address` (loopback by default)")
	fs.StringVar(&cfg.Tenant, "tenant", "sandbox", "tenant `ID` that requests must send as x-tn")
	fs.StringVar(&cfg.APIKey, "api-key", "sk_test_sandbox", "the sandbox's own test `key`, expected as x-api-key")
	fs.StringVar(&taken, "taken", "", "`FILE` of ids to report as taken, one per line (id,email: the email its info call returns)")
	durationVar(fs, &cfg.Latency, "latency", 0, "mean added latency per answer (uniform in ±50%)")
	rateVar(fs, &cfg.Rate, "rate", 0, "answers per second before 429, 0 = unlimited")
	fs.IntVar(&cfg.Burst, "burst", 0, "token bucket size for --rate (default: the rate, at least 1)")
	fs.BoolVar(&cfg.NoRateLimitHeaders, "no-ratelimit-headers", false, "with --rate, do not send X-RateLimit-Limit/-Remaining/-Reset (429 and Retry-After only)")
	durationVar(fs, &cfg.RetryAfter, "retry-after", 0, "Retry-After of every 429 and 503, a fixed penalty such as a spent quota's 24h (default: the seconds until the next token; 1s for faults)")
	fs.Float64Var(&cfg.FailRate, "fail-rate", 0, "probability 0..1 of a random transient fault per request, of a kind from --faults")
	fs.StringVar(&faults, "faults", faultList(sandbox.DefaultFaults()), "fault `kinds` --fail-rate draws from: 500,502,503,429,reset,hang,garbage or all")
	completeValues(cmd, env)
	cmd.RunE = func(cmd *cobra.Command, pos []string) (err error) {
		if len(pos) > 0 {
			return fs.usageError("sandbox takes no arguments, got %q", pos)
		}
		if !(cfg.FailRate >= 0 && cfg.FailRate <= 1) { // NaN fails both
			return fs.usageError("--fail-rate must be between 0 and 1, got %g", cfg.FailRate)
		}
		if cfg.Latency < 0 || cfg.Burst < 0 || cfg.RetryAfter < 0 {
			return fs.usageError("--burst, --latency and --retry-after must not be negative")
		}
		if cfg.Faults, err = sandbox.ParseFaults(faults); err != nil {
			return fs.usageError("--faults: %v", err)
		}
		if cfg.Tenant == "" || cfg.APIKey == "" {
			return fs.usageError("--tenant and --api-key must not be empty")
		}
		if cfg.Taken, cfg.Emails, err = takenFile("--taken", taken); err != nil {
			return err
		}
		ln, err := sandbox.Listen(addr)
		if err != nil {
			return usageError("sandbox: %v", err)
		}
		stdout, stderr := env.Stdout, env.Stderr
		if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
			fmt.Fprintf(stderr, "azvalidate: warning: the sandbox listens on %s, reachable from other machines\n", ln.Addr())
		}
		fmt.Fprintf(stdout, "azvalidate sandbox listening on http://%s (tenant %q, %d taken ids)\n", ln.Addr(), cfg.Tenant, len(cfg.Taken))
		srv := sandbox.New(cfg)
		start := time.Now()
		err = srv.Serve(cmd.Context(), ln)
		fmt.Fprintf(stderr, "azvalidate sandbox: %d validate and %d info requests, %d answered, %d over the rate (429), %d faults injected in %v\n",
			srv.Requests(), srv.InfoRequests(), srv.Answered(), srv.Throttled(), srv.Faulted(), time.Since(start).Round(time.Second))
		return err
	}
}

// takenFile reads the ids a sandbox reports as taken from the file of flag
// (none when path is "").
func takenFile(flag, path string) (map[string]bool, map[string]string, error) {
	if path == "" {
		return nil, nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, usageError("%s: %v", flag, err)
	}
	defer f.Close()
	taken, emails, err := sandbox.ReadTaken(f)
	if err != nil {
		return nil, nil, usageError("%s %s: %v", flag, path, err)
	}
	return taken, emails, nil
}

// faultList is the --faults spelling of kinds.
func faultList(kinds []sandbox.Fault) string {
	names := make([]string, len(kinds))
	for i, f := range kinds {
		names[i] = f.String()
	}
	return strings.Join(names, ",")
}

// startSandbox serves the embedded sandbox on a free loopback port until stop.
func startSandbox(ctx context.Context, c *conn) (url string, stop func(), err error) {
	cfg := sandbox.Config{Tenant: c.tenant, APIKey: c.apiKey}
	if cfg.Taken, cfg.Emails, err = takenFile("--sandbox-taken", c.sandboxTaken); err != nil {
		return "", nil, err
	}
	ln, err := sandbox.Listen("")
	if err != nil {
		return "", nil, fmt.Errorf("sandbox: %w", err)
	}
	// The sandbox outlives an interrupt of the run: in-flight calls still get
	// their answers while the run drains.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		sandbox.New(cfg).Serve(sctx, ln)
	}()
	return "http://" + ln.Addr().String(), func() { cancel(); <-done }, nil
}

// randomKey is the embedded sandbox's key: fresh per run, never shown.
func randomKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "sk_sandbox_" + hex.EncodeToString(b)
}
