package main

import (
	"context"
	"errors"

	"hcscan/server"
	"hcscan/server/boltstore"
)

// withServer runs a change on the server's database. bbolt allows one
// process, so when `hcserver serve` runs, the change goes through its
// loopback admin API (address and secret in the data directory, mode
// 0600); when no server answers, the database is opened directly. A
// PostgreSQL database (db) admits any number of processes: it is opened
// directly.
func withServer(ctx context.Context, dir, db string, offline func(context.Context, *server.Server) error, online func(ctx context.Context) error) error {
	if db == "" {
		err := online(ctx)
		if err == nil || !errors.Is(err, server.ErrAdminNotRunning) {
			return err
		}
	}
	st, err := openDB(ctx, dir, db, "", nil)
	if err != nil {
		if errors.Is(err, boltstore.ErrBusy) {
			return errors.New("the server database is locked but no running server answered its admin API; is another command using it?")
		}
		return err
	}
	srv, err := server.New(ctx, server.Config{Dir: dir, Store: st})
	if err != nil {
		return err
	}
	defer srv.Close()
	return offline(ctx, srv)
}
