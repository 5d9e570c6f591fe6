package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	gosync "sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// PGStore is the Store on PostgreSQL, for a province: any number of
// stateless server processes (server.New with the same database URL) in
// front of one database. Everything they must agree on is in tables:
// records (partitioned by day), devices, tokens, status, alerts,
// idempotency answers, the request-nonce replay cache, portal sessions,
// the audit list and the trust list served. See pgMigrations for the
// schema.
type PGStore struct {
	pool          *pgxpool.Pool
	log           *slog.Logger
	statusHistory int64
	// days holds the names of day partitions known to exist.
	days gosync.Map
	// now is the clock deciding which days get their own partition.
	now func() time.Time
}

// PGOptions configure OpenPG.
type PGOptions struct {
	// StatusHistory is how many status changes are kept for deltas
	// (default 1,000,000), as Config.StatusHistory.
	StatusHistory int
	Logger        *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// pgTimeout bounds one store call (see bound).
const pgTimeout = 30 * time.Second

// Days around the server clock that get their own partition; records
// outside go to records_default, so a laptop whose clock is years off
// cannot make thousands of tables.
const (
	pgPastDays   = 400
	pgFutureDays = 2
)

// OpenPG connects to PostgreSQL (a URL such as
// postgres://user@host/db?sslmode=verify-full, or key=value settings) and
// brings the schema up to date.
func OpenPG(ctx context.Context, url string, o PGOptions) (*PGStore, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StatusHistory <= 0 {
		o.StatusHistory = 1_000_000
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	v, err := migrate(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: migrate: %w", err)
	}
	o.Logger.Info("postgres store open", "host", cfg.ConnConfig.Host, "database", cfg.ConnConfig.Database, "schema_version", v)
	return &PGStore{pool: pool, log: o.Logger, statusHistory: int64(o.StatusHistory), now: o.Now}, nil
}

func (s *PGStore) Close() error {
	s.pool.Close()
	return nil
}

// bound gives one store call at most pgTimeout within the caller's ctx:
// a stalled database fails the request instead of holding it, and a
// request that ends (its client gone) cancels the query.
func bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, pgTimeout)
}

// tx runs fn in one transaction.
func (s *PGStore) tx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(ctx, tx) })
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Tokens and devices.

func (s *PGStore) PutToken(ctx context.Context, t Token) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens (hash, kind, institution, gate, hint, created, expires, used_at, used_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (hash) DO UPDATE SET kind = $2, institution = $3, gate = $4, hint = $5, created = $6, expires = $7, used_at = $8, used_by = $9`,
		t.Hash[:], t.Kind, t.Institution, t.Gate, t.Hint, t.Created, t.Expires, nullTime(t.UsedAt), t.UsedBy)
	if err != nil {
		return fmt.Errorf("save token: %w", err)
	}
	return nil
}

const tokenColumns = `hash, kind, institution, gate, hint, created, expires, used_at, used_by`

func scanToken(row pgx.Row) (Token, error) {
	var t Token
	var hash []byte
	var usedAt *time.Time
	if err := row.Scan(&hash, &t.Kind, &t.Institution, &t.Gate, &t.Hint, &t.Created, &t.Expires, &usedAt, &t.UsedBy); err != nil {
		return t, err
	}
	copy(t.Hash[:], hash)
	if usedAt != nil {
		t.UsedAt = *usedAt
	}
	return t, nil
}

func (s *PGStore) Token(ctx context.Context, h TokenHash) (Token, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, h[:]))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ErrTokenUnknown
	}
	return t, err
}

func (s *PGStore) Tokens(ctx context.Context, institution string) ([]Token, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE institution = $1 ORDER BY created DESC`, institution)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Token, error) { return scanToken(r) })
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	return out, nil
}

