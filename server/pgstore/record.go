package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"hcscan/healthcode"
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
	var stored []*healthcode.Record
	for j, i := range fresh {
		in := &batch[i]
		if !isNew[ids[j].Bytes] {
			results[i].Status = protocol.Duplicate
			continue
		}
		results[i].Status = protocol.Stored
		r := &in.Record
		copyRows = append(copyRows, []any{server.When(r), dev.ID, ids[j], dev.Institution, r.Gate, now, in.Raw,
			int16(r.Verdict), int16(r.EffectiveColour), r.Fever, r.Operator, r.Name})
		stored = append(stored, r)
		if r.ProvisionalPass() {
			prov = append(prov, i)
		}
	}
	if len(copyRows) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"records"}, []string{"at", "device_id", "record_id", "institution", "gate", "received", "body", "verdict", "colour", "fever", "operator", "name"}, pgx.CopyFromRows(copyRows)); err != nil {
			return err
		}
	}
	if err := addCounts(ctx, tx, dev.Institution, stored); err != nil {
		return err
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
	ctx, cancel := bound(ctx)
	defer cancel()
	sql, args := recordsSQL(q, "received, institution, body", true)
	rows, err := s.reads.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	return collectRecords(rows)
}

func (s *Store) CountRecords(ctx context.Context, q server.RecordQuery) (int, error) {
	q.After, q.Offset, q.Limit = server.RecordCursor{}, 0, 0
	ctx, cancel := bound(ctx)
	defer cancel()
	sql, args, ok := countedSQL(q)
	if !ok {
		sql, args = recordsSQL(q, "count(*)", false)
	}
	var n int
	if err := s.reads.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count records: %w", err)
	}
	return n, nil
}

// exportTimeout bounds an export of every record a filter selects (a
// million rows are written to the browser as they are read).
const exportTimeout = 30 * time.Minute

func (s *Store) EachRecord(ctx context.Context, q server.RecordQuery, fn func(*server.StoredRecord) error) error {
	ctx, cancel := context.WithTimeout(ctx, exportTimeout)
	defer cancel()
	sql, args := recordsSQL(q, "received, institution, body", true)
	rows, err := s.reads.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("records: %w", err)
	}
	var received time.Time
	var inst string
	var body []byte
	_, err = pgx.ForEachRow(rows, []any{&received, &inst, &body}, func() error {
		r, err := decodeRow(received, inst, body)
		if err != nil {
			return err
		}
		return fn(&r)
	})
	return err
}

func (s *Store) GateHours(ctx context.Context, institution string, from, to time.Time) ([]server.GateHour, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	sql := `SELECT gate, floor(extract(epoch FROM at) / 3600)::bigint AS hour,
			count(*), count(*) FILTER (WHERE verdict = 1), count(*) FILTER (WHERE verdict = 2), count(*) FILTER (WHERE verdict = 3),
			count(*) FILTER (WHERE fever)
		FROM records WHERE institution = $1 AND at >= $2 AND at < $3
		GROUP BY gate, hour ORDER BY hour, gate`
	if onHour(from) && onHour(to) {
		sql = `SELECT gate, floor(extract(epoch FROM hour) / 3600)::bigint AS h,
				sum(n), coalesce(sum(n) FILTER (WHERE verdict = 1), 0), coalesce(sum(n) FILTER (WHERE verdict = 2), 0),
				coalesce(sum(n) FILTER (WHERE verdict = 3), 0), coalesce(sum(n) FILTER (WHERE fever), 0)
			FROM record_counts WHERE institution = $1 AND hour >= $2 AND hour < $3
			GROUP BY gate, h ORDER BY h, gate`
	}
	rows, err := s.reads.Query(ctx, sql, institution, from, to)
	if err != nil {
		return nil, fmt.Errorf("gate hours: %w", err)
	}
	var out []server.GateHour
	var g server.GateHour
	var hour int64
	t := &g.Tally
	_, err = pgx.ForEachRow(rows, []any{&g.Gate, &hour, &t.Total, &t.Passed, &t.Stopped, &t.Invalid, &t.Fever}, func() error {
		g.Hour = time.Unix(hour*3600, 0).UTC()
		out = append(out, g)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gate hours: %w", err)
	}
	return out, nil
}

// recordsSQL is the query for q selecting cols; ordered adds its order,
// cursor, offset and limit. The filter columns are beside the body
// (schema step 2); the time bounds and the cursor use the indexes on
// (institution, at) and (institution, gate, at).
func recordsSQL(q server.RecordQuery, cols string, ordered bool) (string, []any) {
	var b strings.Builder
	args := []any{q.Institution}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	fmt.Fprintf(&b, "SELECT %s FROM records WHERE institution = $1", cols)
	if q.Gate != "" {
		b.WriteString(" AND gate = " + arg(q.Gate))
	}
	if !q.From.IsZero() {
		b.WriteString(" AND at >= " + arg(q.From))
	}
	if up := q.Upper(); !up.IsZero() {
		b.WriteString(" AND at < " + arg(up))
	}
	if q.Verdict != healthcode.VerdictNone {
		if q.Verdict == healthcode.VerdictPass {
			b.WriteString(" AND verdict = 1")
		} else {
			b.WriteString(" AND verdict <> 1 AND verdict = " + arg(int16(q.Verdict)))
		}
	}
	if q.Colour != healthcode.ColourUnknown {
		b.WriteString(" AND colour = " + arg(int16(q.Colour)))
	}
	if q.Fever {
		b.WriteString(" AND fever")
	}
	if q.Operator != "" {
		b.WriteString(" AND operator = " + arg(q.Operator))
	}
	if q.Name != "" {
		b.WriteString(" AND strpos(name, " + arg(q.Name) + ") > 0")
	}
	if !ordered {
		return b.String(), args
	}
	dir, cmp := "DESC", "<"
	if q.Oldest {
		dir, cmp = "ASC", ">"
	}
	if !q.After.IsZero() {
		if _, err := uuid.Parse(q.After.RecordID); err == nil {
			fmt.Fprintf(&b, " AND (at, device_id, record_id) %s (%s, %s, %s::uuid)", cmp, arg(q.After.At), arg(q.After.DeviceID), arg(q.After.RecordID))
		}
	}
	fmt.Fprintf(&b, " ORDER BY at %s, device_id %s, record_id %s", dir, dir, dir)
	if q.Offset > 0 {
		b.WriteString(" OFFSET " + arg(q.Offset))
	}
	if q.Limit > 0 {
		b.WriteString(" LIMIT " + arg(q.Limit))
	}
	return b.String(), args
}

func (s *Store) GateWindow(ctx context.Context, institution, gate string, from, to time.Time) ([]server.StoredRecord, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.reads.Query(ctx, `SELECT received, institution, body FROM records
		WHERE institution = $1 AND gate = $2 AND at >= $3 AND at <= $4
		ORDER BY at, device_id, record_id`, institution, gate, from, to)
	if err != nil {
		return nil, fmt.Errorf("gate window: %w", err)
	}
	return collectRecords(rows)
}
