package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"hcscan/healthcode"
	"hcscan/server"
)

func (s *Store) SetStatus(ctx context.Context, changes []server.StatusChange, now time.Time) (uint64, int, error) {
	var seq int64
	raised := 0
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		raised = 0
		var floor int64
		// The lock on the head row orders writers: a sequence is visible
		// only after every lower one.
		if err := tx.QueryRow(ctx, `SELECT seq, floor FROM status_head FOR UPDATE`).Scan(&seq, &floor); err != nil {
			return err
		}
		for _, ch := range changes {
			if !ch.Colour.Valid() {
				return fmt.Errorf("code %s: colour %s is not green, yellow or red", ch.Hash, ch.Colour)
			}
			var old int16
			err := tx.QueryRow(ctx, `SELECT colour FROM status WHERE hash = $1`, ch.Hash[:]).Scan(&old)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			changed, alert := healthcode.StatusTransition(healthcode.Colour(old), err == nil, ch.Colour)
			if !changed {
				continue
			}
			seq++
			if _, err := tx.Exec(ctx, `INSERT INTO status (hash, colour, updated, seq) VALUES ($1, $2, $3, $4)
				ON CONFLICT (hash) DO UPDATE SET colour = $2, updated = $3, seq = $4`, ch.Hash[:], int16(ch.Colour), now.UTC(), seq); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO status_log (seq, hash, colour, at) VALUES ($1, $2, $3, $4)`, seq, ch.Hash[:], int16(ch.Colour), now.UTC()); err != nil {
				return err
			}
			if !alert {
				continue
			}
			tag, err := tx.Exec(ctx, `INSERT INTO alerts (institution, device_id, record_id, gate, at, code_hash, colour, raised, name)
				SELECT institution, device_id, record_id, gate, at, code_hash, $2, $3, name FROM provisional_passes WHERE code_hash = $1
				ON CONFLICT (institution, device_id, record_id) DO UPDATE SET colour = excluded.colour`, ch.Hash[:], int16(ch.Colour), now)
			if err != nil {
				return err
			}
			raised += int(tag.RowsAffected())
		}
		if cut := seq - s.statusHistory; cut > floor {
			if _, err := tx.Exec(ctx, `DELETE FROM status_log WHERE seq <= $1`, cut); err != nil {
				return err
			}
			floor = cut
		}
		_, err := tx.Exec(ctx, `UPDATE status_head SET seq = $1, floor = $2`, seq, floor)
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("set status: %w", err)
	}
	s.status.committed(uint64(seq))
	return uint64(seq), raised, nil
}

func scanStatus(r pgx.CollectableRow) (healthcode.StatusEntry, error) {
	var e healthcode.StatusEntry
	var hash []byte
	var colour int16
	var seq int64
	err := r.Scan(&hash, &colour, &e.Updated, &seq)
	copy(e.Hash[:], hash)
	e.Colour, e.Seq, e.Updated = healthcode.Colour(colour), uint64(seq), e.Updated.UTC()
	return e, err
}

func (s *Store) StatusSince(ctx context.Context, since uint64, limit int, now time.Time) (*healthcode.StatusList, error) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	sl := &healthcode.StatusList{Since: since, Generated: now.UTC(), Entries: []healthcode.StatusEntry{}}
	ctx, cancel := bound(ctx)
	defer cancel()
	// One snapshot of the database for the head and the entries.
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var seq, floor int64
		if err := tx.QueryRow(ctx, `SELECT seq, floor FROM status_head`).Scan(&seq, &floor); err != nil {
			return err
		}
		sl.Seq = uint64(seq)
		if since > 0 && (since < uint64(floor) || since > uint64(seq)) {
			return server.ErrStatusGone
		}
		rows, err := tx.Query(ctx, `SELECT hash, colour, updated, seq FROM status WHERE seq > $1 ORDER BY seq LIMIT $2`, int64(since), int64(limit)+1)
		if err != nil {
			return err
		}
		entries, err := pgx.CollectRows(rows, scanStatus)
		if err != nil {
			return err
		}
		if len(entries) > limit {
			entries = entries[:limit]
			sl.More, sl.Seq = true, entries[limit-1].Seq
		}
		sl.Entries = append(sl.Entries, entries...)
		return nil
	})
	if err != nil {
		if errors.Is(err, server.ErrStatusGone) {
			return nil, err
		}
		return nil, fmt.Errorf("status since %d: %w", since, err)
	}
	return sl, nil
}
