package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

var (
	kTrustRaw      = []byte("trust.raw")
	kTrustSeq      = []byte("trust.seq")
	kTrustFetched  = []byte("trust.fetched")
	kStatusSeq     = []byte("status.seq")
	kStatusFetched = []byte("status.fetched")
)

func putTime(b *bolt.Bucket, k []byte, t time.Time) error {
	v, err := t.MarshalBinary()
	if err != nil {
		return err
	}
	return b.Put(k, v)
}

func getTime(b *bolt.Bucket, k []byte) time.Time {
	var t time.Time
	if v := b.Get(k); v != nil {
		_ = t.UnmarshalBinary(v)
	}
	return t
}

// SaveTrustList caches the signed trust list as fetched (raw bytes, which
// healthcode.ParseTrustList verifies again on every start). A lower seq
// than the cached one is refused with ErrRollback; the same seq only
// updates the fetch time (a 304 Not Modified).
func (s *Store) SaveTrustList(raw []byte, seq uint64, fetched time.Time) error {
	err := s.update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCache)
		old := getU64(c.Get(kTrustSeq))
		if c.Get(kTrustRaw) != nil && seq < old {
			return fmt.Errorf("trust list %d is older than the cached %d: %w", seq, old, ErrRollback)
		}
		if raw != nil {
			if err := c.Put(kTrustRaw, raw); err != nil {
				return err
			}
		}
		if err := c.Put(kTrustSeq, u64(seq)); err != nil {
			return err
		}
		return putTime(c, kTrustFetched, fetched)
	})
	if err != nil {
		return fmt.Errorf("save trust list: %w", err)
	}
	return nil
}

// TrustList returns the cached signed trust list (nil when none yet).
func (s *Store) TrustList() (raw []byte, seq uint64, fetched time.Time, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCache)
		raw = bytes.Clone(c.Get(kTrustRaw))
		seq = getU64(c.Get(kTrustSeq))
		fetched = getTime(c, kTrustFetched)
		return nil
	})
	return raw, seq, fetched, err
}

// StatusSeq is the sequence of the status list the cache holds (0: none).
func (s *Store) StatusSeq() (uint64, error) {
	var seq uint64
	err := s.view(func(tx *bolt.Tx) error { seq = getU64(tx.Bucket(bCache).Get(kStatusSeq)); return nil })
	return seq, err
}

// StatusFetched is when the status list was last fetched (zero: never);
// the verdict is provisional when it is too old.
func (s *Store) StatusFetched() (time.Time, error) {
	var t time.Time
	err := s.view(func(tx *bolt.Tx) error { t = getTime(tx.Bucket(bCache), kStatusFetched); return nil })
	return t, err
}

func encodeStatus(e healthcode.StatusEntry) []byte {
	b := make([]byte, 17)
	b[0] = byte(e.Colour)
	binary.BigEndian.PutUint64(b[1:], uint64(e.Updated.UnixNano()))
	binary.BigEndian.PutUint64(b[9:], e.Seq)
	return b
}

func decodeStatus(h healthcode.CodeHash, b []byte) (healthcode.StatusEntry, bool) {
	if len(b) != 17 {
		return healthcode.StatusEntry{}, false
	}
	return healthcode.StatusEntry{
		Hash:    h,
		Colour:  healthcode.Colour(b[0]),
		Updated: time.Unix(0, int64(binary.BigEndian.Uint64(b[1:]))).UTC(),
		Seq:     binary.BigEndian.Uint64(b[9:]),
	}, true
}

// ApplyStatus merges a status delta (a newer entry replaces an older one)
// and records seq and the fetch time; seq lower than the cached one is
// refused with ErrRollback. Provisional passes whose code turned yellow or
// red before the check get an alert, returned so the sync can report them.
func (s *Store) ApplyStatus(entries []healthcode.StatusEntry, seq uint64, fetched time.Time) ([]Alert, error) {
	return s.applyStatus(entries, seq, fetched, false)
}

// ReplaceStatus is ApplyStatus for a snapshot: it drops every cached entry
// first (the server answered 410 Gone to a delta request).
func (s *Store) ReplaceStatus(entries []healthcode.StatusEntry, seq uint64, fetched time.Time) ([]Alert, error) {
	return s.applyStatus(entries, seq, fetched, true)
}

