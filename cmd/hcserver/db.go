package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"time"

	"hcscan/server"
)

// dbFlag adds --db to a command: the PostgreSQL database of the province
// (default $HCSERVER_DB); empty means the embedded bbolt file in --data.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", os.Getenv("HCSERVER_DB"), "PostgreSQL database (postgres://USER@HOST/DB?sslmode=verify-full; password from ~/.pgpass or PGPASSWORD), default $HCSERVER_DB; empty: the embedded bbolt file server.db in --data")
}

// openDB opens the PostgreSQL store named by db, or returns nil for the
// embedded store.
func openDB(db string, log *slog.Logger) (server.Store, error) {
	if db == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return server.OpenPG(ctx, db, server.PGOptions{Logger: log})
}
