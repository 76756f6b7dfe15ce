package cli

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/azotte/azvalidate/internal/near"
	"github.com/azotte/azvalidate/internal/sandbox"
)

// TestValidateNearDuplicates: validate --near-duplicates marks exactly the
// rows whose id joined a near-collision group, with the group's first row
// and the kind, and the summary counts the groups; the verdicts and calls
// are those of a run without it, which has no such columns.
func TestValidateNearDuplicates(t *testing.T) {
	t.Parallel()
	e := newEndpoint(t, sandbox.Config{Taken: map[string]bool{"crm-2": true}})
	// planInput (plan_test.go): near-collisions of every kind, duplicates,
	// invalid rows.
	wantTo := []string{"", "", "", "", "1", "2", "", "7", "", "9", "9", "1", ""}
	wantKind := []string{"", "", "", "", near.Case, near.Space, "", near.Unicode, "", near.ZeroWidth, near.Mixed, near.Case, ""}

	var verdicts [2][]string
	for i, on := range []bool{false, true} {
		sum := filepath.Join(t.TempDir(), "run.json")
		// Not --quiet: the summary table is checked below.
		args := slices.DeleteFunc(e.args("--summary", sum, "-"), func(a string) bool { return a == "--quiet" })
		if on {
			args = append(args, "--near-duplicates")
		}
		r := run(t, planInput, args...)
		if r.code != 1 {
			t.Fatalf("near %v: exit %d, want 1\n%s", on, r.code, r.stderr)
		}
		recs := readCSV(t, r.stdout)
		header, rows := recs[0], recs[1:]
		if len(rows) != planRows {
			t.Fatalf("near %v: %d rows, want %d", on, len(rows), planRows)
		}
		col := slices.Index(header, "verdict")
		for _, row := range rows {
			verdicts[i] = append(verdicts[i], row[col])
		}
		var s planJSON // validate's summary shares the near_duplicates key
		readJSON(t, sum, &s)
		if !on {
			if slices.Contains(header, "similarTo") || strings.Contains(r.stdout, "similarKind") || s.Near != nil {
				t.Errorf("near-collision columns or summary without --near-duplicates:\n%s", r.stdout)
			}
			continue
		}
		if n := len(header); header[n-2] != "similarTo" || header[n-1] != "similarKind" {
			t.Fatalf("header %q", header)
		}
		for j, row := range rows {
			n := len(row)
			if row[n-2] != wantTo[j] || row[n-1] != wantKind[j] {
				t.Errorf("row %d %q: similarTo %q %q, want %q %q", j+1, row[0], row[n-2], row[n-1], wantTo[j], wantKind[j])
			}
		}
		if s.Near == nil || s.Near.Groups != 4 || s.Near.Similar != 5 {
			t.Errorf("summary near_duplicates %+v, want 4 groups, 5 similar ids", s.Near)
		}
		if !strings.Contains(r.stderr, "near-collisions") {
			t.Errorf("summary table lacks near-collisions:\n%s", r.stderr)
		}
	}
	if !slices.Equal(verdicts[0], verdicts[1]) {
		t.Errorf("verdicts differ: without %q, with %q", verdicts[0], verdicts[1])
	}
	if got := idRequests(t, e); got != 2*planDistinct {
		t.Errorf("%d requests, want %d (each distinct id once per run)", got, 2*planDistinct)
	}
}
