package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hcscan/healthcode"
	"hcscan/internal/pgtest"
	"hcscan/server"
	"hcscan/server/storetest"
)

// testStatusMirror: two processes on one database answer live checks from
// memory, each with what the database holds: a colour set through one is
// answered by the other, and at once by itself; rows changed or deleted
// by hand are read again; with the listener cut, checks go to the
// database and the mirror comes back by itself. A mirrored answer is the
// database's answer to the last field.
func testStatusMirror(t *testing.T, pg *pgtest.Server) {
	url := pg.NewDatabase(t)
	a := openTest(t, url, storetest.Options{})
	defer a.Close()
	b := openTest(t, url, storetest.Options{})
	defer b.Close()
	ctx := t.Context()
	sql, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer sql.Close(context.Background())

	// fromDB is the database's own answer.
	fromDB := func(h healthcode.CodeHash) (healthcode.StatusEntry, bool) {
		t.Helper()
		rows, err := sql.Query(ctx, `SELECT hash, colour, updated, seq FROM status WHERE hash = $1`, h[:])
		if err != nil {
			t.Fatal(err)
		}
		es, err := pgx.CollectRows(rows, scanStatus)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			return healthcode.StatusEntry{}, false
		}
		return es[0], true
	}
	// mirrored waits until s's mirror answers for h what the database
	// holds now.
	mirrored := func(what string, s *Store, h healthcode.CodeHash) {
		t.Helper()
		want, wantFound := fromDB(h)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			e, found, usable := s.status.lookup(h, time.Now())
			if usable && found == wantFound && e == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the mirror answers %+v found=%v usable=%v after 10 s, the database %+v found=%v", what, e, found, usable, want, wantFound)
			}
		}
	}
	set := func(s *Store, h healthcode.CodeHash, c healthcode.Colour) {
		t.Helper()
		if _, _, err := s.SetStatus(ctx, []server.StatusChange{{Hash: h, Colour: c}}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, s *Store, h healthcode.CodeHash, want healthcode.Colour) {
		t.Helper()
		e, found, err := s.Status(ctx, h)
		if err != nil || !found || e.Colour != want {
			t.Fatalf("%s: %+v found=%v %v, want %s", what, e, found, err, want)
		}
	}

	// Statuses there before the processes started are loaded.
	old := storetest.HashOf(1)
	mirrored("no status yet", b, old)
	set(a, old, healthcode.Red)
	// The writer answers with what it wrote, every time, mirror or not.
	for i := byte(10); i < 60; i++ {
		h := storetest.HashOf(i)
		set(a, h, healthcode.Yellow)
		check("the writer right after writing", a, h, healthcode.Yellow)
	}
	mirrored("set through the other process", b, old)
	mirrored("set through the other process, the last", b, storetest.HashOf(59))
	mirrored("set through this process", a, storetest.HashOf(59))
	c := openTest(t, url, storetest.Options{})
	mirrored("a process started after", c, old)
	c.Close()

	// By hand, without a new sequence: the mirror reads the table again.
	if _, err := sql.Exec(ctx, `UPDATE status SET colour = $2 WHERE hash = $1`, old[:], int16(healthcode.Green)); err != nil {
		t.Fatal(err)
	}
	mirrored("changed by hand", b, old)
	if _, err := sql.Exec(ctx, `DELETE FROM status WHERE hash = $1`, old[:]); err != nil {
		t.Fatal(err)
	}
	mirrored("deleted by hand", b, old)

	// The listeners cut: b stops answering from memory, checks read the
	// database, and a colour set meanwhile is answered.
	var n int
	if err := sql.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, deviceListenerName).Scan(&n); err != nil || n != 2 {
		t.Fatalf("cut the listeners of both processes: %d cut, %v", n, err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if _, _, usable := b.status.lookup(old, time.Now()); !usable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the mirror still answers 10 s after its listener was cut")
		}
	}
	cut := storetest.HashOf(200)
	set(a, cut, healthcode.Red)
	check("while the listener was cut", b, cut, healthcode.Red)
	waitListening(t, b, 2)
	mirrored("after the listener came back", b, cut)
	set(a, cut, healthcode.Green)
	mirrored("changed after the listener came back", b, cut)
}
