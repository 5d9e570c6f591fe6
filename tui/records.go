package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"hcscan/healthcode"
)

type recordsLoadedMsg struct {
	rows []Row
	err  error
}

func loadRecords(st RecordStore, c *common) tea.Cmd {
	now := c.now()
	return func() tea.Msg {
		rows, err := st.Today(now, 2000)
		return recordsLoadedMsg{rows, err}
	}
}

// recordFilters are the views Tab cycles through.
var recordFilters = []string{"records.all", "verdict.pass", "verdict.stop", "verdict.invalid", "manual.mark"}

// recordsModel lists today's checks, newest first.
type recordsModel struct {
	c         *common
	rows      []Row
	err       error
	filter    int
	search    textinput.Model
	searching bool
	offset    int
	back      bool // the operator left the view
}

func newRecords(c *common) recordsModel {
	return recordsModel{c: c, search: newInput("", 20)}
}

func (m recordsModel) capturesText() bool { return m.searching }

func (m recordsModel) visible() []Row {
	q := strings.TrimSpace(m.search.Value())
	var out []Row
	for _, r := range m.rows {
		rec := r.Record
		switch m.filter {
		case 1:
			if rec.Verdict != healthcode.VerdictPass {
				continue
			}
		case 2:
			if rec.Verdict != healthcode.VerdictStop {
				continue
			}
		case 3:
			if rec.Verdict != healthcode.VerdictInvalid {
				continue
			}
		case 4:
			if !rec.Manual {
				continue
			}
		}
		if q != "" && !strings.Contains(rec.Name, q) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func (m recordsModel) Update(msg tea.Msg) (recordsModel, tea.Cmd) {
	switch msg := msg.(type) {
	case recordsLoadedMsg:
		m.rows, m.err, m.offset = msg.rows, msg.err, 0
	case tea.KeyMsg:
		k := m.c.keys
		if m.searching {
			switch {
			case key.Matches(msg, k.Confirm), key.Matches(msg, k.Back):
				m.searching = false
				m.search.Blur()
				if key.Matches(msg, k.Back) {
					m.search.SetValue("")
				}
				m.offset = 0
				return m, nil
			}
			var cmd tea.Cmd
			m.search, cmd = m.search.Update(msg)
			m.offset = 0
			return m, cmd
		}
		switch {
		case key.Matches(msg, k.Back):
			m.back = true
			return m, nil
		case key.Matches(msg, k.Filter):
			m.filter = (m.filter + 1) % len(recordFilters)
			m.offset = 0
		case key.Matches(msg, k.Search):
			m.searching = true
			return m, m.search.Focus()
		case key.Matches(msg, k.Down):
			m.offset = min(m.offset+1, max(0, len(m.visible())-1))
		case key.Matches(msg, k.Up):
			m.offset = max(0, m.offset-1)
		}
	}
	return m, nil
}

func (m recordsModel) verdictWord(v healthcode.Verdict) string {
	return m.c.T("verdict." + v.String())
}

func (m recordsModel) View(width, height int) string {
	c, s := m.c, m.c.styles
	var filters []string
	for i, f := range recordFilters {
		if i == m.filter {
			// Brackets show the filter in use without colour (NO_COLOR).
			filters = append(filters, s.Selected.Render("["+c.T(f)+"]"))
		} else {
			filters = append(filters, c.T(f))
		}
	}
	lines := []string{s.Title.Render(c.T("records")) + "  " + s.Label.Render(c.T("records.filter")+": ") + strings.Join(filters, " ")}
	search := s.Label.Render(c.T("records.search")+": ") + m.search.View()
	if !m.searching && m.search.Value() == "" {
		search = s.Faint.Render(c.T("records.hint"))
	}
	lines = append(lines, search)
	if m.err != nil {
		return strings.Join(append(lines, s.Error.Render(c.T("records.err", clean(m.err.Error(), 100)))), "\n")
	}
	rows := m.visible()
	wide := width >= 78
	head := fmt.Sprintf(" %s  %s  %s  %s", pad(c.T("time"), 8), pad(c.T("verdict"), 7), pad(c.T("name"), 10), pad(c.T("temp"), 5))
	if wide {
		head += "  " + pad(c.T("id"), 18) + "  " + c.T("disposition")
	}
	lines = append(lines, s.Label.Render(head))
	if len(rows) == 0 {
		lines = append(lines, s.Faint.Render(c.T("records.none")))
	}
	legend := s.Faint.Render(c.T("records.legend"))
	room := max(1, height-len(lines)-lipgloss.Height(wrapLines(legend, width)))
	for i := m.offset; i < len(rows) && i < m.offset+room; i++ {
		r := rows[i].Record
		mark := " "
		if rows[i].Uploaded {
			mark = "↑"
		} else if rows[i].Refused {
			mark = "!"
		}
		name := clean(r.Name, 12)
		switch {
		case r.Manual:
			name = "✎" + name
		case r.RepeatOf != "":
			name = "↻" + name
		}
		verdict := m.verdictWord(r.Verdict)
		if r.Abandoned {
			verdict = "⊘" + c.T("left.short")
		}
		name = ansi.Truncate(name, 10, "…")
		line := fmt.Sprintf("%s%s  %s  %s  %s", mark, c.local(r.When()).Format("15:04:05"),
			pad(verdict, 7), pad(name, 10), pad(r.Temperature.String(), 5))
		if wide {
			action := r.Disposition.Label(c.lang)
			if r.Verdict == healthcode.VerdictPass && r.Disposition == healthcode.DispositionPass {
				action = c.T("verdict.pass")
			}
			line += "  " + pad(clean(r.IDMasked, 18), 18) + "  " + action
		}
		lines = append(lines, ansi.Truncate(line, width, "…")) // a table row is cut, not wrapped
	}
	for len(lines) < height-lipgloss.Height(wrapLines(legend, width)) {
		lines = append(lines, "")
	}
	return strings.Join(append(lines, legend), "\n")
}

// pad fills s to w terminal cells (CJK counts two).
func pad(s string, w int) string {
	if d := w - lipgloss.Width(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}
