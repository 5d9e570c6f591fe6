package boltstore

import (
	"context"
	"sync"
	"time"

	"hcscan/server"
)

// nonceCache remembers the nonces of signed requests until they may be
// forgotten (their time is then outside the clock skew accepted), so a
// replay is refused and the cache stays bounded by the traffic of ten
// minutes. It lives in the process, which is right for the bbolt store: its
// file admits one server process. The PostgreSQL store keeps nonces in a
// table that every process shares.
type nonceCache struct {
	mu        sync.Mutex
	seen      map[string]time.Time // device 0 nonce → forget after
	lastSweep time.Time
	max       int
}

func newNonceCache(max int) *nonceCache {
	return &nonceCache{seen: map[string]time.Time{}, max: max}
}

// check records the nonce and reports whether it is new.
func (c *nonceCache) check(deviceID, nonce string, forget, now time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.lastSweep) > time.Minute || len(c.seen) >= c.max {
		for k, until := range c.seen {
			if now.After(until) {
				delete(c.seen, k)
			}
		}
		c.lastSweep = now
		if len(c.seen) >= c.max {
			return false, server.ErrNonceWindowFull
		}
	}
	k := deviceID + "\x00" + nonce
	if _, ok := c.seen[k]; ok {
		return false, nil
	}
	c.seen[k] = forget
	return true, nil
}

func (s *Store) CheckNonce(ctx context.Context, deviceID, nonce string, forget, now time.Time) (bool, error) {
	return s.nonces.check(deviceID, nonce, forget, now)
}
