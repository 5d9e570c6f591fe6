package storetest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/server"
)

// MixedRecords are n records of d, one every step from start, of every
// kind a door sees: mostly green passes, and in a fixed pattern fevers,
// red and yellow stops, invalid codes, three operators and several names.
func MixedRecords(d *Device, n int, start time.Time, step time.Duration) []healthcode.Record {
	names := []string{"张*三", "李*四", "王*五", "欧阳*娜", "S*** J***"}
	ops := []string{"王老师", "李师傅", "guard 2"}
	recs := make([]healthcode.Record, n)
	for i := range recs {
		r := NewRecord(d, d.Rep.Gate, ops[i%len(ops)], start.Add(time.Duration(i)*step))
		r.Name = names[(i/2)%len(names)]
		switch {
		case i%7 == 3:
			r.Temperature, r.Fever, r.Verdict, r.Disposition = 381, true, healthcode.VerdictStop, healthcode.DispositionSendToClinic
		case i%11 == 5:
			r.ScannedColour, r.EffectiveColour, r.Verdict, r.Disposition = healthcode.Red, healthcode.Red, healthcode.VerdictStop, healthcode.DispositionCentralQuarantine
		case i%13 == 6:
			r.ScannedColour, r.EffectiveColour, r.Verdict, r.Disposition = healthcode.Yellow, healthcode.Yellow, healthcode.VerdictStop, healthcode.DispositionHomeQuarantine
		case i%17 == 8:
			r.ScannedColour, r.EffectiveColour, r.Verdict, r.Disposition = healthcode.ColourUnknown, healthcode.ColourUnknown, healthcode.VerdictInvalid, healthcode.DispositionPersuadeReturn
			r.Temperature = 0
		}
		recs[i] = r
	}
	return recs
}

// UploadAll sends recs in batches of 500.
func (e *Env) UploadAll(t testing.TB, d *Device, recs []healthcode.Record) {
	t.Helper()
	for i := 0; i < len(recs); i += 500 {
		if rr := e.Upload(t, d, recs[i:min(i+500, len(recs))], ""); rr.Stored+rr.Duplicate != min(500, len(recs)-i) {
			t.Fatalf("upload: %d stored, %d rejected: %+v", rr.Stored, rr.Rejected, rr.Results[0])
		}
	}
}

// wantRecords is what q selects of all, in q's order, by the plain rule
// (no index): the answer both stores must give.
func wantRecords(all []healthcode.Record, q server.RecordQuery) []healthcode.Record {
	var out []healthcode.Record
	up := q.Upper()
	for i := range all {
		r := &all[i]
		at := server.When(r)
		if r.Institution != q.Institution || !q.Match(r) || !q.From.IsZero() && at.Before(q.From) || !up.IsZero() && !at.Before(up) {
			continue
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		less := server.When(a).Before(server.When(b)) || server.When(a).Equal(server.When(b)) && (a.DeviceID < b.DeviceID || a.DeviceID == b.DeviceID && a.ID < b.ID)
		return less == q.Oldest
	})
	return out
}

func ids(recs []healthcode.Record) string {
	var b strings.Builder
	for i := range recs {
		b.WriteString(recs[i].ID[24:] + " ")
	}
	return b.String()
}

func storedIDs(recs []server.StoredRecord) string {
	var b strings.Builder
	for i := range recs {
		b.WriteString(recs[i].ID[24:] + " ")
	}
	return b.String()
}

