package pgstore

import (
	"context"
	"testing"

	"hcscan/internal/pgtest"
	"hcscan/server"
	"hcscan/server/storetest"
)

// TestStore runs the behaviour every store must have on a real PostgreSQL
// server started for it (one server, a new database per test), then what
// only a shared database allows: several server processes in front of it.
func TestStore(t *testing.T) {
	pg := pgtest.Start(t, false)
	storetest.Run(t, func(t testing.TB, o storetest.Options) server.Store {
		return openTest(t, pg.NewDatabase(t), o)
	})
	t.Run("partitions by day", func(t *testing.T) { testPartitionsByDay(t, pg) })
	t.Run("two servers share one database", func(t *testing.T) { testTwoServers(t, pg) })
	t.Run("device changes heard by every process", func(t *testing.T) { testDeviceChanges(t, pg) })
	t.Run("concurrent status checks share round trips", func(t *testing.T) { testConcurrentStatusReads(t, pg) })
	t.Run("status checks answered from a mirror every process keeps", func(t *testing.T) { testStatusMirror(t, pg) })
	t.Run("migrations run once", func(t *testing.T) { testMigrationsRunOnce(t, pg) })
	t.Run("days dropped after the retention period", func(t *testing.T) { testDropDaysBefore(t, pg) })
}

// openTest opens a Store on url for t; the server using it closes it.
func openTest(t testing.TB, url string, o storetest.Options) *Store {
	t.Helper()
	st, err := Open(context.Background(), url, Options{StatusHistory: o.StatusHistory, Now: o.Now})
	if err != nil {
		t.Fatal(err)
	}
	return st
}
