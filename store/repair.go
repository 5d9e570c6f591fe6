package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

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
		agg := newAppendTotals()
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
				err = tx.Bucket(bAcked).Put(ackedKey(r.When(), q), ackedAt[q])
			case StateRejected:
				err = tx.Bucket(bDead).Put(k, deadVals[q])
			default: // pending, or unknown: send again, the server keeps one
				err = tx.Bucket(bOutbox).Put(k, nil)
				res.Pending++
			}
			if err != nil {
				return err
			}
			if err := indexProvisional(tx, &r, q); err != nil {
				return err
			}
			agg.count(&r, s.opts.Location)
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
