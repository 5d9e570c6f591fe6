package store

import (
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

// The counters bucket keeps what the status bar asks for every second
// (records waiting, records held, today's verdicts) so that reading it is
// O(1) however large the file grows.

var (
	kPending = []byte("pending")
	kRecords = []byte("records")
)

const dayLayout = "2006-01-02"

func dayKey(day string) []byte { return []byte("day/" + day) }

// tallyFields is the on-disk order of a day's counts: big-endian u64,
// seven since schema 2, then repeats and abandoned. A shorter value (an
// older file) reads the missing counts as 0.
func tallyFields(t *healthcode.Tally) []*int {
	return []*int{&t.Total, &t.Passed, &t.Stopped, &t.Invalid, &t.Fever, &t.Manual, &t.Provisional, &t.Repeats, &t.Abandoned}
}

func encodeTally(t healthcode.Tally) []byte {
	fields := tallyFields(&t)
	b := make([]byte, 0, 8*len(fields))
	for _, v := range fields {
		b = binary.BigEndian.AppendUint64(b, uint64(*v))
	}
	return b
}

func decodeTally(b []byte) healthcode.Tally {
	var t healthcode.Tally
	for i, v := range tallyFields(&t) {
		if len(b) >= (i+1)*8 {
			*v = int(binary.BigEndian.Uint64(b[i*8:]))
		}
	}
	return t
}

// appendTotals gathers the counter changes of one commit, written once.
type appendTotals struct {
	n    int64
	days map[string]*healthcode.Tally
}

func newAppendTotals() appendTotals {
	return appendTotals{days: map[string]*healthcode.Tally{}}
}

// count adds r to the record count and to the tally of its local day
// (by the time of the check, healthcode.Record.When).
func (a *appendTotals) count(r *healthcode.Record, loc *time.Location) {
	a.n++
	day := r.When().In(loc).Format(dayLayout)
	t := a.days[day]
	if t == nil {
		t = &healthcode.Tally{}
		a.days[day] = t
	}
	t.Add(r)
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
		t := decodeTally(counters.Get(dk))
		t.Merge(*d)
		if err := counters.Put(dk, encodeTally(t)); err != nil {
			return err
		}
	}
	return nil
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

// DayStart is the start of the local day (Options.Location) holding t: the
// day that Day counts, and the one "today's records" lists (DayFilter).
func (s *Store) DayStart(t time.Time) time.Time {
	l := t.In(s.opts.Location)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, s.opts.Location)
}

// DayFilter selects the records of the local day holding t, the ones Day
// counts.
func (s *Store) DayFilter(t time.Time) Filter {
	start := s.DayStart(t)
	return Filter{From: start, To: start.AddDate(0, 0, 1)}
}

// Today is the tally of the local day (Options.Location) of Options.Now.
func (s *Store) Today() (healthcode.Tally, error) { return s.Day(s.opts.Now()) }

// Day is the tally of the local day (Options.Location) holding t.
func (s *Store) Day(t time.Time) (healthcode.Tally, error) {
	var c healthcode.Tally
	err := s.view(func(tx *bolt.Tx) error {
		c = decodeTally(tx.Bucket(bCounters).Get(dayKey(t.In(s.opts.Location).Format(dayLayout))))
		return nil
	})
	return c, err
}
