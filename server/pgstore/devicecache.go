package pgstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"hcscan/server"
)

// A device lookup is answered from memory for as long as the process can
// be sure it would hear of a change: every change of a device row (a
// device disabled or enabled in the portal, by `hcserver`, or by hand in
// SQL) raises a notification on deviceChannel (a trigger, schema step 9),
// and each process listens on a connection of its own (which also keeps
// the status mirror, statusmirror.go) and forgets the device it names.
// While that connection is up and answered within deviceWatchBeat, an
// entry is good for deviceWatchedTTL; otherwise (the listener lost, the
// database failing over) for deviceCacheTTL, as if nobody listened. So a device disabled through any
// process is refused by every process a moment later (the notification's
// way), at worst deviceWatchBeat later, and a province's scanners, each of
// which checks a code every few seconds or minutes, need no database round
// trip for their device on each request.
const (
	deviceChannel = "hcscan_devices"
	// deviceListenerName is the listener's application_name, as
	// pg_stat_activity shows it.
	deviceListenerName = "hcserver device listener"
	deviceCacheTTL     = 2 * time.Second
	deviceWatchedTTL   = 10 * time.Minute
	// deviceWatchBeat is how long the listener may stay silent (no
	// notification, no answered ping) before its word stops counting.
	deviceWatchBeat = 30 * time.Second
	// deviceCacheMax bounds the cache (some 300 bytes an entry).
	deviceCacheMax = 200_000
)

// deviceCache holds recent device lookups.
type deviceCache struct {
	mu sync.Mutex
	m  map[string]cachedDevice
	// gen changes with every forget and every clear: a lookup begun
	// before one may hold what was just changed, and is not kept.
	gen uint64
	// alive is when the listener was last known to hear every change
	// (zero: it does not).
	alive time.Time
	// listens counts the listener's connections that started listening.
	listens int
}

type cachedDevice struct {
	dev     server.Device
	fetched time.Time
}

func (c *deviceCache) get(id string, now time.Time) (server.Device, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || now.Before(e.fetched) {
		return server.Device{}, false
	}
	ttl := deviceCacheTTL
	if !c.alive.IsZero() && now.Sub(c.alive) < deviceWatchBeat && !now.Before(c.alive) {
		ttl = deviceWatchedTTL
	}
	if now.Sub(e.fetched) > ttl {
		return server.Device{}, false
	}
	return e.dev, true
}

// generation is taken before a lookup and given to put with its result.
func (c *deviceCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *deviceCache) put(d server.Device, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= deviceCacheMax {
		c.m = map[string]cachedDevice{}
	}
	c.m[d.ID] = cachedDevice{d, now}
}

func (c *deviceCache) forget(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.gen++
	c.mu.Unlock()
}

// listening says the listener hears every change from now on: what was
// looked up before may have missed one and is dropped.
func (c *deviceCache) listening(now time.Time) {
	c.mu.Lock()
	c.m = nil
	c.gen++
	c.alive = now
	c.listens++
	c.mu.Unlock()
}

// heard says the listener's connection answered at now.
func (c *deviceCache) heard(now time.Time) {
	c.mu.Lock()
	if !c.alive.IsZero() {
		c.alive = now
	}
	c.mu.Unlock()
}

// deaf says the listener lost its connection: entries count for
// deviceCacheTTL again.
func (c *deviceCache) deaf() {
	c.mu.Lock()
	c.alive = time.Time{}
	c.mu.Unlock()
}

// watchDevices listens for changes of devices until ctx ends, connecting
// again (to whichever host accepts writes) whenever the connection is
// lost.
func (s *Store) watchDevices(ctx context.Context, cfg *pgx.ConnConfig) {
	defer close(s.watchDone)
	for ctx.Err() == nil {
		err := s.listenDevices(ctx, cfg)
		s.devices.deaf()
		s.status.deaf()
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("device and status changes not heard; devices are looked up again every few seconds and status checks go to the database until the listener is back", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listenDevices(ctx context.Context, cfg *pgx.ConnConfig) error {
	cfg = cfg.Copy()
	cfg.RuntimeParams["application_name"] = deviceListenerName
	// A wait that times out only sets a deadline on this connection
	// (it runs no query to cancel).
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		closing, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(closing)
		cancel()
	}()
	for _, ch := range []string{deviceChannel, statusChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
			return err
		}
	}
	s.devices.listening(time.Now())
	if err := s.followStatus(ctx, conn, callTimeout, s.status.reload); err != nil {
		return err
	}
	for {
		wait, cancel := context.WithTimeout(ctx, statusPing)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil && n.Channel == statusChannel:
			read, limit := s.status.catchUp, statusWatchBeat
			if n.Payload == statusReload {
				read, limit = s.status.reload, callTimeout
			}
			if err := s.followStatus(ctx, conn, limit, read); err != nil {
				return err
			}
			s.devices.heard(time.Now())
			continue
		case err == nil:
			s.devices.forget(n.Payload)
			s.devices.heard(time.Now())
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err):
			return err
		}
		// Quiet for statusPing: catching up proves the connection works.
		if err := s.followStatus(ctx, conn, statusWatchBeat, s.status.catchUp); err != nil {
			return err
		}
		s.devices.heard(time.Now())
	}
}

// followStatus runs one reading of the status mirror on the listener's
// connection, bounded so that a connection that stopped answering is
// given up.
func (s *Store) followStatus(ctx context.Context, conn *pgx.Conn, limit time.Duration, read func(context.Context, *pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	return read(ctx, conn)
}
