package store

import (
	"errors"
	"fmt"
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
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT), errors.Is(err, syscall.EFBIG):
		return fmt.Errorf("the disk holding %s is full: %w (%w)", path, ErrDiskFull, err)
	case errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("%s cannot be written (read-only media?): %w (%w)", path, ErrReadOnly, err)
	}
	return fmt.Errorf("write %s: %w", path, err)
}

// isErrno reports whether err comes from a system call (I/O), as opposed
// to a refusal by the store's own logic.
func isErrno(err error) bool {
	var e syscall.Errno
	return errors.As(err, &e)
}
