package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The institution's roster as the province signed it for this scanner:
// person keys with their groups and roles, the groups, and the alerts
// about its people (group and masked name). No name in clear is in it.
// Kept whole, as the trust list is, and verified again by whoever reads it.
var (
	kRosterRaw     = []byte("roster.raw")
	kRosterETag    = []byte("roster.etag")
	kRosterFetched = []byte("roster.fetched")
)

// SaveRoster caches the signed roster as fetched with its ETag (raw nil:
// the same roster, fetched again: a 304 Not Modified).
func (s *Store) SaveRoster(raw []byte, etag string, fetched time.Time) error {
	err := s.update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCache)
		if raw != nil {
			if err := c.Put(kRosterRaw, raw); err != nil {
				return err
			}
			if err := c.Put(kRosterETag, []byte(etag)); err != nil {
				return err
			}
		}
		return putTime(c, kRosterFetched, fetched)
	})
	if err != nil {
		return fmt.Errorf("save roster: %w", err)
	}
	return nil
}

// Roster returns the cached signed roster (raw nil when none yet).
func (s *Store) Roster() (raw []byte, etag string, fetched time.Time, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCache)
		raw = bytes.Clone(c.Get(kRosterRaw))
		etag = string(c.Get(kRosterETag))
		fetched = getTime(c, kRosterFetched)
		return nil
	})
	return raw, etag, fetched, err
}
