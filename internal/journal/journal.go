// Package journal owns the --state answer journal that lets a run resume:
// an append-only file holding one JSON line per answer Azotte gave, and the
// in-memory index of those answers that a run consults before calling the
// API.
//
// A line looks like
//
//	{"id":"crm-1","isAvailable":true,"messageCode":"SUCCESS","status":{"messageCode":"SUCCESS"},"t":"2026-11-26T10:00:00Z"}
//
// An id that is not valid UTF-8 is written as "idb64" (standard base64)
// instead of "id", so that every id round-trips byte for byte. The last line
// for an id wins.
//
// With validate --owners the journal also holds owner lines, the info
// call's answers about taken ids (see OwnerEntry); they start with
// {"owner": and never hold Azotte's email.
//
// The first line binds the journal to one endpoint and tenant (see
// Endpoint), so that one tenant's answers are never taken for another's:
//
//	{"journal":"azvalidate","v":1,"baseURL":"https://acme.example","path":"/api/v1/c2a/customer/validate","tenant":"t1"}
//
// Compaction (see Compact) rewrites the file as that line and one line per
// id, atomically.
//
// Durability: Append returns only once its line has been handed to the
// operating system with write(2), so a process killed at any moment (even by
// SIGKILL) loses no acknowledged answer. Lines that arrive together share one
// write (group commit). The file is fsynced every second while it changes and
// at Close, which bounds what a power loss can take.
//
// A journal file is used by one run at a time: Open takes an exclusive
// advisory lock (flock) and fails when another run holds it.
package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/azotte/azvalidate/internal/filelock"
	"github.com/azotte/azvalidate/internal/spill"
)

// Entry is one journalled answer.
type Entry struct {
	IsAvailable bool
	MessageCode string          // status.messageCode
	Status      json.RawMessage // Azotte's status envelope as returned; nil when none
	Time        time.Time       // when Azotte answered; kept to the second
}

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("journal: closed")

// ErrReadOnly is returned by Append on a journal opened with Read.
var ErrReadOnly = errors.New("journal: opened read-only")

// Journal is an open --state file and the answers read from it. Lookup,
// Stale and Append are safe for concurrent use by many goroutines.
type Journal struct {
	path   string
	f      *os.File
	cutoff int64   // answers from before this Unix second are stale; math.MinInt64 when none are
	w      *writer // nil when read-only

	ep    Endpoint // the binding; zero for a journal written before bindings
	lines int      // non-blank lines in the file, the binding included
	size  int64    // bytes in the file, as of Open

	mu      sync.RWMutex
	ids     *spill.Table[string, slot] // by id; within the Memory given to Open
	answers []Entry                    // distinct (IsAvailable, MessageCode, Status); Time unset
	index   map[string]uint32          // answerKey -> position in answers
	key     []byte                     // scratch for answerKey, guarded by mu
	owners  map[string]OwnerEntry      // --owners: the latest owner line per id; nil when none

	ownerLines int // owner lines read, superseded ones included

	warnings               []string
	torn, corrupt, expired int
	answerLines            int   // lines read that hold an answer, superseded ones included
	compactedFrom          Stats // the file's stats before Compact rewrote it

	closeOnce sync.Once
	closeErr  error
}

// slot is what the index keeps per id: a few distinct answers are shared by
// millions of ids, so an id costs its bytes, these 8 and the table's 11 to
// 16 (an int64 time would cost 4 more).
type slot struct {
	sec uint32 // Unix seconds of the answer, clamped to 1970..2106
	ans uint32 // position in Journal.answers
}

func clampSec(t time.Time) uint32 {
	return uint32(min(max(t.Unix(), 0), math.MaxUint32))
}

// maxLine bounds a journal line read back; a longer one is corrupt (real
// lines are about a hundred bytes) and is skipped without being held.
const maxLine = 1 << 20

// mode is how open treats the file.
type mode int

const (
	modeBind    mode = iota // read-write, created if missing, bound to the run's endpoint
	modeCompact             // read-write, must exist, any binding, always compacted
	modeRead                // read-only, no lock, never modified
)

