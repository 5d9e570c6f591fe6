package storetest

import (
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/server"
)

// A record's time on the server is the scanner's corrected time (the
// province's time it carried since its last sync), not the laptop's own
// clock, which is kept as sent: listings order by it, a time window and
// a gate's close contacts select by it.
func testRecordsGoByTheCorrectedTime(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	d := e.Enroll(t, "clinic", "north")
	now := e.Clock.Now().Truncate(time.Second)
	setBack := NewRecord(d, "north", "a", now) // the laptop's clock was set back an hour
	setBack.Time = now.Add(-time.Hour)
	setBack.TimeSource, setBack.ClockJump, setBack.ClockOffset = healthcode.TimeProvince, -time.Hour, time.Hour
	ahead := NewRecord(d, "north", "a", now.Add(-30*time.Minute)) // the laptop's clock a day ahead
	ahead.Time = ahead.CorrectedTime.Add(24 * time.Hour)
	ahead.TimeSource, ahead.ClockOffset = healthcode.TimeProvince, -24*time.Hour
	e.Upload(t, d, []healthcode.Record{setBack, ahead}, "")

	ctx := t.Context()
	recs, err := e.Srv.Store().Records(ctx, server.RecordQuery{Institution: "clinic", Limit: 10})
	if err != nil || len(recs) != 2 || recs[0].ID != setBack.ID || recs[1].ID != ahead.ID {
		t.Fatalf("newest first by the corrected time: %v %v", storedIDs(recs), err)
	}
	got := recs[0].Record
	if !got.Time.Equal(setBack.Time) || !got.CorrectedTime.Equal(now) || got.TimeSource != healthcode.TimeProvince || got.ClockJump != -time.Hour {
		t.Fatalf("the record as kept: time %v corrected %v source %s jump %v", got.Time, got.CorrectedTime, got.TimeSource, got.ClockJump)
	}
	window, err := e.Srv.Store().Records(ctx, server.RecordQuery{Institution: "clinic", From: now.Add(-10 * time.Minute), To: now.Add(10 * time.Minute), Limit: 10})
	if err != nil || len(window) != 1 || window[0].ID != setBack.ID {
		t.Fatalf("the last 10 minutes by the corrected time: %v %v", storedIDs(window), err)
	}
	gate, err := e.Srv.Store().GateWindow(ctx, "clinic", "north", now.Add(-5*time.Minute), now.Add(5*time.Minute))
	if err != nil || len(gate) != 1 || gate[0].ID != setBack.ID {
		t.Fatalf("the gate's window: %v %v", storedIDs(gate), err)
	}
}
