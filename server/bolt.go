package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// Buckets of the server's bbolt file. Index keys end with the record key
// (device id, 0, record id) and map to nothing, so a prefix scan finds
// records in time order.
var (
	bTokens    = []byte("tokens")    // token hash → Token
	bDevices   = []byte("devices")   // device id → Device
	bRecords   = []byte("records")   // record key → received ms, institution, record JSON
	bByInst    = []byte("by_inst")   // institution 0 time recordkey
	bByGate    = []byte("by_gate")   // institution 0 gate 0 time recordkey
	bByHash    = []byte("by_hash")   // code hash recordkey → 1, for provisional passes (alerts)
	bAlerts    = []byte("alerts")    // institution 0 recordkey → Alert
	bStatus    = []byte("status")    // code hash → StatusEntry
	bStatusLog = []byte("statuslog") // seq → code hash
	bIdem      = []byte("idem")      // device 0 key → created ms, body hash, results JSON
	bMeta      = []byte("meta")
	bSessions  = []byte("sessions") // session hash → Session
	bAudit     = []byte("audit")    // institution 0 time seq → AuditEntry
	allBuckets = [][]byte{bTokens, bDevices, bRecords, bByInst, bByGate, bByHash, bAlerts, bStatus, bStatusLog, bIdem, bMeta, bSessions, bAudit}

	metaTrust       = []byte("trust")
	metaStatusFloor = []byte("status_floor") // lowest since a delta is answered for
)

// BoltStore is the embedded Store: one bbolt file, mode 0600.
type BoltStore struct {
	db *bolt.DB
	// statusHistory is how many status log entries are kept for deltas.
	statusHistory uint64
	// nonces stay in memory: the file admits one server process.
	nonces *nonceCache
}

// OpenBolt opens (or makes) the server database. A second process gets
// ErrStoreBusy after a second instead of waiting forever.
func OpenBolt(path string, statusHistory int) (*BoltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open server store %s: %w", path, ErrStoreBusy)
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
	if statusHistory <= 0 {
		statusHistory = 1_000_000
	}
	db.MaxBatchDelay = 2 * time.Millisecond
	return &BoltStore{db: db, statusHistory: uint64(statusHistory), nonces: newNonceCache(2_000_000)}, nil
}

func (s *BoltStore) Close() error { return s.db.Close() }

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

func timeKey(t time.Time) []byte {
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

func (s *BoltStore) PutToken(ctx context.Context, t Token) error {
	err := s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bTokens), t.Hash[:], t) })
	if err != nil {
		return fmt.Errorf("save token: %w", err)
	}
	return nil
}

func (s *BoltStore) Token(ctx context.Context, h TokenHash) (Token, error) {
	var t Token
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bTokens).Get(h[:])
		if v == nil {
			return ErrTokenUnknown
		}
		return json.Unmarshal(v, &t)
	})
	return t, err
}

func (s *BoltStore) Tokens(ctx context.Context, institution string) ([]Token, error) {
	var out []Token
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bTokens).ForEach(func(_, v []byte) error {
			var t Token
			if err := json.Unmarshal(v, &t); err != nil {
				return err
			}
			if t.Institution == institution {
				out = append(out, t)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, err
}

func (s *BoltStore) Enroll(ctx context.Context, h TokenHash, dev Device, now time.Time) (Device, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		tb := tx.Bucket(bTokens)
		v := tb.Get(h[:])
		if v == nil {
			return ErrTokenUnknown
		}
		var t Token
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		if err := t.redeemable(now); err != nil {
			return err
		}
		t.UsedAt, t.UsedBy = now, dev.ID
		dev.Institution, dev.Gate, dev.Enrolled = t.Institution, t.Gate, now
		if err := putJSON(tb, h[:], t); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bDevices), []byte(dev.ID), dev)
	})
	return dev, err
}

func (s *BoltStore) Device(ctx context.Context, id string) (Device, error) {
	var d Device
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bDevices).Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &d)
	})
	return d, err
}

func (s *BoltStore) Devices(ctx context.Context, institution string) ([]Device, error) {
	var out []Device
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bDevices).ForEach(func(_, v []byte) error {
			var d Device
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			if d.Institution == institution {
				out = append(out, d)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Enrolled.Before(out[j].Enrolled) })
	return out, err
}

