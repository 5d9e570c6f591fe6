package store

import (
	"encoding/binary"
	"testing"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

// A day's counts are big-endian u64 in a fixed order (doc.go); files
// written with the seven counts of before must read the same (repeats and
// abandoned 0), and new checks must add to them, in nine.
func TestDayCountsKeepTheirOnDiskLayout(t *testing.T) {
	s, _, path := newTest(t)
	mustAppend(t, s, rec(0, t0, healthcode.VerdictPass))
	s.Close()

	// The day as an older hcscan wrote it: total 10, passed 6, stopped 3,
	// invalid 1, fever 2, manual 4, provisional 5.
	old := make([]byte, 0, 56)
	for _, v := range []uint64{10, 6, 3, 1, 2, 4, 5} {
		old = binary.BigEndian.AppendUint64(old, v)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	day := dayKey(t0.Format(dayLayout))
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bCounters).Put(day, old) }); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s = openTest(t, path, &clock{t0})
	want := healthcode.Tally{Total: 10, Passed: 6, Stopped: 3, Invalid: 1, Fever: 2, Manual: 4, Provisional: 5}
	if got, err := s.Today(); err != nil || got != want {
		t.Fatalf("today from the old layout = %+v, %v; want %+v", got, err, want)
	}
	stop := rec(1, t0, healthcode.VerdictStop) // a fever
	stop.Abandoned = true
	mustAppend(t, s, stop)
	want.Total, want.Stopped, want.Fever, want.Abandoned = 11, 4, 3, 1
	if got, _ := s.Today(); got != want {
		t.Fatalf("today after one more check = %+v; want %+v", got, want)
	}
	var raw []byte
	_ = s.view(func(tx *bolt.Tx) error { raw = append(raw, tx.Bucket(bCounters).Get(day)...); return nil })
	if len(raw) != 72 || binary.BigEndian.Uint64(raw[0:]) != 11 || binary.BigEndian.Uint64(raw[16:]) != 4 || binary.BigEndian.Uint64(raw[32:]) != 3 ||
		binary.BigEndian.Uint64(raw[56:]) != 0 || binary.BigEndian.Uint64(raw[64:]) != 1 {
		t.Fatalf("stored day = %x; want 9 u64 with total 11, stopped 4, fever 3, repeats 0, abandoned 1", raw)
	}
}
