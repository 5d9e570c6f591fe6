package pgstore

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

var dayPartition = regexp.MustCompile(`^records_[0-9]{8}$`)

// DropDaysBefore removes the records of the days before cutoff's day: each
// such day partition is detached and dropped (a whole day goes at once,
// without a row-by-row delete), after the record keys, provisional passes
// and alerts of its records; records of those days waiting in
// records_default go too. It returns the partitions dropped. Several
// server processes may run it at once: they take turns.
func (s *Store) DropDaysBefore(ctx context.Context, cutoff time.Time) ([]string, error) {
	cut := dayStart(cutoff)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	var names []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent = 'records'::regclass`)
		if err != nil {
			return err
		}
		all, err := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, n := range all {
			if day, perr := time.Parse("20060102", n[len("records_"):]); dayPartition.MatchString(n) && perr == nil && day.Before(cut) {
				names = append(names, n)
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list record partitions: %w", err)
	}
	sort.Strings(names)
	var dropped []string
	for _, name := range names {
		gone, err := s.dropDay(ctx, name)
		if err != nil {
			return dropped, fmt.Errorf("drop partition %s: %w", name, err)
		}
		if gone {
			dropped = append(dropped, name)
			s.log.Info("records partition dropped after the retention period", "partition", name)
		}
	}
	err = s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, subtractCounts(`records_default WHERE at < $1`), cut); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM record_counts WHERE n <= 0`); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM record_keys k USING records_default r WHERE r.at < $1 AND k.device_id = r.device_id AND k.record_id = r.record_id`,
			`DELETE FROM provisional_passes WHERE at < $1`,
			`DELETE FROM alerts WHERE at < $1`,
			`DELETE FROM records_default WHERE at < $1`,
		} {
			if _, err := tx.Exec(ctx, q, cut); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return dropped, fmt.Errorf("delete old records from records_default: %w", err)
	}
	return dropped, nil
}

// dropDay drops one day partition and what refers to its records, in one
// transaction under the partition makers' lock; false when another
// process dropped it first.
func (s *Store) dropDay(ctx context.Context, name string) (bool, error) {
	gone := false
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrateLock+1)); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", name).Scan(&exists); err != nil || !exists {
			return err
		}
		for _, q := range []string{
			subtractCounts(name),
			`DELETE FROM record_counts WHERE n <= 0`,
			`DELETE FROM record_keys k USING ` + name + ` r WHERE k.device_id = r.device_id AND k.record_id = r.record_id`,
			`DELETE FROM provisional_passes p USING ` + name + ` r WHERE p.device_id = r.device_id AND p.record_id = r.record_id`,
			`DELETE FROM alerts a USING ` + name + ` r WHERE a.device_id = r.device_id AND a.record_id = r.record_id`,
			`ALTER TABLE records DETACH PARTITION ` + name,
			`DROP TABLE ` + name,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		gone = true
		return nil
	})
	if gone {
		s.days.Delete(name)
	}
	return gone, err
}
