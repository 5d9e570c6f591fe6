package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hcscan/healthcode"
	"hcscan/server"
)

// rosterSchema is the migration step of the roster tables (see migrations).
const rosterSchema = `
CREATE TABLE roster_members (
	institution text COLLATE "C" NOT NULL,
	id          text COLLATE "C" NOT NULL,
	name        text NOT NULL,
	grp         text COLLATE "C" NOT NULL,
	role        smallint NOT NULL,
	person      bytea,                    -- null until a scan linked the member
	masked      text NOT NULL,
	unconfirmed boolean NOT NULL,
	added       timestamptz NOT NULL,
	linked      timestamptz,
	PRIMARY KEY (institution, id)
);
-- A person is on one institution's roster once; the status join finds
-- every institution following a person.
CREATE UNIQUE INDEX roster_members_person ON roster_members (person, institution) WHERE person IS NOT NULL;

-- The checks of the institutions' own people: the morning view reads a
-- day of them for one institution.
CREATE TABLE roster_checks (
	institution text COLLATE "C" NOT NULL,
	at          timestamptz NOT NULL,
	device_id   text COLLATE "C" NOT NULL,
	record_id   uuid NOT NULL,
	person      bytea NOT NULL,
	code_hash   bytea NOT NULL,
	gate        text NOT NULL,
	temperature smallint NOT NULL,
	fever       boolean NOT NULL,
	verdict     smallint NOT NULL,
	colour      smallint NOT NULL,
	name        text NOT NULL,
	PRIMARY KEY (device_id, record_id)
);
CREATE INDEX roster_checks_day ON roster_checks (institution, at);

-- Which person each code seen in a check belongs to: the status feed is
-- by code hash, the roster by person key.
CREATE TABLE code_persons (
	code_hash bytea PRIMARY KEY,
	person    bytea NOT NULL
);

CREATE TABLE person_status (
	person    bytea PRIMARY KEY,
	colour    smallint NOT NULL,
	updated   timestamptz NOT NULL,
	code_hash bytea NOT NULL
);

CREATE TABLE roster_alerts (
	institution text COLLATE "C" NOT NULL,
	id          text COLLATE "C" NOT NULL,
	member      text NOT NULL,
	grp         text NOT NULL,
	role        smallint NOT NULL,
	name        text NOT NULL,
	kind        text NOT NULL,
	at          timestamptz NOT NULL,
	gate        text NOT NULL,
	temperature smallint NOT NULL,
	device_id   text NOT NULL,
	record_id   text NOT NULL,
	raised      timestamptz NOT NULL,
	PRIMARY KEY (institution, id)
);
CREATE INDEX roster_alerts_raised ON roster_alerts (institution, raised);
`

func personArg(p healthcode.PersonKey) []byte {
	if p.IsZero() {
		return nil
	}
	return p[:]
}

func (s *Store) PutRosterMembers(ctx context.Context, institution string, ms []server.RosterMember) error {
	if len(ms) == 0 {
		return nil
	}
	n := len(ms)
	ids, names, groups, masked := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	roles := make([]int16, n)
	persons := make([][]byte, n)
	unconfirmed := make([]bool, n)
	added := make([]time.Time, n)
	linked := make([]*time.Time, n)
	for i, m := range ms {
		ids[i], names[i], groups[i], masked[i] = m.ID, m.Name, m.Group, m.Masked
		roles[i], persons[i], unconfirmed[i], added[i], linked[i] = int16(m.Role), personArg(m.Person), m.Unconfirmed, m.Added, nullTime(m.Linked)
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO roster_members (institution, id, name, grp, role, person, masked, unconfirmed, added, linked)
		SELECT $1, m.id, m.name, m.grp, m.role, m.person, m.masked, m.unconfirmed, m.added, m.linked
		FROM unnest($2::text[], $3::text[], $4::text[], $5::smallint[], $6::bytea[], $7::text[], $8::boolean[], $9::timestamptz[], $10::timestamptz[])
			AS m(id, name, grp, role, person, masked, unconfirmed, added, linked)
		ON CONFLICT (institution, id) DO UPDATE SET name = excluded.name, grp = excluded.grp, role = excluded.role,
			person = excluded.person, masked = excluded.masked, unconfirmed = excluded.unconfirmed, linked = excluded.linked`,
		institution, ids, names, groups, roles, persons, masked, unconfirmed, added, linked)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "roster_members_person" {
		return server.ErrPersonTaken
	}
	if err != nil {
		return fmt.Errorf("put roster members: %w", err)
	}
	return nil
}

func (s *Store) DeleteRosterMembers(ctx context.Context, institution string, ids []string) error {
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM roster_members WHERE institution = $1 AND id = ANY($2::text[])`, institution, ids)
		if err != nil {
			return fmt.Errorf("delete roster members: %w", err)
		}
		if int(tag.RowsAffected()) != len(ids) {
			return server.ErrNotFound // the transaction is rolled back: nothing removed
		}
		return nil
	})
}