// Open opens the journal at path for a run against ep, creating it (mode
// 0600) if needed, locks it against other runs and reads every answer in
// it. A new journal's first line binds it to ep; a journal bound to another
// endpoint or tenant is refused with a *MismatchError, and a file whose
// first line is neither a binding nor an answer with an error wrapping
// ErrNotJournal; neither file is modified. A journal written before
// bindings is bound to ep (rewritten, see Compact) with a warning.
//
// Answers older than maxAge at now are kept out of Lookup (see Stale);
// maxAge <= 0 means answers never expire. A torn last line (a run killed
// while writing it) is cut off and a corrupt line elsewhere is skipped; both
// are counted and reported in Warnings, never an error. When superseded
// lines outnumber the ids, the journal is compacted.
func Open(path string, ep Endpoint, maxAge time.Duration, now time.Time) (*Journal, error) {
	return Within{}.Open(path, ep, maxAge, now)
}

// Within is the memory a journal's index may use (see spill.Memory): Open,
// Read and Compact of a Within hold at most its share in memory and spill
// the rest of the index to its store. The package's Open, Read and Compact
// keep the whole index in memory.
type Within spill.Memory

// Open is the package's Open within m.
func (m Within) Open(path string, ep Endpoint, maxAge time.Duration, now time.Time) (*Journal, error) {
	if ep.IsZero() {
		return nil, errors.New("journal: Open needs an endpoint")
	}
	ep, err := ep.Normalize()
	if err != nil {
		return nil, fmt.Errorf("state file %s: endpoint: %w", path, err)
	}
	return open(path, ep, modeBind, maxAge, now, spill.Memory(m))
}

// Read reads the journal at path without locking or modifying it, whatever
// its binding (see Endpoint): for commands that only look, which may run
// beside a validate appending to it. Its Append fails.
func Read(path string, maxAge time.Duration, now time.Time) (*Journal, error) {
	return Within{}.Read(path, maxAge, now)
}

// Read is the package's Read within m.
func (m Within) Read(path string, maxAge time.Duration, now time.Time) (*Journal, error) {
	return open(path, Endpoint{}, modeRead, maxAge, now, spill.Memory(m))
}

// Stats describes a journal file.
type Stats struct {
	Lines int   // non-blank lines, the binding included
	Bytes int64 // size of the file
	IDs   int   // distinct ids answered
}

// Compact rewrites the journal at path as its binding line followed by one
// line per id, its latest answer, and returns the file's stats before and
// after. It takes the lock, so it fails while a run uses the file, and
// replaces the file atomically: killed at any moment, it leaves either the
// old file or the new one. A journal written before bindings stays unbound.
func Compact(path string) (before, after Stats, err error) { return Within{}.Compact(path) }

// Compact is the package's Compact within m.
func (m Within) Compact(path string) (before, after Stats, err error) {
	j, err := open(path, Endpoint{}, modeCompact, 0, time.Time{}, spill.Memory(m))
	if err != nil {
		return before, after, err
	}
	before = j.compactedFrom
	after = j.Stats()
	return before, after, j.Close()
}

