package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hcscan/healthcode"
	"hcscan/server"
)

// insertProvisional keeps the provisional passes by code hash and flags
// those whose code already has a colour that stops (Colour.Stops).
func (s *Store) insertProvisional(ctx context.Context, tx pgx.Tx, dev server.Device, batch []server.IngestRecord, prov []int, now time.Time) error {
	var hashes [][]byte
	var ids, gates, names []string
	var ats []time.Time
	for _, i := range prov {
		r := &batch[i].Record
		hashes = append(hashes, r.CodeHash[:])
		ids = append(ids, batch[i].ID)
		gates = append(gates, r.Gate)
		names = append(names, r.Name)
		ats = append(ats, server.When(r))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO provisional_passes (code_hash, device_id, record_id, institution, gate, at, name)
		SELECT p.hash, $2, p.id::uuid, $3, p.gate, p.at, p.name
		FROM unnest($1::bytea[], $4::text[], $5::text[], $6::timestamptz[], $7::text[]) AS p(hash, id, gate, at, name)
		ON CONFLICT DO NOTHING`, hashes, dev.ID, dev.Institution, ids, gates, ats, names); err != nil {
		return err
	}
	// From the batch's own arrays joined with the status by hash: reading
	// provisional_passes by device and record id would scan the table.
	_, err := tx.Exec(ctx, `INSERT INTO alerts (institution, device_id, record_id, gate, at, code_hash, colour, raised, name)
		SELECT $3, $2, p.id::uuid, p.gate, p.at, p.hash, st.colour, $8, p.name
		FROM unnest($1::bytea[], $4::text[], $5::text[], $6::timestamptz[], $7::text[]) AS p(hash, id, gate, at, name)
		JOIN status st ON st.hash = p.hash
		WHERE st.colour = ANY($9::smallint[])
		ON CONFLICT (institution, device_id, record_id) DO UPDATE SET colour = excluded.colour`,
		hashes, dev.ID, dev.Institution, ids, gates, ats, names, now, stoppingColours())
	return err
}

// stoppingColours are the colours that stop their holder
// (healthcode.Colour.Stops), as the status table stores them.
func stoppingColours() []int16 {
	var out []int16
	for _, c := range []healthcode.Colour{healthcode.Green, healthcode.Yellow, healthcode.Red} {
		if c.Stops() {
			out = append(out, int16(c))
		}
	}
	return out
}

func (s *Store) Alerts(ctx context.Context, institution string) ([]server.Alert, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT device_id, record_id::text, gate, at, code_hash, colour, raised, name
		FROM alerts WHERE institution = $1 ORDER BY raised DESC, device_id, record_id`, institution)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (server.Alert, error) {
		var a server.Alert
		var hash []byte
		var colour int16
		err := r.Scan(&a.DeviceID, &a.RecordID, &a.Gate, &a.Time, &hash, &colour, &a.Raised, &a.Name)
		copy(a.CodeHash[:], hash)
		a.Colour = healthcode.Colour(colour)
		return a, err
	})
}
