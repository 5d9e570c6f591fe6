package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are the PostgreSQL schema, one step per version; a step is
// never changed once released, only new steps are added. migrate runs the
// steps after the version in schema_version, each in its own transaction,
// holding an advisory lock so that server processes starting together do
// not race.
//
// Records are partitioned by the UTC day of their best time (corrected
// time when the device measured its clock offset); the day partitions are
// made on demand (ensureDay). Records whose day is far from the server's
// clock (a laptop clock years off) land in records_default instead of
// making a partition each. A partitioned table cannot keep (device_id,
// record_id) unique across partitions, so record_keys does, in the same
// transaction as the record.
var migrations = []string{
	1: `
CREATE TABLE tokens (
	hash        bytea PRIMARY KEY,
	kind        text NOT NULL,
	institution text COLLATE "C" NOT NULL,
	gate        text NOT NULL,
	hint        text NOT NULL,
	created     timestamptz NOT NULL,
	expires     timestamptz NOT NULL,
	used_at     timestamptz,
	used_by     text NOT NULL DEFAULT ''
);
CREATE INDEX tokens_institution ON tokens (institution, created);

CREATE TABLE devices (
	id          text COLLATE "C" PRIMARY KEY,
	public_key  bytea NOT NULL,
	institution text COLLATE "C" NOT NULL,
	gate        text NOT NULL,
	name        text NOT NULL,
	software    text NOT NULL,
	enrolled    timestamptz NOT NULL,
	disabled    boolean NOT NULL DEFAULT false
);
CREATE INDEX devices_institution ON devices (institution, enrolled);

CREATE TABLE records (
	at          timestamptz NOT NULL,         -- best time: the partition key
	device_id   text COLLATE "C" NOT NULL,
	record_id   uuid NOT NULL,
	institution text COLLATE "C" NOT NULL,    -- the enrolling institution of the device
	gate        text COLLATE "C" NOT NULL,
	received    timestamptz NOT NULL,
	body        bytea NOT NULL                -- the record's JSON as sent
) PARTITION BY RANGE (at);
CREATE TABLE records_default PARTITION OF records DEFAULT;
CREATE INDEX records_institution ON records (institution, at);
CREATE INDEX records_gate ON records (institution, gate, at);

CREATE TABLE record_keys (
	device_id   text COLLATE "C" NOT NULL,
	record_id   uuid NOT NULL,
	at          timestamptz NOT NULL,
	institution text COLLATE "C" NOT NULL,
	PRIMARY KEY (device_id, record_id)
);

-- Provisional passes by code hash: a status change to red or yellow flags them.
CREATE TABLE provisional_passes (
	code_hash   bytea NOT NULL,
	device_id   text COLLATE "C" NOT NULL,
	record_id   uuid NOT NULL,
	institution text COLLATE "C" NOT NULL,
	gate        text NOT NULL,
	at          timestamptz NOT NULL,
	name        text NOT NULL,
	PRIMARY KEY (code_hash, device_id, record_id)
);

CREATE TABLE alerts (
	institution text COLLATE "C" NOT NULL,
	device_id   text COLLATE "C" NOT NULL,
	record_id   uuid NOT NULL,
	gate        text NOT NULL,
	at          timestamptz NOT NULL,
	code_hash   bytea NOT NULL,
	colour      smallint NOT NULL,
	raised      timestamptz NOT NULL,
	name        text NOT NULL,
	PRIMARY KEY (institution, device_id, record_id)
);

CREATE TABLE status (
	hash    bytea PRIMARY KEY,
	colour  smallint NOT NULL,
	updated timestamptz NOT NULL,
	seq     bigint NOT NULL
);
CREATE INDEX status_seq ON status (seq);
CREATE TABLE status_log (
	seq    bigint PRIMARY KEY,
	hash   bytea NOT NULL,
	colour smallint NOT NULL,
	at     timestamptz NOT NULL
);
-- One row: the last status sequence issued and the lowest since a delta is
-- answered for. Writers lock it, so sequences become visible in order.
CREATE TABLE status_head (
	one   boolean PRIMARY KEY DEFAULT true CHECK (one),
	seq   bigint NOT NULL,
	floor bigint NOT NULL
);
INSERT INTO status_head VALUES (true, 0, 0);

CREATE TABLE idempotency (
	device_id text COLLATE "C" NOT NULL,
	key       text COLLATE "C" NOT NULL,
	created   timestamptz NOT NULL,
	body_hash bytea NOT NULL,
	results   bytea NOT NULL,
	PRIMARY KEY (device_id, key)
);
CREATE INDEX idempotency_created ON idempotency (created);

CREATE TABLE nonces (
	device_id text COLLATE "C" NOT NULL,
	nonce     text COLLATE "C" NOT NULL,
	forget    timestamptz NOT NULL,
	PRIMARY KEY (device_id, nonce)
);
CREATE INDEX nonces_forget ON nonces (forget);

CREATE TABLE sessions (
	hash        bytea PRIMARY KEY,
	institution text NOT NULL,
	kind        text NOT NULL,
	actor       text NOT NULL,
	csrf        text NOT NULL,
	expires     timestamptz NOT NULL
);

CREATE TABLE audit (
	id          bigserial PRIMARY KEY,
	at          timestamptz NOT NULL,
	institution text COLLATE "C" NOT NULL,
	actor       text NOT NULL,
	device_id   text NOT NULL,
	record_id   text NOT NULL,
	reason      text NOT NULL
);
CREATE INDEX audit_institution ON audit (institution, at, id);

CREATE TABLE trust_state (
	one         boolean PRIMARY KEY DEFAULT true CHECK (one),
	seq         bigint NOT NULL,
	fingerprint text NOT NULL,
	doc         bytea NOT NULL
);
`,
	// What the portal filters and counts on, as columns beside the body:
	// verdict and effective colour as healthcode's numbers, fever, the
	// operator and the masked name. Rows from before are filled from their
	// body. The partial indexes serve "stops" and "fevers" in one click.
	2: `
ALTER TABLE records
	ADD COLUMN verdict  smallint NOT NULL DEFAULT 0,
	ADD COLUMN colour   smallint NOT NULL DEFAULT 0,
	ADD COLUMN fever    boolean NOT NULL DEFAULT false,
	ADD COLUMN operator text COLLATE "C" NOT NULL DEFAULT '',
	ADD COLUMN name     text NOT NULL DEFAULT '';
UPDATE records SET
	verdict = CASE b->>'verdict' WHEN 'pass' THEN 1 WHEN 'stop' THEN 2 WHEN 'invalid' THEN 3 ELSE 0 END,
	colour = CASE b->>'effective_colour' WHEN 'green' THEN 1 WHEN 'yellow' THEN 2 WHEN 'red' THEN 3 ELSE 0 END,
	fever = coalesce((b->>'fever')::boolean, false),
	operator = coalesce(b->>'operator', ''),
	name = coalesce(b->>'name_masked', '')
FROM (SELECT device_id AS d, record_id AS i, convert_from(body, 'UTF8')::jsonb AS b FROM records) AS j
WHERE records.device_id = j.d AND records.record_id = j.i;
CREATE INDEX records_stops ON records (institution, at) WHERE verdict <> 1;
CREATE INDEX records_fevers ON records (institution, at) WHERE fever;

-- Portal logins are revocable and name who made them; a session names its login.
ALTER TABLE tokens ADD COLUMN revoked timestamptz, ADD COLUMN made_by text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN token bytea NOT NULL DEFAULT '';

-- Institutions apply and the province decides; an institution from
-- before registration is approved when the province next makes it a token.
CREATE TABLE institutions (
	name       text COLLATE "C" PRIMARY KEY,
	kind       text NOT NULL,
	address    text NOT NULL,
	contact    text NOT NULL,
	phone      text NOT NULL,
	time_zone  text NOT NULL,
	state      text NOT NULL,
	applied    timestamptz NOT NULL,
	decided    timestamptz,
	decided_by text NOT NULL DEFAULT '',
	note       text NOT NULL DEFAULT ''
);
CREATE INDEX institutions_state ON institutions (state, applied);
`,
	// The institutions' rosters, their people's checks and colours, and
	// the alerts about them (roster.go).
	3: rosterSchema,
	// The audit list names what was opened besides sealed identities
	// (an institution's roster, for the province's tracing staff).
	4: `ALTER TABLE audit ADD COLUMN what text NOT NULL DEFAULT '';`,
	// An operator at the gate acknowledged the alert on the scanner.
	5: `ALTER TABLE alerts ADD COLUMN acked timestamptz, ADD COLUMN acked_by text NOT NULL DEFAULT '';`,
	// Institutions' designated scanner staff, managed in the portal.
	6: `-- Designated scanner staff: argon2id verifiers only.
CREATE TABLE staff (
	institution text COLLATE "C" NOT NULL,
	id          text COLLATE "C" NOT NULL,
	name        text NOT NULL,
	phone       text NOT NULL,
	role        text NOT NULL,
	verifier    text NOT NULL,
	setup       text NOT NULL,
	disabled    boolean NOT NULL,
	created     timestamptz NOT NULL,
	updated     timestamptz NOT NULL,
	PRIMARY KEY (institution, id),
	UNIQUE (institution, name)
);
`,
	// The two record indexes carry the portal's filter columns, so that
	// the total of a filtered listing is counted from the index alone
	// (an index-only scan once vacuum has marked the pages), not by
	// reading every matching record.
	7: `
DROP INDEX records_institution;
DROP INDEX records_gate;
CREATE INDEX records_institution ON records (institution, at) INCLUDE (gate, verdict, colour, fever, operator, name);
CREATE INDEX records_gate ON records (institution, gate, at) INCLUDE (verdict, colour, fever, operator, name);
`,
	// How many records an institution has per UTC hour and kind, added to
	// with each batch (recordcount.go): the portal's totals and the today
	// view are sums over it.
	8: `
CREATE TABLE record_counts (
	institution text COLLATE "C" NOT NULL,
	hour        timestamptz NOT NULL,
	gate        text COLLATE "C" NOT NULL,
	verdict     smallint NOT NULL,
	colour      smallint NOT NULL,
	fever       boolean NOT NULL,
	operator    text COLLATE "C" NOT NULL,
	n           bigint NOT NULL,
	PRIMARY KEY (institution, hour, gate, verdict, colour, fever, operator)
);
INSERT INTO record_counts
	SELECT institution, date_bin('1 hour', at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), gate, verdict, colour, fever, operator, count(*)
	FROM records GROUP BY 1, 2, 3, 4, 5, 6, 7;
`,
	// Every change of a device row is announced on deviceChannel, so the
	// server processes keep device lookups in memory and forget one as
	// soon as it changes (devicecache.go), by whatever way it changed;
	// idempotency answers are compressed with lz4.
	9: `
CREATE FUNCTION devices_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('` + deviceChannel + `', OLD.id);
	RETURN NULL;
END
$$;
CREATE TRIGGER devices_notify AFTER UPDATE OR DELETE ON devices
	FOR EACH ROW EXECUTE FUNCTION devices_notify();
-- A batch's idempotency answer (some 30 KB for 500 records) is compressed
-- with lz4 where the server has it, not pglz: the same job at a fraction
-- of the CPU.
DO $$ BEGIN
	ALTER TABLE idempotency ALTER COLUMN results SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN NULL;
END $$;
`,
	// Every change of the status table is announced on statusChannel, so
	// the server processes answer live checks from a mirror of it
	// (statusmirror.go), which reads the rows above the sequence it has.
	// A change that does not raise the sequence (a row deleted, or
	// changed by hand) says "reload": the mirror reads the table again.
	// PostgreSQL sends equal notifications of a transaction once.
	10: `
CREATE FUNCTION status_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.seq > OLD.seq) THEN
		PERFORM pg_notify('` + statusChannel + `', '');
	ELSE
		PERFORM pg_notify('` + statusChannel + `', '` + statusReload + `');
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER status_inserted AFTER INSERT ON status
	FOR EACH STATEMENT EXECUTE FUNCTION status_notify();
CREATE TRIGGER status_updated AFTER UPDATE ON status
	FOR EACH ROW EXECUTE FUNCTION status_notify();
CREATE TRIGGER status_removed AFTER DELETE OR TRUNCATE ON status
	FOR EACH STATEMENT EXECUTE FUNCTION status_notify();
`,
}

// migrateLock is the advisory lock key of migrations ("hcscan" + 1).
const migrateLock = 0x6863736361_6e01

// migrate brings the schema to the newest version; it returns the version.
func migrate(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	// A session lock: it must outlive the transactions of the steps.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrateLock)); err != nil {
		return 0, fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", int64(migrateLock))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, fmt.Errorf("schema_version: %w", err)
	}
	var have int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&have); err != nil {
		return 0, fmt.Errorf("schema_version: %w", err)
	}
	if newest := len(migrations) - 1; have > newest {
		return have, fmt.Errorf("the database schema is version %d, newer than this server knows (%d): run a newer hcserver", have, newest)
	}
	for v := have + 1; v < len(migrations); v++ {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_version (version) VALUES ($1)", v)
			return err
		})
		if err != nil {
			return have, fmt.Errorf("schema version %d: %w", v, err)
		}
		have = v
	}
	return have, nil
}
