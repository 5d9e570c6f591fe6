package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hcscan/healthcode"
	"hcscan/protocol"
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
	rows, err := s.pool.Query(ctx, `SELECT device_id, record_id::text, gate, at, code_hash, colour, raised, name, acked, acked_by
		FROM alerts WHERE institution = $1 ORDER BY raised DESC, device_id, record_id`, institution)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (server.Alert, error) {
		var a server.Alert
		var hash []byte
		var colour int16
		var acked *time.Time
		err := r.Scan(&a.DeviceID, &a.RecordID, &a.Gate, &a.Time, &hash, &colour, &a.Raised, &a.Name, &acked, &a.AckedBy)
		copy(a.CodeHash[:], hash)
		a.Colour = healthcode.Colour(colour)
		if acked != nil {
			a.Acked = acked.UTC()
		}
		return a, err
	})
}

func (s *Store) AckAlerts(ctx context.Context, dev server.Device, acks []protocol.AlertAck, now time.Time) ([]protocol.AlertAckResult, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	ids := make([]string, len(acks))
	ops := make([]string, len(acks))
	ats := make([]time.Time, len(acks))
	for i, a := range acks {
		ids[i], ops[i], ats[i] = a.RecordID, a.Operator, a.At
	}
	// The first acknowledgement stays; every alert of the device named is
	// returned, acknowledged before or now.
	rows, err := s.pool.Query(ctx, `UPDATE alerts SET acked = coalesce(acked, a.at), acked_by = CASE WHEN acked IS NULL THEN a.op ELSE acked_by END
		FROM unnest($3::text[], $4::text[], $5::timestamptz[]) AS a(id, op, at)
		WHERE institution = $1 AND device_id = $2 AND record_id = a.id::uuid
		RETURNING record_id::text`, dev.Institution, dev.ID, ids, ops, ats)
	if err != nil {
		return nil, fmt.Errorf("acknowledge alerts: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("acknowledge alerts: %w", err)
	}
	kept := map[string]bool{}
	for _, id := range found {
		kept[id] = true
	}
	out := make([]protocol.AlertAckResult, len(acks))
	for i, a := range acks {
		out[i] = protocol.AlertAckResult{RecordID: a.RecordID, Status: protocol.AckUnknown}
		if kept[a.RecordID] {
			out[i].Status = protocol.AckKept
		}
	}
	return out, nil
}
