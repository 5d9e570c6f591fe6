package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// View draws the status bar, the screen in front and a footer of keys. The
// result never has more lines than the terminal nor lines wider than it, so
// a small or resized terminal shows less, never a garbled screen.
func (m *Model) View() string {
	c := m.c
	if c.width <= 0 || c.height <= 0 {
		return ""
	}
	bar := statusBar(c, barInfo{operator: m.operator, stats: m.stats, sync: m.sync, haveSync: m.deps.Sync != nil,
		clock: c.clock(), cam: m.cam, haveCam: m.deps.Camera != nil})
	footer := m.footer()
	barH := lipgloss.Height(bar)
	bodyH := c.height - barH - 1
	if bodyH < 3 { // a tiny terminal: the status bar gives way to the screen
		bar, barH, bodyH = "", 0, c.height-1
	}
	var body string
	if m.showHelp {
		body = m.helpView()
	} else {
		body = m.body(bodyH)
	}
	var b strings.Builder
	if barH > 0 {
		b.WriteString(fit(bar, c.width, barH))
		b.WriteByte('\n')
	}
	b.WriteString(fit(wrapLines(body, c.width), c.width, bodyH))
	b.WriteByte('\n')
	b.WriteString(fit(footer, c.width, 1))
	return b.String()
}

// wrapLines breaks every line wider than w cells at word boundaries (a
// word longer than a line, and CJK text, where it must), so that a
// sentence on a narrow terminal goes on the next line instead of being cut.
func wrapLines(s string, w int) string {
	if w < 1 || lipgloss.Width(s) <= w {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = ansi.Wrap(l, w, "")
		}
	}
	return strings.Join(lines, "\n")
}

// fit cuts or pads s to exactly h lines of at most w cells.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// body is the screen in front, with what waits behind it underneath.
func (m *Model) body(h int) string {
	if n := m.waitingLines(); n > 0 && m.screen != screenRecords && m.screen != screenSync {
		return m.withWaiting(fit(wrapLines(m.screenBody(max(1, h-n)), m.c.width), m.c.width, max(1, h-n)))
	}
	return m.screenBody(h)
}

func (m *Model) screenBody(h int) string {
	c := m.c
	switch m.screen {
	case screenSignIn, screenLocked:
		if !m.canVerify() {
			// Said before anyone signs in: this scanner checks no code yet.
			warn := c.styles.Error.Render("⚠ "+c.T("notready")) + "\n" + c.T("notready.hint")
			return m.signin.View(c.width, max(1, h-lipgloss.Height(wrapLines(warn, c.width))-1)) + "\n" + warn
		}
		return m.signin.View(c.width, h)
	case screenSummary:
		return summaryView(c, m.shift, m.shiftEnd, m.stats.Pending, c.width, h)
	case screenCheck:
		return m.check.View(c.width, h, m.guarded())
	case screenManual:
		return m.manual.View(c.width, h)
	case screenRecords:
		return m.records.View(c.width, h)
	case screenSync:
		return m.syncv.View(c.width, h, m.sync, m.deps.Sync != nil, m.stats)
	case screenRoster:
		return m.roster.View(c.width, h)
	}
	return m.readyView(h)
}

// waitingLines is how many lines withWaiting adds.
func (m *Model) waitingLines() int {
	n := 0
	if len(m.waiting) > 0 {
		n++
	}
	if m.overflow > 0 {
		n++
	}
	return n
}

// withWaiting adds what waits behind the screen: the codes read and not
// yet checked, and those that could not be kept.
func (m *Model) withWaiting(body string) string {
	c, s := m.c, m.c.styles
	if len(m.waiting) > 0 {
		key := "waiting.more"
		switch {
		case !m.canVerify():
			key = "waiting.notready"
		case m.operator == "":
			key = "waiting.signin"
		}
		body += "\n" + s.Warn.Render(c.T(key, len(m.waiting)))
	}
	if m.overflow > 0 {
		body += "\n" + s.Error.Render(c.T("waiting.lost", m.overflow))
	}
	return body
}

