package cli

import (
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/journal"
)

// stateJournal lets the pipeline keep Azotte's answers in the --state journal.
type stateJournal struct {
	j   *journal.Journal
	now func() time.Time
}

func answerOf(e journal.Entry) azotte.Answer {
	return azotte.Answer{IsAvailable: e.IsAvailable, MessageCode: e.MessageCode, Status: e.Status, At: e.Time}
}

func (s stateJournal) Lookup(id string) (azotte.Answer, bool) {
	e, ok := s.j.Lookup(id)
	return answerOf(e), ok
}

func (s stateJournal) Previous(id string) (azotte.Answer, bool) {
	e, ok := s.j.Stale(id)
	return answerOf(e), ok
}

func (s stateJournal) Append(id string, a azotte.Answer) error {
	at := a.At
	if at.IsZero() {
		at = s.now()
	}
	return s.j.Append(id, journal.Entry{IsAvailable: a.IsAvailable, MessageCode: a.MessageCode, Status: a.Status, Time: at})
}
