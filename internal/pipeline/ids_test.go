package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/spill"
)

// TestIDSetAgainstMap drives the set and a plain map through the same
// lookups and retires and checks they agree, across table growth, arena
// chunks and reuse of in-flight places.
func TestIDSetAgainstMap(t *testing.T) {
	t.Parallel()
	type state struct {
		first   int64
		c       *call
		retired bool
		ans     azotte.Answer
	}
	answers := []azotte.Answer{
		{IsAvailable: true, MessageCode: "SUCCESS", Status: []byte(`{"messageCode":"SUCCESS"}`)},
		{MessageCode: "SUCCESS", Status: []byte(`{"messageCode":"SUCCESS"}`)},
		{MessageCode: "SUCCESS", Status: []byte(`{"messageCode":"SUCCESS","x":1}`)},
		{Err: errors.New("HTTP 503 after 6 attempts")},
		{Err: errors.New("timeout after 15s (6 attempts)")},
	}
	s := newIDSet(spill.Memory{})
	want := map[string]*state{}
	var pending []string // ids in flight, retired in a shuffled order
	const distinct, rows = 50_000, 200_000
	for seq := int64(1); seq <= rows; seq++ {
		id := fmt.Sprintf("id-%d", (seq*7919)%distinct)
		if seq%3 == 0 {
			id = strings.Repeat("x", int(seq%5)) + id // ids of several lengths
		}
		first, c, ans, isNew := s.lookup(id, seq)
		w, seen := want[id]
		switch {
		case !seen:
			if !isNew || first != seq || c == nil || ans != -1 {
				t.Fatalf("row %d, new id %q: first %d, call %v, ans %d, isNew %v", seq, id, first, c, ans, isNew)
			}
			want[id] = &state{first: seq, c: c}
			pending = append(pending, id)
		case !w.retired:
			if isNew || first != w.first || c != w.c || ans != -1 {
				t.Fatalf("row %d, id %q in flight: first %d (want %d), same call %v, ans %d, isNew %v", seq, id, first, w.first, c == w.c, ans, isNew)
			}
		default:
			if isNew || first != w.first || c != nil || ans < 0 {
				t.Fatalf("row %d, retired id %q: first %d (want %d), call %v, ans %d, isNew %v", seq, id, first, w.first, c, ans, isNew)
			}
			if got := s.answer(ans); !equalAnswers(got, w.ans) {
				t.Fatalf("row %d, id %q: answer %+v, want %+v", seq, id, got, w.ans)
			}
		}
		// Retire some of the pending ids, not in the order they came.
		for len(pending) > 64 || (len(pending) > 0 && seq%7 == 0) {
			k := int(seq) % len(pending)
			id := pending[k]
			pending[k] = pending[len(pending)-1]
			pending = pending[:len(pending)-1]
			w := want[id]
			w.ans, w.retired = answers[len(id)%len(answers)], true
			s.retire(id, w.first, w.ans)
		}
	}
	if len(s.answers) != len(answers) {
		t.Errorf("%d answers interned, want %d", len(s.answers), len(answers))
	}
}

func equalAnswers(a, b azotte.Answer) bool {
	return a.IsAvailable == b.IsAvailable && a.MessageCode == b.MessageCode &&
		string(a.Status) == string(b.Status) && fmt.Sprint(a.Err) == fmt.Sprint(b.Err)
}

// TestIDSetLongIDAndBigSeq covers an id longer than the table's arena
// chunks (1 MiB) and a first seq beyond 32 bits. (That ids whose hashes
// collide stay apart is idtable's TestByIDCollisions.)
func TestIDSetLongIDAndBigSeq(t *testing.T) {
	t.Parallel()
	s := newIDSet(spill.Memory{})
	long := strings.Repeat("L", 3<<20+5)
	big := int64(math.MaxUint32) + 10
	cases := []struct {
		id  string
		seq int64
	}{
		{"before", 1},
		{long, 2},
		{"after", 3},
		{"big", big},
		{"edge", math.MaxUint32 - 1},
		{"edge2", math.MaxUint32},
	}
	for _, c := range cases {
		if _, _, _, isNew := s.lookup(c.id, c.seq); !isNew {
			t.Fatalf("%.10q not new", c.id)
		}
	}
	for _, c := range cases {
		first, _, _, isNew := s.lookup(c.id, c.seq+1)
		if isNew || first != c.seq {
			t.Errorf("%.10q: first %d, isNew %v; want %d", c.id, first, isNew, c.seq)
		}
		s.retire(c.id, first, azotte.Answer{IsAvailable: true})
		if first, c2, _, _ := s.lookup(c.id, c.seq+2); first != c.seq || c2 != nil {
			t.Errorf("%.10q after retire: first %d, call %v", c.id, first, c2)
		}
	}
	if _, _, _, isNew := s.lookup(long[:len(long)-1], 9); !isNew {
		t.Error("a prefix of the long id was found")
	}
}

