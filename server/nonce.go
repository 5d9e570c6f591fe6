package server

import (
	gosync "sync"
	"time"

	"hcscan/protocol"
)

// nonceCache remembers the nonces of signed requests for as long as their
// time is acceptable (ClockSkew each side), so a replay is refused and the
// cache stays bounded by the traffic of ten minutes. It is per process: a
// deployment with several server processes would keep it in the shared
// store instead.
type nonceCache struct {
	mu        gosync.Mutex
	seen      map[string]time.Time // device 0 nonce → forget after
	lastSweep time.Time
	max       int
}

func newNonceCache(max int) *nonceCache {
	return &nonceCache{seen: map[string]time.Time{}, max: max}
}

// errNonceCacheFull is returned when too many requests came in one window.
type errNonceCacheFull struct{}

func (errNonceCacheFull) Error() string { return "too many requests in the replay window" }

// check records the nonce and reports whether it is new.
func (c *nonceCache) check(deviceID, nonce string, reqTime, now time.Time) (bool, error) {
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
			return false, errNonceCacheFull{}
		}
	}
	k := deviceID + "\x00" + nonce
	if _, ok := c.seen[k]; ok {
		return false, nil
	}
	until := reqTime
	if now.After(until) {
		until = now
	}
	c.seen[k] = until.Add(protocol.ClockSkew + time.Minute)
	return true, nil
}
