package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

func TestAppendAssignsSeqIDAndMasks(t *testing.T) {
	s, _, path := newTest(t)
	a := rec(1, t0, healthcode.VerdictPass)
	a.Name, a.IDMasked = "张三丰", "110101199003071234" // a caller that forgot to mask
	mustAppend(t, s, a)
	b := rec(2, t0.Add(time.Second), healthcode.VerdictPass)
	b.ID = "0190a0e0-0000-7000-8000-000000000002"
	mustAppend(t, s, b)

	if a.Seq != 1 || b.Seq != 2 {
		t.Fatalf("seqs = %d, %d; want 1, 2", a.Seq, b.Seq)
	}
	id, err := uuid.Parse(a.ID)
	if err != nil || id.Version() != 7 {
		t.Fatalf("assigned id %q is not a UUIDv7 (%v)", a.ID, err)
	}
	if b.ID != "0190a0e0-0000-7000-8000-000000000002" {
		t.Fatalf("a given id was replaced: %s", b.ID)
	}
	got, err := s.ByID(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Record.Name != "张*丰" || got.Record.IDMasked != "110***********1234" {
		t.Fatalf("stored name/id %q %q, want masked", got.Record.Name, got.Record.IDMasked)
	}
	if got.State != StatePending || got.Record.Seq != 1 || !got.Record.Time.Equal(t0) || got.Record.Temperature != 365 {
		t.Fatalf("stored record = %+v state %s", got.Record, got.State)
	}
	s.Close()
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), "张三丰") || strings.Contains(string(raw), "199003071234") {
		t.Fatal("the data file holds the unmasked name or ID")
	}
	if err := s.Append(context.Background(), rec(3, t0, healthcode.VerdictPass)); !errors.Is(err, ErrClosed) || !errors.Is(err, ErrNotSaved) {
		t.Fatalf("append after close: %v", err)
	}
}

