package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

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

// Filter selects records for Recent and Each. Zero fields match all.
type Filter struct {
	From, To time.Time // From ≤ the check's time (healthcode.Record.When) < To
	Verdict  healthcode.Verdict
	State    State
	Operator string
	Manual   bool   // only manual entries
	Text     string // substring of the masked name or ID, or prefix of the code hash
}

func (f Filter) match(r *healthcode.Record, st State) bool {
	if !f.From.IsZero() && r.When().Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !r.When().Before(f.To) {
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

// LatestSeen is the latest time the data file has seen: the check time of
// its newest record, or when the trust or status list was last fetched.
// The scanner's clock (trustclock) does not believe a laptop clock behind
// it.
func (s *Store) LatestSeen() (time.Time, error) {
	var latest time.Time
	later := func(t time.Time) {
		if t.After(latest) {
			latest = t
		}
	}
	err := s.view(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bRecords).Cursor().Last(); k != nil {
			r, err := recordBySeq(tx, k)
			if err != nil {
				return err
			}
			later(r.When())
		}
		c := tx.Bucket(bCache)
		later(getTime(c, kTrustFetched))
		later(getTime(c, kStatusFetched))
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("latest time in the data file: %w", err)
	}
	return latest, nil
}
