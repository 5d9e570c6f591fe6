package screenwire

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/store"
)

// cst is a zone far from UTC, so that a local day and a UTC day differ.
var cst = time.FixedZone("CST", 8*3600)

func openStore(t *testing.T, now time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "hcscan.db"), store.Options{Now: func() time.Time { return now }, Location: cst})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func record(i int, at time.Time, v healthcode.Verdict) *healthcode.Record {
	var h healthcode.CodeHash
	copy(h[:], fmt.Sprintf("code-%011d", i))
	return &healthcode.Record{Time: at, CorrectedTime: at, CodeHash: h, Verdict: v, ScannedColour: healthcode.Green, EffectiveColour: healthcode.Green,
		Name: fmt.Sprintf("张*%d", i), IDMasked: "110***********1234", Operator: "王芳"}
}

func appendAll(t *testing.T, st *store.Store, recs ...*healthcode.Record) {
	t.Helper()
	for _, r := range recs {
		if err := st.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

// Today's records are those of the data file's local day by the time of
// each check (its corrected time): the same day the status bar counts. At
// 09:00 in UTC+8, 00:30 local (16:30 UTC the day before) is today and
// 23:30 local yesterday is not; a check made with the laptop's clock a day
// ahead (its own time says tomorrow) is today, and one made with it a day
// behind is too.
func TestTodayIsTheLocalDayTheCountsUse(t *testing.T) {
	now := time.Date(2022, 4, 12, 9, 0, 0, 0, cst)
	st := openStore(t, now)
	yesterday := record(1, time.Date(2022, 4, 11, 23, 30, 0, 0, cst), healthcode.VerdictPass)
	early := record(2, time.Date(2022, 4, 12, 0, 30, 0, 0, cst), healthcode.VerdictStop)
	late := record(3, time.Date(2022, 4, 12, 8, 59, 0, 0, cst), healthcode.VerdictPass)
	ahead := record(4, time.Date(2022, 4, 12, 8, 0, 0, 0, cst), healthcode.VerdictPass)
	ahead.Time = ahead.CorrectedTime.AddDate(0, 0, 1)
	behind := record(5, time.Date(2022, 4, 12, 8, 30, 0, 0, cst), healthcode.VerdictPass)
	behind.Time = behind.CorrectedTime.AddDate(0, 0, -1)
	appendAll(t, st, yesterday, early, ahead, behind, late)
	s := NewStore(st, nil)

	// The screen's clock may be in UTC: the day is the data file's.
	rows, err := s.Today(now.UTC(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0].Record.ID != late.ID || rows[3].Record.ID != early.ID {
		t.Fatalf("today's rows: %+v; want the 08:59, 08:30, 08:00 and 00:30 checks, newest first", rows)
	}
	stats, err := s.Stats(now.UTC())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Passed+stats.Stopped+stats.Invalid != len(rows) || stats.Passed != 3 || stats.Stopped != 1 {
		t.Fatalf("counts %+v disagree with today's %d rows", stats, len(rows))
	}
	if rows, _ := s.Today(now, 1); len(rows) != 1 || rows[0].Record.ID != late.ID {
		t.Fatalf("limit 1 gave %+v", rows)
	}
}

// Rejected lists at most limit refused records, oldest first, with the
// server's reason.
func TestRejectedKeepsToItsLimit(t *testing.T) {
	now := time.Date(2022, 4, 12, 9, 0, 0, 0, cst)
	st := openStore(t, now)
	var recs []*healthcode.Record
	for i := range 5 {
		recs = append(recs, record(i, now.Add(-time.Duration(5-i)*time.Minute), healthcode.VerdictPass))
	}
	appendAll(t, st, recs...)
	for i, r := range recs[:4] {
		if err := st.DeadLetter(r.ID, fmt.Sprintf("reason %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	s := NewStore(st, nil)
	got, err := s.Rejected(3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].RecordID != recs[0].ID || got[2].RecordID != recs[2].ID || got[1].Reason != "reason 1" {
		t.Fatalf("Rejected(3) = %+v", got)
	}
	if all, _ := s.Rejected(10); len(all) != 4 {
		t.Fatalf("Rejected(10) gave %d, want all 4", len(all))
	}
	if none, err := s.Rejected(0); len(none) != 0 || err != nil {
		t.Fatalf("Rejected(0) = %+v %v", none, err)
	}
}

// An alert names the masked person and the time of the check, so that the
// operator knows whom it is about.
func TestAlertsNameThePersonAndTheCheck(t *testing.T) {
	now := time.Date(2022, 4, 12, 9, 0, 0, 0, cst)
	st := openStore(t, now)
	prov := record(7, now.Add(-2*time.Hour), healthcode.VerdictPass)
	prov.Provisional = true
	appendAll(t, st, prov, record(8, now.Add(-time.Hour), healthcode.VerdictPass))
	red := healthcode.StatusEntry{Hash: prov.CodeHash, Colour: healthcode.Red, Updated: now.Add(-3 * time.Hour), Seq: 1}
	if _, err := st.ApplyStatus([]healthcode.StatusEntry{red}, 1, now); err != nil {
		t.Fatal(err)
	}
	as, err := NewStore(st, nil).Alerts()
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 {
		t.Fatalf("alerts: %+v", as)
	}
	a := as[0]
	if a.RecordID != prov.ID || a.Name != "张*7" || !a.Time.Equal(prov.Time) || a.Colour != healthcode.Red || a.Reason == "" {
		t.Fatalf("alert %+v; want record %s, name 张*7, time %v, red, a reason", a, prov.ID, prov.Time)
	}
}

// A trust list given with --trust is not in the cache: the status bar
// shows its age from its issue time; a cached one shows its fetch time.
func TestStatsShowTheTrustListInUse(t *testing.T) {
	now := time.Date(2022, 4, 12, 9, 0, 0, 0, cst)
	st := openStore(t, now)
	tl, err := healthcode.NewTrustList(3, now.Add(-5*time.Hour), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := NewStore(st, tl).Stats(now); !s.TrustFetched.Equal(tl.Issued) {
		t.Fatalf("fixed list: trust time %v, want its issue time %v", s.TrustFetched, tl.Issued)
	}
	if s, _ := NewStore(st, nil).Stats(now); !s.TrustFetched.IsZero() {
		t.Fatalf("no list at all: trust time %v, want none", s.TrustFetched)
	}
	fetched := now.Add(-time.Minute)
	if err := st.SaveTrustList([]byte("signed list"), 4, fetched); err != nil {
		t.Fatal(err)
	}
	if s, _ := NewStore(st, nil).Stats(now); !s.TrustFetched.Equal(fetched) {
		t.Fatalf("cached list: trust time %v, want %v", s.TrustFetched, fetched)
	}
}