func (m *Model) previewSize() (int, int) {
	return max(10, m.c.width-2), max(4, m.c.height-6)
}

func (m *Model) readyView(h int) string {
	c, s := m.c, m.c.styles
	var notes []string
	if m.notice != "" {
		notes = append(notes, s.Warn.Render(m.notice))
	}
	if m.stats.Alerts > 0 {
		notes = append(notes, s.Error.Width(c.width).Render("⚠ "+c.T("alert.ready", m.stats.Alerts)))
	}
	if b := m.roster.banner(); b != "" {
		notes = append(notes, s.Good.Width(c.width).Render("▶ "+b))
	}
	for _, n := range clockSentences(c, c.clock(), m.deps.Sync != nil) {
		notes = append(notes, s.Warn.Width(c.width).Render("⚠ "+n))
	}
	switch {
	case m.deps.Camera == nil:
		notes = append(notes, s.Warn.Render(c.T("ready.nocam")))
	case m.cam.State == CameraFailed || m.cam.State == CameraLost:
		notes = append(notes, s.Error.Width(c.width).Render(c.T("camera")+" "+c.T(camKey(m.cam.State))+": "+clean(m.cam.Detail, 200)))
	case m.scansEnd || m.cam.State == CameraEnded:
		notes = append(notes, s.Faint.Render(c.T("camera")+": "+c.T("cam.ended")))
	}
	if m.preview {
		p := m.previewS
		if m.deps.Camera == nil || p == "" {
			p = s.Faint.Render(c.T("preview.none"))
		}
		return strings.Join(append(notes, p), "\n")
	}
	title := c.T("ready")
	other := tr(map[bool]string{true: "zh", false: "en"}[c.en()], "ready")
	inner := s.Title.Render(title) + "\n" + s.Faint.Render(other) + "\n\n" + c.T("ready.hint")
	hint, boxStyle := c.T("ready.hint"), s.Ready
	if !m.canVerify() {
		title, hint = "⚠ "+c.T("notready"), c.T("notready.hint")
		inner = s.Error.Render(title) + "\n\n" + hint
		boxStyle = boxStyle.Width(min(c.width-2, 72))
	}
	box := boxStyle.Render(inner)
	if lipgloss.Width(box) > c.width || lipgloss.Height(box)+len(notes) > h {
		box = s.Title.Render(title) + "\n" + hint
	} else {
		box = lipgloss.PlaceHorizontal(c.width, lipgloss.Center, box)
	}
	return strings.Join(append([]string{box}, notes...), "\n")
}

func camKey(st CameraState) string {
	switch st {
	case CameraStarting:
		return "cam.starting"
	case CameraOK:
		return "cam.ok"
	case CameraLost:
		return "cam.lost"
	case CameraFailed:
		return "cam.failed"
	case CameraWaiting:
		return "cam.waiting"
	case CameraEnded:
		return "cam.ended"
	}
	return "cam.off"
}

// bindings are the keys that work on the screen in front, most used first.
func (m *Model) bindings() []key.Binding {
	k := m.c.keys
	switch m.screen {
	case screenSignIn, screenLocked, screenManual:
		return []key.Binding{k.NextField, k.Confirm, k.Back, k.ForceQuit}
	case screenSummary:
		return []key.Binding{k.Confirm, k.ForceQuit}
	case screenRecords:
		return []key.Binding{k.Filter, k.Search, k.Up, k.Down, k.Back, k.Help}
	case screenSync:
		if m.stats.Alerts > 0 {
			return []key.Binding{k.SyncNow, k.AckAlerts, k.Back, k.Lang, k.Help}
		}
		return []key.Binding{k.SyncNow, k.Back, k.Lang, k.Help}
	case screenRoster:
		return []key.Binding{k.Up, k.Down, k.Confirm, k.Back}
	case screenCheck:
		if m.check.leaving {
			return []key.Binding{k.Confirm, k.Back}
		}
		switch m.check.step {
		case stepTemperature:
			return []key.Binding{k.Digits, k.Confirm, k.Back, k.Lang, k.Help}
		case stepFever:
			return []key.Binding{k.Remeasure, k.Confirm, k.Back, k.Help}
		case stepDisposition:
			return []key.Binding{m.chooseKey(), k.Up, k.Down, k.Confirm, k.Back, k.Help}
		case stepSaveFailed:
			return []key.Binding{k.Confirm, k.Back, k.Help}
		}
		return []key.Binding{k.Next, k.Lang, k.Help}
	}
	if m.deps.Roster != nil {
		return []key.Binding{k.Manual, k.Roster, k.Records, k.Sync, k.Preview, k.Lang, k.Lock, k.SignOut, k.Quit, k.Help}
	}
	return []key.Binding{k.Manual, k.Records, k.Sync, k.Preview, k.Lang, k.Lock, k.SignOut, k.Quit, k.Help}
}

