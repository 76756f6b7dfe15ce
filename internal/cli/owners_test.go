package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/sandbox"
)

const (
	contactsCSV = "../../testdata/customers-contacts.csv"
	ownersFile  = "../../testdata/taken-owners.txt"
)

// ownersFixture is the sample export with contacts and Azotte's holders
// of its taken ids, as the sandbox serves them.
type ownersFixture struct {
	taken  map[string]bool
	emails map[string]string // Azotte's email for each taken id
	rows   [][]string        // the export, header first
}

func loadOwners(t *testing.T) ownersFixture {
	t.Helper()
	f, err := os.Open(ownersFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	taken, emails, err := sandbox.ReadTaken(f)
	if err != nil {
		t.Fatal(err)
	}
	return ownersFixture{taken: taken, emails: emails, rows: readCSV(t, string(must(t, contactsCSV)))}
}

// wantSame tells, independently of the code under test, whether the
// export's email is Azotte's up to case and surrounding spaces.
func wantSame(export, azotte string) bool {
	return strings.EqualFold(strings.TrimSpace(export), strings.TrimSpace(azotte))
}

// checkOwnerColumns checks every output row's owner columns against fx.
// It returns Azotte's emails that are not the export's (another customer's).
func checkOwnerColumns(t *testing.T, fx ownersFixture, out [][]string) (others []string) {
	t.Helper()
	h := out[0]
	col := func(name string) int {
		i := slices.Index(h, name)
		if i < 0 || h[i] != name {
			t.Fatalf("no column %q in %v", name, h)
		}
		return i
	}
	id, email, v := col("externalId"), col("email"), col("verdict")
	urn, status, same := col("ownerUrn"), col("ownerStatus"), col("sameEmail")
	if len(out) != len(fx.rows) {
		t.Fatalf("%d output rows, want %d", len(out), len(fx.rows))
	}
	seen := map[string]bool{}
	for i, r := range out[1:] {
		x := r[id]
		if fx.taken[x] && !seen[x] {
			seen[x] = true
			s := wantSame(r[email], fx.emails[x])
			if r[v] != "taken" || r[urn] != sandbox.OwnerURN(x) || r[status] != "Active" || r[same] != strconv.FormatBool(s) {
				t.Errorf("row %d (%s): verdict %s, ownerUrn %q, ownerStatus %q, sameEmail %q; want taken, %s, Active, %v",
					i+1, x, r[v], r[urn], r[status], r[same], sandbox.OwnerURN(x), s)
			}
			if !s {
				others = append(others, fx.emails[x])
			}
			continue
		}
		if r[urn] != "" || r[status] != "" || r[same] != "" {
			t.Errorf("row %d (%s, %s): owner columns %q %q %q, want none", i+1, x, r[v], r[urn], r[status], r[same])
		}
	}
	return others
}

// TestOwners: --owners on an export with 20 distinct taken ids (10 whose
// email is Azotte's up to case and spaces, 10 another customer's) and a
// duplicate row: exactly one info call per taken id, the right owner
// columns on every row, the counts in the summary, and another customer's
// email in no file the run wrote, the journal included. A re-run with the
// same --state asks nothing again; one changed export email asks that id's
// owner again.
func TestOwners(t *testing.T) {
	t.Parallel()
	fx := loadOwners(t)
	e := newEndpoint(t, sandbox.Config{Taken: fx.taken, Emails: fx.emails})
	dir := t.TempDir()
	out, state, sum := filepath.Join(dir, "out.csv"), filepath.Join(dir, "state.ndjson"), filepath.Join(dir, "run.json")
	args := e.args("--owners", "--rate", "0", "--state", state, "-o", out, "--summary", sum,
		"--report", filepath.Join(dir, "audit.html"), "--report", filepath.Join(dir, "audit.md"),
		"--split", filepath.Join(dir, "split"), "--metrics-file", filepath.Join(dir, "m.prom"))
	res := run(t, "", append(args, contactsCSV)...)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
	}
	var takenIDs []string
	for id := range fx.taken {
		if strings.HasPrefix(id, "crm-50") {
			takenIDs = append(takenIDs, id)
		}
	}
	if len(takenIDs) != 20 {
		t.Fatalf("fixture: %d taken ids in the export, want 20", len(takenIDs))
	}
	if n := e.InfoTotal(); n != 20 {
		t.Errorf("%d info calls, want 20", n)
	}
	for _, id := range takenIDs {
		if n := e.InfoCalls(id); n != 1 {
			t.Errorf("%s: %d info calls, want 1", id, n)
		}
	}
	others := checkOwnerColumns(t, fx, readCSV(t, string(must(t, out))))
	if len(others) != 10 {
		t.Errorf("%d rows held by another customer, want 10", len(others))
	}
	var s struct {
		APICalls int64              `json:"api_calls"`
		Owners   report.OwnerCounts `json:"owners"`
	}
	readJSON(t, sum, &s)
	if s.Owners != (report.OwnerCounts{SameCustomer: 10, OtherCustomer: 10}) || s.APICalls != 60 {
		t.Errorf("summary: owners %+v, api_calls %d; want 10 same, 10 other, 60 calls (40 ids, 20 owners)", s.Owners, s.APICalls)
	}
	if md := string(must(t, filepath.Join(dir, "audit.md"))); !strings.Contains(md, "10 same customer · 10 another customer") {
		t.Errorf("the report does not count the owners:\n%s", md)
	}
	checkNowhere(t, dir, others)

	// Resumed: every answer and owner comes from the journal.
	out2 := filepath.Join(dir, "out2.csv")
	res = run(t, "", append(e.args("--owners", "--rate", "0", "--state", state, "-o", out2), contactsCSV)...)
	if res.code != 1 || e.InfoTotal() != 20 || e.Calls("crm-5001") != 1 {
		t.Errorf("re-run: exit %d, %d info calls, crm-5001 validated %d times; want 1, 20, 1\n%s", res.code, e.InfoTotal(), e.Calls("crm-5001"), res.stderr)
	}
	if !bytes.Equal(must(t, out), must(t, out2)) {
		t.Error("the resumed run's output differs from the first run's")
	}

	// One export email changed: the journal's comparison no longer holds
	// for that id alone.
	changed := filepath.Join(dir, "changed.csv")
	data := strings.Replace(string(must(t, contactsCSV)), "kai.moreau@example.com", "kai@moreau.example", 1)
	if err := os.WriteFile(changed, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	out3 := filepath.Join(dir, "out3.csv")
	run(t, "", append(e.args("--owners", "--rate", "0", "--state", state, "-o", out3), changed)...)
	if e.InfoTotal() != 21 || e.InfoCalls("crm-5011") != 2 {
		t.Errorf("changed email: %d info calls (crm-5011: %d), want 21 (2)", e.InfoTotal(), e.InfoCalls("crm-5011"))
	}
	fx.rows = readCSV(t, data)
	checkOwnerColumns(t, fx, readCSV(t, string(must(t, out3))))
	checkNowhere(t, dir, others)
}

// checkNowhere fails when any file under dir holds one of secrets.
func checkNowhere(t *testing.T, dir string, secrets []string) {
	t.Helper()
	files := 0
	err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		files++
		data := bytes.ToLower(must(t, path))
		for _, s := range secrets {
			if bytes.Contains(data, []byte(strings.ToLower(s))) {
				t.Errorf("%s holds Azotte's email of another customer %q", path, s)
			}
		}
		return nil
	})
	if err != nil || files < 5 {
		t.Fatalf("walked %d files: %v", files, err)
	}
}

