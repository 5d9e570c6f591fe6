package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

// Report is what `hcscan doctor` says about a data file.
type Report struct {
	Path          string
	Size          int64
	Mode          os.FileMode
	FreeBytes     uint64 // free space on the file's disk for this user
	Schema        int
	Records       int
	Pending       int
	Uploaded      int
	Rejected      int
	Alerts        int
	Operators     int
	OldestPending time.Time // zero when nothing waits
	Enrolled      bool
	DeviceID      string
	KeyFile       string // device.key path, "" when absent
	KeyFileMode   os.FileMode
	TrustSeq      uint64
	TrustFetched  time.Time
	StatusSeq     uint64
	StatusFetched time.Time
	Problems      []string // empty when the file is healthy
}

// Healthy reports whether Inspect found nothing wrong.
func (r *Report) Healthy() bool { return len(r.Problems) == 0 }

// maxProblems bounds how many check errors a report lists.
const maxProblems = 20

// Inspect opens path read-only (waiting up to timeout for a running
// hcscan), runs bbolt's consistency check and gathers counts. A file bbolt
// cannot open gives a report with the problem and an error wrapping
// ErrCorrupt; a held file gives ErrLocked.
func Inspect(path string, timeout time.Duration) (*Report, error) {
	rep := &Report{Path: path}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", path, err)
	}
	rep.Size, rep.Mode = fi.Size(), fi.Mode().Perm()
	var st syscall.Statfs_t
	if syscall.Statfs(filepath.Dir(path), &st) == nil {
		rep.FreeBytes = st.Bavail * uint64(st.Bsize)
	}
	kp := filepath.Join(filepath.Dir(path), DeviceKeyFile)
	if kfi, err := os.Stat(kp); err == nil {
		rep.KeyFile, rep.KeyFileMode = kp, kfi.Mode().Perm()
		if rep.KeyFileMode&0o077 != 0 {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s has mode %v; it should be 0600", kp, rep.KeyFileMode))
		}
	}
	if rep.Mode&0o077 != 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s has mode %v; it should be 0600", path, rep.Mode))
	}
	if timeout <= 0 {
		timeout = time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		err = openError(path, err)
		if errors.Is(err, ErrCorrupt) {
			rep.Problems = append(rep.Problems, "bbolt cannot open it: "+err.Error())
		}
		return rep, err
	}
	defer db.Close()
	err = func() (err error) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("reading it crashed: %v", r)
			}
		}()
		return db.View(func(tx *bolt.Tx) error { return inspectTx(tx, rep) })
	}()
	if err != nil {
		rep.Problems = append(rep.Problems, err.Error())
	}
	if !rep.Healthy() && err != nil {
		return rep, corruptError(path, err)
	}
	return rep, nil
}

func inspectTx(tx *bolt.Tx, rep *Report) error {
	// Walk everything in this goroutine first, where a damaged page is a
	// recoverable panic; bbolt's own check runs in a goroutine of its own,
	// where a wild pointer would end the process.
	if err := walkAll(tx); err != nil {
		return err
	}
	for err := range tx.Check() {
		if len(rep.Problems) < maxProblems {
			rep.Problems = append(rep.Problems, "bbolt check: "+err.Error())
		}
	}
	v, err := schemaOf(tx)
	if err != nil {
		return fmt.Errorf("not an hcscan data file: %w", err)
	}
	rep.Schema = v
	if v > SchemaVersion {
		rep.Problems = append(rep.Problems, fmt.Sprintf("schema %d is newer than this hcscan (%d)", v, SchemaVersion))
		return nil
	}
	for _, name := range schemaBuckets[v] {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("bucket %s is missing", name)
		}
	}
	if len(rep.Problems) > 0 {
		return nil // counting a damaged tree could crash
	}
	rep.Records = tx.Bucket(bRecords).Stats().KeyN
	rep.Pending = tx.Bucket(bOutbox).Stats().KeyN
	rep.Rejected = tx.Bucket(bDead).Stats().KeyN
	rep.Uploaded = rep.Records - rep.Pending - rep.Rejected
	rep.Operators = tx.Bucket(bOperators).Stats().KeyN
	if k, _ := tx.Bucket(bOutbox).Cursor().First(); k != nil {
		if r, err := recordBySeq(tx, k); err == nil {
			rep.OldestPending = r.Time
		} else {
			rep.Problems = append(rep.Problems, "oldest waiting record: "+err.Error())
		}
	}
	if d := tx.Bucket(bDevice).Get(kIdentity); d != nil {
		var dev Device
		if json.Unmarshal(d, &dev) == nil {
			rep.Enrolled, rep.DeviceID = true, dev.ID
		}
	}
	c := tx.Bucket(bCache)
	rep.TrustSeq, rep.TrustFetched = getU64(c.Get(kTrustSeq)), getTime(c, kTrustFetched)
	rep.StatusSeq, rep.StatusFetched = getU64(c.Get(kStatusSeq)), getTime(c, kStatusFetched)
	if v >= 2 {
		rep.Alerts = tx.Bucket(bAlerts).Stats().KeyN
		counters := tx.Bucket(bCounters)
		if n := int(getU64(counters.Get(kPending))); n != rep.Pending {
			rep.Problems = append(rep.Problems, fmt.Sprintf("pending counter says %d, the outbox holds %d", n, rep.Pending))
		}
		if n := int(getU64(counters.Get(kRecords))); n != rep.Records {
			rep.Problems = append(rep.Problems, fmt.Sprintf("record counter says %d, the file holds %d", n, rep.Records))
		}
	}
	return nil
}

// walkAll reads every key and value of every bucket and decodes every
// record.
func walkAll(tx *bolt.Tx) error {
	return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		var prev []byte
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if prev != nil && bytes.Compare(prev, k) >= 0 {
				return fmt.Errorf("bucket %s: keys out of order at %x", name, k)
			}
			prev = k
			if bytes.Equal(name, bRecords) {
				var r healthcode.Record
				if err := json.Unmarshal(v, &r); err != nil {
					return fmt.Errorf("record %d is unreadable: %w", getU64(k), err)
				}
			}
		}
		return nil
	})
}
