package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

// Device answers from the cache of devices looked up in the last
// deviceCacheTTL (every signed request looks its device up), else from
// the database.
func (s *Store) Device(ctx context.Context, id string) (server.Device, error) {
	if d, ok := s.devices.get(id, time.Now()); ok {
		return d, nil
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	d, err := scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceColumns+` FROM devices WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, server.ErrNotFound
	}
	if err == nil {
		s.devices.put(d, time.Now())
	}
	return d, err
}

// deviceCacheTTL is how long a process answers a device lookup from
// memory: a device disabled through another process is refused by this
// one at most this much later (through this one, at once).
const deviceCacheTTL = 2 * time.Second

// deviceCache holds recent device lookups.
type deviceCache struct {
	mu sync.Mutex
	m  map[string]cachedDevice
}

type cachedDevice struct {
	dev     server.Device
	fetched time.Time
}

func (c *deviceCache) get(id string, now time.Time) (server.Device, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || now.Sub(e.fetched) > deviceCacheTTL || now.Before(e.fetched) {
		return server.Device{}, false
	}
	return e.dev, true
}

func (c *deviceCache) put(d server.Device, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 200_000 {
		c.m = map[string]cachedDevice{}
	}
	c.m[d.ID] = cachedDevice{d, now}
}

func (c *deviceCache) forget(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
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
	s.devices.forget(id)
	tag, err := s.pool.Exec(ctx, `UPDATE devices SET disabled = $3 WHERE id = $2 AND institution = $1`, institution, id, disabled)
	if err != nil {
		return fmt.Errorf("device %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return server.ErrNotFound
	}
	return nil
}
