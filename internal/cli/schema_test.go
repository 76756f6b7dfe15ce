package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/sandbox"
)

const schemaPath = "../../docs/summary.schema.json"

// compileSchema compiles a summary schema given as its JSON document,
// asserting formats (date-time), which draft 2020-12 leaves to the
// validator.
func compileSchema(t *testing.T, doc any) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("summary.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("summary.schema.json")
	if err != nil {
		t.Fatalf("docs/summary.schema.json does not compile: %v", err)
	}
	return sch
}

// schemaDoc reads docs/summary.schema.json as a JSON document, anew each
// time, so that a test may change its copy.
func schemaDoc(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("docs/summary.schema.json is not JSON: %v", err)
	}
	if doc.(map[string]any)["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Fatalf("docs/summary.schema.json is not a draft 2020-12 schema")
	}
	return doc.(map[string]any)
}

// schemaRuns runs the tool against the sandbox in the kinds of run whose
// summaries differ in shape, and returns each --summary file's JSON by the
// run's name.
func schemaRuns(t *testing.T) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	const sample, taken = "../../testdata/customers.csv", "../../testdata/taken.txt"
	sums := map[string][]byte{}
	summaryOf := func(name string, wantCode int, res result) {
		t.Helper()
		if res.code != wantCode {
			t.Fatalf("%s: exit %d, want %d\n%s", name, res.code, wantCode, res.stderr)
		}
		b, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err != nil {
			t.Fatalf("%s wrote no summary: %v\n%s", name, err, res.stderr)
		}
		sums[name] = b
	}
	sum := func(name string) string { return filepath.Join(dir, name+".json") }
	out := func(name string) string { return filepath.Join(dir, name+".out") }

	summaryOf("plain", exitFindings, run(t, "", "validate", "--sandbox", "--sandbox-taken", taken, "-q",
		"-o", out("plain"), "--summary", sum("plain"), sample))
	summaryOf("budgeted", exitFindings, run(t, "", "validate", "--sandbox", "--sandbox-taken", taken, "-q",
		"--state", filepath.Join(dir, "crm.state"), "--max-calls", "100",
		"-o", out("budgeted"), "--summary", sum("budgeted"), sample))
	parts := writeFiles(t,
		[2]string{"part1.csv", "externalId,name\nc-1,Ann\nc-2,Bob\nc-1,Ann again\n"},
		[2]string{"part2.csv", "externalId,name\nc-3,Cy\nc-2,Bob twice\n,no id\n"})
	summaryOf("several-files", exitFindings, run(t, "", append([]string{"validate", "--sandbox", "-q",
		"-o", out("several-files"), "--summary", sum("several-files")}, parts...)...))
	summaryOf("owners", exitFindings, run(t, "", "validate", "--sandbox", "--sandbox-taken", ownersFile, "-q",
		"--owners", "--unique-columns", "email,phone", "--near-duplicates",
		"-o", out("owners"), "--summary", sum("owners"), contactsCSV))
	summaryOf("plan", 0, run(t, "", "plan", "--summary", sum("plan"), sample))
	summaryOf("plan-budget", 0, run(t, "", "plan", "--deadline", "10s", "--state", filepath.Join(dir, "crm.state"),
		"--summary", sum("plan-budget"), sample))
	summaryOf("sample", 0, run(t, "", "plan", "--sandbox", "--sandbox-taken", taken,
		"--sample", "50", "--seed", "7", "--summary", sum("sample"), sample))

	// Interrupted: the sandbox cancels the run's context, as SIGINT does,
	// once 100 requests are answered.
	text, _, takenIDs := genCSV(2000, 2000)
	in := filepath.Join(dir, "big.csv")
	if err := os.WriteFile(in, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	srv := httptest.NewServer(cancelAfter(sandbox.New(sandbox.Config{Tenant: testTenant, APIKey: testKey, Taken: takenIDs}), 100, cancel))
	t.Cleanup(srv.Close)
	key := filepath.Join(dir, "key")
	if err := os.WriteFile(key, []byte(testKey), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Run(ctx, []string{"validate", "--base-url", srv.URL, "--tenant", testTenant, "--api-key-file", key, "-q",
		"--rate", "0", "--concurrency", "4", "-o", out("interrupted"), "--summary", sum("interrupted"), in},
		testEnv(strings.NewReader(""), &stdout, &stderr))
	summaryOf("interrupted", exitInterrupted, result{code, stdout.String(), stderr.String()})

	// Stopped: a tenant whose quota is spent asks to wait a day (exit 75).
	e := newEndpoint(t, sandbox.Config{FailRate: 1, Faults: []sandbox.Fault{sandbox.Fault429}, RetryAfter: 24 * time.Hour})
	summaryOf("stopped", exitPaused, run(t, "externalId\ncrm-1\ncrm-2\n", e.args("--rate", "0", "--max-pause", "1m",
		"-o", out("stopped"), "--summary", sum("stopped"), "-")...))
	return sums
}

// TestSummarySchema validates the summaries of real runs (plain, budgeted,
// several files, owners, plan, plan's sample, interrupted, stopped) against
// docs/summary.schema.json, whose objects admit no key they do not name:
// a key added to the summary and not to the schema fails here. Then it
// shows that the test can fail: the schema without one key rejects every
// summary, and a summary with an unknown key is rejected.
func TestSummarySchema(t *testing.T) {
	t.Parallel()
	sums := schemaRuns(t)
	sch := compileSchema(t, schemaDoc(t))
	instances := map[string]map[string]any{}
	for name, b := range sums {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: the summary is not JSON: %v", name, err)
		}
		instances[name] = inst.(map[string]any)
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: the summary does not follow docs/summary.schema.json: %v\n%s", name, err, b)
		}
		if v := instances[name]["schema_version"]; v != json.Number("1") || report.SchemaVersion != 1 {
			t.Errorf("%s: schema_version %v, want 1", name, v)
		}
	}

	// The runs are of the kinds they claim to be, so that the schema is
	// tried on each optional part.
	has := func(name string, keys ...string) {
		t.Helper()
		v := any(instances[name])
		for _, k := range keys {
			v = v.(map[string]any)[k]
		}
		if v == nil {
			t.Errorf("%s: the summary has no %s", name, strings.Join(keys, "."))
		}
	}
	has("budgeted", "oldest_answer")
	has("several-files", "files")
	has("owners", "owners")
	has("owners", "unique_collisions")
	has("owners", "near_duplicates")
	has("plan", "near_duplicates")
	has("plan", "estimated_seconds")
	has("plan-budget", "this_run")
	has("plan-budget", "runs_to_cover")
	has("sample", "sample")
	has("stopped", "stopped")
	has("stopped", "resume_after")
	if instances["interrupted"]["interrupted"] != true {
		t.Errorf("interrupted: the summary says interrupted %v", instances["interrupted"]["interrupted"])
	}
	if instances["budgeted"]["verdicts"].(map[string]any)["unchecked"] == json.Number("0") {
		t.Error("budgeted: no unchecked rows; the budget did not bind")
	}

	t.Run("a key the schema lacks fails", func(t *testing.T) {
		for _, c := range []struct{ def, key, run string }{
			{"validate", "api_calls", "plain"},
			{"validate", "interrupted", "interrupted"},
			{"plan", "calls_needed", "plan"},
			{"plan", "sample", "sample"},
			{"input", "sha256", "plain"},
		} {
			doc := schemaDoc(t)
			def := doc["$defs"].(map[string]any)[c.def].(map[string]any)
			delete(def["properties"].(map[string]any), c.key)
			if req, ok := def["required"].([]any); ok {
				kept := req[:0]
				for _, r := range req {
					if r != c.key {
						kept = append(kept, r)
					}
				}
				def["required"] = kept
			}
			if err := compileSchema(t, doc).Validate(any(instances[c.run])); err == nil {
				t.Errorf("the schema without %s.%s accepts the %s summary", c.def, c.key, c.run)
			}
		}
	})
	t.Run("an unknown key fails", func(t *testing.T) {
		for name, inst := range instances {
			inst["added_without_the_schema"] = json.Number("1")
			err := sch.Validate(any(inst))
			delete(inst, "added_without_the_schema")
			if err == nil {
				t.Errorf("%s: a summary with a key the schema does not name passes", name)
			}
		}
	})
	t.Run("a missing key fails", func(t *testing.T) {
		inst := instances["plain"]
		v := inst["exit_code"]
		delete(inst, "exit_code")
		defer func() { inst["exit_code"] = v }()
		if err := sch.Validate(any(inst)); err == nil {
			t.Error("a summary without exit_code passes")
		}
	})
}
