package boltstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/server"
)

// nonceCache remembers the nonces of signed requests until they may be
// forgotten (their time is then outside the clock skew accepted), so a
// replay is refused and the cache stays bounded by the traffic of ten
// minutes. It answers from memory (the file admits one server process);
// the nonces bucket keeps the same nonces on disk, so that a request
// replayed after a restart (even after kill -9) is still refused.
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

// forget drops a nonce that could not be kept on disk.
func (c *nonceCache) forget(deviceID, nonce string) {
	c.mu.Lock()
	delete(c.seen, deviceID+"\x00"+nonce)
	c.mu.Unlock()
}

// CheckNonce answers from memory and, for a new nonce, writes it to the
// nonces bucket before saying so; concurrent requests share one commit.
func (s *Store) CheckNonce(ctx context.Context, deviceID, nonce string, forget, now time.Time) (bool, error) {
	fresh, err := s.nonces.check(deviceID, nonce, forget, now)
	if err != nil || !fresh {
		return fresh, err
	}
	err = s.batch(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bNonces).Put([]byte(deviceID+"\x00"+nonce), u64(uint64(forget.UnixMilli())))
	})
	if err != nil {
		s.nonces.forget(deviceID, nonce)
		return false, fmt.Errorf("keep request nonce: %w", err)
	}
	return true, nil
}

// loadNonces fills the cache with the nonces on disk not yet expired at now.
func (s *Store) loadNonces(now time.Time) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bNonces).ForEach(func(k, v []byte) error {
			if len(v) != 8 {
				return nil
			}
			forget := time.UnixMilli(int64(binary.BigEndian.Uint64(v)))
			if forget.After(now) {
				s.nonces.seen[string(k)] = forget
			}
			return nil
		})
	})
}

// pruneNonces deletes the nonces on disk that expired by now.
func pruneNonces(tx *bolt.Tx, now time.Time) error {
	b := tx.Bucket(bNonces)
	var old [][]byte
	cut := uint64(now.UnixMilli())
	_ = b.ForEach(func(k, v []byte) error {
		if len(v) != 8 || binary.BigEndian.Uint64(v) < cut {
			old = append(old, append([]byte{}, k...))
		}
		return nil
	})
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