func (m *Model) footer() string {
	k := footerKey{m.screen, m.check.step, m.check.leaving, len(m.check.choices), m.c.lang, m.c.width, m.stats.Alerts > 0}
	if m.footerMemo.ok && m.footerMemo.key == k {
		return m.footerMemo.text
	}
	text := m.fitKeys(m.shortBindings())
	m.footerMemo = footerCache{k, text, true}
	return text
}

// fitKeys lays the keys out in one line of the terminal's width: when
// they do not all fit, the least used go (the list is most used first),
// never cut in the middle, and "? help" stays last when it is there.
func (m *Model) fitKeys(bs []key.Binding) string {
	h := m.help
	h.Width = 0
	for len(bs) > 1 && lipgloss.Width(h.ShortHelpView(bs)) > m.c.width {
		drop := len(bs) - 1
		if bs[drop].Help().Key == m.c.keys.Help.Help().Key && drop > 0 {
			drop--
		}
		bs = append(bs[:drop:drop], bs[drop+1:]...)
	}
	h.Width = m.c.width
	return h.ShortHelpView(bs)
}

// footerKey is what the footer depends on; the idle screen redraws every
// second, the footer need not be rebuilt each time.
type footerKey struct {
	screen  screen
	step    checkStep
	leaving bool
	choices int
	lang    string
	width   int
	alerts  bool // open alerts: the sync view offers to acknowledge them
}

type footerCache struct {
	key  footerKey
	text string
	ok   bool
}

// chooseKey is the number keys of the dispositions on offer (1-3 when
// three are offered), as the prompt says.
func (m *Model) chooseKey() key.Binding {
	n := max(1, min(len(m.check.choices), 9))
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprint(i + 1)
	}
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(fmt.Sprintf("1-%d", n), m.c.keys.Choose.Help().Desc))
}

// shortBindings shows each key's help in the interface language only.
func (m *Model) shortBindings() []key.Binding {
	bs := m.bindings()
	out := make([]key.Binding, len(bs))
	for i, b := range bs {
		hp := b.Help()
		out[i] = key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(hp.Key, m.helpWord(hp.Desc)))
	}
	return out
}

// helpWord picks one language from "english / 中文" help texts.
func (m *Model) helpWord(desc string) string {
	en, zh, ok := strings.Cut(desc, " / ")
	if !ok {
		return desc
	}
	if m.c.en() {
		return en
	}
	return zh
}

func (m *Model) helpView() string {
	k := m.c.keys
	first := []key.Binding{k.Manual, k.Records, k.Sync, k.Preview}
	if m.deps.Roster != nil {
		first = []key.Binding{k.Manual, k.Roster, k.Records, k.Sync, k.Preview}
	}
	groups := [][]key.Binding{
		first,
		{k.Digits, k.Remeasure, k.Choose, k.Confirm, k.Next},
		{k.Lang, k.Lock, k.SignOut, k.Back, k.Quit, k.ForceQuit},
	}
	for _, g := range groups {
		for i, b := range g {
			hp := b.Help()
			g[i] = key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(hp.Key, m.helpWord(hp.Desc)))
		}
	}
	h := m.help
	h.Width = m.c.width
	return m.c.styles.Title.Render(m.c.T("help.title")) + "\n\n" + h.FullHelpView(groups)
}