func (s *PGStore) Enroll(ctx context.Context, h TokenHash, dev Device, now time.Time) (Device, error) {
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		t, err := scanToken(tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1 FOR UPDATE`, h[:]))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrTokenUnknown
		}
		if err != nil {
			return err
		}
		if err := t.redeemable(now); err != nil {
			return err
		}
		dev.Institution, dev.Gate, dev.Enrolled = t.Institution, t.Gate, now
		if _, err := tx.Exec(ctx, `UPDATE tokens SET used_at = $2, used_by = $3 WHERE hash = $1`, h[:], now, dev.ID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO devices (id, public_key, institution, gate, name, software, enrolled, disabled)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			dev.ID, []byte(dev.PublicKey), dev.Institution, dev.Gate, dev.Name, dev.Software, dev.Enrolled, dev.Disabled)
		return err
	})
	return dev, err
}

const deviceColumns = `id, public_key, institution, gate, name, software, enrolled, disabled`

func scanDevice(row pgx.Row) (Device, error) {
	var d Device
	var pub []byte
	err := row.Scan(&d.ID, &pub, &d.Institution, &d.Gate, &d.Name, &d.Software, &d.Enrolled, &d.Disabled)
	d.PublicKey = pub
	return d, err
}

func (s *PGStore) Device(ctx context.Context, id string) (Device, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	d, err := scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceColumns+` FROM devices WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, ErrNotFound
	}
	return d, err
}

func (s *PGStore) Devices(ctx context.Context, institution string) ([]Device, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+deviceColumns+` FROM devices WHERE institution = $1 ORDER BY enrolled, id`, institution)
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Device, error) { return scanDevice(r) })
}

