package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	gosync "sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout this package writes (see doc.go).
const SchemaVersion = 3

// DefaultRetentionDays is how long uploaded records are kept.
const DefaultRetentionDays = 28

// Options tune Open. The zero value is usable.
type Options struct {
	// Timeout is how long to wait for another process's lock (default 1s).
	Timeout time.Duration
	// Logger receives diagnostics (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now); tests and the corrected clock use it.
	Now func() time.Time
	// Location is the zone of "today" for counters (default time.Local).
	Location *time.Location
	// RetentionDays is how long acknowledged records are kept (default 28).
	RetentionDays int
	// ReadOnly opens with a shared lock and no writes (doctor, export).
	ReadOnly bool
}

// Store is an open data file. Its methods are safe for concurrent use.
type Store struct {
	path string
	db   *bolt.DB
	opts Options
	log  *slog.Logger

	mu      gosync.RWMutex // held shared by Append while it waits; Close takes it exclusively
	closed  bool
	appends chan *appendReq
	done    chan struct{}
}

// Open opens (creating if needed) the data file at path, runs pending
// migrations once, and starts the append writer. A file held by another
// process gives ErrLocked after opts.Timeout; an unreadable file gives
// ErrCorrupt and is left untouched.
func Open(path string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.RetentionDays <= 0 {
		opts.RetentionDays = DefaultRetentionDays
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("open store %s: %w", path, writeError(path, err))
		}
	} else if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, ReadOnly: opts.ReadOnly})
	if err != nil {
		return nil, openError(path, err)
	}
	s := &Store{path: path, db: db, opts: opts, log: opts.Logger}
	if !opts.ReadOnly {
		// A file made by an older version or copied around may be wider.
		if err := os.Chmod(path, 0o600); err != nil {
			s.log.Warn("cannot restrict data file mode", "path", path, "err", err)
		}
	}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		s.appends = make(chan *appendReq, 256)
		s.done = make(chan struct{})
		go s.writer()
	}
	return s, nil
}

// openError turns bbolt's open errors into sentences for the operator.
func openError(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("another hcscan is using %s: %w", path, ErrLocked)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping):
		return corruptError(path, err)
	}
	if w := writeError(path, err); errors.Is(w, ErrReadOnly) || errors.Is(w, ErrDiskFull) {
		return fmt.Errorf("open store: %w", w)
	}
	// bbolt reports some damaged files with plain errors (e.g. too small).
	if fi, serr := os.Stat(path); serr == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
		return corruptError(path, err)
	}
	return fmt.Errorf("open store %s: %w", path, err)
}

func corruptError(path string, err error) error {
	return fmt.Errorf("%s is damaged (%v); nothing was changed. Run `hcscan doctor --data %s --repair` to move it aside (the damaged file is kept) and start a new one: %w",
		path, err, path, ErrCorrupt)
}

// Path is the data file's path.
func (s *Store) Path() string { return s.path }

// Close stops the writer after the queued appends and closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.appends != nil {
		close(s.appends)
	}
	s.mu.Unlock()
	if s.done != nil {
		<-s.done
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	return nil
}

// view runs fn in a read transaction, turning bbolt's panics on damaged
// pages into ErrCorrupt.
func (s *Store) view(fn func(tx *bolt.Tx) error) (err error) {
	defer s.recoverCorrupt(&err)
	// A damaged page can point outside the mapping: make that a panic too.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return s.db.View(fn)
}

// update runs fn in a write transaction (fsynced on commit).
func (s *Store) update(fn func(tx *bolt.Tx) error) (err error) {
	if s.opts.ReadOnly {
		return fmt.Errorf("%s was opened read-only: %w", s.path, ErrReadOnly)
	}
	defer s.recoverCorrupt(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	err = s.db.Update(fn)
	if err != nil && isErrno(err) {
		return writeError(s.path, err)
	}
	return err
}

func (s *Store) recoverCorrupt(err *error) {
	if r := recover(); r != nil {
		s.log.Error("bbolt panicked reading the data file", "path", s.path, "panic", r)
		*err = corruptError(s.path, fmt.Errorf("%v", r))
	}
}

// FileSize is the data file's size in bytes (for the status line and doctor).
func (s *Store) FileSize() int64 {
	fi, err := os.Stat(s.path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
