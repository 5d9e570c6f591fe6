package pgstore

import (
	"context"
	"fmt"
	"time"
)

func (s *Store) CheckNonce(ctx context.Context, deviceID, nonce string, forget, now time.Time) (bool, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	// A row left over after its time (not yet pruned) does not count.
	tag, err := s.nonces.Exec(ctx, `INSERT INTO nonces (device_id, nonce, forget) VALUES ($1, $2, $3)
		ON CONFLICT (device_id, nonce) DO UPDATE SET forget = excluded.forget WHERE nonces.forget < $4`, deviceID, nonce, forget, now)
	if err != nil {
		return false, fmt.Errorf("check nonce: %w", storageError(err))
	}
	return tag.RowsAffected() == 1, nil
}
