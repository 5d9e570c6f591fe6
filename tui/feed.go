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
type clockMsg struct{ at healthcode.Moment }

func waitForClock(ch <-chan healthcode.Moment) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		m, ok := <-ch
		if !ok {
			return nil
		}
		return clockMsg{m}
	}
}

// tickMsg is the status bar's clock, with the counters read on the way
// (one message, one redraw per tick while idle).
type tickMsg struct {
	at    time.Time
	stats Stats
	err   error
}
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

// tick drives the clock, the status bar refresh and the idle lock: every
// few seconds (the counters also refresh after each save), aligned to the
// wall clock so the shown minute never lags by more than that.
// tickEvery is the idle screen's refresh: each redraw costs CPU a laptop
// on battery would rather keep.
const tickEvery = 5 * time.Second

func tick(now time.Time, st RecordStore, clock func() time.Time) tea.Cmd {
	d := tickEvery - time.Duration(now.UnixNano()%int64(tickEvery))
	return tea.Tick(d, func(time.Time) tea.Msg {
		t := clock()
		s, err := st.Stats(t)
		return tickMsg{t, s, err}
	})
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

func verifyCmd(ctx context.Context, f VerifyFunc, check int, payload string, clock func() healthcode.Moment) tea.Cmd {
	return func() tea.Msg {
		at := clock()
		v := f(ctx, payload, at)
		if v.At.Now.IsZero() {
			v.At = at
		}
		return verifiedMsg{check, v}
	}
}

func saveCmd(ctx context.Context, st RecordStore, check int, rec healthcode.Record) tea.Cmd {
	return func() tea.Msg {
		err := st.Append(ctx, &rec)
		return savedMsg{check, rec, err}
	}
}
