package cli

import (
	"fmt"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/pace"
)

// conn is how a command reaches Azotte: the endpoint, the credentials and
// how calls are made. validate and plan --sample read it from the same flags.
type conn struct {
	baseURL, path, tenant, apiKey string
	apiKeyFile                    string
	allowInsecure                 bool
	sandbox                       bool
	sandboxTaken                  string

	concurrency, burst, retries int
	rate                        float64
	timeout                     time.Duration
	giveUpAfter, maxPause       time.Duration
}

// addEndpointFlags adds the flags naming the endpoint and its credentials
// (AZOTTE_* fill them in when not given: see envVars).
func addEndpointFlags(fs *flagSet, cn *conn) {
	fs.StringVar(&cn.baseURL, "base-url", "", "Azotte base `URL`, e.g. https://acme.sandbox.azotte.com (env AZOTTE_BASE_URL)")
	fs.StringVar(&cn.path, "path", azotte.DefaultPath, "validate endpoint `path`")
	fs.StringVar(&cn.tenant, "tenant", "", "tenant `ID`, sent as x-tn (env AZOTTE_TENANT)")
	fs.StringVar(&cn.apiKeyFile, "api-key-file", "", "read the API key from `FILE` (default: env AZOTTE_API_KEY)")
	fs.BoolVar(&cn.allowInsecure, "allow-insecure-http", false, "allow plain http:// to a host that is not loopback")
	fs.BoolVar(&cn.sandbox, "sandbox", false, "validate against an embedded sandbox on a free loopback port (no credentials needed)")
	fs.StringVar(&cn.sandboxTaken, "sandbox-taken", "", "`FILE` of ids the embedded sandbox reports as taken, one per line (id,email: the email its info call returns)")
}

// addCallFlags adds the flags of how calls are made, the rate with its own
// usage text (plan's rate is also its estimate's).
func addCallFlags(fs *flagSet, cn *conn, rateUsage string) {
	fs.IntVar(&cn.concurrency, "concurrency", 16, "requests in flight at most")
	rateVar(fs, &cn.rate, "rate", 8, rateUsage)
	fs.IntVar(&cn.burst, "burst", 8, "requests allowed at once above the rate")
	fs.IntVar(&cn.retries, "retries", 5, "further attempts for an id after a transient failure")
	durationVar(fs, &cn.timeout, "timeout", 15*time.Second, "per request")
	durationVar(fs, &cn.giveUpAfter, "give-up-after", 60*time.Second, "stop the run (rows done are kept) when requests keep failing to reach Azotte and nothing was answered for this long")
	durationVar(fs, &cn.maxPause, "max-pause", 15*time.Minute, "wait out a Retry-After (or a spent rate limit) of up to this long; a longer one ends the asking: every row is written, the rest unchecked, exit 75, and a re-run with the same --state goes on")
}

// checkCalls checks the call flags.
func (cn *conn) checkCalls(fs *flagSet) error {
	if cn.concurrency < 1 || cn.concurrency > maxConcurrency {
		return fs.usageError("--concurrency must be from 1 to %d, got %d", maxConcurrency, cn.concurrency)
	}
	if cn.burst < 1 {
		return fs.usageError("--burst must be at least 1, got %d", cn.burst)
	}
	if cn.retries < 0 {
		return fs.usageError("--retries must be 0 or more, got %d", cn.retries)
	}
	if cn.timeout <= 0 {
		return fs.usageError("--timeout must be positive, got %v", cn.timeout)
	}
	if cn.giveUpAfter <= 0 {
		return fs.usageError("--give-up-after must be positive, got %v", cn.giveUpAfter)
	}
	if cn.maxPause <= 0 {
		return fs.usageError("--max-pause must be positive, got %v", cn.maxPause)
	}
	return nil
}

