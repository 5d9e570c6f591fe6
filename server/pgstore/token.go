package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hcscan/server"
)

func (s *Store) PutToken(ctx context.Context, t server.Token) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens (hash, kind, institution, gate, hint, created, expires, used_at, used_by, revoked, made_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (hash) DO UPDATE SET kind = $2, institution = $3, gate = $4, hint = $5, created = $6, expires = $7, used_at = $8, used_by = $9, revoked = $10, made_by = $11`,
		t.Hash[:], t.Kind, t.Institution, t.Gate, t.Hint, t.Created, t.Expires, nullTime(t.UsedAt), t.UsedBy, nullTime(t.Revoked), t.MadeBy)
	if err != nil {
		return fmt.Errorf("save token: %w", err)
	}
	return nil
}

const tokenColumns = `hash, kind, institution, gate, hint, created, expires, used_at, used_by, revoked, made_by`

func scanToken(row pgx.Row) (server.Token, error) {
	var t server.Token
	var hash []byte
	var usedAt, revoked *time.Time
	if err := row.Scan(&hash, &t.Kind, &t.Institution, &t.Gate, &t.Hint, &t.Created, &t.Expires, &usedAt, &t.UsedBy, &revoked, &t.MadeBy); err != nil {
		return t, err
	}
	copy(t.Hash[:], hash)
	if usedAt != nil {
		t.UsedAt = *usedAt
	}
	if revoked != nil {
		t.Revoked = *revoked
	}
	return t, nil
}

func (s *Store) Token(ctx context.Context, h server.TokenHash) (server.Token, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, h[:]))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, server.ErrTokenUnknown
	}
	return t, err
}

func (s *Store) Tokens(ctx context.Context, institution string) ([]server.Token, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE institution = $1 ORDER BY created DESC`, institution)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (server.Token, error) { return scanToken(r) })
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	return out, nil
}

func (s *Store) RevokeToken(ctx context.Context, institution string, h server.TokenHash, now time.Time) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE tokens SET revoked = coalesce(revoked, $3)
		WHERE hash = $1 AND institution = $2 AND kind <> 'enroll'`, h[:], institution, now)
	if err != nil {
		return fmt.Errorf("revoke login: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return server.ErrTokenUnknown
	}
	return nil
}

func (s *Store) Enroll(ctx context.Context, h server.TokenHash, dev server.Device, now time.Time) (server.Device, error) {
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		t, err := scanToken(tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1 FOR UPDATE`, h[:]))
		if errors.Is(err, pgx.ErrNoRows) {
			return server.ErrTokenUnknown
		}
		if err != nil {
			return err
		}
		if err := t.Redeemable(now); err != nil {
			return err
		}
		dev.Institution, dev.Gate, dev.Enrolled = t.Institution, t.Gate, now
		if _, err := tx.Exec(ctx, `UPDATE tokens SET used_at = $2, used_by = $3 WHERE hash = $1`, h[:], now, dev.ID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO devices (id, public_key, institution, gate, name, software, enrolled, disabled)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			dev.ID, []byte(dev.PublicKey), dev.Institution, dev.Gate, dev.Name, dev.Software, dev.Enrolled, dev.Disabled)
		return err
	})
	return dev, err
}
