package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

var (
	kPending = []byte("pending")
	kRecords = []byte("records")
)

const dayLayout = "2006-01-02"

// maxGroup bounds how many queued appends share one commit.
const maxGroup = 512

// Counters are one local day's checks, kept up to date by Append.
type Counters struct {
	Total       int `json:"total"`
	Passed      int `json:"passed"`
	Stopped     int `json:"stopped"`
	Invalid     int `json:"invalid"`
	Fever       int `json:"fever"`
	Manual      int `json:"manual"`
	Provisional int `json:"provisional"`
}

func (c *Counters) add(r *healthcode.Record) {
	c.Total++
	switch r.Verdict {
	case healthcode.VerdictPass:
		c.Passed++
	case healthcode.VerdictStop:
		c.Stopped++
	case healthcode.VerdictInvalid:
		c.Invalid++
	}
	if r.Fever {
		c.Fever++
	}
	if r.Manual {
		c.Manual++
	}
	if r.Provisional {
		c.Provisional++
	}
}

func (c *Counters) merge(o Counters) {
	c.Total += o.Total
	c.Passed += o.Passed
	c.Stopped += o.Stopped
	c.Invalid += o.Invalid
	c.Fever += o.Fever
	c.Manual += o.Manual
	c.Provisional += o.Provisional
}

func (c Counters) encode() []byte {
	b := make([]byte, 0, 7*8)
	for _, v := range []int{c.Total, c.Passed, c.Stopped, c.Invalid, c.Fever, c.Manual, c.Provisional} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	return b
}

func decodeCounters(b []byte) Counters {
	var v [7]int
	for i := range v {
		if len(b) >= (i+1)*8 {
			v[i] = int(binary.BigEndian.Uint64(b[i*8:]))
		}
	}
	return Counters{v[0], v[1], v[2], v[3], v[4], v[5], v[6]}
}

func dayKey(day string) []byte { return []byte("day/" + day) }

// State is where a record is in its upload life.
type State uint8

const (
	StatePending  State = 1 // in the outbox
	StateUploaded State = 2 // the server acknowledged it
	StateRejected State = 3 // the server rejected it (dead letter)
)

func (s State) String() string {
	switch s {
	case StatePending:
		return "pending"
	case StateUploaded:
		return "uploaded"
	case StateRejected:
		return "rejected"
	}
	return "unknown"
}

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
		agg := appendTotals{days: map[string]*Counters{}}
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

// appendTotals gathers the counter changes of one commit, written once.
type appendTotals struct {
	n    int64
	days map[string]*Counters
}