// testRecordFiltersPagesAndCounts: every filter of the portal, counted,
// listed in pages both ways through the cursor and by offset, and
// streamed, gives what the plain rule gives; a far-future bound is "no
// bound", not an empty answer.
func testRecordFiltersPagesAndCounts(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	north, south := e.Enroll(t, "school", "北门"), e.Enroll(t, "school", "南门")
	other := e.Enroll(t, "clinic", "北门")
	start := e.Clock.Now().Add(-36 * time.Hour).Truncate(time.Minute)
	var all []healthcode.Record
	for _, d := range []*Device{north, south, other} {
		recs := MixedRecords(d, 160, start, 13*time.Minute)
		e.UploadAll(t, d, recs)
		all = append(all, recs...)
	}
	// Two records at the same instant from two devices: the key breaks the tie.
	tie := []healthcode.Record{NewRecord(north, "北门", "王老师", start.Add(5*time.Minute)), NewRecord(south, "南门", "王老师", start.Add(5*time.Minute))}
	e.Upload(t, north, tie[:1], "")
	e.Upload(t, south, tie[1:], "")
	all = append(all, tie...)

	// A batch sent again (a retry) stores nothing and counts nothing.
	if rr := e.Upload(t, north, all[:50], ""); rr.Duplicate != 50 {
		t.Fatalf("retry: %+v", rr)
	}
	st := e.Srv.Store()
	mid := start.Add(20 * time.Hour)
	hour := start.Truncate(time.Hour).Add(5 * time.Hour)
	queries := []server.RecordQuery{
		{Institution: "school"},
		{Institution: "school", Gate: "北门"},
		{Institution: "school", Verdict: healthcode.VerdictStop},
		{Institution: "school", Verdict: healthcode.VerdictPass, Gate: "南门"},
		{Institution: "school", Verdict: healthcode.VerdictInvalid},
		{Institution: "school", Fever: true},
		{Institution: "school", Colour: healthcode.Red},
		{Institution: "school", Colour: healthcode.Yellow, Oldest: true},
		{Institution: "school", Operator: "李师傅", Gate: "北门"},
		{Institution: "school", Name: "李"},
		{Institution: "school", Name: "*"},
		{Institution: "school", From: mid},
		{Institution: "school", To: mid, Oldest: true},
		{Institution: "school", From: mid, To: mid.Add(6 * time.Hour), Verdict: healthcode.VerdictStop},
		{Institution: "school", Before: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{Institution: "school", From: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), Gate: "南门"},
		{Institution: "school", From: hour, To: hour.Add(7 * time.Hour)}, // whole hours: counted from the hourly counts
		{Institution: "school", From: hour, Gate: "南门", Fever: true},
		{Institution: "school", To: hour.Add(3 * time.Hour), Operator: "guard 2", Colour: healthcode.Green},
		{Institution: "school", From: hour, To: hour.Add(24 * time.Hour), Name: "欧阳"},
		{Institution: "school", Gate: "北"}, // a gate is named whole: nothing
		{Institution: "nobody"},
	}
	for _, q := range queries {
		name := fmt.Sprintf("%+v", q)
		want := wantRecords(all, q)
		n, err := st.CountRecords(t.Context(), q)
		if err != nil || n != len(want) {
			t.Errorf("count %s: %d %v, want %d", name, n, err, len(want))
		}
		// Pages of 7 through the cursor.
		var paged []server.StoredRecord
		pq := q
		pq.Limit = 7
		for range 200 {
			page, err := st.Records(t.Context(), pq)
			if err != nil {
				t.Fatalf("records %s: %v", name, err)
			}
			paged = append(paged, page...)
			if len(page) < 7 {
				break
			}
			pq.After = server.CursorOf(&page[len(page)-1])
		}
		if storedIDs(paged) != ids(want) {
			t.Errorf("pages of %s:\n got %s\nwant %s", name, storedIDs(paged), ids(want))
		}
		// A page picked by number.
		oq := q
		oq.Offset, oq.Limit = 10, 5
		page, err := st.Records(t.Context(), oq)
		if w := want[min(10, len(want)):min(15, len(want))]; err != nil || storedIDs(page) != ids(w) {
			t.Errorf("offset 10 of %s: %s %v, want %s", name, storedIDs(page), err, ids(w))
		}
		var streamed []server.StoredRecord
		err = st.EachRecord(t.Context(), q, func(r *server.StoredRecord) error { streamed = append(streamed, *r); return nil })
		if err != nil || storedIDs(streamed) != ids(want) {
			t.Errorf("each record of %s: %d %v, want %d", name, len(streamed), err, len(want))
		}
	}
	stop := errors.New("stop")
	calls := 0
	if err := st.EachRecord(t.Context(), server.RecordQuery{Institution: "school"}, func(*server.StoredRecord) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Errorf("each record stopped by its function: %v after %d calls", err, calls)
	}

	// Per gate and hour, the same counts as the records, for bounds within
	// an hour and on whole hours.
	for _, r := range [][2]time.Time{{start.Add(3 * time.Hour), start.Add(30 * time.Hour)}, {hour, hour.Add(9 * time.Hour)}} {
		from, to := r[0], r[1]
		hours, err := st.GateHours(t.Context(), "school", from, to)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]healthcode.Tally{}
		for _, h := range hours {
			if h.Hour.Minute() != 0 || h.Hour.Before(from.Truncate(time.Hour)) || !h.Hour.Before(to) {
				t.Errorf("hour %v outside [%v, %v)", h.Hour, from, to)
			}
			k := h.Gate + h.Hour.UTC().Format(" 15")
			tl := got[k]
			tl.Merge(h.Tally)
			got[k] = tl
		}
		want := map[string]healthcode.Tally{}
		for _, r := range wantRecords(all, server.RecordQuery{Institution: "school", From: from, To: to}) {
			k := r.Gate + server.When(&r).UTC().Format(" 15")
			tl := want[k]
			tl.Add(&r)
			tl.Manual, tl.Provisional = 0, 0
			want[k] = tl
		}
		for k, w := range want {
			g := got[k]
			if g.Total != w.Total || g.Passed != w.Passed || g.Stopped != w.Stopped || g.Invalid != w.Invalid || g.Fever != w.Fever {
				t.Errorf("gate hour %s: %+v, want %+v", k, g, w)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%d gate hours, want %d", len(got), len(want))
		}
	}
}
