package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

// maxGroup bounds how many queued appends share one commit.
const maxGroup = 512

type appendReq struct {
	recs []*healthcode.Record
	enc  [][]byte // JSON of recs with "seq":0, made by the caller's goroutine
	done chan error
}

// Append stores r durably (fsynced) before it returns nil; only then may
// the screen say "saved". It assigns r.Seq (the per-device sequence) and,
// when empty, r.ID (UUIDv7); it masks r.Name and r.IDMasked again in case
// a caller passed them whole. Appends that arrive together share one
// commit. On error nothing of r is in the file and r.Seq is reset to 0; the
// error wraps ErrNotSaved (and ErrDiskFull or ErrReadOnly when that is why).
// Once queued, Append waits for the commit even if ctx ends, so that its
// answer is always true.
func (s *Store) Append(ctx context.Context, r *healthcode.Record) error {
	return s.AppendBatch(ctx, []*healthcode.Record{r})
}

// AppendBatch stores all of recs in one transaction, or none of them
// (for imports; the single-record path is Append).
func (s *Store) AppendBatch(ctx context.Context, recs []*healthcode.Record) error {
	if len(recs) == 0 {
		return nil
	}
	for _, r := range recs {
		if r == nil || r.Time.IsZero() {
			return fmt.Errorf("%w: a record needs a time", ErrNotSaved)
		}
		if r.ID == "" {
			id, err := uuid.NewV7()
			if err != nil {
				return fmt.Errorf("%w: record id: %w", ErrNotSaved, err)
			}
			r.ID = id.String()
		}
		r.Name = healthcode.MaskName(r.Name)
		r.IDMasked = healthcode.MaskID(r.IDMasked)
	}
	// Encode here, outside the single writer, with seq 0; the writer
	// splices the sequence in.
	enc := make([][]byte, len(recs))
	for i, r := range recs {
		r.Seq = 0
		v, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("%w: encode record: %w", ErrNotSaved, err)
		}
		enc[i] = v
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrNotSaved, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return fmt.Errorf("%w: %w", ErrNotSaved, ErrClosed)
	}
	if s.opts.ReadOnly {
		return fmt.Errorf("%w: %s was opened read-only: %w", ErrNotSaved, s.path, ErrReadOnly)
	}
	req := &appendReq{recs: recs, enc: enc, done: make(chan error, 1)}
	select {
	case s.appends <- req:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrNotSaved, ctx.Err())
	}
	return <-req.done
}

// writer owns appends: it takes one request, adds whatever else is queued,
// and commits them together.
func (s *Store) writer() {
	defer close(s.done)
	for req := range s.appends {
		group := []*appendReq{req}
		n := len(req.recs)
	drain:
		for n < maxGroup {
			select {
			case r, ok := <-s.appends:
				if !ok {
					break drain
				}
				group = append(group, r)
				n += len(r.recs)
			default:
				break drain
			}
		}
		err := s.commitAppends(group)
		if err != nil && len(group) > 1 {
			// One bad request must not sink the others: retry one by one.
			for _, r := range group {
				r.done <- s.commitAppends([]*appendReq{r})
			}
			continue
		}
		for _, r := range group {
			r.done <- err
		}
	}
}

func (s *Store) commitAppends(group []*appendReq) error {
	err := s.update(func(tx *bolt.Tx) error {
		agg := newAppendTotals()
		for _, req := range group {
			for i, r := range req.recs {
				if err := s.putRecord(tx, r, req.enc[i], &agg); err != nil {
					return err
				}
			}
		}
		return agg.flush(tx.Bucket(bCounters))
	})
	if err != nil {
		for _, req := range group {
			for _, r := range req.recs {
				r.Seq = 0
			}
		}
		s.log.Error("append failed", "path", s.path, "records", len(group), "err", err)
		return fmt.Errorf("%w: %w", ErrNotSaved, err)
	}
	return nil
}

var seqZero = []byte(`,"seq":0,`)

// putRecord writes one new record with its indexes; enc is its JSON with
// seq 0. The first `,"seq":0,` in enc is the field itself: the id and
// device id before it are JSON strings, in which a quote is escaped.
func (s *Store) putRecord(tx *bolt.Tx, r *healthcode.Record, enc []byte, agg *appendTotals) error {
	records, ids, outbox := tx.Bucket(bRecords), tx.Bucket(bIDs), tx.Bucket(bOutbox)
	if ids.Get([]byte(r.ID)) != nil {
		return fmt.Errorf("record %s is already stored", r.ID)
	}
	seq, err := records.NextSequence()
	if err != nil {
		return err
	}
	r.Seq = seq
	i := bytes.Index(enc, seqZero)
	if i < 0 {
		return fmt.Errorf("encode record: no seq field")
	}
	v := make([]byte, 0, len(enc)+20)
	v = append(v, enc[:i]...)
	v = append(v, `,"seq":`...)
	v = strconv.AppendUint(v, seq, 10)
	v = append(v, enc[i+len(seqZero)-1:]...)
	k := u64(seq)
	// Keys only grow, so pages can be packed full.
	records.FillPercent, outbox.FillPercent = 0.95, 0.95
	if err := records.Put(k, v); err != nil {
		return err
	}
	if err := ids.Put([]byte(r.ID), k); err != nil {
		return err
	}
	if err := outbox.Put(k, nil); err != nil {
		return err
	}
	if err := indexProvisional(tx, r, seq); err != nil {
		return err
	}
	agg.count(r, s.opts.Location)
	return nil
}

// indexProvisional remembers a provisional pass by its code, so that a
// status change that arrives later can find it and raise an alert.
func indexProvisional(tx *bolt.Tx, r *healthcode.Record, seq uint64) error {
	if !r.ProvisionalPass() {
		return nil
	}
	return tx.Bucket(bProvisional).Put(provKey(r.CodeHash, seq), nil)
}

func provKey(h healthcode.CodeHash, seq uint64) []byte {
	return append(append(make([]byte, 0, 24), h[:]...), u64(seq)...)
}
