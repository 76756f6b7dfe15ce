package pipeline

import (
	"context"
	"io"
	"sync"
	"testing"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/near"
	"github.com/azotte/azvalidate/internal/spill"
	"github.com/azotte/azvalidate/internal/verdict"
)

// idRows is a Source over given ids, "" being an invalid row.
type idRows struct {
	ids  []string
	next int
}

func (r *idRows) Next() (input.Row, error) {
	if r.next == len(r.ids) {
		return input.Row{}, io.EOF
	}
	r.next++
	row := input.Row{Seq: int64(r.next), ID: r.ids[r.next-1]}
	if row.ID == "" {
		row.Invalid = "empty id"
	}
	return row, nil
}

// available answers every id at once, counting the calls per id.
type available struct {
	mu    sync.Mutex
	calls map[string]int
}

func (a *available) Validate(_ context.Context, id string) (azotte.Answer, error) {
	a.mu.Lock()
	a.calls[id]++
	a.mu.Unlock()
	return azotte.Answer{IsAvailable: true, MessageCode: "SUCCESS"}, nil
}

// TestRunNear: with Config.Near, exactly the rows whose id joined a
// near-collision group carry its first row and the kind, duplicates of such
// an id included; the verdicts and calls are those of a run without it.
func TestRunNear(t *testing.T) {
	t.Parallel()
	ids := []string{
		"crm-1",       // 1
		"CRM-1",       // 2  near 1, case
		"crm-2",       // 3
		"",            // 4  invalid
		"CRM-1",       // 5  duplicate of 2: near 1, case
		"crm-2 ",      // 6  near 3, space
		"crm-1",       // 7  duplicate of 1: the group's first id, not marked
		"ｃｒｍ-2",       // 8  near 3, unicode
		"crm\u200b-9", // 9
		"crm-9",       // 10 near 9, zero-width
		"CRM-9 ",      // 11 near 9, mixed
	}
	wantTo := []int64{0, 1, 0, 0, 1, 3, 0, 3, 0, 9, 9}
	wantKind := []string{"", near.Case, "", "", near.Case, near.Space, "", near.Unicode, "", near.ZeroWidth, near.Mixed}
	wantVerdict := []verdict.Verdict{
		verdict.Available, verdict.Available, verdict.Available, verdict.Invalid, verdict.Duplicate, verdict.Available,
		verdict.Duplicate, verdict.Available, verdict.Available, verdict.Available, verdict.Available,
	}

	for _, on := range []bool{true, false} {
		var sink collect
		v := &available{calls: map[string]int{}}
		cfg := Config{Concurrency: 4}
		if on {
			cfg.Near = near.NewDetector(spill.Memory{})
		}
		if err := Run(context.Background(), cfg, &idRows{ids: ids}, v, &sink); err != nil {
			t.Fatal(err)
		}
		if len(sink.recs) != len(ids) {
			t.Fatalf("near %v: %d records for %d rows", on, len(sink.recs), len(ids))
		}
		for i, rec := range sink.recs {
			to, kind := wantTo[i], wantKind[i]
			if !on {
				to, kind = 0, ""
			}
			if rec.SimilarTo != to || rec.SimilarKind != kind || rec.Verdict != wantVerdict[i] {
				t.Errorf("near %v, row %d %q: similarTo %d %q, verdict %v; want %d %q, %v",
					on, i+1, ids[i], rec.SimilarTo, rec.SimilarKind, rec.Verdict, to, kind, wantVerdict[i])
			}
		}
		if len(v.calls) != 8 {
			t.Errorf("near %v: %d ids asked, want 8", on, len(v.calls))
		}
	}
}
