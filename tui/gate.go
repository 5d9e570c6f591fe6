package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// The flow at the gate: a scan arrives, a check starts, it ends, and the
// code read meanwhile (one, never a queue) comes next.

// endCheck returns to ready, or goes straight to the person whose code
// was read meanwhile (if it is recent: a code held too long belongs to
// someone who has likely walked on).
func (m *Model) endCheck(notice string) tea.Cmd {
	m.inCheck = false
	m.screen, m.notice = screenReady, notice
	if p := m.pending; p != nil {
		m.pending = nil
		if m.c.now().Sub(p.At) < heldScanMaxAge {
			return m.startCheck(*p)
		}
	}
	return nil
}

// heldScanMaxAge is how long a code read while the operator was busy stays good.
const heldScanMaxAge = 30 * time.Second

// onScan takes a scan from the camera or the handheld scanner. A scan is
// taken at once when the gate is ready or the last person is saved; while
// a verdict is being computed or saved the newest scan waits (one, never a
// queue); while the operator is busy with a person it is refused.
func (m *Model) onScan(s Scan) tea.Cmd {
	m.lastActivity = m.c.now()
	switch {
	case m.operator == "" || m.screen == screenLocked || m.screen == screenSignIn || m.screen == screenSummary:
		m.c.log.Info("scan ignored: nobody signed in", "source", s.Source)
		return nil
	case m.inCheck && (m.check.step == stepVerifying || m.check.step == stepSaving):
		m.pending = &s
		return nil
	case m.inCheck && !m.check.acceptsScan():
		// The next person is here while the operator finishes this one:
		// keep the newest code (one, never a queue) and show it next.
		m.pending = &s
		m.check.notice = m.c.T("busy")
		m.c.log.Info("scan held: operator busy with a person", "step", m.check.step)
		return nil
	case m.screen == screenManual:
		m.c.log.Info("scan ignored: manual entry open")
		return nil
	}
	return m.startCheck(s)
}

func (m *Model) startCheck(s Scan) tea.Cmd {
	m.checkN++
	m.check = newCheck(m.c, m.checkN, m.ctx, m.deps.Store, m.stamp)
	m.check.scan = s
	m.inCheck, m.screen, m.notice, m.showHelp, m.quitArmed = true, screenCheck, "", false, false
	return verifyCmd(m.ctx, m.deps.Verify, m.checkN, s.Text, m.c.clock)
}
