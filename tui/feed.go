package tui

import (
	"context"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"hcscan/healthcode"
)

// Messages from the outside world. Each feed is a channel read by a
// tea.Cmd that the model re-issues after every message (glow's shape), so
// exactly one read is outstanding per feed and nothing queues in the screen.

type scanMsg struct{ scan Scan }
type scanFeedClosedMsg struct{}
type syncStateMsg struct{ state SyncState }
type syncFeedClosedMsg struct{}
type tickMsg time.Time
type previewTickMsg struct{}
type statsMsg struct {
	stats Stats
	err   error
}

func waitForScan(ch <-chan Scan) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		s, ok := <-ch
		if !ok {
			return scanFeedClosedMsg{}
		}
		return scanMsg{s}
	}
}

func waitForSync(ch <-chan SyncState) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		s, ok := <-ch
		if !ok {
			return syncFeedClosedMsg{}
		}
		return syncStateMsg{s}
	}
}

// tick drives the clock, the status bar refresh and the idle lock: once a
// second, aligned to the wall clock so the shown time never lags.
func tick(now time.Time) tea.Cmd {
	d := time.Second - time.Duration(now.Nanosecond())
	return tea.Tick(d, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func previewTick() tea.Cmd {
	return tea.Tick(200*time.Millisecond, func(time.Time) tea.Msg { return previewTickMsg{} })
}

func loadStats(st RecordStore, now time.Time) tea.Cmd {
	return func() tea.Msg {
		s, err := st.Stats(now)
		return statsMsg{s, err}
	}
}

// verifiedMsg and savedMsg carry the check number, so the result of a
// check the operator cancelled is dropped.
type verifiedMsg struct {
	check int
	v     Verification
}

type savedMsg struct {
	check int
	rec   healthcode.Record
	err   error
}

type autoNextMsg struct{ check int }

func verifyCmd(ctx context.Context, f VerifyFunc, check int, payload string, now time.Time) tea.Cmd {
	return func() tea.Msg { return verifiedMsg{check, f(ctx, payload, now)} }
}

func saveCmd(ctx context.Context, st RecordStore, check int, rec healthcode.Record) tea.Cmd {
	return func() tea.Msg {
		err := st.Append(ctx, &rec)
		return savedMsg{check, rec, err}
	}
}
