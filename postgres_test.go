//go:build unix

package main

// The PostgreSQL recipe of docs/inputs-outputs.md, run as it is written: psql, the binary and
// psql again in one shell pipeline, against a PostgreSQL server the test
// starts and a sandbox over loopback.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/sandbox/sandboxtest"
)

// requirePostgres names the environment variable that turns the test's skip
// (no PostgreSQL binaries here) into a failure; CI sets it.
const requirePostgres = "AZVALIDATE_TEST_POSTGRES"

// postgresBinDir returns the folder holding initdb, pg_ctl and psql: initdb's
// on PATH, else the newest of Debian's /usr/lib/postgresql/N/bin, which the
// postgresql package does not put on PATH; "" when there is none.
func postgresBinDir() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		if p, err = filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	best, bestVersion := "", -1
	for _, d := range dirs {
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(d))))
		if err == nil && v > bestVersion {
			best, bestVersion = filepath.Dir(d), v
		}
	}
	return best
}

// startPostgres starts a PostgreSQL server of its own, listening only on a
// Unix socket in a new temporary folder, and stops it when the test ends. It
// returns the server's folder of binaries and the libpq environment that
// reaches it (superuser azvalidate, trusted, database postgres).
//
// PostgreSQL refuses to run as root: as root, initdb and the server run as
// the user postgres (Debian's package creates it), else nobody, in a folder
// that user owns.
func startPostgres(t *testing.T) (bindir string, env []string) {
	t.Helper()
	bindir = postgresBinDir()
	if bindir == "" {
		if os.Getenv(requirePostgres) != "" {
			t.Fatalf("no PostgreSQL binaries (initdb on PATH or in /usr/lib/postgresql/*/bin), and %s is set", requirePostgres)
		}
		t.Skip("no PostgreSQL server can be started here: initdb is neither on PATH nor in /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql)")
	}
	// Not t.TempDir(): a socket's path must fit in 107 bytes, and as root
	// the folder must be reachable by the server's user.
	dir, err := os.MkdirTemp("", "azvpg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			u, err = user.Lookup("nobody")
		}
		if err != nil {
			t.Fatalf("running as root, and neither user postgres nor nobody exists to run PostgreSQL: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	data := filepath.Join(dir, "data")
	pg := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(bindir, name), args...)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := cmd.CombinedOutput(); err != nil {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("%s %s: %v\n%s\nserver log:\n%s", name, strings.Join(args, " "), err, out, log)
		}
	}
	pg("initdb", "-D", data, "-U", "azvalidate", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	// -w waits until the server accepts connections: no sleeping.
	pg("pg_ctl", "start", "-w", "-t", "120", "-D", data, "-l", filepath.Join(dir, "log"),
		"-o", fmt.Sprintf("-c listen_addresses='' -k %s -c fsync=off", dir))
	t.Cleanup(func() { pg("pg_ctl", "stop", "-w", "-m", "immediate", "-D", data) })

	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	env = append(env, "PGHOST="+dir, "PGPORT=5432", "PGUSER=azvalidate", "PGDATABASE=postgres")
	return bindir, env
}

// recipePage is where the PostgreSQL recipe is, and its section's heading.
const recipePage, recipeHeading = "docs/inputs-outputs.md", "## PostgreSQL in, PostgreSQL out"

// readmeRecipe returns the shell block of the PostgreSQL section of page.
func readmeRecipe(t *testing.T, page, heading string) string {
	t.Helper()
	text, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(text), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("%s has no section %q", page, heading)
	}
	section, _, _ = strings.Cut(section, "\n"+heading[:strings.Index(heading, " ")+1])
	_, block, ok := strings.Cut(section, "\n```sh\n")
	if !ok {
		t.Fatalf("%s's PostgreSQL section has no ```sh block", page)
	}
	block, _, ok = strings.Cut(block, "\n```\n")
	if !ok {
		t.Fatalf("%s's PostgreSQL block is never closed", page)
	}
	return block + "\n"
}

