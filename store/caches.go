package store

import (
	"bytes"
	"encoding/binary"
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
