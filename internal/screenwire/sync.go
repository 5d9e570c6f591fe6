package screenwire

import (
	"context"

	hcsync "hcscan/sync"
	"hcscan/tui"
)

// Sync turns the sync client's states into the screen's (tui.Syncer).
type Sync struct {
	c  *hcsync.Client
	ch chan tui.SyncState
}

var _ tui.Syncer = (*Sync)(nil)

// NewSync passes c's states on until ctx ends.
func NewSync(ctx context.Context, c *hcsync.Client) *Sync {
	s := &Sync{c: c, ch: make(chan tui.SyncState, 1)}
	go func() {
		in := c.Updates()
		s.put(syncState(c.State()))
		for {
			select {
			case <-ctx.Done():
				return
			case st := <-in:
				s.put(syncState(st))
			}
		}
	}()
	return s
}

// put keeps only the newest state for the screen.
func (s *Sync) put(st tui.SyncState) {
	for {
		select {
		case s.ch <- st:
			return
		default:
		}
		select {
		case <-s.ch:
		default:
		}
	}
}

// States delivers each new state; only the newest waits.
func (s *Sync) States() <-chan tui.SyncState { return s.ch }

// SyncNow asks the client for a full sync now, cutting a retry wait short.
func (s *Sync) SyncNow() { s.c.Kick() }

func syncState(st hcsync.State) tui.SyncState {
	return tui.SyncState{
		Server: st.Server, Online: st.Online, Syncing: st.Syncing, Sent: st.Progress.Sent, Total: st.Progress.Total,
		LastSuccess: st.LastSuccess, LastError: st.LastError, NextAttempt: st.NextAttempt, NewAlerts: st.NewAlerts,
	}
}
