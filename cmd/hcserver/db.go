package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"hcscan/server"
	"hcscan/server/boltstore"
	"hcscan/server/pgstore"
)

// dbFlag adds --db to a command: the PostgreSQL database of the province
// (default $HCSERVER_DB); empty means the embedded bbolt file in --data.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", os.Getenv("HCSERVER_DB"), "PostgreSQL database (postgres://USER@HOST/DB?sslmode=verify-full; password from ~/.pgpass or PGPASSWORD), default $HCSERVER_DB; empty: the embedded bbolt file server.db in --data")
}

// openDB opens the PostgreSQL store named by db, or the embedded bbolt
// file server.db in the data directory when db is empty.
// dbRead, when set, is a hot standby for the portal's reads.
func openDB(ctx context.Context, data, db, dbRead string, log *slog.Logger) (server.Store, error) {
	if db == "" {
		if err := server.NeedKeys(data); err != nil {
			return nil, err
		}
		return boltstore.Open(filepath.Join(data, "server.db"), boltstore.Options{})
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return pgstore.Open(ctx, db, pgstore.Options{Logger: log, ReadURL: dbRead})
}
