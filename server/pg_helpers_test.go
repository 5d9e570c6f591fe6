package server

import (
	"context"
	"testing"

	"hcscan/internal/pgtest"
)

// testPG is the PostgreSQL server of a test.
type testPG = pgtest.Server

func startPostgres(t testing.TB, durable bool) *testPG { return pgtest.Start(t, durable) }

// openPG opens a PGStore on url for t; the server using it closes it.
func openPG(t testing.TB, url string, cfg Config) *PGStore {
	t.Helper()
	st, err := OpenPG(context.Background(), url, PGOptions{StatusHistory: cfg.StatusHistory, Now: cfg.Now})
	if err != nil {
		t.Fatal(err)
	}
	return st
}
