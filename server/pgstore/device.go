package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hcscan/server"
)

const deviceColumns = `id, public_key, institution, gate, name, software, enrolled, disabled`

func scanDevice(row pgx.Row) (server.Device, error) {
	var d server.Device
	var pub []byte
	err := row.Scan(&d.ID, &pub, &d.Institution, &d.Gate, &d.Name, &d.Software, &d.Enrolled, &d.Disabled)
	d.PublicKey = pub
	return d, err
}

// Device answers from the cache of devices looked up before (every
// signed request looks its device up), else from the database.
func (s *Store) Device(ctx context.Context, id string) (server.Device, error) {
	if d, ok := s.devices.get(id, time.Now()); ok {
		return d, nil
	}
	gen := s.devices.generation()
	ctx, cancel := bound(ctx)
	defer cancel()
	d, err := scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceColumns+` FROM devices WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, server.ErrNotFound
	}
	if err == nil {
		s.devices.put(d, gen, time.Now())
	}
	return d, err
}

func (s *Store) Devices(ctx context.Context, institution string) ([]server.Device, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+deviceColumns+` FROM devices WHERE institution = $1 ORDER BY enrolled, id`, institution)
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (server.Device, error) { return scanDevice(r) })
}

func (s *Store) SetDeviceDisabled(ctx context.Context, institution, id string, disabled bool) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	// Forgotten here at once, and by every process when the trigger's
	// notification comes (this one's too: a lookup meanwhile may have
	// read the row before the change).
	s.devices.forget(id)
	tag, err := s.pool.Exec(ctx, `UPDATE devices SET disabled = $3 WHERE id = $2 AND institution = $1`, institution, id, disabled)
	s.devices.forget(id)
	if err != nil {
		return fmt.Errorf("device %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return server.ErrNotFound
	}
	return nil
}