// TestIDSetConcurrent has a reader and a writer use the set at once, as
// the dispatcher and the writer do; run with -race.
func TestIDSetConcurrent(t *testing.T) {
	t.Parallel()
	s := newIDSet(spill.Memory{})
	const n = 20_000
	type first struct {
		id  string
		seq int64
	}
	firsts := make(chan first, 128)
	var wg sync.WaitGroup
	wg.Go(func() {
		for f := range firsts {
			s.retire(f.id, f.seq, azotte.Answer{IsAvailable: true, MessageCode: "SUCCESS"})
		}
	})
	for seq := int64(1); seq <= 2*n; seq++ {
		id := fmt.Sprint(seq % n)
		if _, _, ans, isNew := s.lookup(id, seq); isNew {
			firsts <- first{id, seq}
		} else if ans >= 0 && !s.answer(ans).IsAvailable {
			t.Fatalf("row %d: wrong answer", seq)
		}
	}
	close(firsts)
	wg.Wait()
}

// TestAnswerKeyCoversAnswer fails when azotte.Answer gains a field that the
// interning key neither covers nor deliberately ignores: two answers that
// differ in a covered field must stay two (else rows would get another id's
// answer), two that differ in an ignored field must be one, and an interned
// answer holds the zero value of every ignored field. Each case runs with
// the answer among the first few (compared directly) and beyond them (found
// through the index).
func TestAnswerKeyCoversAnswer(t *testing.T) {
	t.Parallel()
	covered := []string{"IsAvailable", "MessageCode", "Status", "Err", "At"}
	ignored := []string{"Attempts"} // see answerKey

	base := azotte.Answer{MessageCode: "SUCCESS", Status: []byte(`{"messageCode":"SUCCESS"}`)}
	typ := reflect.TypeFor[azotte.Answer]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		isCovered, isIgnored := slices.Contains(covered, f.Name), slices.Contains(ignored, f.Name)
		if !isCovered && !isIgnored {
			t.Errorf("azotte.Answer.%s is new: cover it in answerKey (keyOf, sameAnswer) or ignore it there, and list it here", f.Name)
			continue
		}
		variant := base
		v := reflect.ValueOf(&variant).Elem().Field(i)
		switch {
		case f.Type.Kind() == reflect.Bool:
			v.SetBool(!v.Bool())
		case f.Type.Kind() == reflect.String:
			v.SetString(v.String() + "x")
		case f.Type.Kind() == reflect.Int:
			v.SetInt(v.Int() + 3)
		case f.Type == reflect.TypeFor[json.RawMessage]():
			v.SetBytes([]byte(`{"messageCode":"SUCCESS","x":1}`))
		case f.Type == reflect.TypeFor[time.Time]():
			v.Set(reflect.ValueOf(time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC)))
		case f.Type == reflect.TypeFor[error]():
			v.Set(reflect.ValueOf(errors.New("HTTP 503 after 6 attempts")))
		default:
			t.Errorf("azotte.Answer.%s: this test cannot vary a %s yet", f.Name, f.Type)
			continue
		}
		for _, fill := range []int{0, recent} {
			s := newIDSet(spill.Memory{})
			for k := range fill {
				s.intern(azotte.Answer{MessageCode: fmt.Sprint("FILL-", k)})
			}
			b, a := s.intern(variant), s.intern(base) // the variant first: its ignored fields would stay
			switch {
			case isCovered && a == b:
				t.Errorf("%s (after %d answers): answers that differ in it share index %d", f.Name, fill, a)
			case isCovered && !reflect.DeepEqual(reflect.ValueOf(s.answer(b)).Field(i).Interface(), v.Interface()):
				t.Errorf("%s (after %d answers): interned %v, want %v", f.Name, fill, reflect.ValueOf(s.answer(b)).Field(i), v)
			case isIgnored && a != b:
				t.Errorf("%s (after %d answers): ignored, but answers that differ in it got %d and %d", f.Name, fill, a, b)
			case isIgnored && !reflect.ValueOf(s.answer(b)).Field(i).IsZero():
				t.Errorf("%s (after %d answers): ignored, but the interned answer holds %v", f.Name, fill, reflect.ValueOf(s.answer(b)).Field(i))
			}
			if again := s.intern(variant); again != b {
				t.Errorf("%s (after %d answers): the same answer interned twice got %d and %d", f.Name, fill, b, again)
			}
		}
	}

	// An error with no text is an error still.
	s := newIDSet(spill.Memory{})
	if a, b := s.intern(azotte.Answer{}), s.intern(azotte.Answer{Err: errors.New("")}); a == b {
		t.Errorf("an answer with an empty error shares index %d with one without", a)
	}
}
