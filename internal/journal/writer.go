package journal

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// syncEvery is how often a changed journal is fsynced. Between fsyncs a
// written line survives the process being killed, not the machine losing
// power.
const syncEvery = time.Second

// writer appends lines to the file with group commit: a caller queues its
// line, and the first caller to find no write in progress writes the whole
// queue with one write(2) while later callers queue behind it and wait. At
// low rates every line gets its own write; under load a write carries every
// line that arrived during the previous one, so the cost per line falls as
// the rate rises.
type writer struct {
	f    *os.File
	path string

	mu      sync.Mutex
	cond    sync.Cond // signalled when a write ends
	queue   []byte    // lines not yet handed to a write
	spare   []byte    // the previous write's buffer, reused for the next queue
	queued  uint64    // lines queued since the start
	written uint64    // lines written: always the first ones queued
	writes  uint64    // write(2) calls made, for benchmarks
	busy    bool      // a write is in progress (outside mu)
	closed  bool
	err     error // the first write error; sticky, since the file may end in a torn line

	dirty   atomic.Bool // written since the last fsync
	syncMu  sync.Mutex  // one fsync at a time; holds syncErr
	syncErr error
	stop    chan struct{}
	stopped chan struct{}
}

func newWriter(f *os.File, path string) *writer {
	w := &writer{f: f, path: path, stop: make(chan struct{}), stopped: make(chan struct{})}
	w.cond.L = &w.mu
	go w.syncLoop()
	return w
}

// write queues line and returns once it is written.
func (w *writer) write(line []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	w.queue = append(w.queue, line...)
	w.queued++
	return w.waitFor(w.queued)
}

// waitFor returns once the first n queued lines are written, doing the
// writing itself whenever no other caller is. mu must be held; it is
// released during the write so that others can queue meanwhile.
func (w *writer) waitFor(n uint64) error {
	for w.written < n {
		if w.err != nil {
			return w.err
		}
		if w.busy {
			w.cond.Wait()
			continue
		}
		w.busy = true
		w.writes++
		batch, upTo := w.queue, w.queued
		w.queue = w.spare[:0]
		w.mu.Unlock()
		_, err := w.f.Write(batch)
		w.mu.Lock()
		w.busy = false
		w.spare = nil
		if cap(batch) <= 1<<20 { // keep a buffer of a usual size only
			w.spare = batch[:0]
		}
		if err != nil {
			w.err = fmt.Errorf("write state file %s: %w", w.path, err)
		} else {
			w.written = upTo
			w.dirty.Store(true)
		}
		w.cond.Broadcast()
	}
	return nil
}

// close writes what is queued, stops the fsync loop and fsyncs once more.
func (w *writer) close() error {
	w.mu.Lock()
	w.closed = true
	err := w.waitFor(w.queued)
	w.mu.Unlock()
	close(w.stop)
	<-w.stopped
	w.dirty.Store(true) // also make the fixes of Open durable
	if serr := w.sync(); err == nil {
		err = serr
	}
	return err
}

func (w *writer) syncLoop() {
	defer close(w.stopped)
	t := time.NewTicker(syncEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.sync()
		}
	}
}

// sync fsyncs the file if it changed and returns the first fsync error
// seen: after one, the kernel may have dropped the data, so it stays.
func (w *writer) sync() error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	if w.dirty.Swap(false) && w.syncErr == nil {
		if err := w.f.Sync(); err != nil {
			w.syncErr = fmt.Errorf("fsync state file %s: %w", w.path, err)
		}
	}
	return w.syncErr
}