func (s *PGStore) SetDeviceDisabled(ctx context.Context, institution, id string, disabled bool) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE devices SET disabled = $3 WHERE id = $2 AND institution = $1`, institution, id, disabled)
	if err != nil {
		return fmt.Errorf("device %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// Records.

func dayStart(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ensureDay makes the partition of the day starting at day unless it
// exists. Rows of that day waiting in records_default (they arrived when
// the day was still far ahead) move into it, in the same transaction.
func (s *PGStore) ensureDay(ctx context.Context, day time.Time) error {
	name := "records_" + day.Format("20060102")
	if _, ok := s.days.Load(name); ok {
		return nil
	}
	next := day.AddDate(0, 0, 1)
	created := false
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		// One maker of partitions at a time, across processes.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(pgMigrateLock+1)); err != nil {
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

func (s *PGStore) Ingest(ctx context.Context, dev Device, batch []IngestRecord, idem IdempotencyKey, now time.Time) ([]protocol.RecordResult, bool, error) {
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
	lo, hi := today.AddDate(0, 0, -pgPastDays), today.AddDate(0, 0, pgFutureDays+1)
	days := map[time.Time]bool{}
	for _, i := range fresh {
		if d := dayStart(When(&batch[i].Record)); !days[d] && !d.Before(lo) && d.Before(hi) {
			days[d] = true
			if err := s.ensureDay(ctx, d); err != nil {
				return nil, false, fmt.Errorf("store batch: %w", err)
			}
		}
	}
	replayed := false
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if idem.Key != "" {
			// Retries of one key wait for each other instead of racing.
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", dev.ID+" "+idem.Key); err != nil {
				return err
			}
			var bodyHash, prev []byte
			err := tx.QueryRow(ctx, `SELECT body_hash, results FROM idempotency WHERE device_id = $1 AND key = $2`, dev.ID, idem.Key).Scan(&bodyHash, &prev)
			if err == nil {
				if string(bodyHash) != string(idem.BodyHash[:]) {
					return ErrIdemConflict
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
			if err := s.insertRecords(ctx, tx, dev, batch, fresh, results, now); err != nil {
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
	if err != nil {
		if errors.Is(err, ErrIdemConflict) {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("store batch: %w", err)
	}
	return results, replayed, nil
}

// insertRecords stores the records of batch at the indexes fresh that are
// new for the device and sets their results (stored or duplicate).
func (s *PGStore) insertRecords(ctx context.Context, tx pgx.Tx, dev Device, batch []IngestRecord, fresh []int, results []protocol.RecordResult, now time.Time) error {
	ids := make([]string, len(fresh))
	ats := make([]time.Time, len(fresh))
	for j, i := range fresh {
		ids[j], ats[j] = batch[i].ID, When(&batch[i].Record)
	}
	rows, err := tx.Query(ctx, `INSERT INTO record_keys (device_id, record_id, at, institution)
		SELECT $1, k.id::uuid, k.at, $4 FROM unnest($2::text[], $3::timestamptz[]) AS k(id, at)
		ON CONFLICT DO NOTHING RETURNING record_id::text`, dev.ID, ids, ats, dev.Institution)
	if err != nil {
		return err
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	isNew := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		isNew[id] = true
	}
	var copyRows [][]any
	var prov []int
	for _, i := range fresh {
		in := &batch[i]
		if !isNew[in.ID] {
			results[i].Status = protocol.Duplicate
			continue
		}
		results[i].Status = protocol.Stored
		u, err := uuid.Parse(in.ID)
		if err != nil {
			return err
		}
		r := &in.Record
		copyRows = append(copyRows, []any{When(r), dev.ID, pgtype.UUID{Bytes: u, Valid: true}, dev.Institution, r.Gate, now, in.Raw})
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

// insertProvisional keeps the provisional passes by code hash and flags
// those whose code is already red or yellow.
func (s *PGStore) insertProvisional(ctx context.Context, tx pgx.Tx, dev Device, batch []IngestRecord, prov []int, now time.Time) error {
	var hashes [][]byte
	var ids, gates, names []string
	var ats []time.Time
	for _, i := range prov {
		r := &batch[i].Record
		hashes = append(hashes, r.CodeHash[:])
		ids = append(ids, batch[i].ID)
		gates = append(gates, r.Gate)
		names = append(names, r.Name)
		ats = append(ats, When(r))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO provisional_passes (code_hash, device_id, record_id, institution, gate, at, name)
		SELECT p.hash, $2, p.id::uuid, $3, p.gate, p.at, p.name
		FROM unnest($1::bytea[], $4::text[], $5::text[], $6::timestamptz[], $7::text[]) AS p(hash, id, gate, at, name)
		ON CONFLICT DO NOTHING`, hashes, dev.ID, dev.Institution, ids, gates, ats, names); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO alerts (institution, device_id, record_id, gate, at, code_hash, colour, raised, name)
		SELECT p.institution, p.device_id, p.record_id, p.gate, p.at, p.code_hash, st.colour, $3, p.name
		FROM provisional_passes p JOIN status st ON st.hash = p.code_hash
		WHERE p.device_id = $1 AND p.record_id = ANY($2::text[]::uuid[]) AND st.colour = ANY($4::smallint[])
		ON CONFLICT (institution, device_id, record_id) DO UPDATE SET colour = excluded.colour`,
		dev.ID, ids, now, stoppingColours())
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

func decodeRow(received time.Time, institution string, body []byte) (StoredRecord, error) {
	r := StoredRecord{DeviceInstitution: institution, Received: received}
	return r, json.Unmarshal(body, &r.Record)
}

func collectRecords(rows pgx.Rows) ([]StoredRecord, error) {
	out := []StoredRecord{}
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

func (s *PGStore) Record(ctx context.Context, deviceID, recordID string) (StoredRecord, error) {
	if _, err := uuid.Parse(recordID); err != nil {
		return StoredRecord{}, ErrNotFound
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
		return StoredRecord{}, ErrNotFound
	}
	if err != nil {
		return StoredRecord{}, fmt.Errorf("record %s: %w", recordID, err)
	}
	return decodeRow(received, inst, body)
}

func (s *PGStore) Records(ctx context.Context, q RecordQuery) ([]StoredRecord, error) {
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

func (s *PGStore) GateWindow(ctx context.Context, institution, gate string, from, to time.Time) ([]StoredRecord, error) {
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

func (s *PGStore) Alerts(ctx context.Context, institution string) ([]Alert, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT device_id, record_id::text, gate, at, code_hash, colour, raised, name
		FROM alerts WHERE institution = $1 ORDER BY raised DESC, device_id, record_id`, institution)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Alert, error) {
		var a Alert
		var hash []byte
		var colour int16
		err := r.Scan(&a.DeviceID, &a.RecordID, &a.Gate, &a.Time, &hash, &colour, &a.Raised, &a.Name)
		copy(a.CodeHash[:], hash)
		a.Colour = healthcode.Colour(colour)
		return a, err
	})
}

// Status.