func (s *BoltStore) SetDeviceDisabled(ctx context.Context, institution, id string, disabled bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bDevices)
		v := b.Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		var d Device
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		if d.Institution != institution {
			return ErrNotFound
		}
		d.Disabled = disabled
		return putJSON(b, []byte(id), d)
	})
}

func encodeStored(received time.Time, institution string, raw []byte) []byte {
	v := make([]byte, 0, 10+len(institution)+len(raw))
	v = append(v, u64(uint64(received.UnixMilli()))...)
	v = binary.BigEndian.AppendUint16(v, uint16(len(institution)))
	v = append(v, institution...)
	return append(v, raw...)
}

func decodeStored(v []byte) (StoredRecord, error) {
	var r StoredRecord
	if len(v) < 10 {
		return r, errors.New("stored record too short")
	}
	r.Received = time.UnixMilli(int64(binary.BigEndian.Uint64(v)))
	n := int(binary.BigEndian.Uint16(v[8:]))
	if len(v) < 10+n {
		return r, errors.New("stored record truncated")
	}
	r.DeviceInstitution = string(v[10 : 10+n])
	return r, json.Unmarshal(v[10+n:], &r.Record)
}

func (s *BoltStore) Ingest(ctx context.Context, dev Device, batch []IngestRecord, idem IdempotencyKey, now time.Time) ([]protocol.RecordResult, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("store batch: %w", err)
	}
	var results []protocol.RecordResult
	replayed := false
	// Batch lets the uploads of several scanners share one commit (fsync);
	// the function may run again alone if another in the batch fails.
	err := s.db.Batch(func(tx *bolt.Tx) error {
		results, replayed = nil, false
		var idemKey []byte
		if idem.Key != "" {
			idemKey = recordKey(dev.ID, idem.Key)
			if v := tx.Bucket(bIdem).Get(idemKey); v != nil && len(v) >= 40 {
				if !bytes.Equal(v[8:40], idem.BodyHash[:]) {
					return ErrIdemConflict
				}
				replayed = true
				return json.Unmarshal(v[40:], &results)
			}
		}
		recs, byInst, byGate, byHash := tx.Bucket(bRecords), tx.Bucket(bByInst), tx.Bucket(bByGate), tx.Bucket(bByHash)
		// Keys arrive mostly in order (UUIDv7 ids, times): fuller pages
		// mean fewer pages to split and write.
		recs.FillPercent, byInst.FillPercent, byGate.FillPercent = 0.9, 0.9, 0.9
		status, alerts := tx.Bucket(bStatus), tx.Bucket(bAlerts)
		results = make([]protocol.RecordResult, len(batch))
		for i := range batch {
			in := &batch[i]
			res := &results[i]
			res.ID = in.ID
			if in.Reject != "" {
				res.Status, res.Reason = protocol.Rejected, in.Reject
				continue
			}
			key := recordKey(dev.ID, in.ID)
			if recs.Get(key) != nil {
				res.Status = protocol.Duplicate
				continue
			}
			r := &in.Record
			if err := recs.Put(key, encodeStored(now, dev.Institution, in.Raw)); err != nil {
				return err
			}
			tk := timeKey(When(r))
			ik := make([]byte, 0, len(dev.Institution)+1+8+len(key))
			ik = append(append(append(append(ik, dev.Institution...), 0), tk...), key...)
			if err := byInst.Put(ik, nil); err != nil {
				return err
			}
			gk := make([]byte, 0, len(dev.Institution)+len(r.Gate)+2+8+len(key))
			gk = append(append(append(append(append(append(gk, dev.Institution...), 0), r.Gate...), 0), tk...), key...)
			if err := byGate.Put(gk, nil); err != nil {
				return err
			}
			if r.ProvisionalPass() {
				if err := byHash.Put(append(r.CodeHash[:len(r.CodeHash):len(r.CodeHash)], key...), []byte{1}); err != nil {
					return err
				}
				if v := status.Get(r.CodeHash[:]); v != nil {
					var e healthcode.StatusEntry
					if err := json.Unmarshal(v, &e); err != nil {
						return err
					}
					if e.Colour.Stops() {
						if err := putAlert(alerts, dev.Institution, key, r, e.Colour, now); err != nil {
							return err
						}
					}
				}
			}
			res.Status = protocol.Stored
		}
		if idemKey != nil {
			data, err := json.Marshal(results)
			if err != nil {
				return err
			}
			v := make([]byte, 0, 40+len(data))
			v = append(append(append(v, u64(uint64(now.UnixMilli()))...), idem.BodyHash[:]...), data...)
			return tx.Bucket(bIdem).Put(idemKey, v)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrIdemConflict) {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("store batch: %w", err)
	}
	return results, replayed, nil
}

func putAlert(b *bolt.Bucket, institution string, key []byte, r *healthcode.Record, c healthcode.Colour, now time.Time) error {
	a := Alert{DeviceID: r.DeviceID, RecordID: r.ID, Gate: r.Gate, Time: When(r), CodeHash: r.CodeHash, Colour: c, Raised: now, Name: r.Name}
	ak := append(append([]byte(institution), 0), key...)
	if old := b.Get(ak); old != nil {
		var prev Alert
		if json.Unmarshal(old, &prev) == nil {
			a.Raised = prev.Raised
		}
	}
	return putJSON(b, ak, a)
}

func (s *BoltStore) Record(ctx context.Context, deviceID, recordID string) (StoredRecord, error) {
	var r StoredRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bRecords).Get(recordKey(deviceID, recordID))
		if v == nil {
			return ErrNotFound
		}
		var err error
		r, err = decodeStored(v)
		return err
	})
	return r, err
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

