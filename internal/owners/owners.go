// Package owners tells, for validate --owners, who holds each taken id: it
// asks Azotte's info call once per distinct taken id and compares the
// customer's email with the export's, without keeping Azotte's email
// anywhere. *Asker plugs into the pipeline as its pipeline.Extra (and a
// budgeted run's asking pass as its pipeline.Prefetcher).
//
// Emails are compared trimmed and case-folded. In memory an info answer
// keeps only the SHA-256 of Azotte's email; the journal keeps whether it
// matched the row's email, and a salted SHA-256 of the row's email, so
// that a later run can tell whether the export's email changed.
package owners

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
	"sync"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/journal"
	"github.com/azotte/azvalidate/internal/output"
)

// Info asks Azotte who holds a taken id. A non-nil error is fatal for the
// run (or a *azotte.PauseError); a per-id failure is Owner.Err.
// *azotte.Client is one.
type Info interface {
	Info(ctx context.Context, id string) (azotte.Owner, error)
}

// Journal keeps owners across runs (--state with --owners).
// *journal.Journal is one.
type Journal interface {
	Owner(id string) (journal.OwnerEntry, bool)
	AppendOwner(id string, e journal.OwnerEntry) error
}

// Asker finds the owner of each taken id of a run. Safe for concurrent use.
type Asker struct {
	info    Info
	journal Journal                        // nil: none
	email   func(input.Row) (string, bool) // a row's email; nil: the export has none

	mu   sync.Mutex
	held map[string]held // asked ahead by Prefetch, for the writing pass
}

// New returns an Asker asking info, journalling in j (nil: no journal) and
// reading a row's email with email (nil: the export has no email column).
func New(info Info, j Journal, email func(input.Row) (string, bool)) *Asker {
	return &Asker{info: info, journal: j, email: email}
}

// held is an info answer as a run holds it in memory: Azotte's email is
// replaced by the SHA-256 of its normalised form, enough to compare.
type held struct {
	azotte.Owner
	digest [sha256.Size]byte // of normalise(Owner.Email); zero when Azotte gave none
}

// hold drops Azotte's email from o, keeping its digest.
func hold(o azotte.Owner) held {
	h := held{Owner: o}
	if e := normalise(o.Email); e != "" {
		h.digest = sha256.Sum256([]byte(e))
	}
	h.Email = ""
	return h
}

// Known returns the owner of id, taken, for its first row without a call:
// one asked ahead by Prefetch (journalled now, when the row's email is
// known), else a journalled one that still holds for the row's email. ok
// is false when neither is there: Fetch must ask.
func (a *Asker) Known(id string, first input.Row, _ azotte.Answer) (o *output.Owner, ok bool, err error) {
	a.mu.Lock()
	h, ahead := a.held[id]
	delete(a.held, id)
	a.mu.Unlock()
	email := a.rowEmail(first)
	if ahead {
		o, err := a.settle(id, h, email)
		return o, true, err
	}
	if a.journal == nil {
		return nil, false, nil
	}
	e, found := a.journal.Owner(id)
	if !found {
		return nil, false, nil
	}
	if o, ok := noted(e, email); ok {
		return &o, true, nil
	}
	return nil, false, nil // the export's email changed: ask again
}

// Fetch asks who holds id, taken, for its first row, and journals the
// answer.
func (a *Asker) Fetch(ctx context.Context, id string, first input.Row) (*output.Owner, error) {
	o, err := a.info.Info(ctx, id)
	if err != nil {
		return nil, err
	}
	return a.settle(id, hold(o), a.rowEmail(first))
}

// Prefetch asks who holds id now and keeps the answer for Known: a
// budgeted run asks before it reads the rows, and so the emails.
func (a *Asker) Prefetch(ctx context.Context, id string) error {
	o, err := a.info.Info(ctx, id)
	if err != nil {
		return err
	}
	a.keep(id, hold(o))
	return nil
}

// Unasked keeps, for Known, why the owner of id was not asked.
func (a *Asker) Unasked(id string, why error) { a.keep(id, held{Owner: azotte.Owner{Err: why}}) }

func (a *Asker) keep(id string, h held) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.held == nil {
		a.held = make(map[string]held)
	}
	a.held[id] = h
}

// rowEmail is the row's email, trimmed; "" when it has none.
func (a *Asker) rowEmail(row input.Row) string {
	if a.email == nil {
		return ""
	}
	e, _ := a.email(row)
	return strings.TrimSpace(e)
}

// settle makes the owner columns of h for a row with email and journals
// them.
func (a *Asker) settle(id string, h held, email string) (*output.Owner, error) {
	o, note := ownerOf(h, email)
	if note != nil && a.journal != nil {
		if err := a.journal.AppendOwner(id, *note); err != nil {
			return nil, fmt.Errorf("state journal: %w", err)
		}
	}
	return &o, nil
}

// normalise is how two emails are compared: trimmed and case-folded.
func normalise(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// salted is the SHA-256 of salt and the normalised email.
func salted(salt []byte, email string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(normalise(email)))
	return h.Sum(nil)
}

// ownerOf turns an info answer into the row's owner columns, for a row
// whose export email is email ("": none), and the note to journal (nil:
// nothing to journal).
func ownerOf(h held, email string) (output.Owner, *journal.OwnerEntry) {
	switch {
	case h.Err != nil:
		return output.Owner{Detail: "owner unknown: " + h.Err.Error()}, nil
	case !h.Found:
		return output.Owner{Gone: true, Detail: "no customer holds the id now (info: 404 " + azotte.MessageNotFound + "): freed since validate answered"},
			&journal.OwnerEntry{Time: h.At}
	}
	o := output.Owner{URN: h.URN, Status: h.Status}
	n := &journal.OwnerEntry{Found: true, URN: h.URN, Status: h.Status, Time: h.At}
	if email != "" {
		d := sha256.Sum256([]byte(normalise(email)))
		same := h.digest != [sha256.Size]byte{} && subtle.ConstantTimeCompare(d[:], h.digest[:]) == 1
		o.SameEmail = output.MatchOther
		if same {
			o.SameEmail = output.MatchSame
		}
		n.Salt = make([]byte, 16)
		_, _ = rand.Read(n.Salt) // never fails (crypto/rand)
		n.EmailHash, n.SameEmail = salted(n.Salt, email), same
	}
	return o, n
}

// noted returns the owner columns of a journalled note for a row with
// email, when the note still holds: it compared the same email (or the row
// has none and the note compared none).
func noted(n journal.OwnerEntry, email string) (output.Owner, bool) {
	if !n.Found {
		o, _ := ownerOf(held{}, "")
		return o, true
	}
	o := output.Owner{URN: n.URN, Status: n.Status}
	switch {
	case email == "" && n.EmailHash == nil:
	case email != "" && n.EmailHash != nil && subtle.ConstantTimeCompare(salted(n.Salt, email), n.EmailHash) == 1:
		o.SameEmail = output.MatchOther
		if n.SameEmail {
			o.SameEmail = output.MatchSame
		}
	default:
		return output.Owner{}, false
	}
	return o, true
}
