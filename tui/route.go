package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Keys: the handheld-scanner detector first, then the global keys, then
// the screen in front.

// onKey runs the handheld-scanner detector, then hands the key on.
func (m *Model) onKey(k tea.KeyMsg) tea.Cmd {
	m.lastActivity = m.c.now()
	if key.Matches(k, m.c.keys.ForceQuit) {
		return m.quit()
	}
	res := m.wedge.key(k)
	cmds := []tea.Cmd{res.cmd, m.replay(res.replay)}
	if res.scan != "" {
		cmds = append(cmds, m.onScan(Scan{Text: res.scan, At: m.c.now(), Source: SourceWedge}))
	}
	if !res.consumed {
		cmds = append(cmds, m.route(k))
	}
	return tea.Batch(cmds...)
}

func (m *Model) replay(keys []tea.KeyMsg) tea.Cmd {
	var cmds []tea.Cmd
	for _, k := range keys {
		cmds = append(cmds, m.route(k))
	}
	return tea.Batch(cmds...)
}

// capturesText says the screen takes letters as text, so global letter
// keys (help, language) do not apply.
func (m *Model) capturesText() bool {
	switch m.screen {
	case screenSignIn, screenLocked, screenManual:
		return true
	case screenRecords:
		return m.records.capturesText()
	}
	return false
}

// route hands a key to the screen in front. Keys typed faster than the
// terminal is read arrive as one message ("r37.9"); they are handed on one
// by one, so that each is the key it is.
func (m *Model) route(k tea.KeyMsg) tea.Cmd {
	if k.Type == tea.KeyRunes && len(k.Runes) > 1 && !k.Paste {
		var cmds []tea.Cmd
		for _, r := range k.Runes {
			cmds = append(cmds, m.route(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: k.Alt}))
		}
		return tea.Batch(cmds...)
	}
	keys := m.c.keys
	if m.guarded() {
		m.c.log.Info("key not applied: the screen has just turned to the next person", "key", k.String())
		return nil
	}
	if m.showHelp {
		m.showHelp = false
		return nil
	}
	if !m.capturesText() {
		switch {
		case key.Matches(k, keys.Help):
			m.showHelp = true
			return nil
		case key.Matches(k, keys.Lang):
			if m.c.lang == "zh" {
				m.c.lang = "en"
			} else {
				m.c.lang = "zh"
			}
			return nil
		}
	}
	if m.screen != screenReady || !key.Matches(k, keys.Quit) {
		m.quitArmed = false
	}
	var cmd tea.Cmd
	switch m.screen {
	case screenSignIn, screenLocked:
		m.signin, cmd = m.signin.Update(k)
	case screenSummary:
		if key.Matches(k, keys.Confirm) {
			m.screen = screenSignIn
			m.signin = newSignIn(m.c, m.deps.Store, "")
		}
	case screenCheck:
		m.check, cmd = m.check.Update(k)
	case screenManual:
		m.manual, cmd = m.manual.Update(k)
	case screenRecords:
		m.records, cmd = m.records.Update(k)
	case screenSync:
		m.syncv, cmd = m.syncv.Update(k)
	case screenRoster:
		if m.roster = m.roster.Update(k); m.roster.decided {
			m.screen = screenReady
		}
	case screenReady:
		cmd = m.readyKey(k)
	}
	return tea.Batch(cmd, m.settle())
}

func (m *Model) readyKey(k tea.KeyMsg) tea.Cmd {
	keys := m.c.keys
	m.notice = ""
	switch {
	case key.Matches(k, keys.Quit):
		if m.quitArmed {
			return m.quit()
		}
		m.quitArmed = true
		m.notice = m.c.T("quit.confirm")
	case key.Matches(k, keys.Records):
		m.screen = screenRecords
		m.records = newRecords(m.c)
		return loadRecords(m.deps.Store, m.c)
	case key.Matches(k, keys.Sync):
		m.screen = screenSync
		return loadSyncData(m.deps.Store, m.deps.Roster)
	case key.Matches(k, keys.Roster) && m.deps.Roster != nil:
		m.screen, m.roster = screenRoster, m.roster.open()
		return loadRosterGroups(m.deps.Roster)
	case key.Matches(k, keys.Manual):
		m.screen = screenManual
		m.manual = newManual(m.c, m.deps.Seal)
	case key.Matches(k, keys.Preview):
		m.preview = !m.preview
		if m.preview && m.deps.Camera != nil {
			w, h := m.previewSize()
			m.previewS = m.deps.Camera.Preview(w, h)
			return previewTick()
		}
	case key.Matches(k, keys.Lock):
		m.lockScreen()
	case key.Matches(k, keys.SignOut):
		m.signOut()
	}
	return nil
}
