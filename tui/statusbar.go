package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"hcscan/healthcode"
)

// barInfo is everything the status bar shows.
type barInfo struct {
	operator string
	stats    Stats
	sync     SyncState
	haveSync bool
	clock    healthcode.Moment
	cam      CameraStatus
	haveCam  bool
	syncing  bool
}

// statusBar lays out the always-visible facts, most important first, in
// as many lines (at most three) as the width needs; a segment never splits.
func statusBar(c *common, in barInfo) string {
	s := c.styles
	now := c.local(in.clock.Now)
	var segs []string
	add := func(st lipgloss.Style, text string) { segs = append(segs, st.Render(text)) }
	op := in.operator
	if op == "" {
		op = "—"
	}
	add(s.StatusBar, c.T("operator")+" "+clean(op, 16))
	add(s.StatusBar, c.T("gate")+" "+clean(c.set.Gate, 16))
	switch {
	case !in.haveSync:
		add(s.StatusBar, "○ "+c.T("noserver"))
	case in.sync.Syncing:
		add(s.StatusGood, "◌ "+c.T("syncing"))
	case in.sync.Online:
		add(s.StatusGood, "● "+c.T("online"))
	default:
		add(s.StatusWarn, "○ "+c.T("offline"))
	}
	if in.stats.Pending > 0 {
		add(s.StatusWarn, fmt.Sprintf("%s %d", c.T("waiting"), in.stats.Pending))
	} else {
		add(s.StatusBar, c.T("waiting")+" 0")
	}
	stale := c.set.Policy.StaleAfter
	if stale == 0 {
		stale = 24 * time.Hour
	}
	dataAge := func(label string, t time.Time, staleAfter time.Duration) {
		if t.IsZero() {
			add(s.StatusWarn, label+" "+c.T("never"))
			return
		}
		age := now.Sub(t)
		if staleAfter > 0 && age > staleAfter {
			add(s.StatusWarn, label+" "+roughDuration(age)+" "+c.T("stale"))
			return
		}
		add(s.StatusBar, label+" "+roughDuration(age))
	}
	dataAge(c.T("trust"), in.stats.TrustFetched, 0)
	dataAge(c.T("status"), in.stats.StatusFetched, stale)
	for _, seg := range clockSegments(c, in.clock, in.haveSync) {
		add(s.StatusWarn, seg)
	}
	if in.stats.Alerts > 0 {
		add(s.StatusWarn, fmt.Sprintf("⚠ %s %d", c.T("alerts"), in.stats.Alerts))
	}
	cam := c.T("cam.off")
	camStyle := s.StatusBar
	if in.haveCam {
		switch in.cam.State {
		case CameraStarting:
			cam = c.T("cam.starting")
		case CameraOK:
			cam = c.T("cam.ok")
		case CameraLost:
			cam, camStyle = c.T("cam.lost"), s.StatusWarn
		case CameraFailed:
			cam, camStyle = c.T("cam.failed"), s.StatusWarn
		case CameraWaiting:
			cam = c.T("cam.waiting")
		case CameraEnded:
			cam = c.T("cam.ended")
		}
	}
	add(camStyle, c.T("camera")+" "+cam)
	st := in.stats
	counts := fmt.Sprintf("%s %s %d · %s %d · %s %d · %s %d", c.T("today"), c.T("passed"), st.Passed, c.T("stopped"), st.Stopped,
		c.T("fever"), st.Fever, c.T("invalid"), st.Invalid)
	add(s.StatusBar, counts)
	add(s.StatusBar, now.Format("15:04"))

	sep := s.Faint.Render(" │ ")
	sepW := lipgloss.Width(sep)
	var lines []string
	cur, curW := "", 0
	for _, seg := range segs {
		w := lipgloss.Width(seg)
		if curW > 0 && curW+sepW+w > c.width {
			lines = append(lines, cur)
			cur, curW = "", 0
		}
		if curW > 0 {
			cur += sep
			curW += sepW
		}
		cur += seg
		curW += w
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	if len(lines) > 3 {
		lines = lines[:3]
	}
	return strings.Join(lines, "\n")
}