const memberColumns = `institution, id, name, grp, role, person, masked, unconfirmed, added, linked`

func scanMember(r pgx.CollectableRow) (server.RosterMember, error) {
	var m server.RosterMember
	var role int16
	var person []byte
	var linked *time.Time
	err := r.Scan(&m.Institution, &m.ID, &m.Name, &m.Group, &role, &person, &m.Masked, &m.Unconfirmed, &m.Added, &linked)
	m.Role = healthcode.Role(role)
	copy(m.Person[:], person)
	if linked != nil {
		m.Linked = linked.UTC()
	}
	m.Added = m.Added.UTC()
	return m, err
}

func (s *Store) RosterMembers(ctx context.Context, institution string) ([]server.RosterMember, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+memberColumns+` FROM roster_members WHERE institution = $1`, institution)
	if err != nil {
		return nil, fmt.Errorf("roster members: %w", err)
	}
	ms, err := pgx.CollectRows(rows, scanMember)
	if err != nil {
		return nil, fmt.Errorf("roster members: %w", err)
	}
	// Sorted here, by bytes as bbolt does: the database's collation
	// would sort names otherwise (and slower).
	server.SortMembers(ms)
	return ms, nil
}

func (s *Store) MembersByPerson(ctx context.Context, person healthcode.PersonKey) ([]server.RosterMember, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+memberColumns+` FROM roster_members WHERE person = $1 ORDER BY institution`, person[:])
	if err != nil {
		return nil, fmt.Errorf("members by person: %w", err)
	}
	return pgx.CollectRows(rows, scanMember)
}

func (s *Store) NoteRosterChecks(ctx context.Context, checks []server.RosterCheck) error {
	if len(checks) == 0 {
		return nil
	}
	n := len(checks)
	insts, devices, records, gates, names := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ats := make([]time.Time, n)
	persons, hashes := make([][]byte, n), make([][]byte, n)
	temps, verdicts, colours := make([]int16, n), make([]int16, n), make([]int16, n)
	fevers := make([]bool, n)
	for i, c := range checks {
		insts[i], devices[i], records[i], gates[i], names[i] = c.Institution, c.DeviceID, c.RecordID, c.Gate, c.Name
		ats[i], persons[i], hashes[i] = c.At, c.Person[:], c.CodeHash[:]
		temps[i], verdicts[i], colours[i], fevers[i] = int16(c.Temperature), int16(c.Verdict), int16(c.Colour), c.Fever
	}
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO roster_checks (institution, at, device_id, record_id, person, code_hash, gate, temperature, fever, verdict, colour, name)
			SELECT c.inst, c.at, c.dev, c.rec::uuid, c.person, c.hash, c.gate, c.temp, c.fever, c.verdict, c.colour, c.name
			FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::bytea[], $6::bytea[], $7::text[], $8::smallint[], $9::boolean[], $10::smallint[], $11::smallint[], $12::text[])
				AS c(inst, at, dev, rec, person, hash, gate, temp, fever, verdict, colour, name)
			ON CONFLICT DO NOTHING`, insts, ats, devices, records, persons, hashes, gates, temps, fevers, verdicts, colours, names); err != nil {
			return fmt.Errorf("note roster checks: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO code_persons (code_hash, person)
			SELECT DISTINCT ON (c.hash) c.hash, c.person FROM unnest($1::bytea[], $2::bytea[]) AS c(hash, person)
			WHERE c.hash <> '\x00000000000000000000000000000000'::bytea
			ON CONFLICT (code_hash) DO UPDATE SET person = excluded.person`, hashes, persons); err != nil {
			return fmt.Errorf("note code persons: %w", err)
		}
		return nil
	})
}

