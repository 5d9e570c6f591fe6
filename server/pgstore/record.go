package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"hcscan/protocol"
	"hcscan/server"
)

func (s *Store) Ingest(ctx context.Context, dev server.Device, batch []server.IngestRecord, idem server.IdempotencyKey, now time.Time) ([]protocol.RecordResult, bool, error) {
	results := make([]protocol.RecordResult, len(batch))
	var fresh []int // first occurrence of each record id not rejected
	seen := make(map[string]bool, len(batch))
	for i := range batch {
		in := &batch[i]
		results[i].ID = in.ID
		switch {
		case in.Reject != "":
			results[i].Status, results[i].Reason = protocol.Rejected, in.Reject
		case seen[in.ID]:
			results[i].Status = protocol.Duplicate
		default:
			seen[in.ID] = true
			fresh = append(fresh, i)
		}
	}
	// Partitions are made before the batch's transaction: DDL inside it
	// would hold locks that other batches wait for.
	today := dayStart(s.now())
	lo, hi := today.AddDate(0, 0, -pastDays), today.AddDate(0, 0, futureDays+1)
	days := map[time.Time]bool{}
	for _, i := range fresh {
		if d := dayStart(server.When(&batch[i].Record)); !days[d] && !d.Before(lo) && d.Before(hi) {
			days[d] = true
			if err := s.ensureDay(ctx, d); err != nil {
				return nil, false, fmt.Errorf("store batch: %w", err)
			}
		}
	}
	replayed := false
	// The keys go in by COPY, the fastest way in; a key already there (a
	// retry after a lost answer) makes the COPY fail, and the batch is
	// stored again with INSERT ... ON CONFLICT, which sorts them out.
	store := func(careful bool) error {
		return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
			if idem.Key != "" {
				// Retries of one key wait for each other instead of racing.
				if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", dev.ID+" "+idem.Key); err != nil {
					return err
				}
				var bodyHash, prev []byte
				err := tx.QueryRow(ctx, `SELECT body_hash, results FROM idempotency WHERE device_id = $1 AND key = $2`, dev.ID, idem.Key).Scan(&bodyHash, &prev)
				if err == nil {
					if string(bodyHash) != string(idem.BodyHash[:]) {
						return server.ErrIdemConflict
					}
					replayed = true
					results = nil
					return json.Unmarshal(prev, &results)
				}
				if !errors.Is(err, pgx.ErrNoRows) {
					return err
				}
			}
			if len(fresh) > 0 {
				if err := s.insertRecords(ctx, tx, dev, batch, fresh, results, now, careful); err != nil {
					return err
				}
			}
			if idem.Key != "" {
				data, err := json.Marshal(results)
				if err != nil {
					return err
				}
				_, err = tx.Exec(ctx, `INSERT INTO idempotency (device_id, key, created, body_hash, results) VALUES ($1, $2, $3, $4, $5)`,
					dev.ID, idem.Key, now, idem.BodyHash[:], data)
				return err
			}
			return nil
		})
	}
	err := store(false)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" /* unique_violation */ && pe.TableName == "record_keys" {
		err = store(true)
	}
	if err != nil {
		if errors.Is(err, server.ErrIdemConflict) {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("store batch: %w", err)
	}
	return results, replayed, nil
}

