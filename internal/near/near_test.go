package near

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/azotte/azvalidate/internal/spill"
)

// add feeds ids to a new Detector as distinct ids on rows 1, 2, ... and
// returns what Add said for each.
func add(t *testing.T, ids ...string) (d *Detector, similarTo []int64, kind []string) {
	t.Helper()
	d = NewDetector(spill.Memory{})
	for i, id := range ids {
		s, k := d.Add(id, int64(i+1))
		similarTo, kind = append(similarTo, s), append(kind, k)
	}
	return d, similarTo, kind
}

func TestPairs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		first, then string
		kind        string // "" when not similar
	}{
		{"case", "CRM-1001", "crm-1001", Case},
		{"case reversed", "crm-1001", "CRM-1001", Case},
		{"case mixed letters", "Crm-1001", "cRM-1001", Case},
		{"case sharp s", "STRASSE-1", "straße-1", Case},
		{"case kelvin sign", "krm-1", "\u212Arm-1", Case},
		{"space trailing", "crm-1001", "crm-1001 ", Space},
		{"space leading", " crm-1001", "crm-1001", Space},
		{"space inner run", "crm 1001", "crm  1001", Space},
		{"space tab", "crm 1001", "crm\t1001", Space},
		{"space both padded", " crm-1001", "crm-1001\t", Space},
		{"unicode fullwidth", "crm-1001", "ｃｒｍ-1001", Unicode},
		{"unicode decomposed", "café-1", "cafe\u0301-1", Unicode},
		{"unicode circled digit", "crm-1", "crm-\u2460", Unicode},
		{"unicode roman numeral", "crm-IV", "crm-\u2163", Unicode},
		// Unicode's full case folding already splits the fi ligature.
		{"case ligature", "file-1", "\uFB01le-1", Case},
		{"unicode superscript", "crm-2", "crm-\u00B2", Unicode},
		{"zero-width space", "crm-1001", "crm\u200B-1001", ZeroWidth},
		{"zero-width joiner", "crm-1001\u200D", "crm-1001", ZeroWidth},
		{"zero-width non-joiner", "crm-\u200C1001", "crm-1001", ZeroWidth},
		{"word joiner", "crm-1001", "\u2060crm-1001", ZeroWidth},
		{"bom", "\uFEFFcrm-1001", "crm-1001", ZeroWidth},
		{"mixed case and space", "CRM-1001 ", "crm-1001", Mixed},
		{"mixed case and unicode", "CRM-1001", "ｃｒｍ-1001", Mixed},
		{"mixed zero-width and case", "crm\u200B-1001", "CRM-1001", Mixed},
		{"mixed zwj blocking composition", "e\u200D\u0301", "é", Mixed},
		// A first id that two normalisations change keeps their hashes aside.
		{"case, first id also padded", " CRM-1001", " crm-1001", Case},
		{"space, first id also upper-case", " CRM-1001", "CRM-1001", Space},
		{"space, first id also fullwidth", "ＣＲＭ-1001 ", "ＣＲＭ-1001", Space},
		{"unicode, first id also padded", "ＣＲＭ-1001 ", "CRM-1001 ", Unicode},
		{"space, ascii then not", "CRM-1001 ", "CRM-1001\u00A0", Space},
		// When several kinds alone make the ids equal, the first in
		// priority order is named.
		{"space before unicode: nbsp", "crm 1001", "crm\u00A01001", Space},
		{"space before unicode: ideographic space", "crm 1001", "crm\u30001001", Space},
		{"case before unicode: kelvin sign", "K-1", "\u212A-1", Case},
		{"different", "crm-1001", "crm-1002", ""},
		{"different letters", "crm-1001", "crn-1001", ""},
		{"prefix", "crm-1001", "crm-10011", ""},
		{"space is not removed", "crm 1001", "crm1001", ""},
		{"hyphen is not space", "crm-1001", "crm 1001", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, similarTo, kind := add(t, "other-1", tt.first, "other-2", tt.then)
			want := int64(0)
			if tt.kind != "" {
				want = 2
			}
			if similarTo[3] != want || kind[3] != tt.kind {
				t.Errorf("Add(%+q) after %+q = %d, %q; want %d, %q", tt.then, tt.first, similarTo[3], kind[3], want, tt.kind)
			}
			if similarTo[0]+similarTo[1]+similarTo[2] != 0 {
				t.Errorf("earlier ids reported similar: %v", similarTo[:3])
			}
		})
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	ids := []string{
		"crm-1001",              // 1: group A
		"crm-2002",              // 2: group B
		"CRM-1001",              // 3: A, case
		"crm-3003",              // 4: alone
		"crm-1001 ",             // 5: A, space
		"ｃｒｍ-1001",              // 6: A, unicode
		"crm\u200B-2002",        // 7: B, zero-width
		"crm\u200B-1001",        // 8: A, zero-width
		" CRM-1001",             // 9: A, mixed (space and case)
		"crm-4004", "CRM-4004 ", // 10, 11: group C, mixed
	}
	d, similarTo, kind := add(t, ids...)
	wantTo := []int64{0, 0, 1, 0, 1, 1, 2, 1, 1, 0, 10}
	wantKind := []string{"", "", Case, "", Space, Unicode, ZeroWidth, ZeroWidth, Mixed, "", Mixed}
	if !slices.Equal(similarTo, wantTo) || !slices.Equal(kind, wantKind) {
		t.Fatalf("similarTo %v kinds %q\nwant       %v kinds %q", similarTo, kind, wantTo, wantKind)
	}
	got := d.Stats()
	want := Stats{
		Groups:  3,
		Similar: 7,
		ByKind:  map[string]int64{ZeroWidth: 2, Space: 1, Case: 1, Unicode: 1, Mixed: 2},
		Largest: []Group{
			{FirstRow: 1, Size: 6, Kinds: []string{ZeroWidth, Space, Case, Unicode, Mixed}, Example: "CRM-1001"},
			{FirstRow: 2, Size: 2, Kinds: []string{ZeroWidth}, Example: "crm\u200B-2002"},
			{FirstRow: 10, Size: 2, Kinds: []string{Mixed}, Example: "CRM-4004 "},
		},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Stats() =\n%+v\nwant\n%+v", got, want)
	}
}