func (s *BoltStore) Records(ctx context.Context, q RecordQuery) ([]StoredRecord, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	var prefix []byte
	index := bByInst
	prefix = append([]byte(q.Institution), 0)
	if q.Gate != "" {
		index = bByGate
		prefix = append(append(prefix, q.Gate...), 0)
	}
	upper := append(append([]byte{}, prefix...), bytes.Repeat([]byte{0xff}, 9)...)
	if !q.Before.IsZero() {
		upper = append(append([]byte{}, prefix...), timeKey(q.Before)...)
	}
	var out []StoredRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		recs := tx.Bucket(bRecords)
		var ferr error
		scanBackward(tx, index, prefix, upper, func(k []byte) bool {
			v := recs.Get(k[len(prefix)+8:])
			if v == nil {
				return true
			}
			r, err := decodeStored(v)
			if err != nil {
				ferr = err
				return false
			}
			out = append(out, r)
			return len(out) < q.Limit
		})
		return ferr
	})
	return out, err
}

func (s *BoltStore) GateWindow(ctx context.Context, institution, gate string, from, to time.Time) ([]StoredRecord, error) {
	prefix := append(append(append([]byte(institution), 0), gate...), 0)
	lo := append(append([]byte{}, prefix...), timeKey(from)...)
	hi := append(append([]byte{}, prefix...), timeKey(to.Add(time.Nanosecond))...)
	var out []StoredRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bByGate).Cursor()
		recs := tx.Bucket(bRecords)
		for k, _ := c.Seek(lo); k != nil && bytes.Compare(k, hi) < 0; k, _ = c.Next() {
			v := recs.Get(k[len(prefix)+8:])
			if v == nil {
				continue
			}
			r, err := decodeStored(v)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

func (s *BoltStore) Alerts(ctx context.Context, institution string) ([]Alert, error) {
	prefix := append([]byte(institution), 0)
	var out []Alert
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bAlerts).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var a Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Raised.After(out[j].Raised) })
	return out, err
}

