package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"hcscan/healthcode"
)

// Roster mode: the operator picks one of the institution's groups, and
// every person who shows a code from then on is enrolled into it (the
// record carries the person key and the group; the province links the
// person to the roster). The verdict is the same as at any check.

type rosterGroupsMsg struct {
	groups []RosterGroup
	err    error
}

func loadRosterGroups(r Roster) tea.Cmd {
	return func() tea.Msg {
		gs, err := r.Groups()
		return rosterGroupsMsg{gs, err}
	}
}

// rosterMode is the group picker and the group roster mode enrols into.
type rosterMode struct {
	c       *common
	groups  []RosterGroup
	loaded  bool
	err     error
	cursor  int          // in the picker; 0 is "end roster mode" while it is on
	group   *RosterGroup // roster mode is on: enrol into this group
	decided bool         // the operator picked or left: back to ready
}

// open shows the picker.
func (r rosterMode) open() rosterMode {
	r.cursor, r.decided = 0, false
	return r
}

// choices are the picker's lines: "end roster mode" first while it is on.
func (r rosterMode) choices() int {
	n := len(r.groups)
	if r.group != nil {
		n++
	}
	return n
}

func (r rosterMode) Update(msg tea.Msg) rosterMode {
	switch msg := msg.(type) {
	case rosterGroupsMsg:
		r.groups, r.err, r.loaded = msg.groups, msg.err, true
	case tea.KeyMsg:
		k := r.c.keys
		switch {
		case key.Matches(msg, k.Back):
			r.decided = true
		case key.Matches(msg, k.Up):
			r.cursor = max(0, r.cursor-1)
		case key.Matches(msg, k.Down):
			r.cursor = min(max(0, r.choices()-1), r.cursor+1)
		case key.Matches(msg, k.Confirm) && r.choices() > 0:
			i := r.cursor
			if r.group != nil {
				if i == 0 {
					r.group, r.decided = nil, true
					return r
				}
				i--
			}
			g := r.groups[i]
			r.group, r.decided = &g, true
		}
	}
	return r
}

// groupLabel is "高一(3)班 · 学生", from text the province sent (cleaned).
func (c *common) groupLabel(name string, role fmt.Stringer) string {
	l := clean(name, 40)
	if r := c.T("role." + role.String()); r != "" && role.String() != "none" {
		l += " · " + r
	}
	return l
}

func (r rosterMode) View(width, height int) string {
	c, s := r.c, r.c.styles
	lines := []string{s.Title.Render(c.T("roster.title")), s.Faint.Width(width).Render(c.T("roster.help")), ""}
	switch {
	case !r.loaded:
		lines = append(lines, c.T("verifying"))
	case r.err != nil:
		lines = append(lines, s.Error.Render(clean(r.err.Error(), 200)))
	case len(r.groups) == 0:
		lines = append(lines, s.Warn.Width(width).Render(c.T("roster.none")))
	}
	var items []string
	if r.group != nil {
		items = append(items, c.T("roster.end"))
	}
	for _, g := range r.groups {
		items = append(items, fmt.Sprintf("%s  (%s)", c.groupLabel(g.Name, g.Role), c.T("roster.people", g.Members)))
	}
	// Keep the cursor in view on a short terminal.
	room := max(1, height-len(lines)-1)
	from := max(0, min(r.cursor-room+1, len(items)-room))
	for i := from; i < len(items) && i < from+room; i++ {
		mark := "  "
		if i == r.cursor {
			mark = "▶ "
			items[i] = s.Value.Render(items[i])
		}
		lines = append(lines, mark+items[i])
	}
	return strings.Join(lines, "\n")
}

// banner is the ready screen's line while roster mode is on.
func (r rosterMode) banner() string {
	if r.group == nil {
		return ""
	}
	return r.c.T("roster.on", r.c.groupLabel(r.group.Name, r.group.Role))
}

// unlisted says the person is stopped as not on the list: a roster-only
// gate, a code that verifies, a roster on the scanner that does not have
// them, and no enrolment under way.
func (m *checkModel) unlisted() bool {
	return m.c.set.RosterOnly && m.enrol == nil && m.v.Valid && m.v.RosterKnown && m.v.Member == nil
}

// enrolling says the check enrols the person into the roster mode's
// group: a code that verifies and carries a person key.
func (m *checkModel) enrolling() bool {
	return m.enrol != nil && m.v.Valid && !m.v.Claims.PersonKey.IsZero()
}

// rosterFields puts the person key on the record only for the
// institution's own people and for enrolment, so that strangers' visits
// stay unlinkable in the data file and at the province.
func (m *checkModel) rosterFields(r *healthcode.Record) {
	switch {
	case m.enrolling():
		r.PersonKey, r.EnrolGroup, r.EnrolRole = m.v.Claims.PersonKey, m.enrol.Name, m.enrol.Role
	case m.v.Valid && m.v.Member != nil:
		r.PersonKey = m.v.Claims.PersonKey
	}
}

// rosterLines are the verdict's lines about the roster: the person's
// group, not on the list, or the enrolment.
func (m checkModel) rosterLines() []string {
	c, s := m.c, m.c.styles
	var out []string
	if m.v.Member != nil {
		out = append(out, s.Label.Render(c.T("roster.group")+": ")+s.Value.Render(c.groupLabel(m.v.Member.Group, m.v.Member.Role)))
	}
	switch {
	case m.enrol != nil && !m.v.Valid:
	case m.enrolling():
		out = append(out, s.Good.Render(c.T("roster.enrolled", c.groupLabel(m.enrol.Name, m.enrol.Role))))
	case m.enrol != nil:
		out = append(out, s.Warn.Render(c.T("roster.nokey")))
	case m.dec.Unlisted:
		out = append(out, s.Error.Render(c.T("roster.notlisted")))
	case m.c.set.RosterOnly && m.v.Valid && !m.v.RosterKnown:
		out = append(out, s.Warn.Render(c.T("roster.unknown")))
	}
	return out
}

// peopleAlertLines list the alerts about the institution's own people:
// when, the masked name, the group, and what happened.
func peopleAlertLines(c *common, people []Alert) []string {
	if len(people) == 0 {
		return nil
	}
	s := c.styles
	lines := []string{"", s.Error.Render(c.T("sync.people"))}
	for _, a := range people {
		what := c.T("alert." + a.Colour.String())
		if a.Fever != 0 {
			what = c.T("fever") + " " + a.Fever.String() + " °C"
		}
		lines = append(lines, fmt.Sprintf("  %s  %s  %s  %s", c.local(a.Time).Format("01-02 15:04"),
			pad(clean(a.Name, 12), 8), clean(a.Group, 40), what))
	}
	return lines
}
