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
	t := sh.tally
	counts := []struct {
		key string
		n   int
	}{
		{"summary.checks", t.Total}, {"passed", t.Passed}, {"stopped", t.Stopped}, {"fever", t.Fever},
		{"invalid", t.Invalid}, {"summary.manual", t.Manual}, {"summary.repeats", t.Repeats},
		{"left.mark", t.Abandoned}, {"waiting", pending},
	}
	lw := 0
	for _, k := range counts {
		lw = max(lw, lipgloss.Width(c.T(k.key)))
	}
	dur := end.Sub(sh.start).Round(time.Minute)
	lines := []string{
		s.Title.Render(c.T("summary") + " · " + clean(sh.operator, 20)),
		c.T("summary.since", c.local(sh.start).Format("15:04"), c.local(end).Format("15:04"), dur.String()),
		"",
	}
	for _, k := range counts {
		lines = append(lines, s.Label.Render(pad(c.T(k.key), lw))+"  "+s.Value.Render(fmt.Sprint(k.n)))
	}
	lines = append(lines, "", s.Faint.Render(c.T("summary.hint")))
	box := s.Box.Render(strings.Join(lines, "\n"))
	if lipgloss.Width(box) > width {
		return strings.Join(lines, "\n")
	}
	return lipgloss.Place(width, min(height, lipgloss.Height(box)+2), lipgloss.Center, lipgloss.Center, box)
}
