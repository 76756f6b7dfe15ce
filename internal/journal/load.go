package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// load reads the file into the index and, unless read-only, leaves it bound
// to ep and ready for appending. It changes nothing before it has seen that
// the file is a journal (bound to ep, when it is bound).
func (j *Journal) load(ep Endpoint, m mode) error {
	fi, err := j.f.Stat()
	if err != nil {
		return fmt.Errorf("state file %s: %w", j.path, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		// Not an error: the user chose the mode. But the file lists the
		// ids of their export, so say so.
		j.warn("state file %s is accessible to other users (mode %#o); it lists the ids of your exports: chmod 600 %s", j.path, perm, j.path)
	}
	j.size = fi.Size()
	if j.size == 0 {
		if m != modeBind {
			return nil
		}
		j.ep = ep
		return j.writeBinding()
	}
	r := bufio.NewReaderSize(j.f, 256<<10)
	var (
		off        int64 // offset of the line being read
		lineNo     int
		bad        = int64(-1) // offset of the previous line when it was unreadable
		badNo      int
		firstBad   int
		first      = true
		unfinished bool // the last line lacks its '\n'
	)
	for {
		line, n, err := readLine(r)
		if n > 0 && first && (line == nil || !isBlank(line)) {
			// The first line says whether this is a journal, and whose.
			first = false
			if b, ok := decodeBinding(line); ok {
				if m == modeBind && b != ep {
					return &MismatchError{Path: j.path, File: b, Run: ep}
				}
				j.ep = b
				lineNo++
				j.lines++
				off += int64(n)
				unfinished = err != nil
				if err == nil {
					continue
				}
				n = 0 // handled; fall through to the end of file
			} else if !j.isAnswer(line) && !(err != nil && bytes.HasPrefix(line, []byte(`{"`))) {
				// Only an unfinished first line that could have been one
				// (a run killed in its first write) passes as torn.
				return fmt.Errorf("state file %s: %w: its first line is neither an endpoint binding nor an answer", j.path, ErrNotJournal)
			}
		}
		if n > 0 {
			lineNo++
			// An unreadable line followed by another is corrupt; only the
			// last line may be torn, and whether it is last is known now.
			if bad >= 0 {
				j.corrupt++
				if firstBad == 0 {
					firstBad = badNo
				}
				bad = -1
			}
			if !isBlank(line) {
				j.lines++
			}
			switch {
			case line == nil || !j.loadLine(line):
				bad, badNo = off, lineNo
			case !isBlank(line):
				j.answerLines++
			}
			unfinished = err != nil
			off += int64(n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read state file %s: %w", j.path, err)
		}
	}
	if j.corrupt > 0 {
		j.warn("state file %s: skipped %d corrupt line(s), the first at line %d", j.path, j.corrupt, firstBad)
	}
	if bad >= 0 {
		j.torn++
		j.warn("state file %s: ignored a torn last line (line %d; a run was stopped while writing it)", j.path, badNo)
	}
	if m == modeRead {
		return nil
	}

	// A journal, and this run's: now it may be changed.
	j.removeStaleTemp()
	switch {
	case m == modeCompact:
		j.compactedFrom = j.Stats()
		return j.compact()
	case j.ep.IsZero():
		// Written before bindings: bind it, which is a rewrite.
		j.ep = ep
		if err := j.compact(); err != nil {
			return err
		}
		j.warn("state file %s had no endpoint binding (written by an earlier version); it is now bound to %s", j.path, ep)
		return nil
	case j.answerLines+j.ownerLines+j.corrupt+j.torn-j.ids.Len()-len(j.owners) > j.ids.Len()+len(j.owners):
		// Mostly superseded lines: reading them costs more than a rewrite.
		err := j.compact()
		if err == nil {
			return nil
		}
		j.warn("%v (the journal is used as it is)", err)
	}
	switch {
	case bad >= 0:
		// Torn: cut it off so that the next line starts where it began.
		if err := j.f.Truncate(bad); err != nil {
			return fmt.Errorf("state file %s: cut torn last line: %w", j.path, err)
		}
		j.size = bad
		j.lines--
	case unfinished:
		// A whole line that lost only its '\n': keep it, end it.
		if _, err := j.f.Write([]byte{'\n'}); err != nil {
			return fmt.Errorf("write state file %s: %w", j.path, err)
		}
		j.size++
	}
	return nil
}

// isAnswer reports whether line reads as an answer, without indexing it.
func (j *Journal) isAnswer(line []byte) bool {
	if _, ok := parseFast(line); ok {
		return true
	}
	_, _, ok := decodeLine(line)
	return ok
}

// writeBinding writes the binding line of a new journal and makes it, and
// the file's name, durable before any answer follows.
func (j *Journal) writeBinding() error {
	b := encodeBinding(j.ep)
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("write state file %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("fsync state file %s: %w", j.path, err)
	}
	syncDir(j.path)
	j.lines, j.size = 1, int64(len(b))
	return nil
}

// loadLine indexes one line; false means it is unreadable. Blank lines are
// fine and ignored.
func (j *Journal) loadLine(line []byte) bool {
	if isOwnerLine(line) {
		return j.loadOwner(line)
	}
	if l, ok := parseFast(line); ok {
		// The line's slices are only borrowed: intern copies what it keeps.
		e := Entry{IsAvailable: l.available, MessageCode: string(l.code), Status: l.status}
		a, known := j.lookupAnswer(e)
		if known || len(l.status) == 0 || json.Valid(l.status) {
			if !known {
				a = j.addAnswer(e)
			}
			j.ids.Put(unsafeString(l.id), slot{sec: clampSec(l.time), ans: a}) // the table copies it
			return true
		}
	}
	id, e, ok := decodeLine(line)
	if !ok {
		return isBlank(line)
	}
	j.put(id, e)
	return true
}

// put records e as id's answer; mu must be held (or j not yet shared).
func (j *Journal) put(id string, e Entry) {
	a, ok := j.lookupAnswer(e)
	if !ok {
		a = j.addAnswer(e)
	}
	j.ids.Put(id, slot{sec: clampSec(e.Time), ans: a})
}

// lookupAnswer returns the position of e's answer (not its time) among the
// distinct ones; mu must be held.
func (j *Journal) lookupAnswer(e Entry) (uint32, bool) {
	j.key = answerKey(j.key[:0], e)
	a, ok := j.index[string(j.key)] // no allocation
	return a, ok
}

// addAnswer adds e's answer, just looked up and not found, to the distinct
// ones; mu must be held. Status is copied: the caller's may be borrowed.
func (j *Journal) addAnswer(e Entry) uint32 {
	a := uint32(len(j.answers))
	j.answers = append(j.answers, Entry{IsAvailable: e.IsAvailable, MessageCode: e.MessageCode, Status: bytes.Clone(e.Status)})
	j.index[string(j.key)] = a
	return a
}

// readLine returns the next line of r with its '\n', if any, and its length
// in the file; err is non-nil exactly when the line has no '\n'. A line
// longer than maxLine comes back nil (unreadable) without being held.
func readLine(r *bufio.Reader) (line []byte, n int, err error) {
	line, err = r.ReadSlice('\n')
	n = len(line)
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, n, err
	}
	long := append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = r.ReadSlice('\n')
		n += len(line)
		if long != nil && len(long)+len(line) <= maxLine {
			long = append(long, line...)
		} else {
			long = nil
		}
	}
	return long, n, err
}
