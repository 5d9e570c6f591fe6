package boltstore

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"hcscan/server"
)

func (s *Store) TrustState(ctx context.Context) (server.TrustState, error) {
	var ts server.TrustState
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bMeta).Get(metaTrust)
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &ts)
	})
	return ts, err
}

func (s *Store) PutTrustState(ctx context.Context, ts server.TrustState) error {
	return s.update(ctx, func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bMeta), metaTrust, ts) })
}
