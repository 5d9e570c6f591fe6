// Package boltstore is the server's embedded store (server.Store) in one
// bbolt file: the default for a single server process. Each entity has its
// own file here (token.go, device.go, record.go, ...), as in pgstore.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"hcscan/server"
)

// Buckets of the server's bbolt file. Index keys end with the record key
// (device id, 0, record id) and map to nothing, so a prefix scan finds
// records in time order.
var (
	bTokens       = []byte("tokens")    // token hash → server.Token
	bDevices      = []byte("devices")   // device id → server.Device
	bRecords      = []byte("records")   // record key → received ms, institution, record JSON
	bByInst       = []byte("by_inst")   // institution 0 time recordkey
	bByGate       = []byte("by_gate")   // institution 0 gate 0 time recordkey
	bByHash       = []byte("by_hash")   // code hash recordkey → 1, for provisional passes (alerts)
	bAlerts       = []byte("alerts")    // institution 0 recordkey → server.Alert
	bStatus       = []byte("status")    // code hash → StatusEntry
	bStatusLog    = []byte("statuslog") // seq → code hash
	bIdem         = []byte("idem")      // device 0 key → created ms, body hash, results JSON
	bMeta         = []byte("meta")
	bSessions     = []byte("sessions")     // session hash → server.Session
	bAudit        = []byte("audit")        // institution 0 time seq → server.AuditEntry
	bNonces       = []byte("nonces")       // device 0 nonce → forget after (unix ms)
	bInstitutions = []byte("institutions") // name → server.Institution
	bStaff        = []byte("staff")        // institution 0 staff id → server.StaffMember
	allBuckets    = [][]byte{bTokens, bDevices, bRecords, bByInst, bByGate, bByHash, bAlerts, bStatus, bStatusLog, bIdem, bMeta, bSessions, bAudit, bNonces, bInstitutions, bStaff,
		bRoster, bRosterPerson, bRosterChecks, bCodePerson, bPersonStatus, bRosterAlerts} // roster buckets: roster.go

	metaTrust       = []byte("trust")
	metaStatusFloor = []byte("status_floor") // lowest since a delta is answered for
)

// Store is the embedded server.Store: one bbolt file, mode 0600.
type Store struct {
	db *bolt.DB
	// statusHistory is how many status log entries are kept for deltas.
	statusHistory uint64
	// nonces answers from memory (the file admits one server process)
	// what the nonces bucket keeps across restarts.
	nonces *nonceCache
}

// Options configure Open.
type Options struct {
	// StatusHistory is how many status changes are kept for deltas
	// (default 1,000,000); older `since` values get 410 and a snapshot.
	StatusHistory int
}

// ErrBusy: the file is open in another process, which bbolt does not allow.
var ErrBusy = errors.New("the server database is open in another process (is `hcserver serve` running?)")

// Open opens (or makes) the server database. A second process gets
// ErrBusy after a second instead of waiting forever.
func Open(path string, o Options) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open server store %s: %w", path, ErrBusy)
		}
		return nil, fmt.Errorf("open server store %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		db.Close()
		return nil, fmt.Errorf("open server store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open server store %s: %w", path, err)
	}
	if o.StatusHistory <= 0 {
		o.StatusHistory = 1_000_000
	}
	db.MaxBatchDelay = 2 * time.Millisecond
	s := &Store{db: db, statusHistory: uint64(o.StatusHistory), nonces: newNonceCache(2_000_000)}
	if err := s.loadNonces(time.Now()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open server store %s: nonces: %w", path, err)
	}
	return s, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Prune drops idempotency answers older than idemBefore and the sessions
// and nonces that expired by now.
func (s *Store) Prune(ctx context.Context, idemBefore, now time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		if err := pruneSessions(tx, now); err != nil {
			return err
		}
		if err := pruneNonces(tx, now); err != nil {
			return err
		}
		b := tx.Bucket(bIdem)
		var old [][]byte
		cut := uint64(idemBefore.UnixMilli())
		_ = b.ForEach(func(k, v []byte) error {
			if len(v) < 8 || binary.BigEndian.Uint64(v) < cut {
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
	})
}

// view, update and batch run fn in a read, write or batched write
// transaction, unless ctx has already ended (its request is gone): bbolt
// cannot stop a transaction once it runs, and a local one is short.
func (s *Store) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

func (s *Store) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return storageError(s.db.Update(fn))
}

func (s *Store) batch(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return storageError(s.db.Batch(fn))
}

// storageError marks a write that failed for want of disk space as
// server.ErrStorageFull (bbolt reports a failed file growth as text only).
func storageError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || strings.Contains(err.Error(), "no space left on device") {
		return fmt.Errorf("%w: %w", server.ErrStorageFull, err)
	}
	return err
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func recordKey(deviceID, recordID string) []byte {
	k := make([]byte, 0, len(deviceID)+1+len(recordID))
	k = append(k, deviceID...)
	k = append(k, 0)
	return append(k, recordID...)
}

// Times a time key can hold: nanoseconds since 1970 in an int64. A query
// bound outside (a far-future "before") is clamped, never wrapped around.
var (
	minKeyTime = time.Unix(0, math.MinInt64)
	maxKeyTime = time.Unix(0, math.MaxInt64)
)

func timeKey(t time.Time) []byte {
	switch {
	case t.Before(minKeyTime):
		return u64(0)
	case t.After(maxKeyTime):
		return u64(math.MaxUint64)
	}
	// Offset so that times before 1970 still sort; records are never that old.
	return u64(uint64(t.UnixNano()) ^ (1 << 63))
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

// scanBackward walks index keys with prefix from the end bound down, until
// fn says stop. The record key is the key after skip bytes.
func scanBackward(tx *bolt.Tx, index []byte, prefix, upper []byte, fn func(k []byte) bool) {
	c := tx.Bucket(index).Cursor()
	k, _ := c.Seek(upper)
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
		if !fn(k) {
			return
		}
	}
}

// sortBy sorts s by less, keeping equal elements in order.
func sortBy[T any](s []T, less func(a, b T) bool) {
	sort.SliceStable(s, func(i, j int) bool { return less(s[i], s[j]) })
}

var _ server.Store = (*Store)(nil)
