package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

// PendingBatch returns up to max records waiting for upload, oldest
// first, read in one transaction. They stay in the outbox until Ack.
func (s *Store) PendingBatch(max int) ([]healthcode.Record, error) {
	var out []healthcode.Record
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bOutbox).Cursor()
		for k, _ := c.First(); k != nil && len(out) < max; k, _ = c.Next() {
			r, err := recordBySeq(tx, k)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending batch: %w", err)
	}
	return out, nil
}

// PendingAfter is PendingBatch starting after the record with sequence
// number seq (0: from the oldest). The sync client reads the next batch
// with it while earlier batches are still travelling, so that it neither
// waits for their answers nor sends their records twice.
func (s *Store) PendingAfter(seq uint64, max int) ([]healthcode.Record, error) {
	var out []healthcode.Record
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bOutbox).Cursor()
		for k, _ := c.Seek(u64(seq + 1)); k != nil && len(out) < max; k, _ = c.Next() {
			r, err := recordBySeq(tx, k)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending records after %d: %w", seq, err)
	}
	return out, nil
}

// OldestPending is the time of the oldest record still waiting for upload.
func (s *Store) OldestPending() (time.Time, bool, error) {
	var t time.Time
	var ok bool
	err := s.view(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bOutbox).Cursor().First()
		if k == nil {
			return nil
		}
		r, err := recordBySeq(tx, k)
		if err != nil {
			return err
		}
		t, ok = r.When(), true
		return nil
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("oldest pending record: %w", err)
	}
	return t, ok, nil
}