// TestOwnersNotFound: an id the journal holds as taken that nobody holds
// any more (Azotte frees it between the runs) gets CUSTOMER_NOT_FOUND in
// detail and no owner columns, and counts as not found.
func TestOwnersNotFound(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	takenFile, none := filepath.Join(dir, "taken.txt"), filepath.Join(dir, "none.txt")
	if err := os.WriteFile(takenFile, []byte("crm-5001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(none, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	state, sum := filepath.Join(dir, "state.ndjson"), filepath.Join(dir, "run.json")
	run(t, "", "validate", "--sandbox", "--sandbox-taken", takenFile, "--state", state, "-q", "-o", filepath.Join(dir, "a.csv"), contactsCSV)
	out := filepath.Join(dir, "b.csv")
	res := run(t, "", "validate", "--sandbox", "--sandbox-taken", none, "--state", state, "--owners", "-q", "-o", out, "--summary", sum, contactsCSV)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
	}
	rows := readCSV(t, string(must(t, out)))
	h := rows[0]
	r := rows[1]
	if r[slices.Index(h, "verdict")] != "taken" || !strings.Contains(r[slices.Index(h, "detail")], "CUSTOMER_NOT_FOUND") || r[slices.Index(h, "ownerUrn")] != "" {
		t.Errorf("row 1: %v, want taken, detail naming CUSTOMER_NOT_FOUND, no ownerUrn", r)
	}
	var s struct {
		Owners report.OwnerCounts `json:"owners"`
	}
	readJSON(t, sum, &s)
	if s.Owners != (report.OwnerCounts{NotFound: 1}) {
		t.Errorf("owners %+v, want 1 not found", s.Owners)
	}
}

// TestOwnersBudget: with --max-calls the info calls spend the budget too.
// One worker asks in input order, where the first 20 ids are taken: 10
// calls are 5 validate and 5 info calls.
func TestOwnersBudget(t *testing.T) {
	t.Parallel()
	fx := loadOwners(t)
	e := newEndpoint(t, sandbox.Config{Taken: fx.taken, Emails: fx.emails})
	dir := t.TempDir()
	out, sum := filepath.Join(dir, "out.csv"), filepath.Join(dir, "run.json")
	res := run(t, "", append(e.args("--owners", "--rate", "0", "--max-calls", "10", "--concurrency", "1", "-o", out, "--summary", sum), contactsCSV)...)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
	}
	var s struct {
		APICalls int64              `json:"api_calls"`
		Verdicts map[string]int64   `json:"verdicts"`
		Owners   report.OwnerCounts `json:"owners"`
	}
	readJSON(t, sum, &s)
	if s.APICalls != 10 || e.InfoTotal() != 5 || s.Verdicts["taken"] != 5 || s.Owners.SameCustomer != 5 {
		t.Errorf("api_calls %d, info calls %d, taken %d, owners %+v; want 10 (the budget), 5, 5, 5 same", s.APICalls, e.InfoTotal(), s.Verdicts["taken"], s.Owners)
	}
	rows := readCSV(t, string(must(t, out)))
	if u := rows[5][slices.Index(rows[0], "ownerUrn")]; u != sandbox.OwnerURN("crm-5005") {
		t.Errorf("row 5 ownerUrn %q, want %s", u, sandbox.OwnerURN("crm-5005"))
	}
}

