package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/server"
)

func (s *Store) PutToken(ctx context.Context, t server.Token) error {
	err := s.update(ctx, func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bTokens), t.Hash[:], t) })
	if err != nil {
		return fmt.Errorf("save token: %w", err)
	}
	return nil
}

func (s *Store) Token(ctx context.Context, h server.TokenHash) (server.Token, error) {
	var t server.Token
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bTokens).Get(h[:])
		if v == nil {
			return server.ErrTokenUnknown
		}
		return json.Unmarshal(v, &t)
	})
	return t, err
}

func (s *Store) Tokens(ctx context.Context, institution string) ([]server.Token, error) {
	var out []server.Token
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bTokens).ForEach(func(_, v []byte) error {
			var t server.Token
			if err := json.Unmarshal(v, &t); err != nil {
				return err
			}
			if t.Institution == institution {
				out = append(out, t)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, err
}

func (s *Store) RevokeToken(ctx context.Context, institution string, h server.TokenHash, now time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bTokens)
		v := b.Get(h[:])
		if v == nil {
			return server.ErrTokenUnknown
		}
		var t server.Token
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		if t.Institution != institution || t.Kind == server.TokenEnroll {
			return server.ErrTokenUnknown
		}
		if t.Revoked.IsZero() {
			t.Revoked = now
		}
		return putJSON(b, h[:], t)
	})
}

func (s *Store) Enroll(ctx context.Context, h server.TokenHash, dev server.Device, now time.Time) (server.Device, error) {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		tb := tx.Bucket(bTokens)
		v := tb.Get(h[:])
		if v == nil {
			return server.ErrTokenUnknown
		}
		var t server.Token
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		if err := t.Redeemable(now); err != nil {
			return err
		}
		t.UsedAt, t.UsedBy = now, dev.ID
		dev.Institution, dev.Gate, dev.Enrolled = t.Institution, t.Gate, now
		if err := putJSON(tb, h[:], t); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bDevices), []byte(dev.ID), dev)
	})
	return dev, err
}
