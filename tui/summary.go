package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"hcscan/healthcode"
)

// shift counts one operator's checks from sign-in to sign-out.
type shift struct {
	operator string
	start    time.Time
	checks   int
	passed   int
	stopped  int
	fever    int
	invalid  int
	manual   int
}

func (s *shift) add(r healthcode.Record) {
	s.checks++
	switch r.Verdict {
	case healthcode.VerdictPass:
		s.passed++
	case healthcode.VerdictStop:
		s.stopped++
	case healthcode.VerdictInvalid:
		s.invalid++
	}
	if r.Fever {
		s.fever++
	}
	if r.Manual {
		s.manual++
	}
}

// summaryView is the shift summary shown on sign-out.
func summaryView(c *common, sh shift, end time.Time, pending int, width, height int) string {
	s := c.styles
	row := func(k string, v int) string { return pad(s.Label.Render(k), 14) + "  " + s.Value.Render(fmt.Sprint(v)) }
	dur := end.Sub(sh.start).Round(time.Minute)
	lines := []string{
		s.Title.Render(c.T("summary") + " · " + clean(sh.operator, 20)),
		c.T("summary.since", sh.start.Format("15:04"), end.Format("15:04"), dur.String()),
		"",
		row(c.T("summary.checks"), sh.checks),
		row(c.T("passed"), sh.passed),
		row(c.T("stopped"), sh.stopped),
		row(c.T("fever"), sh.fever),
		row(c.T("invalid"), sh.invalid),
		row(c.T("summary.manual"), sh.manual),
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
