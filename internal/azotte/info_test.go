package azotte_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/sandbox"
)

func TestInfoPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		azotte.DefaultPath: azotte.DefaultInfoPath,
		azotte.LegacyPath:  azotte.LegacyInfoPath,
		"/x/validate":      "/x/info",
		"/x/check":         "",
	} {
		got, ok := azotte.InfoPath(in)
		if got != want || ok != (want != "") {
			t.Errorf("InfoPath(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// TestInfoFromSandbox: the owner of a taken id on both paths, and
// CUSTOMER_NOT_FOUND (no error) for a free one.
func TestInfoFromSandbox(t *testing.T) {
	t.Parallel()
	_, url := newSandbox(t, sandbox.Config{Emails: map[string]string{"crm-taken": "Jane.Doe@example.com"}})
	for _, path := range []string{azotte.DefaultPath, azotte.LegacyPath} {
		c := newClient(t, url, func(cfg *azotte.Config) { cfg.Path = path })
		o, err := c.Info(context.Background(), "crm-taken")
		if err != nil || o.Err != nil || !o.Found || o.URN != sandbox.OwnerURN("crm-taken") || o.Status != "Active" ||
			o.Email != "Jane.Doe@example.com" || o.At.IsZero() || o.Attempts != 1 {
			t.Errorf("%s: Info(crm-taken) = %+v, %v", path, o, err)
		}
		o, err = c.Info(context.Background(), "crm-free")
		if err != nil || o.Err != nil || o.Found || o.MessageCode != azotte.MessageNotFound {
			t.Errorf("%s: Info(crm-free) = %+v, %v; want not found", path, o, err)
		}
	}
}

// TestInfoRetriesAndCredentials: transient answers are retried as
// validate's are, a refused key stops the run, and any other status is
// the row's error.
func TestInfoRetriesAndCredentials(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != azotte.DefaultInfoPath || r.URL.Query().Get("exId") != "a&b" ||
			r.Header.Get(azotte.HeaderTenant) != tenant || r.Header.Get(azotte.HeaderAPIKey) != key {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		if n.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"result":{"customerUrn":"cu.1","email":"e@x","status":"Blocked"},"status":{"messageCode":"SUCCESS"}}`))
	}))
	c := newClient(t, url, nil)
	o, err := c.Info(context.Background(), "a&b")
	if err != nil || !o.Found || o.URN != "cu.1" || o.Status != "Blocked" || o.Attempts != 3 {
		t.Errorf("Info = %+v, %v; want found after 3 attempts", o, err)
	}

	var m atomic.Int64
	c = newClient(t, serve(t, fixed(&m, http.StatusUnauthorized, "")), nil)
	if _, err := c.Info(context.Background(), "x"); !errors.As(err, new(*azotte.CredentialsError)) {
		t.Errorf("401: err %v, want a CredentialsError", err)
	}
	c = newClient(t, serve(t, fixed(&m, http.StatusNotFound, `{"status":{"messageCode":"NOT_HERE"}}`)), nil)
	if o, err := c.Info(context.Background(), "x"); err != nil || o.Err == nil || !strings.Contains(o.Err.Error(), "404 NOT_HERE") {
		t.Errorf("404 NOT_HERE: %+v, %v; want a row error", o, err)
	}
	c = newClient(t, url, func(cfg *azotte.Config) { cfg.Path = "/other" })
	if o, err := c.Info(context.Background(), "x"); err != nil || o.Err == nil {
		t.Errorf("a path without validate: %+v, %v; want a row error", o, err)
	}
}
