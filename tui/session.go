package tui

import (
	"errors"

	tea "github.com/charmbracelet/bubbletea"
)

// Who is on duty: sign-in, the idle lock, sign-out, and acting on what a
// screen decided (settle).

func (m *Model) signedIn(msg signedInMsg) tea.Cmd {
	now := m.c.now()
	if !msg.unlock || msg.operator != m.operator {
		m.shift = shift{operator: msg.operator, start: now}
	}
	m.operator, m.screen, m.lastActivity, m.notice = msg.operator, screenReady, now, ""
	m.c.log.Info("operator signed in", "operator", msg.operator, "unlock", msg.unlock, "waiting", len(m.waiting))
	cmds := []tea.Cmd{m.nextWaiting()}
	if f := m.deps.OnSignIn; f != nil {
		op := msg.operator
		cmds = append(cmds, func() tea.Msg { f(op); return camStatusMsg{} })
	}
	return tea.Batch(cmds...)
}

// camStatusMsg asks for the camera's state again (it may just have started).
type camStatusMsg struct{}

// settle acts on what a screen decided in its Update (a check ended, a
// form was sent, a view was left), at once, so that the next key already
// goes to the next screen.
func (m *Model) settle() tea.Cmd {
	switch {
	case m.signin.signedIn != nil:
		msg := *m.signin.signedIn
		m.signin.signedIn = nil
		return m.signedIn(msg)
	case m.signin.handOver:
		m.signin.handOver = false
		m.signOut()
	case m.inCheck && m.check.finished:
		return m.endCheck(m.check.endNotice)
	case m.manual.submitted != nil:
		p := *m.manual.submitted
		m.manual.submitted = nil
		m.checkN++
		m.check = newCheck(m.c, m.checkN, m.ctx, m.deps.Store, m.stamp)
		m.inCheck, m.screen = true, screenCheck
		var cmd tea.Cmd
		m.check, cmd = m.check.startManual(p)
		return cmd
	case m.manual.cancelled:
		m.manual.cancelled = false
		m.screen = screenReady
		return m.nextWaiting()
	case m.records.back:
		m.records.back = false
		m.screen = screenReady
	case m.syncv.back:
		m.syncv.back, m.syncv.notice = false, ""
		m.screen = screenReady
	}
	return nil
}

// offDutyMsg: a sync brought word that the institution disabled operator.
type offDutyMsg struct{ operator string }

// checkOnDuty asks the store whether operator is still allowed.
func checkOnDuty(st RecordStore, operator string) tea.Cmd {
	return func() tea.Msg {
		if errors.Is(st.OnDuty(operator), ErrOperatorDisabled) {
			return offDutyMsg{operator}
		}
		return nil
	}
}

// takeOffDuty locks the screen of an operator the institution disabled:
// at once, or when the check on screen ends (its record is saved first).
// Their PIN no longer unlocks it; the next person signs in.
func (m *Model) takeOffDuty(operator string) tea.Cmd {
	if operator != m.operator || m.operator == "" {
		return nil
	}
	m.c.log.Warn("the signed-in operator was disabled by the institution", "operator", operator)
	if m.inCheck {
		m.offDuty = true
		return nil
	}
	m.lockScreen()
	m.signin.err = m.c.T("signin.disabled", clean(operator, 32))
	return nil
}

func (m *Model) lockScreen() {
	m.screen = screenLocked
	m.signin = newSignIn(m.c, m.deps.Store, m.operator)
	m.c.log.Info("screen locked after idle", "operator", m.operator)
}

func (m *Model) signOut() {
	m.shiftEnd = m.c.now()
	m.c.log.Info("operator signed out", "operator", m.operator, "checks", m.shift.tally.Total)
	m.operator, m.screen = "", screenSummary
}

// ackAlerts records that the signed-in operator acknowledged the alerts
// (at the screen's trusted time), then asks for a sync so the province
// hears of it, and reloads the list and the count.
func (m *Model) ackAlerts(ids []string) tea.Cmd {
	st, op, at := m.deps.Store, m.operator, m.c.now()
	sy := m.deps.Sync
	return func() tea.Msg {
		if err := st.AckAlerts(ids, op, at); err != nil {
			m.c.log.Error("acknowledge alerts", "err", err)
			return syncDataMsg{err: err}
		}
		m.c.log.Info("alerts acknowledged", "operator", op, "records", len(ids))
		if sy != nil {
			sy.SyncNow()
		}
		return alertsAckedMsg{len(ids)}
	}
}

// alertsAckedMsg: the acknowledgement of n alerts is saved; the list and
// count change.
type alertsAckedMsg struct{ n int }
