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

// RepairResult says what Repair did.
type RepairResult struct {
	Aside    string // where the damaged file now is (kept as it was)
	Records  int    // records copied into the new file
	Pending  int    // of which still waiting for upload
	Lost     int    // records seen in an index but unreadable
	Device   bool   // the enrolment was copied
	Messages []string
}

// Repair moves the damaged data file at path aside (renamed, byte for
// byte unchanged), starts a new file at path, and copies into it what can
// still be read: records with their upload state (a record whose state is
// unreadable is queued again; the server ignores duplicates), the
// enrolment, operators, settings, alerts and the trust list. The status
// cache is not copied; the next sync fetches it. Call it only when the
// operator asked for it.
func Repair(path string, now time.Time, opts Options) (*RepairResult, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("repair %s: %w", path, err)
	}
	// A running hcscan holds the lock; do not move its file away.
	if probe, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 500 * time.Millisecond}); err == nil {
		probe.Close()
	} else if errors.Is(openError(path, err), ErrLocked) {
		return nil, openError(path, err)
	}
	res := &RepairResult{Aside: fmt.Sprintf("%s.damaged-%s", path, now.Format("20060102T150405"))}
	if _, err := os.Stat(res.Aside); err == nil {
		return nil, fmt.Errorf("repair %s: %s already exists", path, res.Aside)
	}
	if err := os.Rename(path, res.Aside); err != nil {
		return nil, fmt.Errorf("repair %s: move aside: %w", path, err)
	}
	if err := os.Chmod(res.Aside, 0o600); err != nil {
		res.Messages = append(res.Messages, "could not restrict the damaged copy to 0600: "+err.Error())
	}
	opts.ReadOnly = false
	s, err := Open(path, opts)
	if err != nil {
		return res, fmt.Errorf("repair %s: start a new file: %w", path, err)
	}
	defer s.Close()
	old, err := bolt.Open(res.Aside, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		res.Messages = append(res.Messages, "nothing could be read from the damaged file: "+err.Error())
		return res, nil
	}
	defer old.Close()
	if err := salvage(old, s, res); err != nil {
		return res, fmt.Errorf("repair %s: %w", path, err)
	}
	return res, nil
}

// safely runs fn, turning a bbolt panic on a damaged page into an error.
func safely(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("damaged: %v", r)
		}
	}()
	return fn()
}

// keysOf collects a bucket's keys, as many as can be read.
func keysOf(tx *bolt.Tx, name []byte, fn func(k, v []byte)) error {
	return safely(func() error {
		b := tx.Bucket(name)
		if b == nil {
			return fmt.Errorf("no bucket %s", name)
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			fn(bytes.Clone(k), bytes.Clone(v))
		}
		return nil
	})
}

func salvage(old *bolt.DB, s *Store, res *RepairResult) error {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	seqs := map[uint64]State{}
	note := func(what string, err error) {
		if err != nil {
			res.Messages = append(res.Messages, what+": "+err.Error())
		}
	}
	type kv struct{ k, v []byte }
	var device []byte
	var operators, settings, alerts, cache []kv
	deadVals := map[uint64][]byte{}
	ackedAt := map[uint64][]byte{}
	recs := map[uint64]healthcode.Record{}
	err := old.View(func(tx *bolt.Tx) error {
		note("record ids", keysOf(tx, bIDs, func(_, v []byte) { seqs[getU64(v)] = 0 }))
		note("acknowledged marks", keysOf(tx, bAcked, func(k, v []byte) {
			if len(k) == 16 {
				q := getU64(k[8:])
				seqs[q], ackedAt[q] = StateUploaded, v
			}
		}))
		note("dead letters", keysOf(tx, bDead, func(k, v []byte) { seqs[getU64(k)], deadVals[getU64(k)] = StateRejected, v }))
		note("outbox", keysOf(tx, bOutbox, func(k, _ []byte) { seqs[getU64(k)] = StatePending }))
		note("records", keysOf(tx, bRecords, func(k, _ []byte) {
			if _, ok := seqs[getU64(k)]; !ok {
				seqs[getU64(k)] = 0
			}
		}))
		for q := range seqs {
			var r healthcode.Record
			err := safely(func() error {
				v := tx.Bucket(bRecords).Get(u64(q))
				if v == nil {
					return ErrNotFound
				}
				return json.Unmarshal(v, &r)
			})
			if err != nil || r.ID == "" {
				res.Lost++
				continue
			}
			r.Seq = q
			recs[q] = r
		}
		_ = safely(func() error {
			if b := tx.Bucket(bDevice); b != nil {
				device = bytes.Clone(b.Get(kIdentity))
			}
			return nil
		})
		note("operators", keysOf(tx, bOperators, func(k, v []byte) { operators = append(operators, kv{k, v}) }))
		note("settings", keysOf(tx, bSettings, func(k, v []byte) { settings = append(settings, kv{k, v}) }))
		note("alerts", keysOf(tx, bAlerts, func(k, v []byte) { alerts = append(alerts, kv{k, v}) }))
		note("trust list", keysOf(tx, bCache, func(k, v []byte) {
			if bytes.HasPrefix(k, []byte("trust.")) {
				cache = append(cache, kv{k, v})
			}
		}))
		return nil
	})
	if err != nil {
		note("reading the damaged file", err)
	}
	return s.update(func(tx *bolt.Tx) error {
		agg := appendTotals{days: map[string]*Counters{}}
		var maxSeq uint64
		for q, r := range recs {
			v, err := json.Marshal(r)
			if err != nil {
				return err
			}
			k := u64(q)
			if err := tx.Bucket(bRecords).Put(k, v); err != nil {
				return err
			}
			if err := tx.Bucket(bIDs).Put([]byte(r.ID), k); err != nil {
				return err
			}
			st := seqs[q]
			switch st {
			case StateUploaded:
				err = tx.Bucket(bAcked).Put(ackedKey(r.Time, q), ackedAt[q])
			case StateRejected:
				err = tx.Bucket(bDead).Put(k, deadVals[q])
			default: // pending, or unknown: send again, the server keeps one
				err = tx.Bucket(bOutbox).Put(k, nil)
				res.Pending++
			}
			if err != nil {
				return err
			}
			if provisionalPass(&r) {
				if err := tx.Bucket(bProvisional).Put(provKey(r.CodeHash, q), nil); err != nil {
					return err
				}
			}
			agg.n++
			day := r.Time.In(s.opts.Location).Format(dayLayout)
			if agg.days[day] == nil {
				agg.days[day] = &Counters{}
			}
			agg.days[day].add(&r)
			maxSeq = max(maxSeq, q)
			res.Records++
		}
		if err := agg.flush(tx.Bucket(bCounters)); err != nil {
			return err
		}
		// Uploaded records do not wait: the pending counter counts the outbox only.
		if err := tx.Bucket(bCounters).Put(kPending, u64(uint64(res.Pending))); err != nil {
			return err
		}
		// New records continue the device's sequence.
		if err := tx.Bucket(bRecords).SetSequence(maxSeq); err != nil {
			return err
		}
		if device != nil {
			if err := tx.Bucket(bDevice).Put(kIdentity, device); err != nil {
				return err
			}
			res.Device = true
		}
		for _, set := range []struct {
			b   []byte
			kvs []kv
		}{{bOperators, operators}, {bSettings, settings}, {bAlerts, alerts}, {bCache, cache}} {
			for _, e := range set.kvs {
				if err := tx.Bucket(set.b).Put(e.k, e.v); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