func (a *appendTotals) flush(counters *bolt.Bucket) error {
	if err := addU64(counters, kPending, a.n); err != nil {
		return err
	}
	if err := addU64(counters, kRecords, a.n); err != nil {
		return err
	}
	for day, d := range a.days {
		dk := dayKey(day)
		c := decodeCounters(counters.Get(dk))
		c.merge(*d)
		if err := counters.Put(dk, c.encode()); err != nil {
			return err
		}
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
	if provisionalPass(r) {
		if err := tx.Bucket(bProvisional).Put(provKey(r.CodeHash, seq), nil); err != nil {
			return err
		}
	}
	agg.n++
	day := r.Time.In(s.opts.Location).Format(dayLayout)
	c := agg.days[day]
	if c == nil {
		c = &Counters{}
		agg.days[day] = c
	}
	c.add(r)
	return nil
}

func provisionalPass(r *healthcode.Record) bool {
	return r.Provisional && r.Verdict == healthcode.VerdictPass && !r.CodeHash.IsZero()
}

func provKey(h healthcode.CodeHash, seq uint64) []byte {
	return append(append(make([]byte, 0, 24), h[:]...), u64(seq)...)
}

func addU64(b *bolt.Bucket, k []byte, delta int64) error {
	v := int64(getU64(b.Get(k))) + delta
	if v < 0 {
		v = 0
	}
	return b.Put(k, u64(uint64(v)))
}

// Pending is how many records wait for upload (O(1)).
func (s *Store) Pending() (int, error) {
	var n uint64
	err := s.view(func(tx *bolt.Tx) error {
		n = getU64(tx.Bucket(bCounters).Get(kPending))
		return nil
	})
	return int(n), err
}

// Count is how many records the file holds (O(1)).
func (s *Store) Count() (int, error) {
	var n uint64
	err := s.view(func(tx *bolt.Tx) error {
		n = getU64(tx.Bucket(bCounters).Get(kRecords))
		return nil
	})
	return int(n), err
}

// Today is the counters of the local day of Options.Now.
func (s *Store) Today() (Counters, error) { return s.Day(s.opts.Now()) }

// Day is the counters of the local day holding t.
func (s *Store) Day(t time.Time) (Counters, error) {
	var c Counters
	err := s.view(func(tx *bolt.Tx) error {
		c = decodeCounters(tx.Bucket(bCounters).Get(dayKey(t.In(s.opts.Location).Format(dayLayout))))
		return nil
	})
	return c, err
}

// Filter selects records for Recent and Each. Zero fields match all.
type Filter struct {
	From, To time.Time // From ≤ Time < To
	Verdict  healthcode.Verdict
	State    State
	Operator string
	Manual   bool   // only manual entries
	Text     string // substring of the masked name or ID, or prefix of the code hash
}

func (f Filter) match(r *healthcode.Record, st State) bool {
	if !f.From.IsZero() && r.Time.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !r.Time.Before(f.To) {
		return false
	}
	if f.Verdict != healthcode.VerdictNone && r.Verdict != f.Verdict {
		return false
	}
	if f.State != 0 && st != f.State {
		return false
	}
	if f.Operator != "" && r.Operator != f.Operator {
		return false
	}
	if f.Manual && !r.Manual {
		return false
	}
	if f.Text != "" && !strings.Contains(r.Name, f.Text) && !strings.Contains(r.IDMasked, strings.ToUpper(f.Text)) &&
		!strings.HasPrefix(r.CodeHash.String(), strings.ToLower(f.Text)) {
		return false
	}
	return true
}

// Entry is a stored record with its upload state.
type Entry struct {
	Record healthcode.Record
	State  State
}

// Recent returns up to limit records matching f, newest first.
func (s *Store) Recent(limit int, f Filter) ([]Entry, error) {
	var out []Entry
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bRecords).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var r healthcode.Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("record %d: %w", getU64(k), err)
			}
			st := stateOf(tx, k)
			if f.match(&r, st) {
				out = append(out, Entry{r, st})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recent records: %w", err)
	}
	return out, nil
}

// errStop ends Each early without an error.
var errStop = errors.New("stop")

// Each calls fn for every record matching f, oldest first, inside one read
// transaction; fn returning an error stops the walk with that error.
func (s *Store) Each(f Filter, fn func(Entry) error) error {
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bRecords).ForEach(func(k, v []byte) error {
			var r healthcode.Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("record %d: %w", getU64(k), err)
			}
			st := stateOf(tx, k)
			if !f.match(&r, st) {
				return nil
			}
			return fn(Entry{r, st})
		})
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

func stateOf(tx *bolt.Tx, seqKey []byte) State {
	if tx.Bucket(bOutbox).Get(seqKey) != nil {
		return StatePending
	}
	if tx.Bucket(bDead).Get(seqKey) != nil {
		return StateRejected
	}
	return StateUploaded
}

// ByID returns the record with id and its state, or ErrNotFound.
func (s *Store) ByID(id string) (Entry, error) {
	var e Entry
	err := s.view(func(tx *bolt.Tx) error {
		k := tx.Bucket(bIDs).Get([]byte(id))
		if k == nil {
			return ErrNotFound
		}
		v := tx.Bucket(bRecords).Get(k)
		if v == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(v, &e.Record); err != nil {
			return err
		}
		e.State = stateOf(tx, k)
		return nil
	})
	if err != nil {
		return Entry{}, fmt.Errorf("record %s: %w", id, err)
	}
	return e, nil
}

func recordBySeq(tx *bolt.Tx, k []byte) (healthcode.Record, error) {
	var r healthcode.Record
	v := tx.Bucket(bRecords).Get(k)
	if v == nil {
		return r, fmt.Errorf("record %d: %w", getU64(k), ErrNotFound)
	}
	return r, json.Unmarshal(v, &r)
}
