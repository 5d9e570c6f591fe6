package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hcscan/server"
)

const staffColumns = `institution, id, name, phone, role, verifier, setup, disabled, created, updated`

func scanStaff(row pgx.Row) (server.StaffMember, error) {
	var m server.StaffMember
	err := row.Scan(&m.Institution, &m.ID, &m.Name, &m.Phone, &m.Role, &m.Verifier, &m.Setup, &m.Disabled, &m.Created, &m.Updated)
	return m, err
}

func (s *Store) AddStaff(ctx context.Context, m server.StaffMember) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO staff (`+staffColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		m.Institution, m.ID, m.Name, m.Phone, m.Role, m.Verifier, m.Setup, m.Disabled, m.Created, m.Updated)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return server.ErrStaffExists
	}
	if err != nil {
		return fmt.Errorf("add staff: %w", err)
	}
	return nil
}

func (s *Store) Staff(ctx context.Context, institution string) ([]server.StaffMember, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+staffColumns+` FROM staff WHERE institution = $1 ORDER BY name COLLATE "C"`, institution)
	if err != nil {
		return nil, fmt.Errorf("staff: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (server.StaffMember, error) { return scanStaff(r) })
	if err != nil {
		return nil, fmt.Errorf("staff: %w", err)
	}
	return out, nil
}

func (s *Store) UpdateStaff(ctx context.Context, institution, id string, fn func(*server.StaffMember) error) (server.StaffMember, error) {
	var m server.StaffMember
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		m, err = scanStaff(tx.QueryRow(ctx, `SELECT `+staffColumns+` FROM staff WHERE institution = $1 AND id = $2 FOR UPDATE`, institution, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return server.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := fn(&m); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE staff SET name = $3, phone = $4, role = $5, verifier = $6, setup = $7, disabled = $8, updated = $9
			WHERE institution = $1 AND id = $2`, institution, id, m.Name, m.Phone, m.Role, m.Verifier, m.Setup, m.Disabled, m.Updated)
		return err
	})
	return m, err
}
