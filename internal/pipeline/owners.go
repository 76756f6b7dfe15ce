package pipeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/output"
)

// Owners asks Azotte who holds a taken id (validate --owners). A non-nil
// error is fatal for the run, as the Validator's; a per-id failure is
// Owner.Err. *azotte.Client is one.
type Owners interface {
	Info(ctx context.Context, id string) (azotte.Owner, error)
}

// OwnerJournal keeps the owners of taken ids across runs (--state with
// --owners). Owner returns a fresh one; AppendOwner returns once it would
// survive the process being killed. Both are called concurrently.
type OwnerJournal interface {
	Owner(id string) (OwnerNote, bool)
	AppendOwner(id string, n OwnerNote) error
}

// OwnerNote is what a journal keeps of an owner: never Azotte's email, only
// whether it matched the export's email, identified by a salted SHA-256 of
// it (Salt, EmailHash: nil when the row had no email).
type OwnerNote struct {
	Found       bool
	URN, Status string
	Salt        []byte
	EmailHash   []byte
	SameEmail   bool
	At          time.Time
}

// ownerAnswers are the owners a budgeted run's asking pass got (see Ask):
// *Asked, as Config.Offline.
type ownerAnswers interface {
	Owner(id string) (heldOwner, bool)
}

// heldOwner is an info answer as a run holds it in memory: Azotte's email
// is replaced by the SHA-256 of its normalised form, enough to compare.
type heldOwner struct {
	azotte.Owner
	digest [sha256.Size]byte // of normaliseEmail(Owner.Email); zero when Azotte gave none
}

// hold drops Azotte's email from o, keeping its digest.
func hold(o azotte.Owner) heldOwner {
	h := heldOwner{Owner: o}
	if e := normaliseEmail(o.Email); e != "" {
		h.digest = sha256.Sum256([]byte(e))
	}
	h.Email = ""
	return h
}

// normaliseEmail is how two emails are compared: trimmed and case-folded.
func normaliseEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// salted is the SHA-256 of salt and the normalised email.
func salted(salt []byte, email string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(normaliseEmail(email)))
	return h.Sum(nil)
}

// rowEmail is row's email, "" when it has none or Config.Email is unset.
func (r *run) rowEmail(row input.Row) string {
	if r.cfg.Email == nil {
		return ""
	}
	e, _ := r.cfg.Email(row)
	return strings.TrimSpace(e)
}

// ownerOf turns an info answer into the row's owner columns, for a row
// whose export email is email (""; none), and the note to journal (nil:
// nothing to journal).
func ownerOf(h heldOwner, email string) (output.Owner, *OwnerNote) {
	switch {
	case h.Err != nil:
		return output.Owner{Detail: "owner unknown: " + h.Err.Error()}, nil
	case !h.Found:
		return output.Owner{Gone: true, Detail: "no customer holds the id now (info: 404 " + azotte.MessageNotFound + "): freed since validate answered"},
			&OwnerNote{At: h.At}
	}
	o := output.Owner{URN: h.URN, Status: h.Status}
	n := &OwnerNote{Found: true, URN: h.URN, Status: h.Status, At: h.At}
	if email != "" {
		d := sha256.Sum256([]byte(normaliseEmail(email)))
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
func noted(n OwnerNote, email string) (output.Owner, bool) {
	if !n.Found {
		o, _ := ownerOf(heldOwner{Owner: azotte.Owner{}}, "")
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
		return output.Owner{}, false // the export's email changed: ask again
	}
	return o, true
}

// ownerFromJournal returns id's journalled owner when it holds for email.
func (r *run) ownerFromJournal(id, email string) (output.Owner, bool) {
	if r.cfg.OwnerJournal == nil {
		return output.Owner{}, false
	}
	n, ok := r.cfg.OwnerJournal.Owner(id)
	if !ok {
		return output.Owner{}, false
	}
	return noted(n, email)
}

// askOwner asks who holds id, taken, for the row whose email is email,
// and journals the answer.
func (r *run) askOwner(ctx context.Context, id, email string) (*output.Owner, error) {
	o, err := r.cfg.Owners.Info(ctx, id)
	if err != nil {
		return nil, err
	}
	return r.settleOwner(id, hold(o), email)
}

// settleOwner makes the owner columns of h for a row with email and
// journals them.
func (r *run) settleOwner(id string, h heldOwner, email string) (*output.Owner, error) {
	o, note := ownerOf(h, email)
	if note != nil && r.cfg.OwnerJournal != nil {
		if err := r.cfg.OwnerJournal.AppendOwner(id, *note); err != nil {
			return nil, fmt.Errorf("state journal: %w", err)
		}
	}
	return &o, nil
}

// wantsOwner reports whether ans is a taken answer whose owner the run asks.
func (r *run) wantsOwner(ans azotte.Answer) bool {
	return r.cfg.Owners != nil && ans.Err == nil && !ans.IsAvailable
}
