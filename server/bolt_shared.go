package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// What several server processes would share (nonces, portal sessions) and
// the audit list, for the bbolt store.

func (s *BoltStore) CheckNonce(ctx context.Context, deviceID, nonce string, forget, now time.Time) (bool, error) {
	return s.nonces.check(deviceID, nonce, forget, now)
}

func (s *BoltStore) PutSession(ctx context.Context, ss Session) error {
	if err := s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bSessions), ss.Hash[:], ss) }); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

func (s *BoltStore) Session(ctx context.Context, h SessionHash, now time.Time) (Session, error) {
	var ss Session
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bSessions).Get(h[:])
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &ss)
	})
	if err == nil && now.After(ss.Expires) {
		return Session{}, ErrNotFound
	}
	return ss, err
}

func (s *BoltStore) DeleteSession(ctx context.Context, h SessionHash) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bSessions).Delete(h[:]) })
}

func pruneSessions(tx *bolt.Tx, now time.Time) error {
	b := tx.Bucket(bSessions)
	var old [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var ss Session
		if json.Unmarshal(v, &ss) != nil || now.After(ss.Expires) {
			old = append(old, append([]byte{}, k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (s *BoltStore) AddAudit(ctx context.Context, a AuditEntry) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAudit)
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		k := append(append(append([]byte(a.Institution), 0), timeKey(a.Time)...), u64(n)...)
		return putJSON(b, k, a)
	})
	if err != nil {
		return fmt.Errorf("save audit entry: %w", err)
	}
	return nil
}

func (s *BoltStore) Audit(ctx context.Context, institution string, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	prefix := append([]byte(institution), 0)
	upper := append(append([]byte{}, prefix...), bytes.Repeat([]byte{0xff}, 17)...)
	var out []AuditEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		var ferr error
		scanBackward(tx, bAudit, prefix, upper, func(k []byte) bool {
			var a AuditEntry
			if ferr = json.Unmarshal(tx.Bucket(bAudit).Get(k), &a); ferr != nil {
				return false
			}
			out = append(out, a)
			return len(out) < limit
		})
		return ferr
	})
	return out, err
}