func TestAppendReadAckDeadLetterPurge(t *testing.T) {
	s, c, _ := newTest(t)
	var ids []string
	for i := 0; i < 10; i++ {
		v := healthcode.VerdictPass
		if i%5 == 4 {
			v = healthcode.VerdictStop
		}
		r := rec(i, t0.Add(time.Duration(i)*time.Minute), v)
		mustAppend(t, s, r)
		ids = append(ids, r.ID)
	}
	if n, _ := s.Pending(); n != 10 {
		t.Fatalf("pending = %d, want 10", n)
	}
	today, _ := s.Today()
	if today != (healthcode.Tally{Total: 10, Passed: 8, Stopped: 2, Fever: 2}) {
		t.Fatalf("today = %+v", today)
	}
	if old, ok, _ := s.OldestPending(); !ok || !old.Equal(t0) {
		t.Fatalf("oldest pending = %v %v", old, ok)
	}

	batch, err := s.PendingBatch(4)
	if err != nil || len(batch) != 4 {
		t.Fatalf("batch: %d %v", len(batch), err)
	}
	for i, r := range batch {
		if r.ID != ids[i] {
			t.Fatalf("batch[%d] = %s, want oldest first %s", i, r.ID, ids[i])
		}
	}
	recent, _ := s.Recent(3, Filter{})
	if len(recent) != 3 || recent[0].Record.ID != ids[9] || recent[2].Record.ID != ids[7] {
		t.Fatalf("recent is not newest first: %v", recent)
	}
	stops, _ := s.Recent(10, Filter{Verdict: healthcode.VerdictStop})
	if len(stops) != 2 || stops[0].Record.ID != ids[9] || stops[1].Record.ID != ids[4] {
		t.Fatalf("filtered recent = %v", stops)
	}

	// Ack the first four (one unknown id and one repeat are ignored).
	n, err := s.Ack(append(ids[:4:4], "no-such-id", ids[0]))
	if err != nil || n != 4 {
		t.Fatalf("ack = %d, %v; want 4", n, err)
	}
	if n, _ := s.Pending(); n != 6 {
		t.Fatalf("pending after ack = %d, want 6", n)
	}
	batch, _ = s.PendingBatch(100)
	if len(batch) != 6 || batch[0].ID != ids[4] {
		t.Fatalf("after ack, batch starts at %s (len %d), want %s", batch[0].ID, len(batch), ids[4])
	}
	if e, _ := s.ByID(ids[0]); e.State != StateUploaded {
		t.Fatalf("acked record state = %s", e.State)
	}

	if err := s.DeadLetter(ids[4], "rejected: institution mismatch"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeadLetter(ids[0], "x"); err == nil {
		t.Fatal("an uploaded record was dead-lettered")
	}
	dl, _ := s.DeadLetters()
	if len(dl) != 1 || dl[0].ID != ids[4] || dl[0].Reason != "rejected: institution mismatch" || dl[0].Record.Verdict != healthcode.VerdictStop {
		t.Fatalf("dead letters = %+v", dl)
	}
	if n, _ := s.Pending(); n != 5 {
		t.Fatalf("pending after dead letter = %d, want 5", n)
	}
	if old, _, _ := s.OldestPending(); !old.Equal(t0.Add(5 * time.Minute)) {
		t.Fatalf("oldest pending = %v", old)
	}

	// Nothing is old enough at 27 days; at 29 days only the uploaded ones go.
	if n, err := s.PurgeAcknowledged(c.t.AddDate(0, 0, 27)); err != nil || n != 0 {
		t.Fatalf("purge at 27 days = %d, %v", n, err)
	}
	if n, err := s.PurgeAcknowledged(c.t.AddDate(0, 0, 29)); err != nil || n != 4 {
		t.Fatalf("purge at 29 days = %d, %v; want 4", n, err)
	}
	for i, id := range ids {
		_, err := s.ByID(id)
		if purged := i < 4; purged != errors.Is(err, ErrNotFound) {
			t.Fatalf("record %d: ByID err = %v, purged = %v", i, err, purged)
		}
	}
	if n, _ := s.Count(); n != 6 {
		t.Fatalf("count after purge = %d, want 6", n)
	}
	// Unuploaded and rejected records survive any age.
	if n, _ := s.PurgeAcknowledged(c.t.AddDate(5, 0, 0)); n != 0 {
		t.Fatalf("purged %d unuploaded records", n)
	}
	// A requeued dead letter is pending again, and its ack works.
	if err := s.Requeue(ids[4]); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Pending(); n != 6 {
		t.Fatalf("pending after requeue = %d", n)
	}
	if today, _ := s.Today(); today.Total != 10 {
		t.Fatalf("purging changed today's counters: %+v", today)
	}
}

func TestRetentionOption(t *testing.T) {
	c := &clock{t0}
	s, err := Open(filepath.Join(t.TempDir(), "d.db"), Options{Now: c.Now, RetentionDays: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := rec(1, t0, healthcode.VerdictPass)
	mustAppend(t, s, r)
	s.Ack([]string{r.ID})
	if n, _ := s.PurgeAcknowledged(t0.AddDate(0, 0, 2)); n != 0 {
		t.Fatal("purged before 3 days")
	}
	if n, _ := s.PurgeAcknowledged(t0.AddDate(0, 0, 4)); n != 1 {
		t.Fatal("not purged after 3 days")
	}
}

func TestConcurrentAppendsAllLand(t *testing.T) {
	s, _, path := newTest(t)
	const workers, each = 16, 25
	var wg gosync.WaitGroup
	errs := make(chan error, workers*each)
	seqs := make(chan uint64, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				r := rec(w*1000+i, t0, healthcode.VerdictPass)
				if err := s.Append(context.Background(), r); err != nil {
					errs <- err
					return
				}
				seqs <- r.Seq
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	close(seqs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[uint64]bool{}
	for q := range seqs {
		if seen[q] || q == 0 || q > workers*each {
			t.Fatalf("sequence %d repeated or out of range", q)
		}
		seen[q] = true
	}
	if n, _ := s.Pending(); n != workers*each {
		t.Fatalf("pending = %d", n)
	}
	if c, _ := s.Today(); c.Total != workers*each {
		t.Fatalf("today total = %d", c.Total)
	}
	s.Close()
	checkFile(t, path)
}

func TestAppendBatchIsAllOrNothing(t *testing.T) {
	s, _, _ := newTest(t)
	first := rec(1, t0, healthcode.VerdictPass)
	mustAppend(t, s, first)
	dup := rec(3, t0, healthcode.VerdictPass)
	dup.ID = first.ID
	batch := []*healthcode.Record{rec(2, t0, healthcode.VerdictPass), dup}
	err := s.AppendBatch(context.Background(), batch)
	if !errors.Is(err, ErrNotSaved) {
		t.Fatalf("batch with a duplicate id: %v", err)
	}
	if batch[0].Seq != 0 {
		t.Fatal("a failed batch left a sequence number on its record")
	}
	if n, _ := s.Count(); n != 1 {
		t.Fatalf("count = %d after a failed batch, want 1", n)
	}
	if _, err := s.ByID(batch[0].ID); !errors.Is(err, ErrNotFound) {
		t.Fatal("half a failed batch was stored")
	}
	// Sequence numbers have no hole after the failure.
	r := rec(4, t0, healthcode.VerdictPass)
	mustAppend(t, s, r)
	if r.Seq != 2 {
		t.Fatalf("seq after failed batch = %d, want 2", r.Seq)
	}
}

func TestReopenKeepsStateAndSequence(t *testing.T) {
	s, c, path := newTest(t)
	a := rec(1, t0, healthcode.VerdictPass)
	mustAppend(t, s, a)
	s.Ack([]string{a.ID})
	mustAppend(t, s, rec(2, t0, healthcode.VerdictInvalid))
	s.Close()

	s2 := openTest(t, path, c)
	if n, _ := s2.Pending(); n != 1 {
		t.Fatalf("pending after reopen = %d", n)
	}
	if td, _ := s2.Today(); td != (healthcode.Tally{Total: 2, Passed: 1, Invalid: 1}) {
		t.Fatalf("today after reopen = %+v", td)
	}
	r := rec(3, t0, healthcode.VerdictPass)
	mustAppend(t, s2, r)
	if r.Seq != 3 {
		t.Fatalf("seq after reopen = %d, want 3", r.Seq)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("data file mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestTodayFollowsLocalDay(t *testing.T) {
	s, c, _ := newTest(t)
	late := time.Date(2022, 4, 12, 23, 59, 0, 0, t0.Location())
	mustAppend(t, s, rec(1, late, healthcode.VerdictPass))
	mustAppend(t, s, rec(2, late.Add(2*time.Minute), healthcode.VerdictPass))
	if td, _ := s.Today(); td.Total != 1 {
		t.Fatalf("today = %+v, want 1 record", td)
	}
	c.t = late.Add(time.Hour)
	if td, _ := s.Today(); td.Total != 1 {
		t.Fatalf("next day = %+v, want 1 record", td)
	}
}

func TestLockedFileGivesClearError(t *testing.T) {
	_, _, path := newTest(t)
	start := time.Now()
	_, err := Open(path, Options{Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if want := "another hcscan is using " + path; !strings.Contains(err.Error(), want) {
		t.Fatalf("message %q does not say %q", err, want)
	}
	if time.Since(start) > 30*time.Second {
		t.Fatal("second open hung")
	}
	// A read-only opener (doctor, export) is refused the same way.
	if _, err := Open(path, Options{Timeout: 100 * time.Millisecond, ReadOnly: true}); !errors.Is(err, ErrLocked) {
		t.Fatalf("read-only open of a held file: %v", err)
	}
}

func TestCorruptFileIsLeftAloneWithSafePath(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	s, err := Open(good, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, rec(1, t0, healthcode.VerdictPass))
	s.Close()
	goodBytes, _ := os.ReadFile(good)

	zeroMeta := append(make([]byte, 2*4096), goodBytes[2*4096:]...)
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i>>8)
	}
	cases := map[string][]byte{
		"garbage":     garbage,
		"short":       []byte("not a database"),
		"zeroed meta": zeroMeta,
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".db")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(path, Options{})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("open: %v, want ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), "hcscan doctor --data "+path+" --repair") || !strings.Contains(err.Error(), "kept") {
				t.Fatalf("message does not give the safe path: %v", err)
			}
			after, _ := os.ReadFile(path)
			if string(after) != string(content) {
				t.Fatal("opening a damaged file changed it")
			}
		})
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	s, _, path := newTest(t)
	s.update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(kSchema, u64(SchemaVersion+1)) })
	s.Close()
	if _, err := Open(path, Options{}); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("open of a newer file: %v", err)
	}
}

func TestReadOnlyOpenRefusesWrites(t *testing.T) {
	s, _, path := newTest(t)
	mustAppend(t, s, rec(1, t0, healthcode.VerdictPass))
	s.Close()
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if n, _ := ro.Pending(); n != 1 {
		t.Fatalf("read-only pending = %d", n)
	}
	if err := ro.Append(context.Background(), rec(2, t0, healthcode.VerdictPass)); !errors.Is(err, ErrReadOnly) || !errors.Is(err, ErrNotSaved) {
		t.Fatalf("read-only append: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.db"), Options{ReadOnly: true}); err == nil {
		t.Fatal("read-only open created a missing file")
	}
}

func TestSettings(t *testing.T) {
	s, c, path := newTest(t)
	if _, ok, _ := s.Setting("lang"); ok {
		t.Fatal("unset setting reported set")
	}
	s.SetSetting("lang", "en")
	s.SetSetting("trust.etag", `"v7"`)
	s.Close()
	s = openTest(t, path, c)
	if v, ok, _ := s.Setting("lang"); !ok || v != "en" {
		t.Fatalf("setting = %q %v", v, ok)
	}
	all, _ := s.Settings()
	if len(all) != 2 || all["trust.etag"] != `"v7"` {
		t.Fatalf("settings = %v", all)
	}
}