func (s *Store) applyStatus(entries []healthcode.StatusEntry, seq uint64, fetched time.Time, snapshot bool) ([]Alert, error) {
	var alerts []Alert
	err := s.update(func(tx *bolt.Tx) error {
		alerts = nil
		cache := tx.Bucket(bCache)
		// A snapshot replaces everything: the server sends one (signed) when its
		// sequence no longer matches ours, e.g. after a restored database.
		if old := getU64(cache.Get(kStatusSeq)); seq < old && !snapshot {
			return fmt.Errorf("status list %d is older than the cached %d: %w", seq, old, ErrRollback)
		}
		if snapshot {
			if err := tx.DeleteBucket(bStatus); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(bStatus); err != nil {
				return err
			}
		}
		st := tx.Bucket(bStatus)
		for _, e := range entries {
			if old, ok := decodeStatus(e.Hash, st.Get(e.Hash[:])); ok && old.Seq > e.Seq {
				continue
			}
			if err := st.Put(bytes.Clone(e.Hash[:]), encodeStatus(e)); err != nil {
				return err
			}
			if e.Colour.Stops() {
				a, err := s.alertProvisional(tx, e)
				if err != nil {
					return err
				}
				alerts = append(alerts, a...)
			}
		}
		if err := cache.Put(kStatusSeq, u64(seq)); err != nil {
			return err
		}
		return putTime(cache, kStatusFetched, fetched)
	})
	if err != nil {
		return nil, fmt.Errorf("apply status list %d: %w", seq, err)
	}
	return alerts, nil
}

// alertProvisional raises an alert for each provisional pass of the code
// that was checked after the code had already turned e.Colour.
func (s *Store) alertProvisional(tx *bolt.Tx, e healthcode.StatusEntry) ([]Alert, error) {
	var keys [][]byte
	c := tx.Bucket(bProvisional).Cursor()
	for k, _ := c.Seek(e.Hash[:]); k != nil && bytes.HasPrefix(k, e.Hash[:]); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k[16:]))
	}
	var out []Alert
	for _, seqKey := range keys {
		r, err := recordBySeq(tx, seqKey)
		if err != nil {
			return nil, err
		}
		checked := r.CorrectedTime
		if checked.IsZero() {
			checked = r.Time
		}
		if e.Updated.After(checked) || tx.Bucket(bAlerts).Get(seqKey) != nil {
			continue
		}
		a := Alert{RecordID: r.ID, Seq: r.Seq, Colour: e.Colour, Created: s.opts.Now(),
			Reason: fmt.Sprintf("passed provisionally; the code was already %s since %s", e.Colour, e.Updated.In(s.opts.Location).Format("2006-01-02 15:04"))}
		if err := putAlert(tx, a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Lookup implements healthcode.StatusLookup from the cache. A read error
// is logged and answers "no entry" (the verdict is then provisional by age).
func (s *Store) Lookup(h healthcode.CodeHash) (healthcode.StatusEntry, bool) {
	var e healthcode.StatusEntry
	var ok bool
	err := s.view(func(tx *bolt.Tx) error {
		e, ok = decodeStatus(h, tx.Bucket(bStatus).Get(h[:]))
		return nil
	})
	if err != nil {
		s.log.Error("status lookup failed", "err", err)
		return healthcode.StatusEntry{}, false
	}
	return e, ok
}

var _ healthcode.StatusLookup = (*Store)(nil)

// Alert tells the operator (and, through sync, the province) that a
// record passed provisionally but the code was yellow or red by then.
type Alert struct {
	RecordID string            `json:"record_id"`
	Seq      uint64            `json:"seq"`
	Colour   healthcode.Colour `json:"colour,omitempty"`
	Reason   string            `json:"reason"`
	Created  time.Time         `json:"created"`
	Seen     bool              `json:"seen,omitempty"`     // the operator acknowledged it on screen
	Reported bool              `json:"reported,omitempty"` // the server was told
}

func putAlert(tx *bolt.Tx, a Alert) error {
	v, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return tx.Bucket(bAlerts).Put(u64(a.Seq), v)
}

// AddAlert raises an alert for a stored record (one per record; a second
// call replaces the reason).
func (s *Store) AddAlert(recordID, reason string) error {
	err := s.update(func(tx *bolt.Tx) error {
		k := tx.Bucket(bIDs).Get([]byte(recordID))
		if k == nil {
			return ErrNotFound
		}
		return putAlert(tx, Alert{RecordID: recordID, Seq: getU64(k), Reason: reason, Created: s.opts.Now()})
	})
	if err != nil {
		return fmt.Errorf("alert for record %s: %w", recordID, err)
	}
	return nil
}

// Alerts lists every alert, oldest record first.
func (s *Store) Alerts() ([]Alert, error) {
	var out []Alert
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bAlerts).ForEach(func(_, v []byte) error {
			var a Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return out, nil
}

// MarkAlert sets Seen and/or Reported on the alert of recordID.
func (s *Store) MarkAlert(recordID string, seen, reported bool) error {
	err := s.update(func(tx *bolt.Tx) error {
		k := tx.Bucket(bIDs).Get([]byte(recordID))
		if k == nil {
			return ErrNotFound
		}
		v := tx.Bucket(bAlerts).Get(k)
		if v == nil {
			return ErrNotFound
		}
		var a Alert
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		a.Seen = a.Seen || seen
		a.Reported = a.Reported || reported
		return putAlert(tx, a)
	})
	if err != nil {
		return fmt.Errorf("mark alert of record %s: %w", recordID, err)
	}
	return nil
}
