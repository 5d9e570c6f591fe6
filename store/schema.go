package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

var (
	bMeta        = []byte("meta")
	bRecords     = []byte("records")
	bIDs         = []byte("ids")
	bOutbox      = []byte("outbox")
	bAcked       = []byte("acked")
	bDead        = []byte("dead")
	bProvisional = []byte("provisional")
	bAlerts      = []byte("alerts")
	bCounters    = []byte("counters")
	bCache       = []byte("cache")
	bStatus      = []byte("status")
	bOperators   = []byte("operators")
	bDevice      = []byte("device")
	bSettings    = []byte("settings")

	kSchema  = []byte("schema")
	kCreated = []byte("created")
)

// schemaBuckets lists the buckets each schema version has.
var schemaBuckets = map[int][][]byte{
	1: {bMeta, bRecords, bIDs, bOutbox, bAcked, bDead, bCache, bStatus, bOperators, bDevice, bSettings},
	2: {bMeta, bRecords, bIDs, bOutbox, bAcked, bDead, bCache, bStatus, bOperators, bDevice, bSettings,
		bCounters, bProvisional, bAlerts},
	3: {bMeta, bRecords, bIDs, bOutbox, bAcked, bDead, bCache, bStatus, bOperators, bDevice, bSettings,
		bCounters, bProvisional, bAlerts},
}

// migrations[v] upgrades a file from schema v to v+1 inside one transaction.
var migrations = map[int]func(s *Store, tx *bolt.Tx) error{
	1: migrate1to2,
	2: migrate2to3,
}

func (s *Store) init() error {
	if s.opts.ReadOnly {
		return s.view(func(tx *bolt.Tx) error {
			v, err := schemaOf(tx)
			if err != nil {
				return corruptError(s.path, err)
			}
			switch {
			case v > SchemaVersion:
				return fmt.Errorf("%s has schema %d, this hcscan knows %d: %w", s.path, v, SchemaVersion, ErrNewerSchema)
			case v < SchemaVersion:
				return fmt.Errorf("%s has the older schema %d: open it once with hcscan (not read-only) to upgrade it", s.path, v)
			}
			return nil
		})
	}
	fresh := false
	if err := s.view(func(tx *bolt.Tx) error { fresh = tx.Bucket(bMeta) == nil; return nil }); err != nil {
		return err
	}
	// Only a new file is written here, so opening on a full disk still works.
	var err error
	if fresh {
		err = s.update(s.create)
	}
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	for {
		var v int
		if err := s.view(func(tx *bolt.Tx) (err error) { v, err = schemaOf(tx); return err }); err != nil {
			return corruptError(s.path, err)
		}
		if v == SchemaVersion {
			return nil
		}
		if v > SchemaVersion {
			return fmt.Errorf("%s has schema %d, this hcscan knows %d: %w", s.path, v, SchemaVersion, ErrNewerSchema)
		}
		m := migrations[v]
		if m == nil {
			return corruptError(s.path, fmt.Errorf("unknown schema %d", v))
		}
		start := time.Now()
		// Each step commits with its new version, so it runs exactly once.
		if err := s.update(func(tx *bolt.Tx) error {
			if err := m(s, tx); err != nil {
				return err
			}
			return tx.Bucket(bMeta).Put(kSchema, u64(uint64(v+1)))
		}); err != nil {
			return fmt.Errorf("upgrade %s from schema %d to %d: %w", s.path, v, v+1, err)
		}
		s.log.Info("data file upgraded", "path", s.path, "from", v, "to", v+1, "took", time.Since(start))
	}
}

// create lays out a new, empty file.
func (s *Store) create(tx *bolt.Tx) error {
	if tx.Bucket(bMeta) != nil {
		return nil
	}
	empty := true
	_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
	if !empty {
		return corruptError(s.path, fmt.Errorf("a bbolt file without hcscan's meta bucket"))
	}
	for _, name := range schemaBuckets[SchemaVersion] {
		if _, err := tx.CreateBucket(name); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bMeta)
	if err := meta.Put(kSchema, u64(SchemaVersion)); err != nil {
		return err
	}
	return meta.Put(kCreated, []byte(s.opts.Now().UTC().Format(time.RFC3339)))
}

func schemaOf(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket(bMeta)
	if meta == nil {
		return 0, fmt.Errorf("no meta bucket")
	}
	b := meta.Get(kSchema)
	if len(b) != 8 {
		return 0, fmt.Errorf("no schema version")
	}
	return int(binary.BigEndian.Uint64(b)), nil
}

// migrate1to2 adds the counters (so pending and today are O(1)), the
// provisional index and alerts, computing them from the records.
func migrate1to2(s *Store, tx *bolt.Tx) error {
	for _, name := range [][]byte{bCounters, bProvisional, bAlerts} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	counters := tx.Bucket(bCounters)
	pending := uint64(tx.Bucket(bOutbox).Stats().KeyN)
	if err := counters.Put(kPending, u64(pending)); err != nil {
		return err
	}
	var n uint64
	days := map[string]healthcode.Tally{}
	err := tx.Bucket(bRecords).ForEach(func(k, v []byte) error {
		var r healthcode.Record
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("record %x: %w", k, err)
		}
		n++
		day := r.When().In(s.opts.Location).Format(dayLayout)
		c := days[day]
		c.Add(&r)
		days[day] = c
		return indexProvisional(tx, &r, r.Seq)
	})
	if err != nil {
		return err
	}
	for day, c := range days {
		if err := counters.Put(dayKey(day), encodeTally(c)); err != nil {
			return err
		}
	}
	return counters.Put(kRecords, u64(n))
}

// migrate2to3 counts each day's checks again by the check's time
// (healthcode.Record.When) instead of the laptop's clock, the day that
// today's list, the export and the portal use.
func migrate2to3(s *Store, tx *bolt.Tx) error {
	counters := tx.Bucket(bCounters)
	var old [][]byte
	c := counters.Cursor()
	for k, _ := c.Seek([]byte("day/")); k != nil && bytes.HasPrefix(k, []byte("day/")); k, _ = c.Next() {
		old = append(old, bytes.Clone(k))
	}
	for _, k := range old {
		if err := counters.Delete(k); err != nil {
			return err
		}
	}
	days := map[string]healthcode.Tally{}
	err := tx.Bucket(bRecords).ForEach(func(k, v []byte) error {
		var r healthcode.Record
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("record %x: %w", k, err)
		}
		day := r.When().In(s.opts.Location).Format(dayLayout)
		c := days[day]
		c.Add(&r)
		days[day] = c
		return nil
	})
	if err != nil {
		return err
	}
	for day, c := range days {
		if err := counters.Put(dayKey(day), encodeTally(c)); err != nil {
			return err
		}
	}
	return nil
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func getU64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}
