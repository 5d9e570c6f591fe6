package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hcscan/server"
)

const institutionColumns = `name, kind, address, contact, phone, time_zone, state, applied, decided, decided_by, note`

func scanInstitution(row pgx.Row) (server.Institution, error) {
	var in server.Institution
	var decided *time.Time
	err := row.Scan(&in.Name, &in.Kind, &in.Address, &in.Contact, &in.Phone, &in.TimeZone, &in.State, &in.Applied, &decided, &in.DecidedBy, &in.Note)
	if decided != nil {
		in.Decided = *decided
	}
	return in, err
}

func (s *Store) AddInstitution(ctx context.Context, in server.Institution) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO institutions (`+institutionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		in.Name, in.Kind, in.Address, in.Contact, in.Phone, in.TimeZone, in.State, in.Applied, nullTime(in.Decided), in.DecidedBy, in.Note)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return server.ErrInstitutionExists
	}
	if err != nil {
		return fmt.Errorf("add institution: %w", err)
	}
	return nil
}

func (s *Store) Institution(ctx context.Context, name string) (server.Institution, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	in, err := scanInstitution(s.pool.QueryRow(ctx, `SELECT `+institutionColumns+` FROM institutions WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return in, server.ErrNotFound
	}
	if err != nil {
		return in, fmt.Errorf("institution %s: %w", name, err)
	}
	return in, nil
}

func (s *Store) Institutions(ctx context.Context, state string) ([]server.Institution, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+institutionColumns+` FROM institutions WHERE $1 = '' OR state = $1 ORDER BY applied, name`, state)
	if err != nil {
		return nil, fmt.Errorf("institutions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (server.Institution, error) { return scanInstitution(r) })
	if err != nil {
		return nil, fmt.Errorf("institutions: %w", err)
	}
	return out, nil
}

func (s *Store) DecideInstitution(ctx context.Context, name, state, by, note string, now time.Time) (server.Institution, error) {
	var in server.Institution
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		in, err = scanInstitution(tx.QueryRow(ctx, `SELECT `+institutionColumns+` FROM institutions WHERE name = $1 FOR UPDATE`, name))
		if errors.Is(err, pgx.ErrNoRows) {
			return server.ErrNotFound
		}
		if err != nil {
			return err
		}
		if in.State != server.InstitutionPending {
			return server.ErrInstitutionDecided
		}
		in.State, in.Decided, in.DecidedBy, in.Note = state, now, by, note
		_, err = tx.Exec(ctx, `UPDATE institutions SET state = $2, decided = $3, decided_by = $4, note = $5 WHERE name = $1`, name, state, now, by, note)
		return err
	})
	return in, err
}
