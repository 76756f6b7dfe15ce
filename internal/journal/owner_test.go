package journal

import (
	"bytes"
	"os"
	"testing"
	"time"
)

// TestOwnerLines: owner lines survive a reopen and a compaction, are not
// taken for answers or corrupt lines, and expire with --state-max-age.
func TestOwnerLines(t *testing.T) {
	path := statePath(t)
	j := mustOpen(t, path, time.Hour, t0)
	mustAppend(t, j, "crm-1", taken)
	mustAppend(t, j, "crm-2", taken)
	same := OwnerEntry{Found: true, URN: "cu.00.1", Status: "Active", Salt: []byte("0123456789abcdef"), EmailHash: bytes.Repeat([]byte{7}, 32), SameEmail: true, Time: t0}
	gone := OwnerEntry{Found: false, Time: t0}
	for id, e := range map[string]OwnerEntry{"crm-1": same, "crm-2": gone} {
		if err := j.AppendOwner(id, e); err != nil {
			t.Fatal(err)
		}
	}
	// Superseded: the last owner line of an id wins.
	if err := j.AppendOwner("crm-1", OwnerEntry{Found: true, URN: "cu.00.old", Time: t0.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := j.AppendOwner("crm-1", same); err != nil {
		t.Fatal(err)
	}
	mustClose(t, j)

	check := func(j *Journal) {
		t.Helper()
		if w := j.Warnings(); len(w) != 0 {
			t.Errorf("warnings: %v", w)
		}
		if j.Len() != 2 || j.Owners() != 2 {
			t.Errorf("Len %d, Owners %d, want 2 and 2", j.Len(), j.Owners())
		}
		got, ok := j.Owner("crm-1")
		if !ok || !got.Found || got.URN != "cu.00.1" || got.Status != "Active" || !got.SameEmail ||
			!bytes.Equal(got.Salt, same.Salt) || !bytes.Equal(got.EmailHash, same.EmailHash) || !got.Time.Equal(t0) {
			t.Errorf("Owner(crm-1) = %+v, %v; want %+v", got, ok, same)
		}
		if got, ok := j.Owner("crm-2"); !ok || got.Found || got.EmailHash != nil {
			t.Errorf("Owner(crm-2) = %+v, %v; want not found, no email", got, ok)
		}
		checkLookup(t, j, "crm-1", taken)
	}
	j = mustOpen(t, path, time.Hour, t0)
	check(j)
	mustClose(t, j)

	if _, _, err := Compact(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if n := bytes.Count(data, []byte(`{"owner":`)); n != 2 {
		t.Errorf("compacted file has %d owner lines, want 2:\n%s", n, data)
	}
	j = mustOpen(t, path, time.Hour, t0)
	check(j)
	mustClose(t, j)

	j = mustOpen(t, path, time.Hour, t0.Add(2*time.Hour))
	if _, ok := j.Owner("crm-1"); ok {
		t.Error("an owner older than maxAge is still fresh")
	}
	mustClose(t, j)
}
