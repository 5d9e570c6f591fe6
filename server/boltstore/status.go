package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
	"hcscan/server"
)

func (s *Store) SetStatus(ctx context.Context, changes []server.StatusChange, now time.Time) (uint64, int, error) {
	var seq uint64
	raised := 0
	err := s.update(ctx, func(tx *bolt.Tx) error {
		raised = 0
		st, lg := tx.Bucket(bStatus), tx.Bucket(bStatusLog)
		byHash, recs, alerts := tx.Bucket(bByHash), tx.Bucket(bRecords), tx.Bucket(bAlerts)
		for _, ch := range changes {
			if !ch.Colour.Valid() {
				return fmt.Errorf("code %s: colour %s is not green, yellow or red", ch.Hash, ch.Colour)
			}
			var old healthcode.StatusEntry
			known := false
			if v := st.Get(ch.Hash[:]); v != nil {
				known = json.Unmarshal(v, &old) == nil
			}
			changed, alert := healthcode.StatusTransition(old.Colour, known, ch.Colour)
			if !changed {
				continue
			}
			n, err := lg.NextSequence()
			if err != nil {
				return err
			}
			e := healthcode.StatusEntry{Hash: ch.Hash, Colour: ch.Colour, Updated: now.UTC(), Seq: n}
			if err := putJSON(st, ch.Hash[:], e); err != nil {
				return err
			}
			if err := lg.Put(u64(n), ch.Hash[:]); err != nil {
				return err
			}
			if !alert {
				continue
			}
			c := byHash.Cursor()
			for k, flag := c.Seek(ch.Hash[:]); k != nil && bytes.HasPrefix(k, ch.Hash[:]); k, flag = c.Next() {
				if len(flag) == 0 || flag[0] != 1 {
					continue
				}
				v := recs.Get(k[len(ch.Hash):])
				if v == nil {
					continue
				}
				r, err := decodeStored(v)
				if err != nil {
					return err
				}
				if err := putAlert(alerts, r.DeviceInstitution, k[len(ch.Hash):], &r.Record, ch.Colour, now); err != nil {
					return err
				}
				raised++
			}
		}
		seq = lg.Sequence()
		return s.pruneStatusLog(tx)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("set status: %w", err)
	}
	return seq, raised, nil
}

// pruneStatusLog keeps the last statusHistory log entries; a delta since a
// sequence before them is answered 410 (the client takes a snapshot).
func (s *Store) pruneStatusLog(tx *bolt.Tx) error {
	lg := tx.Bucket(bStatusLog)
	last := lg.Sequence()
	if last <= s.statusHistory {
		return nil
	}
	cut := last - s.statusHistory // entries ≤ cut go
	var keys [][]byte
	c := lg.Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= cut; k, _ = c.Next() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		if err := lg.Delete(k); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bMeta)
	if floor := meta.Get(metaStatusFloor); floor == nil || binary.BigEndian.Uint64(floor) < cut {
		return meta.Put(metaStatusFloor, u64(cut))
	}
	return nil
}

func (s *Store) Status(ctx context.Context, h healthcode.CodeHash) (healthcode.StatusEntry, bool, error) {
	var e healthcode.StatusEntry
	found := false
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bStatus).Get(h[:])
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &e)
	})
	return e, found, err
}

func (s *Store) StatusSince(ctx context.Context, since uint64, limit int, now time.Time) (*healthcode.StatusList, error) {
	sl := &healthcode.StatusList{Since: since, Generated: now.UTC(), Entries: []healthcode.StatusEntry{}}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		st, lg := tx.Bucket(bStatus), tx.Bucket(bStatusLog)
		sl.Seq = lg.Sequence()
		var floor uint64
		if f := tx.Bucket(bMeta).Get(metaStatusFloor); f != nil {
			floor = binary.BigEndian.Uint64(f)
		}
		if since == 0 && floor > 0 {
			// The log no longer holds every code: the snapshot is the
			// whole status bucket, in one answer.
			err := st.ForEach(func(_, v []byte) error {
				var e healthcode.StatusEntry
				if err := json.Unmarshal(v, &e); err != nil {
					return err
				}
				sl.Entries = append(sl.Entries, e)
				return nil
			})
			sort.Slice(sl.Entries, func(i, j int) bool { return sl.Entries[i].Seq < sl.Entries[j].Seq })
			return err
		}
		if since < floor || since > sl.Seq {
			return server.ErrStatusGone
		}
		// The log in sequence order, each code at its latest change.
		c := lg.Cursor()
		for k, v := c.Seek(u64(since + 1)); k != nil; k, v = c.Next() {
			ev := st.Get(v)
			if ev == nil {
				continue
			}
			var e healthcode.StatusEntry
			if err := json.Unmarshal(ev, &e); err != nil {
				return err
			}
			if e.Seq != binary.BigEndian.Uint64(k) {
				continue // the code changed again later
			}
			if limit > 0 && len(sl.Entries) == limit {
				sl.More, sl.Seq = true, sl.Entries[limit-1].Seq
				return nil
			}
			sl.Entries = append(sl.Entries, e)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, server.ErrStatusGone) {
			return nil, err
		}
		return nil, fmt.Errorf("status since %d: %w", since, err)
	}
	sort.Slice(sl.Entries, func(i, j int) bool { return sl.Entries[i].Seq < sl.Entries[j].Seq })
	return sl, nil
}
