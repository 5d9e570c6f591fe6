package tui

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// signedInMsg: the PIN was right (the root also takes it from tests).
type signedInMsg struct {
	operator string
	unlock   bool
}

type pinResultMsg struct {
	operator string
	code     string // what was typed, kept for a first sign-in only
	err      error
}

// firstPINMsg is the outcome of a first sign-in's SetFirstPIN.
type firstPINMsg struct {
	operator string
	err      error
}

// signInModel asks for an operator and PIN at the start of a shift, and
// for the same operator's PIN on the lock screen.
type signInModel struct {
	c        *common
	store    RecordStore
	locked   bool
	operator string // fixed on the lock screen
	name     textinput.Model
	pin      textinput.Model
	focus    int
	err      string
	checking bool
	// A staff member's first sign-in: the code from their admin was
	// right, and they choose a PIN, typed twice.
	first  bool
	code   string
	newPIN textinput.Model
	again  textinput.Model
	// Outcomes the root picks up right after Update.
	signedIn *signedInMsg
	handOver bool
}

func newInput(placeholder string, limit int) textinput.Model {
	ti := textinput.New()
	ti.Prompt = ""
	ti.Placeholder = placeholder
	ti.CharLimit = limit
	ti.Width = 30
	ti.Cursor.SetMode(cursor.CursorStatic) // no blinking: nothing to redraw while idle
	return ti
}

func newSignIn(c *common, store RecordStore, lockedOperator string) signInModel {
	m := signInModel{c: c, store: store, name: newInput("", 32), pin: newInput("", 12)}
	m.pin.EchoMode = textinput.EchoPassword
	m.pin.EchoCharacter = '•'
	if lockedOperator != "" {
		m.locked, m.operator = true, lockedOperator
		m.focus = 1
		m.pin.Focus()
	} else if op, pin := c.set.SignInAs[0], c.set.SignInAs[1]; op != "" {
		m.name.SetValue(op)
		m.pin.SetValue(pin)
		m.focus = 1
		m.pin.Focus()
	} else {
		m.name.Focus()
	}
	return m
}

func (m signInModel) checkPIN() tea.Cmd {
	op := strings.TrimSpace(m.name.Value())
	if m.locked {
		op = m.operator
	}
	pin, st := m.pin.Value(), m.store
	return func() tea.Msg {
		err := st.CheckPIN(op, pin)
		msg := pinResultMsg{operator: op, err: err}
		if errors.Is(err, ErrChoosePIN) {
			msg.code = pin
		}
		return msg
	}
}

// startFirst turns the screen to choosing a PIN after a right first
// sign-in code.
func (m signInModel) startFirst(operator, code string) (signInModel, tea.Cmd) {
	m.first, m.code, m.operator = true, code, operator
	m.newPIN, m.again = newInput("", 12), newInput("", 12)
	for _, in := range []*textinput.Model{&m.newPIN, &m.again} {
		in.EchoMode, in.EchoCharacter = textinput.EchoPassword, '•'
	}
	m.focus = 0
	m.name.Blur()
	m.pin.Blur()
	return m, m.newPIN.Focus()
}

func (m signInModel) updateFirst(msg tea.Msg) (signInModel, tea.Cmd) {
	switch msg := msg.(type) {
	case firstPINMsg:
		m.checking = false
		if msg.err == nil {
			m.first, m.code = false, ""
			m.signedIn = &signedInMsg{msg.operator, false}
			return m, nil
		}
		m.err = m.c.T("signin.err", clean(msg.err.Error(), 100))
		m.c.log.Warn("first sign-in refused", "operator", msg.operator, "err", msg.err)
		return m, nil
	case tea.KeyMsg:
		k := m.c.keys
		switch {
		case m.checking:
			return m, nil
		case key.Matches(msg, k.Back):
			m.first, m.code, m.err = false, "", ""
			m.newPIN.SetValue("")
			m.again.SetValue("")
			m.focus = 1
			return m, m.pin.Focus()
		case key.Matches(msg, k.Confirm):
			if m.focus == 0 {
				if m.newPIN.Value() == "" {
					return m, nil
				}
				m.focus = 1
				m.newPIN.Blur()
				return m, m.again.Focus()
			}
			if m.again.Value() != m.newPIN.Value() {
				m.err = m.c.T("signin.differ")
				m.newPIN.SetValue("")
				m.again.SetValue("")
				m.focus = 0
				m.again.Blur()
				return m, m.newPIN.Focus()
			}
			op, code, pin, st := m.operator, m.code, m.newPIN.Value(), m.store
			m.checking, m.err = true, ""
			return m, func() tea.Msg { return firstPINMsg{op, st.SetFirstPIN(op, code, pin)} }
		}
		var cmd tea.Cmd
		if m.focus == 0 {
			m.newPIN, cmd = m.newPIN.Update(msg)
		} else {
			m.again, cmd = m.again.Update(msg)
		}
		return m, cmd
	}
	return m, nil
}