func open(path string, ep Endpoint, m mode, maxAge time.Duration, now time.Time, mem spill.Memory) (*Journal, error) {
	flags := os.O_RDWR | os.O_APPEND
	switch m {
	case modeBind:
		flags |= os.O_CREATE
	case modeRead:
		flags = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open state file: %w", err)
	}
	if m != modeRead {
		if err := filelock.Lock(f); err != nil {
			f.Close()
			if errors.Is(err, filelock.ErrLocked) {
				return nil, fmt.Errorf("state file %s is in use by another run", path)
			}
			return nil, fmt.Errorf("lock state file %s: %w", path, err)
		}
	}
	j := &Journal{
		path:   path,
		f:      f,
		cutoff: math.MinInt64,
		ids:    spill.NewByID[slot](mem),
		index:  make(map[string]uint32),
	}
	if maxAge > 0 {
		j.cutoff = cutoff(now, maxAge)
	}
	if err := j.load(ep, m); err != nil {
		j.f.Close() // releases the lock
		return nil, err
	}
	if j.cutoff != math.MinInt64 {
		err := j.ids.All(func(_ []byte, s slot) bool {
			if int64(s.sec) < j.cutoff {
				j.expired++
			}
			return true
		})
		if err != nil {
			j.f.Close()
			return nil, fmt.Errorf("state file %s: %w", path, err)
		}
	}
	if err := j.ids.Compact(); err != nil { // the index is read: lookups come
		j.f.Close()
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	if m != modeRead {
		j.w = newWriter(j.f, path)
	}
	return j, nil
}

// cutoff returns the first Unix second whose answers are fresh at now: an
// answer stamped at second S stands for any instant of it, so it is fresh
// only when all of S is within maxAge of now, i.e. S >= now - maxAge.
func cutoff(now time.Time, maxAge time.Duration) int64 {
	t := now.Add(-maxAge)
	c := t.Unix() // rounds down
	if t.Nanosecond() > 0 {
		c++
	}
	return c
}

// Lookup returns the answer journalled for id, if there is one no older than
// maxAge. Its Status is shared with other entries and must not be modified.
func (j *Journal) Lookup(id string) (Entry, bool) {
	e, sec, ok := j.last(id)
	if !ok || sec < j.cutoff {
		return Entry{}, false
	}
	return e, true
}

// Stale returns the answer journalled for id when it is older than maxAge:
// Lookup ignores it, but a run can tell whether Azotte now answers
// differently.
func (j *Journal) Stale(id string) (Entry, bool) {
	e, sec, ok := j.last(id)
	if !ok || sec >= j.cutoff {
		return Entry{}, false
	}
	return e, true
}

func (j *Journal) last(id string) (e Entry, sec int64, ok bool) {
	j.mu.RLock()
	s, ok := j.ids.Get(id)
	if ok {
		e = j.answers[s.ans]
	}
	j.mu.RUnlock()
	if !ok {
		return Entry{}, 0, false
	}
	sec = int64(s.sec)
	e.Time = time.Unix(sec, 0).UTC()
	return e, sec, true
}

// Append journals id's answer e and returns once its line has been written
// to the file (write(2), not yet fsynced): from then on a killed process
// keeps it, so a caller that waits for Append before counting an answer as
// done never loses one. Lines of concurrent calls share one write. e.Time
// is required: the caller's clock says when Azotte answered. e.Status must be JSON; it is kept byte for byte unless it
// spans several lines, when it is compacted. Lookup does not see it: the
// index holds what the file held at Open. After a write error (a full disk)
// every later Append fails with it.
func (j *Journal) Append(id string, e Entry) error {
	if j.w == nil {
		return ErrReadOnly
	}
	if e.Time.IsZero() {
		return fmt.Errorf("journal answer for %q: no time", id) // the caller's clock says when
	}
	e.Time = e.Time.Truncate(time.Second)
	buf := make([]byte, 0, 64+len(id)+len(e.MessageCode)+len(e.Status))
	line, _, err := encodeLine(buf, id, e)
	if err != nil {
		return fmt.Errorf("journal answer for %q: %w", id, err)
	}
	// Not kept in memory: within a run the pipeline asks about each id once,
	// so only the next run (which reads the file) needs this answer, and a
	// copy here would double the memory a run spends per distinct id.
	return j.w.write(line)
}

// Close waits for the Appends in progress, fsyncs and closes the file, which
// releases the lock. Later Appends fail with ErrClosed; Lookup still works.
// Calling Close again returns the first call's result.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() {
		var err error
		if j.w != nil {
			err = j.w.close()
		}
		if cerr := j.f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close state file %s: %w", j.path, cerr)
		}
		j.closeErr = err
	})
	return j.closeErr
}

// Len returns the number of ids with an answer, stale ones included.
func (j *Journal) Len() int {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return j.ids.Len()
}

// Warnings returns what Open found worth telling the user: a file readable
// by others, a torn last line, corrupt lines. None of them stops a run.
func (j *Journal) Warnings() []string { return j.warnings }

func (j *Journal) warn(format string, args ...any) {
	j.warnings = append(j.warnings, fmt.Sprintf(format, args...))
}

// syncDir fsyncs the folder holding path, so that a newly created file
// survives a power loss; best effort.
func syncDir(path string) {
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
}
