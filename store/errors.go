package store

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

var (
	// ErrLocked means another process holds the data file.
	ErrLocked = errors.New("data file is in use")
	// ErrCorrupt means the data file cannot be read as an hcscan data file.
	ErrCorrupt = errors.New("data file is damaged")
	// ErrNotSaved wraps every failed append: the record is not in the file.
	ErrNotSaved = errors.New("record not saved")
	// ErrDiskFull means the disk holding the data file has no room.
	ErrDiskFull = errors.New("disk full")
	// ErrReadOnly means the data file or its disk cannot be written.
	ErrReadOnly = errors.New("data file is read-only")
	// ErrNotFound means no record, operator or entry has that key.
	ErrNotFound = errors.New("not found")
	// ErrClosed means the store was closed.
	ErrClosed = errors.New("store is closed")
	// ErrNewerSchema means the file was written by a newer hcscan.
	ErrNewerSchema = errors.New("data file is from a newer hcscan")
	// ErrRollback means a cached list would go back to a lower sequence.
	ErrRollback = errors.New("sequence went backwards")
	// ErrOperatorExists means AddOperator found the name taken.
	ErrOperatorExists = errors.New("operator already exists")
	// ErrOperatorLocked means too many wrong PINs were tried recently.
	ErrOperatorLocked = errors.New("operator locked after wrong PINs")
)

// writeError classifies an error from a write transaction so that the
// operator reads why nothing was saved.
func writeError(path string, err error) error {
	switch {
	case hasErrno(err, syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG):
		return fmt.Errorf("%w: the disk holding %s has no room left; free some space (%w)", ErrDiskFull, path, err)
	case hasErrno(err, syscall.EROFS, syscall.EACCES, syscall.EPERM):
		return fmt.Errorf("%w: %s cannot be written, is it on read-only media? (%w)", ErrReadOnly, path, err)
	}
	return fmt.Errorf("write %s: %w", path, err)
}

// hasErrno reports whether err is one of errnos. bbolt formats some file
// errors with %s ("file resize error: ..."), so the text is checked too.
func hasErrno(err error, errnos ...syscall.Errno) bool {
	for _, e := range errnos {
		if errors.Is(err, e) || strings.Contains(err.Error(), e.Error()) {
			return true
		}
	}
	return false
}

// isErrno reports whether err comes from the file system, as opposed to a
// refusal by the store's own logic.
func isErrno(err error) bool {
	var e syscall.Errno
	return errors.As(err, &e) || hasErrno(err, syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG, syscall.EROFS, syscall.EIO)
}