// insertRecords stores the records of batch at the indexes fresh that are
// new for the device and sets their results (stored or duplicate). Unless
// careful, the keys are copied in and every record is taken as new: the
// COPY fails if one is not.
func (s *Store) insertRecords(ctx context.Context, tx pgx.Tx, dev server.Device, batch []server.IngestRecord, fresh []int, results []protocol.RecordResult, now time.Time, careful bool) error {
	ids := make([]pgtype.UUID, len(fresh))
	for j, i := range fresh {
		u, err := uuid.Parse(batch[i].ID)
		if err != nil {
			return err
		}
		ids[j] = pgtype.UUID{Bytes: u, Valid: true}
	}
	isNew := make(map[[16]byte]bool, len(fresh))
	if careful {
		ats := make([]time.Time, len(fresh))
		for j, i := range fresh {
			ats[j] = server.When(&batch[i].Record)
		}
		rows, err := tx.Query(ctx, `INSERT INTO record_keys (device_id, record_id, at, institution)
			SELECT $1, k.id, k.at, $4 FROM unnest($2::uuid[], $3::timestamptz[]) AS k(id, at)
			ON CONFLICT DO NOTHING RETURNING record_id`, dev.ID, ids, ats, dev.Institution)
		if err != nil {
			return err
		}
		inserted, err := pgx.CollectRows(rows, pgx.RowTo[pgtype.UUID])
		if err != nil {
			return err
		}
		for _, id := range inserted {
			isNew[id.Bytes] = true
		}
	} else {
		keys := make([][]any, len(fresh))
		for j, i := range fresh {
			keys[j] = []any{dev.ID, ids[j], server.When(&batch[i].Record), dev.Institution}
			isNew[ids[j].Bytes] = true
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"record_keys"}, []string{"device_id", "record_id", "at", "institution"}, pgx.CopyFromRows(keys)); err != nil {
			return err
		}
	}
	var copyRows [][]any
	var prov []int
	for j, i := range fresh {
		in := &batch[i]
		if !isNew[ids[j].Bytes] {
			results[i].Status = protocol.Duplicate
			continue
		}
		results[i].Status = protocol.Stored
		r := &in.Record
		copyRows = append(copyRows, []any{server.When(r), dev.ID, ids[j], dev.Institution, r.Gate, now, in.Raw})
		if r.ProvisionalPass() {
			prov = append(prov, i)
		}
	}
	if len(copyRows) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"records"}, []string{"at", "device_id", "record_id", "institution", "gate", "received", "body"}, pgx.CopyFromRows(copyRows)); err != nil {
			return err
		}
	}
	if len(prov) == 0 {
		return nil
	}
	return s.insertProvisional(ctx, tx, dev, batch, prov, now)
}

func decodeRow(received time.Time, institution string, body []byte) (server.StoredRecord, error) {
	r := server.StoredRecord{DeviceInstitution: institution, Received: received}
	return r, json.Unmarshal(body, &r.Record)
}

func collectRecords(rows pgx.Rows) ([]server.StoredRecord, error) {
	out := []server.StoredRecord{}
	var received time.Time
	var inst string
	var body []byte
	_, err := pgx.ForEachRow(rows, []any{&received, &inst, &body}, func() error {
		r, err := decodeRow(received, inst, body)
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

func (s *Store) Record(ctx context.Context, deviceID, recordID string) (server.StoredRecord, error) {
	if _, err := uuid.Parse(recordID); err != nil {
		return server.StoredRecord{}, server.ErrNotFound
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	var received time.Time
	var inst string
	var body []byte
	err := s.pool.QueryRow(ctx, `SELECT r.received, r.institution, r.body FROM record_keys k
		JOIN records r ON r.institution = k.institution AND r.at = k.at AND r.device_id = k.device_id AND r.record_id = k.record_id
		WHERE k.device_id = $1 AND k.record_id = $2::uuid`, deviceID, recordID).Scan(&received, &inst, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return server.StoredRecord{}, server.ErrNotFound
	}
	if err != nil {
		return server.StoredRecord{}, fmt.Errorf("record %s: %w", recordID, err)
	}
	return decodeRow(received, inst, body)
}

func (s *Store) Records(ctx context.Context, q server.RecordQuery) ([]server.StoredRecord, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	before := q.Before
	if before.IsZero() {
		before = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	var rows pgx.Rows
	var err error
	if q.Gate == "" {
		rows, err = s.pool.Query(ctx, `SELECT received, institution, body FROM records
			WHERE institution = $1 AND at < $2
			ORDER BY at DESC, device_id DESC, record_id DESC LIMIT $3`, q.Institution, before, q.Limit)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT received, institution, body FROM records
			WHERE institution = $1 AND gate = $2 AND at < $3
			ORDER BY at DESC, device_id DESC, record_id DESC LIMIT $4`, q.Institution, q.Gate, before, q.Limit)
	}
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	return collectRecords(rows)
}

func (s *Store) GateWindow(ctx context.Context, institution, gate string, from, to time.Time) ([]server.StoredRecord, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT received, institution, body FROM records
		WHERE institution = $1 AND gate = $2 AND at >= $3 AND at <= $4
		ORDER BY at, device_id, record_id`, institution, gate, from, to)
	if err != nil {
		return nil, fmt.Errorf("gate window: %w", err)
	}
	return collectRecords(rows)
}
