package journal

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/azotte/azvalidate/internal/filelock"
)

// beforeRename is called by compact between the fsync of the new file and
// its rename over the journal; a test kills the process there.
var beforeRename = func() {}

// tempPath is where compact writes the new file: in the journal's folder,
// so that the rename is atomic, under one fixed name per journal, so that
// one left by a compaction killed half-way is found and removed.
func tempPath(path string) string { return path + ".compact.tmp" }

// removeStaleTemp removes what a compaction killed before its rename left
// behind; the lock is held, so no compaction of this journal is running.
func (j *Journal) removeStaleTemp() {
	if err := os.Remove(tempPath(j.path)); err != nil && !errors.Is(err, os.ErrNotExist) {
		j.warn("state file %s: cannot remove %s, left by an interrupted compaction: %v", j.path, tempPath(j.path), err)
	}
}

// compact rewrites the journal as its binding line (when it has one), one
// line per id, its latest answer, in id order, then one owner line per id
// that has one: a new file in the same
// folder, fsynced, renamed over the old one, and the folder fsynced. The
// new file is locked before the rename, so the lock is never let go. It
// runs before the writer exists (in Open), with the lock held.
func (j *Journal) compact() (err error) {
	tmpPath := tempPath(j.path)
	tmp, err := os.OpenFile(tmpPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("compact state file %s: %w", j.path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpPath)
			err = fmt.Errorf("compact state file %s: %w", j.path, err)
		}
	}()
	if err := filelock.Lock(tmp); err != nil {
		return err
	}
	if fi, err := j.f.Stat(); err == nil {
		tmp.Chmod(fi.Mode().Perm()) // keep the mode the user chose
	}

	// Every id with the same answer shares the middle of its line.
	bodies := make([][]byte, len(j.answers))
	for i, a := range j.answers {
		if bodies[i], _, err = encodeBody(nil, a); err != nil {
			return err
		}
	}
	w := bufio.NewWriterSize(tmp, 256<<10)
	lines, size := 0, int64(0)
	if !j.ep.IsZero() {
		n, _ := w.Write(encodeBinding(j.ep))
		lines, size = 1, int64(n)
	}
	// Sorted, so that the same answers make the same file.
	var buf []byte
	var werr error
	ids := 0
	err = j.ids.Sorted(func(id []byte, s slot) bool {
		buf = encodeID(buf[:0], unsafeString(id))
		buf = append(buf, bodies[s.ans]...)
		buf = appendTime(buf, time.Unix(int64(s.sec), 0))
		if _, werr = w.Write(buf); werr != nil {
			return false
		}
		size += int64(len(buf))
		ids++
		return true
	})
	if err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	lines += ids
	ol, osize, err := j.writeOwners(w)
	if err != nil {
		return err
	}
	lines, size = lines+ol, size+osize
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	beforeRename()
	if err := os.Rename(tmpPath, j.path); err != nil {
		return err
	}
	syncDir(j.path)
	j.f.Close() // the old file's lock: the new one is locked already
	j.f = tmp
	j.lines, j.size = lines, size
	j.answerLines = ids // corrupt and torn still say what Open found
	j.ownerLines = ol
	return nil
}

// Endpoint returns the endpoint the journal is bound to; zero for a journal
// written before bindings and opened with Read or Compact.
func (j *Journal) Endpoint() Endpoint { return j.ep }

// Stats returns the file's lines, size and ids as of Open (Appends since
// are not counted).
func (j *Journal) Stats() Stats {
	return Stats{Lines: j.lines, Bytes: j.size, IDs: j.Len()}
}

// Fresh returns the number of ids whose answer, when opened, was no older
// than maxAge: Lookup finds them.
func (j *Journal) Fresh() int { return j.Len() - j.expired }

// All calls yield with every id read at Open and its latest answer, fresh
// or stale, in the order of the ids' bytes, until yield returns false; an
// error is the spilled index's. Status is shared and must not be modified.
func (j *Journal) All(yield func(id string, e Entry) bool) error {
	j.mu.Lock() // a spilled index writes what it holds in memory to its store
	defer j.mu.Unlock()
	return j.ids.Sorted(func(id []byte, s slot) bool {
		e := j.answers[s.ans]
		e.Time = time.Unix(int64(s.sec), 0).UTC()
		return yield(string(id), e)
	})
}

// Each is All in no particular order, which costs no sorting; id is valid
// until the next call.
func (j *Journal) Each(yield func(id string, e Entry) bool) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.ids.All(func(id []byte, s slot) bool {
		e := j.answers[s.ans]
		e.Time = time.Unix(int64(s.sec), 0).UTC()
		return yield(unsafeString(id), e)
	})
}
