package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"hcscan/healthcode"
)

// manualModel is the form for a person without a code (an elderly person
// without a phone, a child): name, ID number, phone and why. The typed
// identity is sealed for the province at once and the form is wiped.
type manualModel struct {
	c      *common
	seal   SealFunc
	inputs [4]textinput.Model // name, ID, phone, reason
	focus  int
	err    string
	// Outcomes the root picks up right after Update.
	submitted *manualPerson
	cancelled bool
}

var manualFields = [4]string{"manual.name", "manual.id", "manual.phone", "manual.reason"}

func newManual(c *common, seal SealFunc) manualModel {
	m := manualModel{c: c, seal: seal}
	limits := [4]int{40, 20, 20, 60}
	for i := range m.inputs {
		m.inputs[i] = newInput("", limits[i])
	}
	m.inputs[0].Focus()
	return m
}

func (m manualModel) submit() (manualModel, tea.Cmd) {
	name := strings.TrimSpace(m.inputs[0].Value())
	id := strings.TrimSpace(m.inputs[1].Value())
	phone := strings.TrimSpace(m.inputs[2].Value())
	reason := clean(strings.TrimSpace(m.inputs[3].Value()), 60)
	if name == "" || id == "" {
		m.err = m.c.T("manual.need")
		return m, nil
	}
	p := manualPerson{name: healthcode.MaskName(name), id: healthcode.MaskID(id), reason: reason}
	switch {
	case m.seal == nil:
		p.sealNote = m.c.T("manual.noseal")
	default:
		sealed, err := m.seal(Identity{Name: name, ID: id, Phone: phone})
		if err != nil {
			m.c.log.Error("seal manual identity", "err", err)
			p.sealNote = m.c.T("manual.sealfail", clean(err.Error(), 80))
		} else {
			p.sealed, p.sealNote = sealed, m.c.T("manual.sealed")
		}
	}
	m = newManual(m.c, m.seal) // wipe what was typed
	m.submitted = &p
	return m, nil
}

func (m manualModel) Update(msg tea.Msg) (manualModel, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	k := m.c.keys
	switch {
	case key.Matches(km, k.Back):
		m = newManual(m.c, m.seal)
		m.cancelled = true
		return m, nil
	case key.Matches(km, k.Confirm):
		if m.focus < len(m.inputs)-1 {
			return m.move(1)
		}
		return m.submit()
	case key.Matches(km, k.NextField):
		return m.move(1)
	case key.Matches(km, k.PrevField):
		return m.move(-1)
	}
	var cmd tea.Cmd
	m.inputs[m.focus], cmd = m.inputs[m.focus].Update(km)
	return m, cmd
}

func (m manualModel) move(d int) (manualModel, tea.Cmd) {
	m.inputs[m.focus].Blur()
	m.focus = (m.focus + d + len(m.inputs)) % len(m.inputs)
	return m, m.inputs[m.focus].Focus()
}

func (m manualModel) View(width, height int) string {
	c, s := m.c, m.c.styles
	lines := []string{s.Title.Render(c.T("manual")), ""}
	lw := 0
	for _, f := range manualFields {
		lw = max(lw, lipgloss.Width(c.T(f)))
	}
	for i, f := range manualFields {
		label := c.T(f)
		pad := strings.Repeat(" ", lw-lipgloss.Width(label))
		marker := "  "
		if i == m.focus {
			marker = "▶ "
		}
		lines = append(lines, marker+s.Label.Render(label+pad+": ")+m.inputs[i].View())
	}
	lines = append(lines, "", s.Faint.Render(c.T("manual.hint")))
	if m.err != "" {
		lines = append(lines, "", s.Error.Render(m.err))
	}
	return strings.Join(lines, "\n")
}