// TestDeterministic: the hash seed is random per Detector; what Add says
// must not depend on it.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	var ids []string
	forms := []string{"crm-%d", "CRM-%d", "crm-%d ", "ｃｒｍ-%d", "crm\u200B-%d", " Crm-%d", "crm- %d", "crm-%d\u00A0"}
	for i := range 2000 {
		ids = append(ids, fmt.Sprintf(forms[(i*7)%len(forms)], i%300))
	}
	ids = slices.Compact(ids) // distinct ids only: drop adjacent repeats...
	seen := map[string]bool{}
	ids = slices.DeleteFunc(ids, func(s string) bool { dup := seen[s]; seen[s] = true; return dup })
	_, to1, k1 := add(t, ids...)
	for range 5 {
		_, to2, k2 := add(t, ids...)
		if !slices.Equal(to1, to2) || !slices.Equal(k1, k2) {
			t.Fatal("two Detectors disagree on the same ids")
		}
	}
}

// TestManyIDs grows the table through many sizes: every id first alone,
// then its upper-case twin finds it, row for row.
func TestManyIDs(t *testing.T) {
	t.Parallel()
	const n = 200_000
	d := NewDetector(spill.Memory{})
	for i := range n {
		if to, k := d.Add(fmt.Sprintf("crm-%07d", i), int64(i+1)); to != 0 {
			t.Fatalf("id %d: similar to %d (%s)", i, to, k)
		}
	}
	for i := range n {
		to, k := d.Add(fmt.Sprintf("CRM-%07d", i), int64(n+i+1))
		if to != int64(i+1) || k != Case {
			t.Fatalf("CRM-%07d: similar to %d (%s), want %d (case)", i, to, k, i+1)
		}
	}
	if s := d.Stats(); s.Groups != n || s.Similar != n || len(s.Largest) != maxLargest || s.Largest[0].FirstRow != 1 {
		t.Errorf("Stats: %d groups, %d similar, largest %+v", s.Groups, s.Similar, s.Largest[:1])
	}
}

func TestRowsBeyond32Bits(t *testing.T) {
	t.Parallel()
	d := NewDetector(spill.Memory{})
	big := int64(math.MaxUint32) + 5
	d.Add("crm-1", big)
	d.Add("crm-2", math.MaxUint32)
	if to, k := d.Add("CRM-1", big+1); to != big || k != Case {
		t.Errorf("got %d %q, want %d case", to, k, big)
	}
	if to, _ := d.Add("CRM-2", big+2); to != math.MaxUint32 {
		t.Errorf("got %d, want %d", to, int64(math.MaxUint32))
	}
}

func TestExampleIsCut(t *testing.T) {
	t.Parallel()
	long := "crm-" + string(slices.Repeat([]rune("é"), 100))
	d, _, _ := add(t, long, long+" ")
	ex := d.Stats().Largest[0].Example
	if len(ex) > maxExample || len(ex) < maxExample-1 || ex != long[:len(ex)] {
		t.Errorf("example %q (%d bytes)", ex, len(ex))
	}
}

func TestCollapse(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                "",
		" ":               "",
		"a":               "a",
		"a b":             "a b",
		" a  b\t\n":       "a b",
		"a\u00A0\u3000b ": "a b",
		"\u2003":          "",
	} {
		if got := collapse(in); got != want {
			t.Errorf("collapse(%q) = %q, want %q", in, got, want)
		}
		if got := collapsed(in); got != (in == want) {
			t.Errorf("collapsed(%q) = %v", in, got)
		}
	}
}
