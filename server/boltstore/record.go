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
	var out []server.StoredRecord
	err := s.view(ctx, func(tx *bolt.Tx) error {
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
