package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// The flow at the gate: every code read becomes one person, handled one
// at a time, oldest first. A code read while nobody can take it (nobody
// signed in, the screen locked, a manual entry open, the operator busy
// with someone) waits in the queue; none is ever dropped without a word.

// maxWaiting bounds the queue; codes beyond it are counted and said on
// screen (their holders must show them again), never silently lost.
const maxWaiting = 200

// onScan takes a scan from the camera or the handheld scanner: it starts a
// check at once when the gate can take it, else it waits its turn.
func (m *Model) onScan(s Scan) tea.Cmd {
	m.lastActivity = m.c.now()
	if m.isKnownScan(s.Text) {
		m.c.log.Info("scan already on screen or waiting: same person", "source", s.Source)
		return nil
	}
	if m.canStartCheck() && len(m.waiting) == 0 && !m.holding() {
		return m.startCheck(s)
	}
	if len(m.waiting) >= maxWaiting {
		m.overflow++
		m.c.log.Warn("scan not kept: too many codes waiting", "waiting", len(m.waiting), "not_kept", m.overflow)
		return nil
	}
	m.waiting = append(m.waiting, s)
	m.c.log.Info("scan waits its turn", "source", s.Source, "waiting", len(m.waiting), "screen", m.screen, "signed_in", m.operator != "")
	return m.nextWaiting()
}

// isKnownScan says the code is on screen now or already waiting: a second
// read of the same person (a handheld scanner pressed twice, the camera
// after its cool-down while they still stand there).
func (m *Model) isKnownScan(text string) bool {
	if m.inCheck && m.check.manual == nil && m.check.scan.Text == text && !m.check.finished && m.check.step != stepSaved {
		return true
	}
	for _, w := range m.waiting {
		if w.Text == text {
			return true
		}
	}
	return false
}

// canStartCheck says the screen may turn to a new person now: someone is
// signed in, no form is open, and nobody is being checked (or the last
// person is saved).
func (m *Model) canStartCheck() bool {
	switch {
	case m.operator == "":
		return false
	case m.screen == screenLocked || m.screen == screenSignIn || m.screen == screenSummary || m.screen == screenManual:
		return false
	case m.inCheck && !m.check.passedOn():
		return false
	case !m.canVerify():
		return false
	}
	return true
}

// canVerify says codes can be checked: the scanner has an issuers' list
// (as last looked: lookReady).
func (m *Model) canVerify() bool { return !m.notReady }

// lookReady asks again whether codes can be checked (a sync may have
// brought the issuers' list); when they now can, the waiting codes go on.
func (m *Model) lookReady() tea.Cmd {
	was := m.notReady
	m.notReady = m.deps.CanVerify != nil && !m.deps.CanVerify()
	if was && !m.notReady {
		m.c.log.Info("the issuers' list is here: waiting codes are checked now", "waiting", len(m.waiting))
		return m.nextWaiting()
	}
	return nil
}

// holding says the finished person's verdict must stay up a little longer.
func (m *Model) holding() bool { return time.Now().Before(m.nextAt) }

// nextWaiting starts the oldest waiting code when the gate can take it;
// while the finished verdict must stay up, it asks to be called again
// when it may go.
func (m *Model) nextWaiting() tea.Cmd {
	if len(m.waiting) == 0 || !m.canStartCheck() {
		return nil
	}
	if d := time.Until(m.nextAt); d > 0 {
		if m.holdArmed {
			return nil
		}
		m.holdArmed = true
		return tea.Tick(d, func(time.Time) tea.Msg { return holdOverMsg{} })
	}
	s := m.waiting[0]
	m.waiting = m.waiting[1:]
	return m.startCheck(s)
}

// holdOverMsg: the finished verdict has been up long enough.
type holdOverMsg struct{}

// guardOverMsg: keys reach the person on screen again.
type guardOverMsg struct{ check int }

// endCheck returns to ready, or goes on to the oldest waiting code.
func (m *Model) endCheck(notice string) tea.Cmd {
	m.inCheck = false
	m.screen, m.notice = screenReady, notice
	if m.offDuty {
		m.offDuty = false
		return m.takeOffDuty(m.operator)
	}
	return m.nextWaiting()
}

func (m *Model) startCheck(s Scan) tea.Cmd {
	m.checkN++
	m.check = newCheck(m.c, m.checkN, m.ctx, m.deps.Store, m.stamp)
	m.check.scan = s
	m.check.beforeSignIn = !m.shift.start.IsZero() && s.At.Before(m.shift.start)
	m.check.enrol = m.roster.group
	m.inCheck, m.screen, m.notice, m.showHelp, m.quitArmed = true, screenCheck, "", false, false
	return tea.Batch(m.guard(), verifyCmd(m.ctx, m.deps.Verify, m.checkN, s.Text, m.c.clock))
}

// guard keeps keys from the person who just came on screen for
// Settings.KeyGuard: a key pressed for the one before lands nowhere.
func (m *Model) guard() tea.Cmd {
	g := m.c.set.KeyGuard
	if g <= 0 {
		m.guardUntil = time.Time{}
		return nil
	}
	m.guardUntil = time.Now().Add(g)
	id := m.checkN
	return tea.Tick(g, func(time.Time) tea.Msg { return guardOverMsg{id} })
}

// guarded says a key now would reach a person who came on screen too
// recently to be the one it was meant for.
func (m *Model) guarded() bool {
	return m.screen == screenCheck && time.Now().Before(m.guardUntil)
}

// finished is told that the person on screen is saved: the verdict stays
// up for Settings.VerdictHold before a waiting code may replace it.
func (m *Model) finished() {
	m.nextAt = time.Now().Add(m.c.set.VerdictHold)
	m.holdArmed = false
}

// quit ends the program without losing a person: someone on screen whose
// code was checked but who has no decision yet is recorded as left
// without a decision (quitting is the operator's decision), and codes
// still waiting are counted in the log and left for Unchecked to tell.
func (m *Model) quit() tea.Cmd {
	var save tea.Cmd
	if m.inCheck && m.check.awaitsDecision() {
		c, _ := m.check.abandon()
		rec, st, ctx, log := c.rec, m.deps.Store, m.ctx, m.c.log
		if c.step == stepSaving {
			save = func() tea.Msg {
				if err := st.Append(ctx, &rec); err != nil {
					log.Error("record of the person on screen not saved at quit", "record", rec.ID, "err", err)
				} else {
					log.Info("person on screen recorded as left without a decision at quit", "record", rec.ID)
				}
				return nil
			}
		}
	}
	if n := m.Unchecked(); n > 0 {
		m.c.log.Warn("screen closed with codes read and not checked", "codes", n)
	}
	return tea.Sequence(save, tea.Quit)
}

// Unchecked is how many codes were read and never checked (waiting when
// the screen closed, or not kept because the queue was full).
func (m *Model) Unchecked() int { return len(m.waiting) + m.overflow }
