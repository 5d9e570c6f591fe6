// Package pgstore is the server's store (server.Store) on PostgreSQL, for a
// province: any number of stateless server processes in front of one
// database. Each entity has its own file here (token.go, device.go,
// record.go, ...), as in boltstore; schema.go holds the migrations.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	gosync "sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"hcscan/server"
)

// Store is the server.Store on PostgreSQL, for a province: any number of
// stateless server processes (server.New on a Store with the same URL) in
// front of one database. Everything they must agree on is in tables:
// records (partitioned by day), devices, tokens, status, alerts,
// idempotency answers, the request-nonce replay cache, portal sessions,
// the audit list and the trust list served. See migrations for the
// schema.
type Store struct {
	pool *pgxpool.Pool
	// nonces is a pool whose sessions commit without waiting for the
	// WAL flush (synchronous_commit off): a request nonce is checked on
	// every signed request, and waiting for a disk flush on each would
	// bound a province's status checks by its disk. What that risks: a
	// database crash may forget the nonces of the last fraction of a
	// second (wal_writer_delay), so a request captured then could be
	// replayed once after the crash; records stay unique and batches
	// idempotent all the same.
	nonces *pgxpool.Pool
	// reads answers the portal's reads of records: the
	// primary's pool, or one on a hot standby (Options.ReadURL).
	reads         *pgxpool.Pool
	log           *slog.Logger
	statusHistory int64
	devices       deviceCache
	statusReads   statusReads
	status        statusMirror
	// stopWatch ends watchDevices, which closes watchDone.
	stopWatch context.CancelFunc
	watchDone chan struct{}
	// days holds the names of day partitions known to exist.
	days gosync.Map
	// now is the clock deciding which days get their own partition.
	now func() time.Time
}

// Options configure Open.
type Options struct {
	// StatusHistory is how many status changes are kept for deltas
	// (default 1,000,000); older `since` values get 410 and a snapshot.
	StatusHistory int
	Logger        *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// ReadURL, when set, is a database (a hot standby of the primary)
	// for the portal's reads of records, record counts, exports, gate
	// hours and close contacts, so that they do not load the primary
	// (alerts, which the portal acknowledges, stay on the primary). A
	// standby answers what it has replayed: with synchronous_commit =
	// remote_apply on the primary, everything acknowledged.
	ReadURL string
}

// defaultMaxConns is the connection pool's size when the URL does not set
// pool_max_conns: pgx's default (the number of CPUs, at least 4) keeps a
// server process waiting for connections under a province's load.
const defaultMaxConns = 20

// callTimeout bounds one store call (see bound).
const callTimeout = 30 * time.Second

// Open connects to PostgreSQL (a URL such as
// postgres://user@host/db?sslmode=verify-full, or key=value settings) and
// brings the schema up to date.
func Open(ctx context.Context, url string, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StatusHistory <= 0 {
		o.StatusHistory = 1_000_000
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	ncfg := cfg.Copy()
	ncfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	ncfg.MaxConns = max(4, cfg.MaxConns/2)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	v, err := migrate(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: migrate: %w", err)
	}
	nonces, err := pgxpool.NewWithConfig(ctx, ncfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	reads := pool
	if o.ReadURL != "" {
		rcfg, err := pgxpool.ParseConfig(o.ReadURL)
		if err != nil {
			pool.Close()
			nonces.Close()
			return nil, fmt.Errorf("open postgres store: read database: %w", err)
		}
		if !strings.Contains(o.ReadURL, "pool_max_conns") {
			rcfg.MaxConns = defaultMaxConns
		}
		// Connections are made when first needed: a standby that is down
		// at start fails the portal's reads, not the server.
		if reads, err = pgxpool.NewWithConfig(ctx, rcfg); err != nil {
			pool.Close()
			nonces.Close()
			return nil, fmt.Errorf("open postgres store: read database: %w", err)
		}
	}
	o.Logger.Info("postgres store open", "host", cfg.ConnConfig.Host, "database", cfg.ConnConfig.Database, "schema_version", v, "max_conns", cfg.MaxConns, "portal_reads", o.ReadURL != "")
	s := &Store{pool: pool, nonces: nonces, reads: reads, log: o.Logger, statusHistory: int64(o.StatusHistory), now: o.Now, watchDone: make(chan struct{})}
	wctx, stop := context.WithCancel(context.Background())
	s.stopWatch = stop
	go s.watchDevices(wctx, cfg.ConnConfig)
	return s, nil
}

// Close closes the connection pools.
func (s *Store) Close() error {
	s.stopWatch()
	<-s.watchDone
	if s.reads != s.pool {
		s.reads.Close()
	}
	s.pool.Close()
	s.nonces.Close()
	return nil
}

// Prune drops idempotency answers older than idemBefore, and the sessions
// and nonces that expired by now.
func (s *Store) Prune(ctx context.Context, idemBefore, now time.Time) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	for _, q := range []struct {
		sql string
		arg time.Time
	}{
		{`DELETE FROM idempotency WHERE created < $1`, idemBefore},
		{`DELETE FROM sessions WHERE expires < $1`, now},
		{`DELETE FROM nonces WHERE forget < $1`, now},
	} {
		if _, err := s.pool.Exec(ctx, q.sql, q.arg); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
	}
	return nil
}

// bound gives one store call at most callTimeout within the caller's ctx:
// a stalled database fails the request instead of holding it, and a
// request that ends (its client gone) cancels the query.
func bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, callTimeout)
}

// tx runs fn in one transaction.
func (s *Store) tx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	return storageError(pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(ctx, tx) }))
}

// storageError marks a failure for want of disk space (SQLSTATE class
// 53: disk_full, out of memory, too many connections are temporary too,
// but only a full disk needs the operator) as server.ErrStorageFull.
func storageError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "53100" /* disk_full */ {
		return fmt.Errorf("%w: %w", server.ErrStorageFull, err)
	}
	return err
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

var _ server.Store = (*Store)(nil)