func (s *BoltStore) SetStatus(ctx context.Context, changes []StatusChange, now time.Time) (uint64, int, error) {
	var seq uint64
	raised := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		raised = 0
		st, lg := tx.Bucket(bStatus), tx.Bucket(bStatusLog)
		byHash, recs, alerts := tx.Bucket(bByHash), tx.Bucket(bRecords), tx.Bucket(bAlerts)
		for _, ch := range changes {
			if !ch.Colour.Valid() {
				return fmt.Errorf("code %s: colour %s is not green, yellow or red", ch.Hash, ch.Colour)
			}
			var old healthcode.StatusEntry
			known := false
			if v := st.Get(ch.Hash[:]); v != nil {
				known = json.Unmarshal(v, &old) == nil
			}
			changed, alert := healthcode.StatusTransition(old.Colour, known, ch.Colour)
			if !changed {
				continue
			}
			n, err := lg.NextSequence()
			if err != nil {
				return err
			}
			e := healthcode.StatusEntry{Hash: ch.Hash, Colour: ch.Colour, Updated: now.UTC(), Seq: n}
			if err := putJSON(st, ch.Hash[:], e); err != nil {
				return err
			}
			if err := lg.Put(u64(n), ch.Hash[:]); err != nil {
				return err
			}
			if !alert {
				continue
			}
			c := byHash.Cursor()
			for k, flag := c.Seek(ch.Hash[:]); k != nil && bytes.HasPrefix(k, ch.Hash[:]); k, flag = c.Next() {
				if len(flag) == 0 || flag[0] != 1 {
					continue
				}
				v := recs.Get(k[len(ch.Hash):])
				if v == nil {
					continue
				}
				r, err := decodeStored(v)
				if err != nil {
					return err
				}
				if err := putAlert(alerts, r.DeviceInstitution, k[len(ch.Hash):], &r.Record, ch.Colour, now); err != nil {
					return err
				}
				raised++
			}
		}
		seq = lg.Sequence()
		return s.pruneStatusLog(tx)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("set status: %w", err)
	}
	return seq, raised, nil
}

// pruneStatusLog keeps the last statusHistory log entries; a delta since a
// sequence before them is answered 410 (the client takes a snapshot).
func (s *BoltStore) pruneStatusLog(tx *bolt.Tx) error {
	lg := tx.Bucket(bStatusLog)
	last := lg.Sequence()
	if last <= s.statusHistory {
		return nil
	}
	cut := last - s.statusHistory // entries ≤ cut go
	var keys [][]byte
	c := lg.Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= cut; k, _ = c.Next() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		if err := lg.Delete(k); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bMeta)
	if floor := meta.Get(metaStatusFloor); floor == nil || binary.BigEndian.Uint64(floor) < cut {
		return meta.Put(metaStatusFloor, u64(cut))
	}
	return nil
}

func (s *BoltStore) Status(ctx context.Context, h healthcode.CodeHash) (healthcode.StatusEntry, bool, error) {
	var e healthcode.StatusEntry
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bStatus).Get(h[:])
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &e)
	})
	return e, found, err
}

func (s *BoltStore) StatusSince(ctx context.Context, since uint64, now time.Time) (*healthcode.StatusList, error) {
	sl := &healthcode.StatusList{Since: since, Generated: now.UTC(), Entries: []healthcode.StatusEntry{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		st, lg := tx.Bucket(bStatus), tx.Bucket(bStatusLog)
		sl.Seq = lg.Sequence()
		if since == 0 {
			return st.ForEach(func(_, v []byte) error {
				var e healthcode.StatusEntry
				if err := json.Unmarshal(v, &e); err != nil {
					return err
				}
				sl.Entries = append(sl.Entries, e)
				return nil
			})
		}
		var floor uint64
		if f := tx.Bucket(bMeta).Get(metaStatusFloor); f != nil {
			floor = binary.BigEndian.Uint64(f)
		}
		if since < floor || since > sl.Seq {
			return ErrStatusGone
		}
		seen := map[healthcode.CodeHash]bool{}
		c := lg.Cursor()
		for k, v := c.Seek(u64(since + 1)); k != nil; k, v = c.Next() {
			var h healthcode.CodeHash
			copy(h[:], v)
			if seen[h] {
				continue
			}
			seen[h] = true
			ev := st.Get(h[:])
			if ev == nil {
				continue
			}
			var e healthcode.StatusEntry
			if err := json.Unmarshal(ev, &e); err != nil {
				return err
			}
			if e.Seq > since {
				sl.Entries = append(sl.Entries, e)
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrStatusGone) {
			return nil, err
		}
		return nil, fmt.Errorf("status since %d: %w", since, err)
	}
	sort.Slice(sl.Entries, func(i, j int) bool { return sl.Entries[i].Seq < sl.Entries[j].Seq })
	return sl, nil
}

func (s *BoltStore) TrustState(ctx context.Context) (TrustState, error) {
	var ts TrustState
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bMeta).Get(metaTrust)
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &ts)
	})
	return ts, err
}

func (s *BoltStore) PutTrustState(ctx context.Context, ts TrustState) error {
	return s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bMeta), metaTrust, ts) })
}

func (s *BoltStore) Prune(ctx context.Context, idemBefore, now time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := pruneSessions(tx, now); err != nil {
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

var _ Store = (*BoltStore)(nil)
