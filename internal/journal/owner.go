package journal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// OwnerEntry is a journalled answer of Azotte's info call about a taken id
// (validate --owners). It never holds Azotte's email for the customer: only
// whether it matched the export's, and a salted digest of the export's
// email it was compared with, so that a later run reuses the comparison
// only for the same export email. An owner line looks like
//
//	{"owner":"crm-1","found":true,"urn":"cu.00.482","ownerStatus":"Active","salt":"…","emailHash":"…","sameEmail":false,"t":"2026-11-26T10:00:00Z"}
//
// (salt, emailHash and sameEmail absent when the export had no email). The
// salt is random per line: a digest cannot be matched across lines or
// journals.
type OwnerEntry struct {
	Found     bool   // a customer held the id; false: CUSTOMER_NOT_FOUND
	URN       string // customerUrn
	Status    string // the customer's status
	Salt      []byte // nil when the export had no email for the id
	EmailHash []byte // SHA-256 of Salt and the export's normalised email; nil with Salt
	SameEmail bool   // Azotte's email equals the export's; meaningful with EmailHash
	Time      time.Time
}

// ownerLine is an owner line as written and read.
type ownerLine struct {
	Owner     *string   `json:"owner"`
	Found     bool      `json:"found"`
	URN       string    `json:"urn,omitempty"`
	Status    string    `json:"ownerStatus,omitempty"`
	Salt      []byte    `json:"salt,omitempty"`
	EmailHash []byte    `json:"emailHash,omitempty"`
	SameEmail *bool     `json:"sameEmail,omitempty"`
	T         time.Time `json:"t"`
}

var ownerPrefix = []byte(`{"owner":`)

// isOwnerLine reports whether line is an owner line (as encodeOwner
// starts them), to be read by decodeOwner and not as an answer.
func isOwnerLine(line []byte) bool { return bytes.HasPrefix(line, ownerPrefix) }

// encodeOwner returns id's owner line for e, with its '\n'.
func encodeOwner(id string, e OwnerEntry) ([]byte, error) {
	if !utf8.ValidString(id) {
		return nil, fmt.Errorf("journal owner of %q: id is not valid UTF-8", id)
	}
	l := ownerLine{Owner: &id, Found: e.Found, URN: e.URN, Status: e.Status, T: e.Time.UTC().Truncate(time.Second)}
	if len(e.EmailHash) > 0 {
		l.Salt, l.EmailHash, l.SameEmail = e.Salt, e.EmailHash, &e.SameEmail
	}
	b, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// decodeOwner parses an owner line; ok is false for anything else.
func decodeOwner(line []byte) (id string, e OwnerEntry, ok bool) {
	var l ownerLine
	if json.Unmarshal(line, &l) != nil || l.Owner == nil || l.T.IsZero() {
		return "", OwnerEntry{}, false
	}
	e = OwnerEntry{Found: l.Found, URN: l.URN, Status: l.Status, Time: l.T}
	if len(l.EmailHash) > 0 && len(l.Salt) > 0 && l.SameEmail != nil {
		e.Salt, e.EmailHash, e.SameEmail = l.Salt, l.EmailHash, *l.SameEmail
	}
	return *l.Owner, e, true
}

// loadOwner indexes an owner line; false means it is unreadable. mu must be
// held (or j not yet shared).
func (j *Journal) loadOwner(line []byte) bool {
	id, e, ok := decodeOwner(line)
	if !ok {
		return false
	}
	if j.owners == nil {
		j.owners = make(map[string]OwnerEntry)
	}
	j.owners[id] = e
	j.ownerLines++
	return true
}

// Owner returns the owner journalled for id, if there is one no older than
// maxAge. Salt and EmailHash are shared and must not be modified.
func (j *Journal) Owner(id string) (OwnerEntry, bool) {
	j.mu.RLock()
	e, ok := j.owners[id]
	j.mu.RUnlock()
	if !ok || e.Time.Unix() < j.cutoff {
		return OwnerEntry{}, false
	}
	return e, true
}

// Owners returns the number of ids with a journalled owner, stale ones
// included.
func (j *Journal) Owners() int {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return len(j.owners)
}

// AppendOwner journals the owner of id as Append journals an answer: it
// returns once the line is written. e.Time is required.
func (j *Journal) AppendOwner(id string, e OwnerEntry) error {
	if j.w == nil {
		return ErrReadOnly
	}
	if e.Time.IsZero() {
		return fmt.Errorf("journal owner of %q: no time", id)
	}
	line, err := encodeOwner(id, e)
	if err != nil {
		return err
	}
	return j.w.write(line)
}

// writeOwners writes every owner line, in id order, for compact; it
// returns how many lines and bytes it wrote.
func (j *Journal) writeOwners(w interface{ Write([]byte) (int, error) }) (lines int, size int64, err error) {
	ids := make([]string, 0, len(j.owners))
	for id := range j.owners {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, strings.Compare)
	for _, id := range ids {
		b, err := encodeOwner(id, j.owners[id])
		if err != nil {
			continue // unreachable: a line read back was valid UTF-8
		}
		if _, err := w.Write(b); err != nil {
			return lines, size, err
		}
		lines++
		size += int64(len(b))
	}
	return lines, size, nil
}
