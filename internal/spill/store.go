// Package spill keeps a run's per-id tables within --memory-limit. A
// Table holds what fits in its share of memory in an idtable and, when the
// share is full, writes its entries to a Store, a Pebble database in a
// temporary folder, and starts again empty; a lookup that misses in memory
// asks the store, after a Bloom filter has said the key may be there.
//
// The folder is made at the first spill, so a run that fits in memory never
// touches the disk, and removed by Close. A run killed before Close leaves
// it behind, locked by a file whose lock dies with the process: the next
// run's RemoveStale removes it.
package spill

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/azotte/azvalidate/internal/filelock"
)

// folderPrefix starts the name of every folder a Store makes.
const folderPrefix = "azvalidate-spill-"

// Store is the disk behind a run's tables: one Pebble database, each table
// a key range of its own. It is safe for concurrent use.
type Store struct {
	cfg Config

	mu     sync.Mutex
	dir    string // "" until the first spill
	lock   *os.File
	db     *pebble.DB
	opts   *pebble.Options
	files  int // sorted files written for ingestion
	tables int // tables made, each a one-byte key prefix
	iters  []*iterators
	err    error // the first error of opening or writing; then nothing spills
}

// Config sizes a Store.
type Config struct {
	Parent string // the folder in which the temporary folder is made
	Cache  int64  // bytes of Pebble's block cache
}

// NewStore returns a Store that has not touched the disk yet.
func NewStore(cfg Config) *Store { return &Store{cfg: cfg} }

// newPrefix returns the key prefix of a new table, whose iterators Close
// closes.
func (s *Store) newPrefix(its *iterators) byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.iters = append(s.iters, its)
	if s.tables == 255 {
		panic("spill: more than 255 tables in one store")
	}
	s.tables++
	return byte(s.tables)
}

// open returns the database, made at the first call; nil after an error.
func (s *Store) open() *pebble.DB {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil
	}
	if s.db != nil {
		return s.db
	}
	if s.err = s.create(); s.err != nil {
		s.err = fmt.Errorf("spill to %s: %w", s.cfg.Parent, s.err)
		s.closeLocked()
		return nil
	}
	return s.db
}

func (s *Store) create() error {
	dir, err := os.MkdirTemp(s.cfg.Parent, folderPrefix)
	if err != nil {
		return err
	}
	s.dir = dir
	if s.lock, err = os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
		return err
	}
	if err := filelock.Lock(s.lock); err != nil {
		return err
	}
	opts := &pebble.Options{
		CacheSize:    s.cfg.Cache,
		DisableWAL:   true,    // the folder dies with the run: nothing to recover
		MemTableSize: 1 << 20, // small: tables write files, not batches
		Logger:       quiet{},
		// Tables spill as sorted files, ingested whole (see Table.spill),
		// and merge their own files when they have too many: an
		// LSM's automatic compactions would rewrite every spilled key a
		// few times more, which was half the time of a spilling run.
		DisableAutomaticCompactions: true,
		L0CompactionThreshold:       1 << 20,
		L0CompactionFileThreshold:   1 << 20,
		L0StopWritesThreshold:       1 << 20,
		FormatMajorVersion:          pebble.FormatNewest, // for IngestAndExcise
	}
	for i := range opts.Levels {
		// No filters: a table's own filter answers for all its files
		// before a lookup reaches them, and Pebble's, one block per file,
		// would be read again and again through a small cache. No
		// compression either: the folder lives for one run.
		opts.Levels[i].Compression = func() *sstable.CompressionProfile { return sstable.NoCompression }
	}
	db, err := pebble.Open(filepath.Join(dir, "db"), opts)
	if err != nil {
		return err
	}
	s.db, s.opts = db, opts
	return nil
}

// newFile creates a file for a sorted table to be ingested and returns a
// writer of it.
func (s *Store) newFile() (path string, w *sstable.Writer, err error) {
	s.mu.Lock()
	s.files++
	path = filepath.Join(s.dir, fmt.Sprintf("ingest-%d.sst", s.files))
	opts := s.opts.MakeWriterOptions(0, s.db.TableFormat())
	s.mu.Unlock()
	f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return "", nil, err
	}
	return path, sstable.NewWriter(objstorageprovider.NewFileWritable(f), opts), nil
}

// Err returns the error that stopped the store spilling, if any: the tables
// then hold everything in memory, past their share.
func (s *Store) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// fail records err as the store's error, when it is the first: nothing
// spills from then on.
func (s *Store) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = fmt.Errorf("spill to %s: %w", s.dir, err)
	}
}

// Dir returns the temporary folder, "" when nothing has spilled.
func (s *Store) Dir() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir
}

// Close closes the database and removes the temporary folder. The tables
// must not be used after.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeLocked()
}

// closeLocked is Close with s.mu held.
func (s *Store) closeLocked() error {
	var err error
	for _, its := range s.iters {
		its.close()
	}
	if s.db != nil {
		err = s.db.Close()
		s.db = nil
	}
	if s.dir != "" {
		if rerr := os.RemoveAll(s.dir); err == nil {
			err = rerr
		}
		s.dir = ""
	}
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
	return err
}

// RemoveStale removes the folders that killed runs left in parent and
// returns their names. A folder whose lock a live run holds is left alone,
// and so is one without a lock file that is younger than a minute (a run
// between making it and locking it).
func RemoveStale(parent string) (removed []string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, folderPrefix+"*"))
	for _, dir := range dirs {
		if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() || !strings.HasPrefix(filepath.Base(dir), folderPrefix) {
			continue
		}
		f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR, 0)
		switch {
		case errors.Is(err, os.ErrNotExist):
			if fi, err := os.Stat(dir); err != nil || time.Since(fi.ModTime()) < time.Minute {
				continue
			}
		case err != nil:
			continue
		default:
			err := filelock.Lock(f)
			if err != nil {
				f.Close()
				continue // a live run's, or unlockable: not ours to judge
			}
		}
		if os.RemoveAll(dir) == nil {
			removed = append(removed, dir)
		}
		if f != nil {
			f.Close()
		}
	}
	return removed
}

// quiet is Pebble's logger: a temporary store has nothing to tell a user,
// and what goes wrong comes back as an error.
type quiet struct{}

func (quiet) Infof(string, ...any)  {}
func (quiet) Errorf(string, ...any) {}
func (quiet) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("spill: pebble: "+format, args...))
}
