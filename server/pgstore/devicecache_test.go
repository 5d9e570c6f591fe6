package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hcscan/internal/pgtest"
	"hcscan/server"
	"hcscan/server/storetest"
)

// testDeviceChanges: a process keeps its device lookups (a second lookup
// long after the first costs no query) and still hears of every change
// of a device at once, whichever process or statement made it; when its
// listening connection is cut it connects again by itself, and what was
// changed meanwhile counts.
func testDeviceChanges(t *testing.T, pg *pgtest.Server) {
	var url string
	a := storetest.NewEnv(t, func(t testing.TB, o storetest.Options) server.Store {
		url = pg.NewDatabase(t)
		return openTest(t, url, o)
	}, storetest.Options{})
	d := a.Enroll(t, "clinic", "door")
	b := openTest(t, url, storetest.Options{})
	t.Cleanup(func() { b.Close() })
	ctx := t.Context()
	sql, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer sql.Close(context.Background())

	waitListening(t, b, 1)
	lookup := func() server.Device {
		t.Helper()
		dev, err := b.Device(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		return dev
	}
	if lookup().Disabled {
		t.Fatal("a new device is disabled")
	}
	if _, ok := b.devices.get(d.ID, time.Now().Add(20*time.Second)); !ok {
		t.Errorf("a lookup is not kept past %s while the listener hears every change", deviceCacheTTL)
	}
	// wantDisabled waits for b to see the change: far less than the time
	// an entry is kept, so only the notification can tell it.
	wantDisabled := func(what string, want bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); lookup().Disabled != want; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the other process still says disabled=%v after 10 s", what, !want)
			}
		}
	}
	st := a.Srv.Store().(*Store)
	if err := st.SetDeviceDisabled(ctx, "clinic", d.ID, true); err != nil {
		t.Fatal(err)
	}
	wantDisabled("disabled through the other process", true)
	if _, err := sql.Exec(ctx, `UPDATE devices SET disabled = false WHERE id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	wantDisabled("enabled by hand in SQL", false)

	// The listener's connection is cut; a change made while it is gone
	// is seen all the same (entries count for seconds only then), and the
	// listener comes back by itself.
	var n int
	if err := sql.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, deviceListenerName).Scan(&n); err != nil || n != 2 {
		t.Fatalf("cut the listeners of both processes: %d cut, %v", n, err)
	}
	if _, err := sql.Exec(ctx, `UPDATE devices SET disabled = true WHERE id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	wantDisabled("disabled while the listener was cut", true)
	waitListening(t, b, 2)
	if _, err := sql.Exec(ctx, `UPDATE devices SET disabled = false WHERE id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	wantDisabled("enabled after the listener came back", false)
}

// waitListening waits until s's listener listens on its n-th connection.
func waitListening(t *testing.T, s *Store, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		s.devices.mu.Lock()
		alive := !s.devices.alive.IsZero() && s.devices.listens >= n
		s.devices.mu.Unlock()
		if alive {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the device listener is not listening after 10 s")
		}
	}
}
