package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Days around the server clock that get their own partition; records
// outside go to records_default, so a laptop whose clock is years off
// cannot make thousands of tables.
const (
	pastDays   = 400
	futureDays = 2
)

func dayStart(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ensureDay makes the partition of the day starting at day unless it
// exists. Rows of that day waiting in records_default (they arrived when
// the day was still far ahead) move into it, in the same transaction.
func (s *Store) ensureDay(ctx context.Context, day time.Time) error {
	name := "records_" + day.Format("20060102")
	if _, ok := s.days.Load(name); ok {
		return nil
	}
	next := day.AddDate(0, 0, 1)
	created := false
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		// One maker of partitions at a time, across processes.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrateLock+1)); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", name).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		lo, hi := day.Format(time.RFC3339), next.Format(time.RFC3339)
		for _, q := range []string{
			`CREATE TABLE ` + name + ` (LIKE records INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
			`INSERT INTO ` + name + ` SELECT * FROM records_default WHERE at >= '` + lo + `' AND at < '` + hi + `'`,
			`DELETE FROM records_default WHERE at >= '` + lo + `' AND at < '` + hi + `'`,
			`ALTER TABLE records ATTACH PARTITION ` + name + ` FOR VALUES FROM ('` + lo + `') TO ('` + hi + `')`,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		created = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("make partition %s: %w", name, err)
	}
	if created {
		s.log.Info("records partition made", "partition", name)
	}
	s.days.Store(name, true)
	return nil
}
