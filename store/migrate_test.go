package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

// writeSchema1 builds a data file in the first layout by hand: no counters,
// no provisional index, no alerts bucket.
func writeSchema1(t *testing.T, path string, recs []*healthcode.Record, pending map[uint64]bool) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range schemaBuckets[1] {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		tx.Bucket(bMeta).Put(kSchema, u64(1))
		for i, r := range recs {
			r.Seq = uint64(i + 1)
			r.ID = "0190a0e0-0000-7000-8000-00000000000" + string(rune('a'+i))
			v, _ := json.Marshal(r)
			tx.Bucket(bRecords).Put(u64(r.Seq), v)
			tx.Bucket(bRecords).SetSequence(r.Seq)
			tx.Bucket(bIDs).Put([]byte(r.ID), u64(r.Seq))
			if pending[r.Seq] {
				tx.Bucket(bOutbox).Put(u64(r.Seq), nil)
			} else {
				tx.Bucket(bAcked).Put(ackedKey(r.Time, r.Seq), u64(uint64(r.Time.UnixNano())))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrationFromSchema1RunsOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	prov := rec(1, t0, healthcode.VerdictPass)
	prov.Provisional = true
	recs := []*healthcode.Record{
		rec(0, t0.AddDate(0, 0, -1), healthcode.VerdictPass),
		prov,
		rec(2, t0.Add(time.Minute), healthcode.VerdictStop),
		rec(3, t0.Add(2*time.Minute), healthcode.VerdictInvalid),
	}
	writeSchema1(t, path, recs, map[uint64]bool{2: true, 3: true, 4: true})

	c := &clock{t0}
	logger, logs := logBuffer()
	s, err := Open(path, Options{Now: c.Now, Location: t0.Location(), Logger: logger})
	if err != nil {
		t.Fatalf("open schema 1 file: %v", err)
	}
	if n := strings.Count(logs.String(), "data file upgraded"); n != SchemaVersion-1 {
		t.Fatalf("upgrade logged %d times, want once per step:\n%s", n, logs)
	}
	if n, _ := s.Pending(); n != 3 {
		t.Fatalf("pending after migration = %d, want 3", n)
	}
	if n, _ := s.Count(); n != 4 {
		t.Fatalf("count after migration = %d", n)
	}
	if td, _ := s.Today(); td != (healthcode.Tally{Total: 3, Passed: 1, Stopped: 1, Invalid: 1, Fever: 1, Provisional: 1}) {
		t.Fatalf("today after migration = %+v", td)
	}
	if y, _ := s.Day(t0.AddDate(0, 0, -1)); y.Total != 1 {
		t.Fatalf("yesterday after migration = %+v", y)
	}
	// The provisional index was built: a late red status raises an alert.
	alerts, err := s.ApplyStatus([]healthcode.StatusEntry{{Hash: prov.CodeHash, Colour: healthcode.Red, Updated: t0.Add(-time.Hour), Seq: 1}}, 1, t0)
	if err != nil || len(alerts) != 1 || alerts[0].RecordID != prov.ID {
		t.Fatalf("alerts after migration = %+v %v", alerts, err)
	}
	// New appends continue the old sequence; the old records read back.
	r := rec(9, t0.Add(time.Hour), healthcode.VerdictPass)
	mustAppend(t, s, r)
	if r.Seq != 5 {
		t.Fatalf("seq after migration = %d, want 5", r.Seq)
	}
	if e, err := s.ByID(recs[0].ID); err != nil || e.State != StateUploaded {
		t.Fatalf("old acked record: %+v %v", e, err)
	}
	s.Close()

	logs.Reset()
	s, err = Open(path, Options{Now: c.Now, Location: t0.Location(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "data file upgraded") {
		t.Fatalf("migration ran again:\n%s", logs)
	}
	if n, _ := s.Pending(); n != 4 {
		t.Fatalf("pending on second open = %d, want 4", n)
	}
	s.Close()
	checkFile(t, path)
}

func TestReadOnlyOpenOfOldSchemaAsksForUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	writeSchema1(t, path, []*healthcode.Record{rec(0, t0, healthcode.VerdictPass)}, nil)
	_, err := Open(path, Options{ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), "older schema 1") {
		t.Fatalf("read-only open of schema 1: %v", err)
	}
}

// Schema 2 counted a day's checks by the laptop's clock; schema 3 counts
// them by the check's time (the corrected time), the day today's list and
// the export use, so that the counts and the list agree.
func TestMigrationFromSchema2CountsDaysByTheCheckTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	c := &clock{t0}
	s := openTest(t, path, c)
	// The laptop's clock was a day behind: its own day is yesterday.
	behind := rec(0, t0, healthcode.VerdictPass)
	behind.Time = t0.AddDate(0, 0, -1)
	ok := rec(1, t0.Add(time.Minute), healthcode.VerdictStop)
	mustAppend(t, s, behind)
	mustAppend(t, s, ok)
	s.Close()
	// Make it the file schema 2 wrote: days by the laptop's clock.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		counters := tx.Bucket(bCounters)
		for _, r := range []*healthcode.Record{behind, ok} {
			var one healthcode.Tally
			one.Add(r)
			k := dayKey(r.Time.In(t0.Location()).Format(dayLayout))
			old := decodeTally(counters.Get(k))
			if r == ok {
				old = healthcode.Tally{}
			}
			old.Merge(one)
			if err := counters.Put(k, encodeTally(old)); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(kSchema, u64(2))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path, Options{Now: c.Now, Location: t0.Location()}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	today, _ := s.Today()
	list, _ := s.Recent(100, s.DayFilter(t0))
	if today.Total != 2 || today.Passed != 1 || today.Stopped != 1 || len(list) != today.Total {
		t.Fatalf("today %+v, list %d records", today, len(list))
	}
	if y, _ := s.Day(t0.AddDate(0, 0, -1)); y.Total != 0 {
		t.Fatalf("yesterday still counts %+v", y)
	}
	if err := s.Each(s.DayFilter(t0.AddDate(0, 0, -1)), func(e Entry) error {
		return fmt.Errorf("record %s listed yesterday", e.Record.ID)
	}); err != nil {
		t.Fatal(err)
	}
}
