package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/server"
)

func (s *Store) PutSession(ctx context.Context, ss server.Session) error {
	if err := s.update(ctx, func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bSessions), ss.Hash[:], ss) }); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

func (s *Store) Session(ctx context.Context, h server.SessionHash, now time.Time) (server.Session, error) {
	var ss server.Session
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bSessions).Get(h[:])
		if v == nil {
			return server.ErrNotFound
		}
		return json.Unmarshal(v, &ss)
	})
	if err == nil && now.After(ss.Expires) {
		return server.Session{}, server.ErrNotFound
	}
	return ss, err
}

func (s *Store) DeleteSession(ctx context.Context, h server.SessionHash) error {
	return s.update(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bSessions).Delete(h[:]) })
}

func pruneSessions(tx *bolt.Tx, now time.Time) error {
	b := tx.Bucket(bSessions)
	var old [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var ss server.Session
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
