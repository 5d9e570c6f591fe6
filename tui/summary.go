package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"hcscan/healthcode"
)

// shift is one operator's checks from sign-in to sign-out.
type shift struct {
	operator string
	start    time.Time
	tally    healthcode.Tally
}

// summaryView is the shift summary shown on sign-out.
func summaryView(c *common, sh shift, end time.Time, pending int, width, height int) string {
	s := c.styles
	row := func(k string, v int) string { return pad(s.Label.Render(k), 14) + "  " + s.Value.Render(fmt.Sprint(v)) }
	dur := end.Sub(sh.start).Round(time.Minute)
	lines := []string{
		s.Title.Render(c.T("summary") + " · " + clean(sh.operator, 20)),
		c.T("summary.since", c.local(sh.start).Format("15:04"), c.local(end).Format("15:04"), dur.String()),
		"",
		row(c.T("summary.checks"), sh.tally.Total),
		row(c.T("passed"), sh.tally.Passed),
		row(c.T("stopped"), sh.tally.Stopped),
		row(c.T("fever"), sh.tally.Fever),
		row(c.T("invalid"), sh.tally.Invalid),
		row(c.T("summary.manual"), sh.tally.Manual),
		row(c.T("waiting"), pending),
		"",
		s.Faint.Render(c.T("summary.hint")),
	}
	box := s.Box.Render(strings.Join(lines, "\n"))
	if lipgloss.Width(box) > width {
		return strings.Join(lines, "\n")
	}
	return lipgloss.Place(width, min(height, lipgloss.Height(box)+2), lipgloss.Center, lipgloss.Center, box)
}
