package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"hcscan/server"
)

func (s *Store) TrustState(ctx context.Context) (server.TrustState, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	var ts server.TrustState
	var seq int64
	err := s.pool.QueryRow(ctx, `SELECT seq, fingerprint, doc FROM trust_state`).Scan(&seq, &ts.Fingerprint, &ts.Doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return server.TrustState{}, nil
	}
	ts.Seq = uint64(seq)
	return ts, err
}

// PutTrustState never lowers the sequence: of two processes that started
// together, the first one's list stands.
func (s *Store) PutTrustState(ctx context.Context, ts server.TrustState) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO trust_state (one, seq, fingerprint, doc) VALUES (true, $1, $2, $3)
		ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, fingerprint = excluded.fingerprint, doc = excluded.doc
		WHERE trust_state.seq < excluded.seq`, int64(ts.Seq), ts.Fingerprint, ts.Doc)
	if err != nil {
		return fmt.Errorf("save trust list: %w", err)
	}
	return nil
}
