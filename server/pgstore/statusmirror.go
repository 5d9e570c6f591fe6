package pgstore

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"hcscan/healthcode"
)

// Live status checks are answered from memory while the process can be
// sure it holds every status the database has: each process keeps a
// mirror of the status table, loaded in full by its listener (the
// connection that also hears of device changes, devicecache.go) whenever
// that connection starts, and brought up to date whenever the database
// announces a change on statusChannel (a trigger, schema step 10), and at
// least every statusPing. Status rows are never deleted and their
// sequence numbers become visible in order (SetStatus orders writers on
// the head row), so reading the rows above the mirror's highest sequence
// is all a catch-up needs.
//
// How fresh an answer is: a status set through any process or by SQL
// reaches every mirror as fast as its notification travels (a few
// milliseconds); a status set through this process is looked up in the
// database until the mirror holds it. While the listener is lost, or has
// not been heard for statusWatchBeat, every check goes to the database as
// it did before (statusread.go). A province with more status rows than
// statusMirrorMax keeps no mirror.
const (
	statusChannel = "hcscan_status"
	// statusReload is the notification's payload when rows changed
	// without a new sequence.
	statusReload = "reload"
	// statusPing is how often an idle listener catches up, which also
	// proves its connection works.
	statusPing = 2 * time.Second
	// statusWatchBeat is how long the mirror answers after the listener
	// was last heard.
	statusWatchBeat = 5 * time.Second
	// statusMirrorMax bounds the mirror (some 100 bytes a status).
	statusMirrorMax = 2_000_000
	// statusPage is how many rows one catch-up query reads at most.
	statusPage = 20_000
)

// statusMirror is read by every check and written by the listener's
// goroutine alone (reload, catchUp), so m and seq change only there.
type statusMirror struct {
	mu sync.RWMutex
	m  map[healthcode.CodeHash]mirrored
	// seq is the highest sequence in m: every row up to it is there.
	seq uint64
	// alive is when the listener last knew m to be complete (zero: it
	// does not).
	alive time.Time
	// wrote is the highest sequence this process's SetStatus committed:
	// until m reaches it, checks go to the database, so a process answers
	// with what it just wrote.
	wrote uint64
	// tooMany is set when the table outgrew statusMirrorMax.
	tooMany bool
	// off sends every check to the database (tests of that path).
	off bool
}

type mirrored struct {
	colour  healthcode.Colour
	updated int64 // Unix nanoseconds, UTC
	seq     uint64
}

// lookup answers a check from the mirror; usable is false when the mirror
// cannot be trusted now and the database must answer.
func (sm *statusMirror) lookup(h healthcode.CodeHash, now time.Time) (e healthcode.StatusEntry, found, usable bool) {
	sm.mu.RLock()
	defer sm.mu.RUnlock()
	if sm.off || sm.m == nil || sm.alive.IsZero() || now.Before(sm.alive) || now.Sub(sm.alive) > statusWatchBeat || sm.seq < sm.wrote {
		return e, false, false
	}
	v, ok := sm.m[h]
	if !ok {
		return e, false, true
	}
	return healthcode.StatusEntry{Hash: h, Colour: v.colour, Updated: time.Unix(0, v.updated).UTC(), Seq: v.seq}, true, true
}

// committed notes a sequence this process wrote.
func (sm *statusMirror) committed(seq uint64) {
	sm.mu.Lock()
	sm.wrote = max(sm.wrote, seq)
	sm.mu.Unlock()
}

// deaf says the listener is lost: the mirror stops answering.
func (sm *statusMirror) deaf() {
	sm.mu.Lock()
	sm.alive = time.Time{}
	sm.mu.Unlock()
}

// reload reads the whole status table on conn into a new mirror. A
// listener that has just (re)connected does it: after a failover the new
// primary may not hold what the old one did.
func (sm *statusMirror) reload(ctx context.Context, conn *pgx.Conn) error {
	sm.deaf()
	started := time.Now()
	m := map[healthcode.CodeHash]mirrored{}
	seq, err := readStatusRows(ctx, conn, 0, m, statusMirrorMax)
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if err != nil {
		return err
	}
	sm.tooMany = len(m) > statusMirrorMax
	if sm.tooMany {
		sm.m, sm.seq = nil, 0
		return nil
	}
	sm.m, sm.seq, sm.alive = m, seq, started
	return nil
}

// catchUp reads the rows written since the mirror's sequence; the
// mirror is then complete as of when the reading started.
func (sm *statusMirror) catchUp(ctx context.Context, conn *pgx.Conn) error {
	started := time.Now()
	sm.mu.RLock()
	from, have, off, tooMany := sm.seq, len(sm.m), sm.m == nil, sm.tooMany
	sm.mu.RUnlock()
	if off {
		if tooMany {
			return nil
		}
		return sm.reload(ctx, conn)
	}
	fresh := map[healthcode.CodeHash]mirrored{}
	seq, err := readStatusRows(ctx, conn, from, fresh, statusMirrorMax-have)
	if err != nil {
		return err
	}
	sm.mu.Lock()
	defer sm.mu.Unlock()
	for h, v := range fresh {
		sm.m[h] = v
	}
	if len(sm.m) > statusMirrorMax {
		sm.m, sm.seq, sm.tooMany, sm.alive = nil, 0, true, time.Time{}
		return nil
	}
	sm.seq, sm.alive = max(sm.seq, seq), started
	return nil
}

// readStatusRows reads the status rows above sequence from into m, in
// pages, and returns the highest sequence read (from when none). It stops
// once m holds more than limit rows.
func readStatusRows(ctx context.Context, conn *pgx.Conn, from uint64, m map[healthcode.CodeHash]mirrored, limit int) (uint64, error) {
	for {
		rows, err := conn.Query(ctx, `SELECT hash, colour, updated, seq FROM status WHERE seq > $1 ORDER BY seq LIMIT $2`, int64(from), statusPage)
		if err != nil {
			return from, err
		}
		n := 0
		var hash []byte
		var colour int16
		var updated time.Time
		var seq int64
		_, err = pgx.ForEachRow(rows, []any{&hash, &colour, &updated, &seq}, func() error {
			var h healthcode.CodeHash
			copy(h[:], hash)
			m[h] = mirrored{colour: healthcode.Colour(colour), updated: updated.UnixNano(), seq: uint64(seq)}
			from = uint64(seq)
			n++
			return nil
		})
		if err != nil {
			return from, err
		}
		if n < statusPage || len(m) > limit {
			return from, nil
		}
	}
}
