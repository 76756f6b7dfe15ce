package cli

import (
	"strings"
	"testing"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// TestColumnsAmbiguous: --email-column (given or the default) and
// --unique-columns find their columns as --id-column does, so a name that
// several columns answer to, and none exactly, is a usage error naming them,
// before any call; an exact name among them is taken.
func TestColumnsAmbiguous(t *testing.T) {
	t.Parallel()
	const in = "externalId,Email,EMAIL,Phone\na,a@x.io,b@x.io,1\n"
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string // "" for a run that goes ahead
	}{
		{"--email-column", []string{"--owners", "--email-column", "email"},
			`-: ambiguous column "email" in header (columns 2 Email, 3 EMAIL); use --email-column`},
		{"default email column", []string{"--owners"},
			`-: ambiguous column "email" in header (columns 2 Email, 3 EMAIL); use --email-column`},
		{"--unique-columns", []string{"--unique-columns", "phone,email"},
			`--unique-columns: ambiguous column "email" in header (columns 2 Email, 3 EMAIL)`},
		{"--email-column exact", []string{"--owners", "--email-column", "EMAIL"}, ""},
		{"--unique-columns exact", []string{"--unique-columns", "Email"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEndpoint(t, sandbox.Config{})
			r := run(t, in, e.args(append(tc.args, "-")...)...)
			if tc.stderr == "" {
				if r.code != 0 {
					t.Errorf("exit %d, stderr %q; want 0", r.code, r.stderr)
				}
				return
			}
			if r.code != 2 || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.stderr)
			}
			if n := e.Requests() + e.InfoRequests(); n != 0 {
				t.Errorf("%d requests before the usage error", n)
			}
		})
	}
}

// TestEmailColumnNDJSONField: --email-column names an NDJSON field by the
// same rule, dotted for a nested object, in any case.
func TestEmailColumnNDJSONField(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"a": true, "b": true, "c": true}, Emails: map[string]string{"a": "x@example.com", "b": "x@example.com", "c": "x@example.com"}})
	in := `{"externalId":"a","Contact":{"EMAIL":"x@example.com"}}` + "\n" +
		`{"externalId":"b","contact":{"Email":"x@example.com","EMAIL":"y@example.com"}}` + "\n" +
		`{"externalId":"c","contact":{"email":"z@example.com"}}` + "\n"
	res := run(t, in, append(e.args("--owners", "--email-column", "contact.email", "--format", "ndjson"), "-")...)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"sameEmail":true`) || strings.Contains(lines[1], `"sameEmail"`) || !strings.Contains(lines[2], `"sameEmail":false`) {
		t.Errorf("output:\n%s\n%s", res.stdout, res.stderr)
	}
}