func (s *Store) RosterChecks(ctx context.Context, institution string, from, to time.Time) ([]server.RosterCheck, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT at, device_id, record_id::text, person, code_hash, gate, temperature, fever, verdict, colour, name
		FROM roster_checks WHERE institution = $1 AND at >= $2 AND at < $3`, institution, from, to)
	if err != nil {
		return nil, fmt.Errorf("roster checks: %w", err)
	}
	var out []server.RosterCheck
	var c server.RosterCheck
	var person, hash []byte
	var temp, verdict, colour int16
	_, err = pgx.ForEachRow(rows, []any{&c.At, &c.DeviceID, &c.RecordID, &person, &hash, &c.Gate, &temp, &c.Fever, &verdict, &colour, &c.Name}, func() error {
		c.Institution = institution
		c.At = c.At.UTC()
		copy(c.Person[:], person)
		copy(c.CodeHash[:], hash)
		c.Temperature, c.Verdict, c.Colour = healthcode.Temperature(temp), healthcode.Verdict(verdict), healthcode.Colour(colour)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("roster checks: %w", err)
	}
	server.SortChecks(out)
	return out, nil
}

func (s *Store) CodePersons(ctx context.Context, hashes []healthcode.CodeHash) (map[healthcode.CodeHash]healthcode.PersonKey, error) {
	out := map[healthcode.CodeHash]healthcode.PersonKey{}
	if len(hashes) == 0 {
		return out, nil
	}
	arg := make([][]byte, len(hashes))
	for i := range hashes {
		arg[i] = hashes[i][:]
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT code_hash, person FROM code_persons WHERE code_hash = ANY($1::bytea[])`, arg)
	if err != nil {
		return nil, fmt.Errorf("code persons: %w", err)
	}
	var h, p []byte
	_, err = pgx.ForEachRow(rows, []any{&h, &p}, func() error {
		var ch healthcode.CodeHash
		var pk healthcode.PersonKey
		copy(ch[:], h)
		copy(pk[:], p)
		out[ch] = pk
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("code persons: %w", err)
	}
	return out, nil
}

func (s *Store) SetPersonStatuses(ctx context.Context, ps []server.PersonStatus) error {
	if len(ps) == 0 {
		return nil
	}
	persons, hashes := make([][]byte, len(ps)), make([][]byte, len(ps))
	colours := make([]int16, len(ps))
	updated := make([]time.Time, len(ps))
	for i := range ps {
		persons[i], hashes[i], colours[i], updated[i] = ps[i].Person[:], ps[i].CodeHash[:], int16(ps[i].Colour), ps[i].Updated
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	// The newest change of each person in the call, then the newer of it and the row kept.
	_, err := s.pool.Exec(ctx, `INSERT INTO person_status (person, colour, updated, code_hash)
		SELECT DISTINCT ON (p.person) p.person, p.colour, p.updated, p.hash
		FROM unnest($1::bytea[], $2::smallint[], $3::timestamptz[], $4::bytea[]) AS p(person, colour, updated, hash)
		ORDER BY p.person, p.updated DESC
		ON CONFLICT (person) DO UPDATE SET colour = excluded.colour, updated = excluded.updated, code_hash = excluded.code_hash
		WHERE person_status.updated <= excluded.updated`, persons, colours, updated, hashes)
	if err != nil {
		return fmt.Errorf("set person statuses: %w", err)
	}
	return nil
}

func (s *Store) PersonStatuses(ctx context.Context, institution string) ([]server.PersonStatus, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT ps.person, ps.colour, ps.updated, ps.code_hash
		FROM roster_members m JOIN person_status ps ON ps.person = m.person WHERE m.institution = $1`, institution)
	if err != nil {
		return nil, fmt.Errorf("person statuses: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (server.PersonStatus, error) {
		var p server.PersonStatus
		var person, hash []byte
		var colour int16
		err := r.Scan(&person, &colour, &p.Updated, &hash)
		copy(p.Person[:], person)
		copy(p.CodeHash[:], hash)
		p.Colour, p.Updated = healthcode.Colour(colour), p.Updated.UTC()
		return p, err
	})
}

func (s *Store) AddRosterAlerts(ctx context.Context, as []server.RosterAlert) (int, error) {
	added := 0
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		added = 0
		for _, a := range as {
			tag, err := tx.Exec(ctx, `INSERT INTO roster_alerts (institution, id, member, grp, role, name, kind, at, gate, temperature, device_id, record_id, raised)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING`,
				a.Institution, a.ID, a.Member, a.Group, int16(a.Role), a.Name, a.Kind, a.At, a.Gate, int16(a.Temperature), a.DeviceID, a.RecordID, a.Raised)
			if err != nil {
				return err
			}
			added += int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("add roster alerts: %w", err)
	}
	return added, nil
}

func (s *Store) RosterAlerts(ctx context.Context, institution string, since time.Time) ([]server.RosterAlert, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT institution, id, member, grp, role, name, kind, at, gate, temperature, device_id, record_id, raised
		FROM roster_alerts WHERE institution = $1 AND raised >= $2 ORDER BY raised DESC, id`, institution, since)
	if err != nil {
		return nil, fmt.Errorf("roster alerts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (server.RosterAlert, error) {
		var a server.RosterAlert
		var role, temp int16
		err := r.Scan(&a.Institution, &a.ID, &a.Member, &a.Group, &role, &a.Name, &a.Kind, &a.At, &a.Gate, &temp, &a.DeviceID, &a.RecordID, &a.Raised)
		a.Role, a.Temperature, a.At, a.Raised = healthcode.Role(role), healthcode.Temperature(temp), a.At.UTC(), a.Raised.UTC()
		return a, err
	})
}