func (s *PGStore) SetStatus(ctx context.Context, changes []StatusChange, now time.Time) (uint64, int, error) {
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

func (s *PGStore) Status(ctx context.Context, h healthcode.CodeHash) (healthcode.StatusEntry, bool, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT hash, colour, updated, seq FROM status WHERE hash = $1`, h[:])
	if err != nil {
		return healthcode.StatusEntry{}, false, fmt.Errorf("status: %w", err)
	}
	e, err := pgx.CollectExactlyOneRow(rows, scanStatus)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, false, nil
	}
	return e, err == nil, err
}

func (s *PGStore) StatusSince(ctx context.Context, since uint64, now time.Time) (*healthcode.StatusList, error) {
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
			return ErrStatusGone
		}
		rows, err := tx.Query(ctx, `SELECT hash, colour, updated, seq FROM status WHERE seq > $1 ORDER BY seq`, int64(since))
		if err != nil {
			return err
		}
		entries, err := pgx.CollectRows(rows, scanStatus)
		if err != nil {
			return err
		}
		sl.Entries = append(sl.Entries, entries...)
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrStatusGone) {
			return nil, err
		}
		return nil, fmt.Errorf("status since %d: %w", since, err)
	}
	return sl, nil
}

// Trust list.

func (s *PGStore) TrustState(ctx context.Context) (TrustState, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	var ts TrustState
	var seq int64
	err := s.pool.QueryRow(ctx, `SELECT seq, fingerprint, doc FROM trust_state`).Scan(&seq, &ts.Fingerprint, &ts.Doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return TrustState{}, nil
	}
	ts.Seq = uint64(seq)
	return ts, err
}

// PutTrustState never lowers the sequence: of two processes that started
// together, the first one's list stands.
func (s *PGStore) PutTrustState(ctx context.Context, ts TrustState) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO trust_state (one, seq, fingerprint, doc) VALUES (true, $1, $2, $3)
		ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, fingerprint = excluded.fingerprint, doc = excluded.doc
		WHERE trust_state.seq < excluded.seq`, int64(ts.Seq), ts.Fingerprint, ts.Doc)
	if err != nil {
		return fmt.Errorf("save trust list: %w", err)
	}
	return nil
}

// Shared state of the server processes.

func (s *PGStore) CheckNonce(ctx context.Context, deviceID, nonce string, forget, now time.Time) (bool, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	// A row left over after its time (not yet pruned) does not count.
	tag, err := s.pool.Exec(ctx, `INSERT INTO nonces (device_id, nonce, forget) VALUES ($1, $2, $3)
		ON CONFLICT (device_id, nonce) DO UPDATE SET forget = excluded.forget WHERE nonces.forget < $4`, deviceID, nonce, forget, now)
	if err != nil {
		return false, fmt.Errorf("check nonce: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (s *PGStore) PutSession(ctx context.Context, ss Session) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (hash, institution, kind, actor, csrf, expires) VALUES ($1, $2, $3, $4, $5, $6)`,
		ss.Hash[:], ss.Institution, ss.Kind, ss.Actor, ss.CSRF, ss.Expires)
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

func (s *PGStore) Session(ctx context.Context, h SessionHash, now time.Time) (Session, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	ss := Session{Hash: h}
	err := s.pool.QueryRow(ctx, `SELECT institution, kind, actor, csrf, expires FROM sessions WHERE hash = $1 AND expires >= $2`, h[:], now).
		Scan(&ss.Institution, &ss.Kind, &ss.Actor, &ss.CSRF, &ss.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	return ss, nil
}

func (s *PGStore) DeleteSession(ctx context.Context, h SessionHash) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE hash = $1`, h[:]); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

func (s *PGStore) AddAudit(ctx context.Context, a AuditEntry) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO audit (at, institution, actor, device_id, record_id, reason) VALUES ($1, $2, $3, $4, $5, $6)`,
		a.Time, a.Institution, a.Actor, a.DeviceID, a.RecordID, a.Reason)
	if err != nil {
		return fmt.Errorf("save audit entry: %w", err)
	}
	return nil
}

func (s *PGStore) Audit(ctx context.Context, institution string, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT at, institution, actor, device_id, record_id, reason FROM audit
		WHERE institution = $1 ORDER BY at DESC, id DESC LIMIT $2`, institution, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
		var a AuditEntry
		err := r.Scan(&a.Time, &a.Institution, &a.Actor, &a.DeviceID, &a.RecordID, &a.Reason)
		return a, err
	})
}

func (s *PGStore) Prune(ctx context.Context, idemBefore, now time.Time) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	for _, q := range []struct {
		sql string
		arg time.Time
	}{
		{`DELETE FROM idempotency WHERE created < $1`, idemBefore},
		{`DELETE FROM sessions WHERE expires < $1`, now},
		{`DELETE FROM nonces WHERE forget < $1`, now},
	} {
		if _, err := s.pool.Exec(ctx, q.sql, q.arg); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
	}
	return nil
}

var _ Store = (*PGStore)(nil)
