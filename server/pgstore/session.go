package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hcscan/server"
)

func (s *Store) PutSession(ctx context.Context, ss server.Session) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (hash, institution, kind, actor, csrf, expires, token) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		ss.Hash[:], ss.Institution, ss.Kind, ss.Actor, ss.CSRF, ss.Expires, ss.Token[:])
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

func (s *Store) Session(ctx context.Context, h server.SessionHash, now time.Time) (server.Session, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	ss := server.Session{Hash: h}
	var token []byte
	err := s.pool.QueryRow(ctx, `SELECT institution, kind, actor, csrf, expires, token FROM sessions WHERE hash = $1 AND expires >= $2`, h[:], now).
		Scan(&ss.Institution, &ss.Kind, &ss.Actor, &ss.CSRF, &ss.Expires, &token)
	copy(ss.Token[:], token)
	if errors.Is(err, pgx.ErrNoRows) {
		return server.Session{}, server.ErrNotFound
	}
	if err != nil {
		return server.Session{}, fmt.Errorf("session: %w", err)
	}
	return ss, nil
}

func (s *Store) DeleteSession(ctx context.Context, h server.SessionHash) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE hash = $1`, h[:]); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