// TestPostgresRecipe runs docs/inputs-outputs.md's PostgreSQL commands on a table of 2,000
// customers (duplicates, NULL and empty ids, ids that need CSV quoting)
// and checks the table of verdicts they fill against the summary, against
// a count made here from the rows, and against what the sandbox was asked.
func TestPostgresRecipe(t *testing.T) {
	t.Parallel()
	recipe := readmeRecipe(t, recipePage, recipeHeading)
	bindir, env := startPostgres(t)

	const rows = 2000
	var table bytes.Buffer // customers as CSV: id, external_id, email
	w := csv.NewWriter(&table)
	ids := make([]*string, rows+1) // by row number; nil is NULL
	taken := map[string]bool{}
	for i := 1; i <= rows; i++ {
		id := fmt.Sprintf("pg-%05d", i)
		switch {
		case i%97 == 0:
			ids[i] = nil
		case i == 500:
			id = ""
			ids[i] = &id
		case i%40 == 0:
			ids[i] = ids[i-17] // a duplicate of row i-17
		case i == 777:
			id = `pg-"7,77"` // a quote and a comma, quoted by both sides
			ids[i] = &id
		case i == 999:
			id = "pg-café-999"
			ids[i] = &id
		default:
			ids[i] = &id
		}
		if i%7 == 0 && ids[i] != nil {
			taken[*ids[i]] = true
		}
		cell := `\N` // COPY's NULL in this CSV
		if ids[i] != nil {
			cell = *ids[i]
		}
		w.Write([]string{strconv.Itoa(i), cell, fmt.Sprintf("c%d@example.com", i)})
	}
	w.Flush()

	// What the verdicts must be, counted here from the rows.
	want := map[string]int{}
	firstRow := map[string]int{}
	for i := 1; i <= rows; i++ {
		switch id := ids[i]; {
		case id == nil || *id == "":
			want["invalid"]++
		case firstRow[*id] != 0:
			want["duplicate"]++
		case taken[*id]:
			firstRow[*id] = i
			want["taken"]++
		default:
			firstRow[*id] = i
			want["available"]++
		}
	}

	psql := func(stdin []byte, args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(bindir, "psql"), append([]string{"-X", "-v", "ON_ERROR_STOP=1", "-At"}, args...)...)
		cmd.Env = env
		cmd.Stdin = bytes.NewReader(stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("psql %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return string(out)
	}
	psql(nil, "-c", "CREATE TABLE customers (id bigint PRIMARY KEY, external_id text, email text)")
	psql(table.Bytes(), "-c", `\copy customers FROM STDIN WITH (FORMAT csv, NULL '\N')`)

	sb := sandbox.New(sandbox.Config{Tenant: tenant, APIKey: key, Taken: taken})
	rec := sandboxtest.Record(sb)
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)

	// The recipe as the page shows it, in bash, with the server's psql on
	// PATH and Azotte's settings in the environment. The azvalidate on PATH
	// is the binary with --rate 0 appended: at the default 8 calls a second,
	// Azotte's limit, which the sandbox does not need, 1,900 ids would take
	// four minutes.
	work := t.TempDir()
	wrapper := filepath.Join(t.TempDir(), "azvalidate")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec '"+bin+"' \"$@\" --rate 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	sh := exec.Command("bash", "-e", "-c", recipe)
	sh.Dir = work
	sh.Env = append(slices.Clone(env), "PATH="+filepath.Dir(wrapper)+":"+bindir+":"+os.Getenv("PATH"),
		"AZOTTE_BASE_URL="+srv.URL, "AZOTTE_TENANT="+tenant, "AZOTTE_API_KEY="+key)
	var stdout, stderr bytes.Buffer
	sh.Stdout, sh.Stderr = &stdout, &stderr
	if err := sh.Run(); err != nil {
		t.Fatalf("the recipe of %s: %v\nstdout:\n%s\nstderr:\n%s", recipePage, err, stdout.String(), stderr.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), key) {
		t.Error("the API key appears in the recipe's output")
	}

	var sum struct {
		Rows     int            `json:"rows"`
		Verdicts map[string]int `json:"verdicts"`
		APICalls int            `json:"api_calls"`
		ExitCode int            `json:"exit_code"`
	}
	b, err := os.ReadFile(filepath.Join(work, "run.json"))
	if err != nil {
		t.Fatalf("the recipe wrote no summary: %v\nstderr:\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Rows != rows || sum.ExitCode != 1 {
		t.Errorf("summary: %d rows, exit code %d; want %d rows, exit code 1 (findings)", sum.Rows, sum.ExitCode, rows)
	}

	// SELECT verdict, count(*) against the summary and the count made here.
	got := map[string]int{}
	for line := range strings.Lines(psql(nil, "-F", ",", "-c", "SELECT verdict, count(*) FROM checked GROUP BY verdict")) {
		v, n, _ := strings.Cut(strings.TrimSpace(line), ",")
		got[v], _ = strconv.Atoi(n)
	}
	t.Logf("SELECT verdict, count(*): %v; summary: %v", got, sum.Verdicts)
	for _, v := range []string{"available", "taken", "duplicate", "invalid", "error", "unchecked"} {
		if got[v] != sum.Verdicts[v] || got[v] != want[v] {
			t.Errorf("%s: %d rows in checked, %d in the summary, %d expected", v, got[v], sum.Verdicts[v], want[v])
		}
	}
	for v := range got {
		if _, ok := sum.Verdicts[v]; !ok {
			t.Errorf("checked holds %d rows of verdict %q, which the summary does not count", got[v], v)
		}
	}

	// Every row came back whole, typed, and attached to its customer.
	for _, c := range []struct{ what, query string }{
		{"rows in checked", "SELECT count(*) FROM checked"},
		{"rows matching their customer", `SELECT count(*) FROM checked k JOIN customers c USING (id)
			WHERE coalesce(k.external_id, '') = coalesce(c.external_id, '') AND k.email = c.email`},
		{"rows whose is_available fits the verdict", `SELECT count(*) FROM checked WHERE
			CASE verdict WHEN 'available' THEN is_available WHEN 'taken' THEN NOT is_available
			WHEN 'invalid' THEN is_available IS NULL AND detail <> '' ELSE is_available IS NOT NULL END`},
	} {
		if n := psql(nil, "-c", c.query); strings.TrimSpace(n) != strconv.Itoa(rows) {
			t.Errorf("%s: %s, want %d", c.what, strings.TrimSpace(n), rows)
		}
	}
	// ORDER BY id over ids 1..2000: a row's number is its id.
	dups := psql(nil, "-c", `SELECT count(*) FROM checked d JOIN checked f ON f.id = d.duplicate_of
		WHERE d.verdict = 'duplicate' AND f.external_id = d.external_id AND f.verdict <> 'duplicate'`)
	if strings.TrimSpace(dups) != strconv.Itoa(want["duplicate"]) {
		t.Errorf("duplicates pointing at their id's first row: %s, want %d", strings.TrimSpace(dups), want["duplicate"])
	}

	// One request per distinct id, each an id of the table.
	asked := rec.IDs()
	for _, id := range asked {
		if firstRow[id] == 0 {
			t.Errorf("a request asked about %q, an id of no row", id)
		} else if n := rec.Calls(id); n != 1 {
			t.Errorf("%q asked %d times", id, n)
		}
	}
	if len(asked) != len(firstRow) || sum.APICalls != len(firstRow) {
		t.Errorf("%d ids asked, summary says %d calls; want %d (the distinct ids)", len(asked), sum.APICalls, len(firstRow))
	}
}
