package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
)

func (s *Store) Ingest(ctx context.Context, dev server.Device, batch []server.IngestRecord, idem server.IdempotencyKey, now time.Time) ([]protocol.RecordResult, bool, error) {
	var results []protocol.RecordResult
	replayed := false
	// Batch lets the uploads of several scanners share one commit (fsync);
	// the function may run again alone if another in the batch fails.
	err := s.batch(ctx, func(tx *bolt.Tx) error {
		results, replayed = nil, false
		var idemKey []byte
		if idem.Key != "" {
			idemKey = recordKey(dev.ID, idem.Key)
			if v := tx.Bucket(bIdem).Get(idemKey); v != nil && len(v) >= 40 {
				if !bytes.Equal(v[8:40], idem.BodyHash[:]) {
					return server.ErrIdemConflict
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
			tk := timeKey(server.When(r))
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
		if errors.Is(err, server.ErrIdemConflict) {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("store batch: %w", err)
	}
	return results, replayed, nil
}

func encodeStored(received time.Time, institution string, raw []byte) []byte {
	v := make([]byte, 0, 10+len(institution)+len(raw))
	v = append(v, u64(uint64(received.UnixMilli()))...)
	v = binary.BigEndian.AppendUint16(v, uint16(len(institution)))
	v = append(v, institution...)
	return append(v, raw...)
}

func decodeStored(v []byte) (server.StoredRecord, error) {
	var r server.StoredRecord
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

func (s *Store) Record(ctx context.Context, deviceID, recordID string) (server.StoredRecord, error) {
	var r server.StoredRecord
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bRecords).Get(recordKey(deviceID, recordID))
		if v == nil {
			return server.ErrNotFound
		}
		var err error
		r, err = decodeStored(v)
		return err
	})
	return r, err
}

func (s *Store) Records(ctx context.Context, q server.RecordQuery) ([]server.StoredRecord, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	var out []server.StoredRecord
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return walk(tx, q, func(r *server.StoredRecord) (bool, error) {
			out = append(out, *r)
			return len(out) < q.Limit, nil
		})
	})
	return out, err
}

func (s *Store) CountRecords(ctx context.Context, q server.RecordQuery) (int, error) {
	q.After, q.Offset, q.Limit = server.RecordCursor{}, 0, 0
	n := 0
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return walk(tx, q, func(*server.StoredRecord) (bool, error) { n++; return true, nil })
	})
	return n, err
}

func (s *Store) EachRecord(ctx context.Context, q server.RecordQuery, fn func(*server.StoredRecord) error) error {
	n := 0
	return s.view(ctx, func(tx *bolt.Tx) error {
		return walk(tx, q, func(r *server.StoredRecord) (bool, error) {
			if n++; n%1024 == 0 && ctx.Err() != nil {
				return false, ctx.Err()
			}
			return q.Limit <= 0 || n < q.Limit, fn(r)
		})
	})
}

func (s *Store) GateHours(ctx context.Context, institution string, from, to time.Time) ([]server.GateHour, error) {
	type key struct {
		gate string
		hour int64
	}
	by := map[key]*healthcode.Tally{}
	var order []key
	err := s.view(ctx, func(tx *bolt.Tx) error {
		q := server.RecordQuery{Institution: institution, From: from, To: to, Oldest: true}
		return walk(tx, q, func(r *server.StoredRecord) (bool, error) {
			k := key{r.Gate, server.When(&r.Record).Unix() / 3600}
			t := by[k]
			if t == nil {
				t = &healthcode.Tally{}
				by[k] = t
				order = append(order, k)
			}
			t.Add(&r.Record)
			return true, nil
		})
	})
	out := make([]server.GateHour, 0, len(order))
	for _, k := range order {
		out = append(out, server.GateHour{Gate: k.gate, Hour: time.Unix(k.hour*3600, 0).UTC(), Tally: *by[k]})
	}
	return out, err
}

// walk visits the records q selects in its order, from the index on
// (institution, time) or (institution, gate, time) between q's time
// bounds and cursor, until fn says stop. Records are decoded only where
// the filter needs them or fn gets them.
func walk(tx *bolt.Tx, q server.RecordQuery, fn func(*server.StoredRecord) (bool, error)) error {
	index, prefix := bByInst, append([]byte(q.Institution), 0)
	if q.Gate != "" {
		index, prefix = bByGate, append(append(prefix, q.Gate...), 0)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(append([][]byte{prefix}, parts...), nil) }
	lo, hi := prefix, cat(bytes.Repeat([]byte{0xff}, 9))
	if !q.From.IsZero() {
		lo = cat(timeKey(q.From))
	}
	if up := q.Upper(); !up.IsZero() {
		hi = cat(timeKey(up))
	}
	if !q.After.IsZero() {
		at := cat(timeKey(q.After.At), recordKey(q.After.DeviceID, q.After.RecordID))
		if q.Oldest {
			if k := append(at, 0); bytes.Compare(k, lo) > 0 {
				lo = k
			}
		} else if bytes.Compare(at, hi) < 0 {
			hi = at
		}
	}
	recs := tx.Bucket(bRecords)
	skip := q.Offset
	visit := func(k []byte) (bool, error) {
		v := recs.Get(k[len(prefix)+8:])
		if v == nil {
			return true, nil
		}
		r, err := decodeStored(v)
		if err != nil {
			return false, err
		}
		if !q.Match(&r.Record) {
			return true, nil
		}
		if skip > 0 {
			skip--
			return true, nil
		}
		return fn(&r)
	}
	c := tx.Bucket(index).Cursor()
	if q.Oldest {
		for k, _ := c.Seek(lo); k != nil && bytes.Compare(k, hi) < 0; k, _ = c.Next() {
			if more, err := visit(k); !more || err != nil {
				return err
			}
		}
		return nil
	}
	k, _ := c.Seek(hi)
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	for ; k != nil && bytes.Compare(k, lo) >= 0; k, _ = c.Prev() {
		if more, err := visit(k); !more || err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) GateWindow(ctx context.Context, institution, gate string, from, to time.Time) ([]server.StoredRecord, error) {
	prefix := append(append(append([]byte(institution), 0), gate...), 0)
	lo := append(append([]byte{}, prefix...), timeKey(from)...)
	hi := append(append([]byte{}, prefix...), timeKey(to.Add(time.Nanosecond))...)
	var out []server.StoredRecord
	err := s.view(ctx, func(tx *bolt.Tx) error {
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
