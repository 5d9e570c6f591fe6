package screenwire

import (
	"context"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/tui"
)

// The screen sees the sync client's newest state, and "sync now" makes the
// running client upload at once rather than at the end of its interval.
func TestSyncStatesAndSyncNow(t *testing.T) {
	p := newProvince(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := NewSync(ctx, p.client)
	first := <-s.States()
	if !first.Online || first.LastSuccess.IsZero() || first.Server != p.hs.URL {
		t.Fatalf("state after the first sync: %+v", first)
	}

	done := make(chan struct{})
	go func() { defer close(done); p.client.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// Run syncs at once, then waits its interval (30 s): let that first sync pass.
	waitState(t, s, func(st tui.SyncState) bool { return !st.Syncing && st.LastSuccess.After(first.LastSuccess) })

	rec := record(1, time.Now(), healthcode.VerdictPass)
	rec.DeviceID, rec.Gate = p.dev.ID, p.dev.Gate
	appendAll(t, p.st, rec)
	s.SyncNow()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n, _ := p.st.Pending(); n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("SyncNow did not upload the waiting record within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := p.srv.Store().Record(t.Context(), p.dev.ID, rec.ID); err != nil {
		t.Fatalf("the record is not on the server: %v", err)
	}
	// Nobody read the states meanwhile: the one waiting is the newest.
	last := waitState(t, s, func(st tui.SyncState) bool { return !st.Syncing })
	select {
	case st := <-s.States():
		if st.LastSuccess.Before(last.LastSuccess) {
			t.Fatalf("an older state came after a newer one: %+v then %+v", last, st)
		}
	default:
	}
}

func waitState(t *testing.T, s *Sync, ok func(tui.SyncState) bool) tui.SyncState {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case st := <-s.States():
			if ok(st) {
				return st
			}
		case <-timeout:
			t.Fatal("no such sync state within 10 s")
		}
	}
}
