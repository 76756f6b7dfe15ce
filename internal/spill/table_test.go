package spill

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// tiny is a store whose tables spill every few thousand entries.
func tiny(t *testing.T) *Store {
	t.Helper()
	s := NewStore(Config{Parent: t.TempDir(), Cache: 4 << 20})
	t.Cleanup(func() { s.Close() })
	return s
}

// TestTableAgreesWithMap adds, puts and gets random ids in a table that
// spills many times and in a map, and checks they agree on every answer.
func TestTableAgreesWithMap(t *testing.T) {
	s := tiny(t)
	tab := NewByID[[2]uint32](Memory{s, 64 << 10})
	want := map[string][2]uint32{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 60000 {
		id := fmt.Sprintf("crm-%d", rng.IntN(40000))
		v := [2]uint32{uint32(i), uint32(i * 7)}
		switch rng.IntN(3) {
		case 0, 1:
			got, added := tab.Add(id, v)
			w, had := want[id]
			if !had {
				want[id] = v
				w = v
			}
			if added == had || got != w {
				t.Fatalf("Add(%q) = %v, %v; want %v, %v", id, got, added, w, !had)
			}
		case 2:
			old, replaced := tab.Put(id, v)
			w, had := want[id]
			want[id] = v
			if replaced != had || (had && old != w) {
				t.Fatalf("Put(%q) = %v, %v; want %v, %v", id, old, replaced, w, had)
			}
		}
	}
	if !tab.Spilled() {
		t.Fatal("the table never spilled: the test tests nothing")
	}
	if s.files <= compactAfter {
		t.Fatalf("%d files written: too few for the table's files to be merged", s.files)
	}
	for id, w := range want {
		if got, ok := tab.Get(id); !ok || got != w {
			t.Fatalf("Get(%q) = %v, %v; want %v", id, got, ok, w)
		}
	}
	if _, ok := tab.Get("crm-none"); ok {
		t.Fatal("Get found an id never added")
	}
	var prev string
	n := 0
	if err := tab.Sorted(func(key []byte, v [2]uint32) bool {
		id := string(key)
		if id <= prev && n > 0 {
			t.Fatalf("Sorted: %q after %q", id, prev)
		}
		if want[id] != v {
			t.Fatalf("Sorted: %q = %v, want %v", id, v, want[id])
		}
		prev = id
		n++
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Fatalf("Sorted yielded %d ids, want %d", n, len(want))
	}
}

func TestHashTableSpills(t *testing.T) {
	s := tiny(t)
	tab := NewByHash[uint32](Memory{s, 64 << 10})
	for i := range 50000 {
		if _, added := tab.Add(uint64(i)*0x9e3779b97f4a7c15, uint32(i)); !added {
			t.Fatalf("key %d looked old", i)
		}
	}
	if !tab.Spilled() {
		t.Fatal("never spilled")
	}
	for i := range 50000 {
		if v, added := tab.Add(uint64(i)*0x9e3779b97f4a7c15, 0); added || v != uint32(i) {
			t.Fatalf("key %d: %v, %v", i, v, added)
		}
	}
	if tab.Len() != 50000 {
		t.Fatalf("Len = %d", tab.Len())
	}
}

func TestInMemoryNeverTouchesDisk(t *testing.T) {
	parent := t.TempDir()
	s := NewStore(Config{Parent: parent, Cache: 4 << 20})
	tab := NewByID[uint32](Memory{s, 64 << 20})
	for i := range 10000 {
		tab.Add(fmt.Sprint(i), uint32(i))
	}
	if tab.Spilled() || s.Dir() != "" {
		t.Fatal("a table within its share spilled")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Fatalf("left %v", ents)
	}
}

func TestCloseRemovesFolderAndStaleOnesGo(t *testing.T) {
	parent := t.TempDir()
	live := NewStore(Config{Parent: parent, Cache: 4 << 20})
	tab := NewByID[uint32](Memory{live, 16 << 10})
	for i := range 5000 {
		tab.Add(fmt.Sprint(i), uint32(i))
	}
	if live.Dir() == "" {
		t.Fatal("never spilled")
	}
	// A killed run's folder: its lock file is there, nobody holds it.
	dead := filepath.Join(parent, folderPrefix+"123")
	if err := os.MkdirAll(filepath.Join(dead, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dead, "lock"), nil, 0o600)
	removed := RemoveStale(parent)
	if len(removed) != 1 || removed[0] != dead {
		t.Fatalf("RemoveStale removed %v, want only %s (the live run's is locked)", removed, dead)
	}
	if _, err := os.Stat(live.Dir()); err != nil {
		t.Fatalf("the live store's folder went: %v", err)
	}
	dir := live.Dir()
	if err := live.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("Close left %s", dir)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Fatalf("left %v", ents)
	}
}

// TestFilterAtItsLimit fills a table whose filter may take only a few
// kilobytes, far fewer bits than its keys need: lookups of new keys go to
// the store more often, and every answer is still right.
func TestFilterAtItsLimit(t *testing.T) {
	s := tiny(t)
	tab := NewByID[uint32](Memory{s, 16 << 10})
	for i := range 20000 {
		if _, added := tab.Add(fmt.Sprint("id-", i), uint32(i)); !added {
			t.Fatalf("id-%d looked old", i)
		}
	}
	if got := len(tab.filter.blocks) * 64; got > 8<<10 {
		t.Fatalf("the filter holds %d bytes, more than half the share", got)
	}
	for i := range 20000 {
		if v, ok := tab.Get(fmt.Sprint("id-", i)); !ok || v != uint32(i) {
			t.Fatalf("id-%d: %v, %v", i, v, ok)
		}
		if _, ok := tab.Get(fmt.Sprint("other-", i)); ok {
			t.Fatalf("other-%d found", i)
		}
	}
}