// resolve settles the endpoint and the key once the flags are parsed (set:
// those given): the embedded sandbox's (unpaced unless --rate is given, a
// fresh key), or the base URL, tenant and key of the flags and env. It
// returns warnings to log once logging is set up.
func (cn *conn) resolve(fs *flagSet, set map[string]bool, env Env) (warnings []string, err error) {
	if err := checkHeaderValue("--tenant/AZOTTE_TENANT", cn.tenant, false); err != nil {
		return nil, err
	}
	if cn.sandbox {
		if set["base-url"] {
			return nil, fs.usageError("--sandbox and --base-url exclude each other: the sandbox is the endpoint")
		}
		if !set["rate"] {
			cn.rate = 0 // the endpoint is local: nothing to protect
		}
		if cn.tenant == "" || !set["tenant"] {
			cn.tenant = "sandbox"
		}
		cn.apiKey = randomKey()
		return nil, nil
	}
	if set["sandbox-taken"] {
		return nil, fs.usageError("--sandbox-taken needs --sandbox")
	}
	if cn.baseURL == "" {
		return nil, usageError("no Azotte base URL: set AZOTTE_BASE_URL or --base-url (or try --sandbox)")
	}
	if cn.tenant == "" {
		return nil, usageError("no tenant: set AZOTTE_TENANT or --tenant")
	}
	if cn.apiKeyFile != "" {
		b, err := os.ReadFile(cn.apiKeyFile)
		if err != nil {
			return nil, usageError("--api-key-file: %v", err)
		}
		if st, err := os.Stat(cn.apiKeyFile); err == nil && st.Mode().Perm()&0o077 != 0 {
			warnings = append(warnings, fmt.Sprintf("key file %s is readable by others (mode %v); chmod 600 it", cn.apiKeyFile, st.Mode().Perm()))
		}
		cn.apiKey = strings.TrimSpace(string(b))
		if cn.apiKey == "" {
			return nil, usageError("--api-key-file %s is empty", cn.apiKeyFile)
		}
	} else {
		cn.apiKey = env.getenv("AZOTTE_API_KEY")
		if cn.apiKey == "" {
			return nil, usageError("no API key: set AZOTTE_API_KEY or --api-key-file")
		}
	}
	if err := checkHeaderValue("the API key (AZOTTE_API_KEY or --api-key-file)", cn.apiKey, true); err != nil {
		return nil, err
	}
	return warnings, nil
}

// pacer is the run's pacer: --rate, --burst and --max-pause; no pause is
// sat through past until (the --deadline; zero: none).
func (cn *conn) pacer(env Env, until time.Time) *pace.Adaptive {
	return pace.NewAdaptive(pace.Config{Rate: cn.rate, Burst: cn.burst, MaxPause: cn.maxPause, Until: until, PauseCap: env.Timings.PauseCap})
}

// client returns the client of cn's endpoint (the sandbox's, once
// startSandbox has set baseURL), paced by pacer and observed by observe.
func (cn *conn) client(env Env, pacer *pace.Adaptive, observe func(azotte.Attempt)) (*azotte.Client, error) {
	return azotte.New(azotte.Config{
		BaseURL: cn.baseURL, Path: cn.path, Tenant: cn.tenant, APIKey: cn.apiKey,
		AllowInsecureHTTP: cn.allowInsecure,
		Concurrency:       cn.concurrency,
		Timeout:           cn.timeout,
		Retries:           cn.retries,
		BackoffBase:       env.Timings.BackoffBase,
		BackoffMax:        env.Timings.BackoffMax,
		GiveUpAfter:       cn.giveUpAfter,
		Pacer:             pacer,
		Observe:           observe,
		Now:               env.now,
	})
}

// journalEndpoint is the endpoint a --state journal is bound to: the
// sandbox's whatever its port.
func (cn *conn) journalEndpoint() journal.Endpoint {
	ep := journal.Endpoint{BaseURL: cn.baseURL, Path: cn.path, Tenant: cn.tenant}
	if cn.sandbox {
		ep.BaseURL = journal.SandboxURL
	}
	return ep
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
