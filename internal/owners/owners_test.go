package owners_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/owners"
	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/sandbox/sandboxtest"
)

// TestOwnerAcrossRuns: against the sandbox over HTTP, Fetch compares the
// row's email with Azotte's (trimmed, case-folded) and journals the
// outcome; a later run's Known takes it from the journal without a call
// while the row's email is the same, and leaves it to Fetch once the
// export's email changed. Azotte's email is in no journal line.
func TestOwnerAcrossRuns(t *testing.T) {
	t.Parallel()
	const tenant, key = "t-1", "sk_test_owners"
	rec := sandboxtest.Record(sandbox.New(sandbox.Config{Tenant: tenant, APIKey: key,
		Taken: map[string]bool{"crm-1": true}, Emails: map[string]string{"crm-1": "ada@example.com"}}))
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	client, err := azotte.New(azotte.Config{BaseURL: srv.URL, Tenant: tenant, APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "state")
	ep := journal.Endpoint{BaseURL: srv.URL, Path: azotte.DefaultPath, Tenant: tenant}
	email := func(r input.Row) (string, bool) { return r.Fields[0], true }
	row := func(e string) input.Row { return input.Row{ID: "crm-1", Fields: []string{e}} }
	taken := azotte.Answer{IsAvailable: false}

	j, err := journal.Open(path, ep, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a := owners.New(client, j, email)
	if _, ok, err := a.Known("crm-1", row(" ADA@example.com"), taken); ok || err != nil {
		t.Fatalf("Known before any answer: ok %v, err %v", ok, err)
	}
	o, err := a.Fetch(t.Context(), "crm-1", row(" ADA@example.com"))
	if err != nil || o.SameEmail != output.MatchSame || o.URN != sandbox.OwnerURN("crm-1") {
		t.Fatalf("Fetch = %+v, %v; want the same customer", o, err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j, err = journal.Open(path, ep, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	a = owners.New(client, j, email)
	if o, ok, err := a.Known("crm-1", row("ada@example.com"), taken); !ok || err != nil || o.SameEmail != output.MatchSame {
		t.Errorf("Known, same email = %+v, %v, %v; want the journalled same customer", o, ok, err)
	}
	if _, ok, _ := a.Known("crm-1", row("bob@example.com"), taken); ok {
		t.Error("Known with another email took the journal's comparison")
	}
	if n := rec.InfoCalls("crm-1"); n != 1 {
		t.Errorf("%d info calls, want 1", n)
	}
	if data := readFile(t, path); contains(data, "ada@example.com") {
		t.Error("the journal holds an email")
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func contains(s, sub string) bool { return strings.Contains(strings.ToLower(s), sub) }
