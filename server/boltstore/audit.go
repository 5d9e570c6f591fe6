package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"hcscan/server"
)

func (s *Store) AddAudit(ctx context.Context, a server.AuditEntry) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
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

func (s *Store) Audit(ctx context.Context, institution string, limit int) ([]server.AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	prefix := append([]byte(institution), 0)
	upper := append(append([]byte{}, prefix...), bytes.Repeat([]byte{0xff}, 17)...)
	var out []server.AuditEntry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var ferr error
		scanBackward(tx, bAudit, prefix, upper, func(k []byte) bool {
			var a server.AuditEntry
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