func (m signInModel) Update(msg tea.Msg) (signInModel, tea.Cmd) {
	if m.first {
		return m.updateFirst(msg)
	}
	switch msg := msg.(type) {
	case pinResultMsg:
		m.checking = false
		m.pin.SetValue("")
		var locked *PINLockedError
		var wrong *WrongPINError
		switch {
		case msg.err == nil:
			m.signedIn = &signedInMsg{msg.operator, m.locked}
			return m, nil
		case errors.Is(msg.err, ErrChoosePIN) && !m.locked:
			m.err = ""
			return m.startFirst(msg.operator, msg.code)
		case errors.As(msg.err, &locked):
			m.err = m.c.T("signin.locked", m.c.local(locked.Until).Format("15:04"))
		case errors.As(msg.err, &wrong):
			m.err = m.c.T("signin.wrongleft", wrong.Left)
		case errors.Is(msg.err, ErrWrongPIN):
			m.err = m.c.T("signin.wrong")
		case errors.Is(msg.err, ErrOperatorDisabled):
			m.err = m.c.T("signin.disabled", clean(msg.operator, 32))
		default:
			m.err = m.c.T("signin.err", clean(msg.err.Error(), 100))
		}
		m.c.log.Warn("sign-in refused", "operator", msg.operator, "err", msg.err)
		return m, nil
	case tea.KeyMsg:
		k := m.c.keys
		switch {
		case m.checking:
			return m, nil
		case m.locked && key.Matches(msg, k.Back):
			m.handOver = true
			return m, nil
		case key.Matches(msg, k.Confirm):
			if !m.locked && m.focus == 0 {
				m.focus = 1
				m.name.Blur()
				return m, m.pin.Focus()
			}
			if (m.locked || strings.TrimSpace(m.name.Value()) != "") && m.pin.Value() != "" {
				m.checking, m.err = true, ""
				return m, m.checkPIN()
			}
			return m, nil
		case !m.locked && (msg.Type == tea.KeyTab || msg.Type == tea.KeyShiftTab || msg.Type == tea.KeyUp || msg.Type == tea.KeyDown):
			m.focus = 1 - m.focus
			if m.focus == 0 {
				m.pin.Blur()
				return m, m.name.Focus()
			}
			m.name.Blur()
			return m, m.pin.Focus()
		}
		var cmd tea.Cmd
		if m.focus == 0 {
			m.name, cmd = m.name.Update(msg)
		} else {
			m.pin, cmd = m.pin.Update(msg)
		}
		return m, cmd
	}
	return m, nil
}

func (m signInModel) View(width, height int) string {
	c, s := m.c, m.c.styles
	var b []string
	if m.first {
		mark := func(f int) string {
			if m.focus == f {
				return "› "
			}
			return "  "
		}
		b = append(b, s.Title.Render(c.T("app")+" · "+c.T("signin")), "", c.T("signin.first", clean(m.operator, 32)), "")
		b = append(b, mark(0)+s.Label.Render(c.T("signin.newpin")+": ")+m.newPIN.View())
		b = append(b, mark(1)+s.Label.Render(c.T("signin.again")+": ")+m.again.View())
		b = append(b, "", s.Faint.Render(c.T("signin.firsthint")))
	} else if m.locked {
		b = append(b, s.Title.Render(c.T("locked")), "", c.T("locked.hint", m.operator), "")
		b = append(b, s.Label.Render(c.T("signin.pin")+": ")+m.pin.View())
	} else {
		b = append(b, s.Title.Render(c.T("app")+" · "+c.T("signin")), "")
		// The marker shows where typing goes even without colour (NO_COLOR),
		// where the text cursor may be invisible.
		mark := func(f int) string {
			if m.focus == f {
				return "› "
			}
			return "  "
		}
		b = append(b, mark(0)+s.Label.Render(c.T("signin.name")+": ")+m.name.View())
		b = append(b, mark(1)+s.Label.Render(c.T("signin.pin")+":    ")+m.pin.View())
		b = append(b, "", s.Faint.Render(c.T("signin.hint")), s.Faint.Render(c.T("signin.firsttime")))
		if c.set.Banner != "" {
			b = append(b, "", s.Warn.Render(c.set.Banner))
		}
	}
	if m.err != "" {
		b = append(b, "", s.Error.Render(m.err))
	}
	box := s.Box.Render(strings.Join(b, "\n"))
	if lipgloss.Width(box) > width {
		return strings.Join(b, "\n")
	}
	return lipgloss.Place(width, min(height, lipgloss.Height(box)+2), lipgloss.Center, lipgloss.Center, box)
}
