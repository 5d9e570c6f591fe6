package pgstore

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"hcscan/healthcode"
	"hcscan/server"
)

// record_counts (schema 8) holds how many records an institution has per
// UTC hour, gate, verdict, colour, fever and operator, added to in the
// transaction of each batch. The total of a filtered listing whose time
// bounds fall on whole hours (the portal's dates, in a zone a whole number
// of hours from UTC) and that does not search names is a sum over these
// rows instead of a count of up to a million records.

// countKey is one row of record_counts.
type countKey struct {
	hour     time.Time
	gate     string
	verdict  int16
	colour   int16
	fever    bool
	operator string
}

// addCounts adds the records of a batch just stored to record_counts. The
// rows are upserted in one order, so two batches never wait on each other
// in a cycle.
func addCounts(ctx context.Context, tx pgx.Tx, institution string, recs []*healthcode.Record) error {
	if len(recs) == 0 {
		return nil
	}
	by := map[countKey]int64{}
	for _, r := range recs {
		by[countKey{server.When(r).Truncate(time.Hour).UTC(), r.Gate, int16(r.Verdict), int16(r.EffectiveColour), r.Fever, r.Operator}]++
	}
	keys := make([]countKey, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		switch {
		case !a.hour.Equal(b.hour):
			return a.hour.Before(b.hour)
		case a.gate != b.gate:
			return a.gate < b.gate
		case a.verdict != b.verdict:
			return a.verdict < b.verdict
		case a.colour != b.colour:
			return a.colour < b.colour
		case a.fever != b.fever:
			return !a.fever
		}
		return a.operator < b.operator
	})
	hours, gates, ops := make([]time.Time, len(keys)), make([]string, len(keys)), make([]string, len(keys))
	verdicts, colours, ns := make([]int16, len(keys)), make([]int16, len(keys)), make([]int64, len(keys))
	fevers := make([]bool, len(keys))
	for i, k := range keys {
		hours[i], gates[i], verdicts[i], colours[i], fevers[i], ops[i], ns[i] = k.hour, k.gate, k.verdict, k.colour, k.fever, k.operator, by[k]
	}
	_, err := tx.Exec(ctx, `INSERT INTO record_counts (institution, hour, gate, verdict, colour, fever, operator, n)
		SELECT $1, * FROM unnest($2::timestamptz[], $3::text[], $4::smallint[], $5::smallint[], $6::boolean[], $7::text[], $8::bigint[])
		ON CONFLICT (institution, hour, gate, verdict, colour, fever, operator) DO UPDATE SET n = record_counts.n + EXCLUDED.n`,
		institution, hours, gates, verdicts, colours, fevers, ops, ns)
	return err
}

// subtractCounts is the statement that takes the records of source (a
// table, optionally with a WHERE clause) out of record_counts, before
// they are deleted; rows left at zero are deleted after it.
func subtractCounts(source string) string {
	return `UPDATE record_counts c SET n = c.n - d.n
		FROM (SELECT institution, date_bin('1 hour', at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS hour, gate, verdict, colour, fever, operator, count(*) AS n
			FROM ` + source + ` GROUP BY 1, 2, 3, 4, 5, 6, 7) AS d
		WHERE c.institution = d.institution AND c.hour = d.hour AND c.gate = d.gate AND c.verdict = d.verdict
			AND c.colour = d.colour AND c.fever = d.fever AND c.operator = d.operator`
}

// onHour reports whether t is zero or a whole UTC hour.
func onHour(t time.Time) bool { return t.IsZero() || t.Equal(t.Truncate(time.Hour)) }

// countedSQL is the sum over record_counts that answers the count of q,
// or ok false when q needs the records themselves (a name search, or a
// bound within an hour).
func countedSQL(q server.RecordQuery) (sql string, args []any, ok bool) {
	if q.Name != "" || !onHour(q.From) || !onHour(q.Upper()) {
		return "", nil, false
	}
	var b strings.Builder
	args = []any{q.Institution}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	b.WriteString("SELECT coalesce(sum(n), 0) FROM record_counts WHERE institution = $1")
	if q.Gate != "" {
		b.WriteString(" AND gate = " + arg(q.Gate))
	}
	if !q.From.IsZero() {
		b.WriteString(" AND hour >= " + arg(q.From))
	}
	if up := q.Upper(); !up.IsZero() {
		b.WriteString(" AND hour < " + arg(up))
	}
	if q.Verdict != healthcode.VerdictNone {
		b.WriteString(" AND verdict = " + arg(int16(q.Verdict)))
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
	return b.String(), args, true
}