// Ack marks the records the server acknowledged (stored or duplicate) as
// uploaded and removes them from the outbox; it touches only those ids.
// Unknown or already acknowledged ids are skipped. It returns how many
// records changed state.
func (s *Store) Ack(ids []string) (int, error) {
	n := 0
	now := s.opts.Now()
	err := s.update(func(tx *bolt.Tx) error {
		n = 0
		outbox, dead, acked := tx.Bucket(bOutbox), tx.Bucket(bDead), tx.Bucket(bAcked)
		for _, id := range ids {
			k := tx.Bucket(bIDs).Get([]byte(id))
			if k == nil {
				continue
			}
			k = bytes.Clone(k)
			switch {
			case outbox.Get(k) != nil:
				if err := outbox.Delete(k); err != nil {
					return err
				}
				if err := addU64(tx.Bucket(bCounters), kPending, -1); err != nil {
					return err
				}
			case dead.Get(k) != nil:
				// The server took it after all (e.g. after a requeue).
				if err := dead.Delete(k); err != nil {
					return err
				}
			default:
				continue
			}
			r, err := recordBySeq(tx, k)
			if err != nil {
				return err
			}
			if err := acked.Put(ackedKey(r.When(), r.Seq), u64(uint64(now.UnixNano()))); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("acknowledge %d records: %w", len(ids), err)
	}
	return n, nil
}

func ackedKey(t time.Time, seq uint64) []byte {
	ns := t.UnixNano()
	if ns < 0 {
		ns = 0
	}
	return append(u64(uint64(ns)), u64(seq)...)
}

// DeadLetter is a record the server rejected, with its reason.
type DeadLetter struct {
	ID     string            `json:"id"`
	Seq    uint64            `json:"seq"`
	Reason string            `json:"reason"`
	At     time.Time         `json:"at"`
	Record healthcode.Record `json:"-"`
}

// DeadLetter moves a pending record to the dead letters with the server's
// reason; it is no longer uploaded, and it is never purged.
func (s *Store) DeadLetter(id, reason string) error {
	err := s.update(func(tx *bolt.Tx) error {
		k := tx.Bucket(bIDs).Get([]byte(id))
		if k == nil {
			return ErrNotFound
		}
		k = bytes.Clone(k)
		outbox := tx.Bucket(bOutbox)
		if outbox.Get(k) == nil {
			return fmt.Errorf("it is not waiting for upload")
		}
		if err := outbox.Delete(k); err != nil {
			return err
		}
		if err := addU64(tx.Bucket(bCounters), kPending, -1); err != nil {
			return err
		}
		v, err := json.Marshal(DeadLetter{ID: id, Seq: getU64(k), Reason: reason, At: s.opts.Now()})
		if err != nil {
			return err
		}
		return tx.Bucket(bDead).Put(k, v)
	})
	if err != nil {
		return fmt.Errorf("dead-letter record %s: %w", id, err)
	}
	return nil
}

// DeadLetters lists the rejected records, oldest first.
func (s *Store) DeadLetters() ([]DeadLetter, error) {
	var out []DeadLetter
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bDead).ForEach(func(k, v []byte) error {
			var d DeadLetter
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			r, err := recordBySeq(tx, k)
			if err != nil {
				return err
			}
			d.Record = r
			out = append(out, d)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", err)
	}
	return out, nil
}

// Requeue puts a dead letter back into the outbox (after the operator or
// the province fixed the cause).
func (s *Store) Requeue(id string) error {
	err := s.update(func(tx *bolt.Tx) error {
		k := tx.Bucket(bIDs).Get([]byte(id))
		if k == nil || tx.Bucket(bDead).Get(k) == nil {
			return ErrNotFound
		}
		k = bytes.Clone(k)
		if err := tx.Bucket(bDead).Delete(k); err != nil {
			return err
		}
		if err := tx.Bucket(bOutbox).Put(k, nil); err != nil {
			return err
		}
		return addU64(tx.Bucket(bCounters), kPending, 1)
	})
	if err != nil {
		return fmt.Errorf("requeue record %s: %w", id, err)
	}
	return nil
}

// purgeChunk bounds one purge transaction so the writer is not held long.
const purgeChunk = 5000

// PurgeAcknowledged deletes uploaded records whose check time is older
// than the retention period before now. Records still waiting for upload
// or rejected are never purged. It returns how many were deleted.
func (s *Store) PurgeAcknowledged(now time.Time) (int, error) {
	cutoff := now.AddDate(0, 0, -s.opts.RetentionDays)
	limit := ackedKey(cutoff, 0)
	total := 0
	for {
		n := 0
		err := s.update(func(tx *bolt.Tx) error {
			n = 0
			acked := tx.Bucket(bAcked)
			var keys [][]byte
			c := acked.Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k, limit) < 0 && len(keys) < purgeChunk; k, _ = c.Next() {
				keys = append(keys, bytes.Clone(k))
			}
			// Collect first, delete after: never delete while a cursor walks.
			for _, ak := range keys {
				seqKey := ak[8:16]
				if err := s.deleteRecord(tx, seqKey); err != nil {
					return err
				}
				if err := acked.Delete(ak); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("purge uploaded records: %w", err)
		}
		total += n
		if n < purgeChunk {
			break
		}
	}
	if total > 0 {
		s.log.Info("purged uploaded records", "count", total, "older_than", cutoff)
	}
	return total, nil
}

func (s *Store) deleteRecord(tx *bolt.Tx, seqKey []byte) error {
	r, err := recordBySeq(tx, seqKey)
	if err != nil {
		return err
	}
	if tx.Bucket(bOutbox).Get(seqKey) != nil || tx.Bucket(bDead).Get(seqKey) != nil {
		return fmt.Errorf("record %s is not uploaded; refusing to purge it", r.ID)
	}
	for _, del := range []struct {
		b []byte
		k []byte
	}{
		{bRecords, seqKey}, {bIDs, []byte(r.ID)}, {bAlerts, seqKey}, {bProvisional, provKey(r.CodeHash, r.Seq)},
	} {
		if err := tx.Bucket(del.b).Delete(del.k); err != nil {
			return err
		}
	}
	return addU64(tx.Bucket(bCounters), kRecords, -1)
}
