package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

type syncDataMsg struct {
	rejected []Rejected
	alerts   []Alert
	people   []Alert // about the institution's own people (nil: no roster)
	err      error
}

// syncNowMsg asks the root to start a sync.
type syncNowMsg struct{}

// ackAlertsMsg asks the root to record the signed-in operator's
// acknowledgement of the alerts shown.
type ackAlertsMsg struct{ ids []string }

func loadSyncData(st RecordStore, ro Roster) tea.Cmd {
	return func() tea.Msg {
		rej, err := st.Rejected(50)
		if err != nil {
			return syncDataMsg{err: err}
		}
		al, err := st.Alerts()
		var people []Alert
		if ro != nil {
			people = ro.Alerts()
		}
		return syncDataMsg{rej, al, people, err}
	}
}

// syncModel shows the link to the province: last upload, what waits, what
// was refused and why, alerts, and "sync now" with its progress.
type syncModel struct {
	c        *common
	rejected []Rejected
	alerts   []Alert
	people   []Alert
	err      error
	notice   string // what the last action did
	back     bool   // the operator left the view
}

func newSyncView(c *common) syncModel {
	return syncModel{c: c}
}

func (m syncModel) Update(msg tea.Msg) (syncModel, tea.Cmd) {
	switch msg := msg.(type) {
	case syncDataMsg:
		m.rejected, m.alerts, m.people, m.err = msg.rejected, msg.alerts, msg.people, msg.err
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, m.c.keys.Back):
			m.back = true
			return m, nil
		case key.Matches(msg, m.c.keys.SyncNow):
			return m, func() tea.Msg { return syncNowMsg{} }
		case key.Matches(msg, m.c.keys.AckAlerts):
			var ids []string
			for _, a := range m.alerts {
				if !a.Acked {
					ids = append(ids, a.RecordID)
				}
			}
			if len(ids) == 0 {
				return m, nil
			}
			return m, func() tea.Msg { return ackAlertsMsg{ids} }
		}
	}
	return m, nil
}

// ago says how long ago t was, roughly, in the interface language.
func ago(c *common, t time.Time) string {
	if t.IsZero() {
		return c.T("never")
	}
	return c.T("ago", roughDuration(c.now().Sub(t)))
}

func roughDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func (m syncModel) View(width, height int, st SyncState, have bool, stats Stats) string {
	c, s := m.c, m.c.styles
	kv := func(k, v string) string { return s.Label.Render(k+": ") + v }
	lines := []string{s.Title.Render(c.T("sync"))}
	if !have {
		lines = append(lines, s.Warn.Render(c.T("sync.none")))
	} else {
		state := s.Good.Render(c.T("online"))
		if !st.Online {
			state = s.Warn.Render(c.T("offline"))
		}
		lines = append(lines, kv(c.T("sync.server"), clean(st.Server, 60)+"  "+state))
		lines = append(lines, kv(c.T("sync.last"), ago(c, st.LastSuccess)))
		if st.LastError != "" {
			lines = append(lines, kv(c.T("sync.err"), s.Error.Render(clean(st.LastError, 200))))
		}
	}
	lines = append(lines, kv(c.T("waiting"), fmt.Sprint(stats.Pending)))
	lines = append(lines, kv(c.T("trust"), ago(c, stats.TrustFetched))+"   "+kv(c.T("status"), ago(c, stats.StatusFetched)))
	if have {
		if st.Syncing && st.Total > 0 {
			lines = append(lines, c.T("sync.progress", st.Sent, st.Total)+" "+bar(st.Sent, st.Total, max(10, min(50, width-24))))
		} else if st.Syncing {
			lines = append(lines, c.T("syncing")+"…")
		} else {
			lines = append(lines, s.Faint.Render(c.T("sync.now")))
		}
	}
	if m.err != nil {
		lines = append(lines, s.Error.Render(clean(m.err.Error(), 120)))
	}
	lines = append(lines, peopleAlertLines(c, m.people)...)
	lines = append(lines, alertLines(c, m.alerts)...)
	if m.notice != "" {
		lines = append(lines, "", s.Good.Render(m.notice))
	}
	lines = append(lines, "", s.Title.Render(c.T("sync.rejected"))+fmt.Sprintf(" (%d)", len(m.rejected)))
	for _, r := range m.rejected {
		lines = append(lines, fmt.Sprintf("  %s  %s  %s", c.local(r.Time).Format("01-02 15:04"), shortID(r.RecordID), clean(r.Reason, 80)))
	}
	return strings.Join(lines, "\n")
}

func shortID(id string) string {
	if len(id) > 13 {
		return id[:8] + "…" + id[len(id)-4:]
	}
	return id
}

// bar is a progress bar of width cells (bubbles' progress would need an
// animation library this project does not carry).
func bar(done, total, width int) string {
	n := 0
	if total > 0 {
		n = min(width, done*width/total)
	}
	return "[" + strings.Repeat("█", n) + strings.Repeat("░", width-n) + "]"
}

// alertLines list the alerts no operator has acknowledged yet: when the
// person was checked, at which gate, the masked name and the colour now
// (and whether it was already so at the check), then what to do.
func alertLines(c *common, alerts []Alert) []string {
	s := c.styles
	var open []Alert
	for _, a := range alerts {
		if !a.Acked {
			open = append(open, a)
		}
	}
	if len(open) == 0 {
		return nil
	}
	lines := []string{"", s.Error.Render(c.T("sync.alerts"))}
	for _, a := range open {
		when := c.T("alert.after")
		if a.Already {
			when = c.T("alert.already")
		}
		lines = append(lines, fmt.Sprintf("  %s  %s  %s  %s %s", c.local(a.Time).Format("01-02 15:04"), pad(clean(a.Gate, 12), 6),
			pad(clean(a.Name, 12), 8), c.T("colour."+a.Colour.String()), s.Faint.Render(when)))
	}
	return append(lines, s.Warn.Render(c.T("alert.ack", len(open))))
}