// TestOwnersNDJSON: the email field is found in any case in NDJSON.
func TestOwnersNDJSON(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"a": true, "b": true}, Emails: map[string]string{"a": "x@example.com", "b": "y@example.com"}})
	in := `{"externalId":"a","EMail":" X@Example.com"}` + "\n" + `{"externalId":"b","EMail":"z@example.com"}` + "\n" + `{"externalId":"c"}` + "\n"
	res := run(t, in, append(e.args("--owners", "--format", "ndjson"), "-")...)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"sameEmail":true`) || !strings.Contains(lines[1], `"sameEmail":false`) ||
		strings.Contains(lines[2], "owner") || strings.Contains(res.stdout, "y@example.com") {
		t.Errorf("output:\n%s\n%s", res.stdout, res.stderr)
	}
}

// TestOwnersFlags: mistakes are usage errors before any call.
func TestOwnersFlags(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--email-column", "mail"}, "--email-column needs --owners"},
		{[]string{"--owners", "--path", "/api/v1/c2a/customer/check"}, `ending in "validate"`},
		{[]string{"--owners", "--email-column", "mail"}, `no column "mail"`},
	} {
		res := run(t, "", append(e.args(tc.args...), contactsCSV)...)
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
	if e.Requests()+e.InfoRequests() != 0 {
		t.Errorf("%d requests made by refused command lines", e.Requests()+e.InfoRequests())
	}
}

// BenchmarkOwnersPacing runs validate --owners --rate 200 on 1,000 ids,
// half of them taken, so that 1,500 requests (validate and info) share the
// one pacer: achieved/configured is all requests per second over the rate
// (target about 1), max-1s-received the most requests the sandbox saw in
// any second (target <= rate + burst = 208).
//
//	go test -run='^$' -bench='^BenchmarkOwnersPacing$' -benchtime=1x ./internal/cli
func BenchmarkOwnersPacing(b *testing.B) {
	const rate, burst, n = 200, 8, 1000
	var csv strings.Builder
	csv.WriteString("externalId,email\n")
	taken := map[string]bool{}
	for i := range n {
		id := "crm-" + strconv.Itoa(100000+i)
		if i%2 == 0 {
			taken[id] = true
		}
		csv.WriteString(id + ",p" + strconv.Itoa(i) + "@example.com\n")
	}
	input := filepath.Join(b.TempDir(), "in.csv")
	if err := os.WriteFile(input, []byte(csv.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var arrived []time.Time
	sb := sandbox.New(sandbox.Config{Tenant: testTenant, APIKey: testKey, Taken: taken})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived = append(arrived, time.Now())
		mu.Unlock()
		sb.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	keyFile := filepath.Join(b.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(testKey), 0o600); err != nil {
		b.Fatal(err)
	}
	var elapsed time.Duration
	var requests, most int
	for b.Loop() {
		mu.Lock()
		arrived = arrived[:0]
		mu.Unlock()
		var out, errb bytes.Buffer
		start := time.Now()
		code := Run(b.Context(), []string{"validate", "--base-url", srv.URL, "--tenant", testTenant, "--api-key-file", keyFile,
			"--quiet", "--owners", "--rate", strconv.Itoa(rate), "--burst", strconv.Itoa(burst), input}, testEnv(nil, &out, &errb))
		elapsed += time.Since(start)
		if code != 1 {
			b.Fatalf("exit %d: %s", code, errb.String())
		}
		mu.Lock()
		requests += len(arrived)
		most = max(most, mostWithin(arrived, time.Second))
		mu.Unlock()
	}
	if want := (n + n/2) * b.N; requests != want { // ids, owners of the taken half
		b.Fatalf("%d requests, want %d", requests, want)
	}
	achieved := float64(requests) / elapsed.Seconds()
	b.ReportMetric(achieved, "requests/s")
	b.ReportMetric(achieved/rate, "achieved/configured")
	b.ReportMetric(float64(most), "max-1s-received")
	b.ReportMetric(0, "ns/op")
}

// mostWithin is the most of times, in order, within any window of d.
func mostWithin(times []time.Time, d time.Duration) int {
	most, j := 0, 0
	for i := range times {
		for times[i].Sub(times[j]) >= d {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}
