package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"hcscan/server"
)

func (s *Store) AddAudit(ctx context.Context, a server.AuditEntry) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO audit (at, institution, actor, device_id, record_id, reason, what) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		a.Time, a.Institution, a.Actor, a.DeviceID, a.RecordID, a.Reason, a.What)
	if err != nil {
		return fmt.Errorf("save audit entry: %w", err)
	}
	return nil
}

func (s *Store) Audit(ctx context.Context, institution string, limit int) ([]server.AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT at, institution, actor, device_id, record_id, reason, what FROM audit
		WHERE institution = $1 ORDER BY at DESC, id DESC LIMIT $2`, institution, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (server.AuditEntry, error) {
		var a server.AuditEntry
		err := r.Scan(&a.Time, &a.Institution, &a.Actor, &a.DeviceID, &a.RecordID, &a.Reason, &a.What)
		return a, err
	})
}
