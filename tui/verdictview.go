package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"hcscan/healthcode"
)

// The verdict fills the screen: a coloured block with a big word and a
// symbol, then what the code says, then the step the operator is at.

type verdictLook struct {
	style  lipgloss.Style
	symbol rune
	big    string // block-font word
	zh, en string
}

func (m checkModel) look() verdictLook {
	s := m.c.styles
	switch {
	case m.step == stepVerifying:
		return verdictLook{s.VerdictWait, '…', "", "核验中", "CHECKING"}
	case m.manual != nil:
		// A person without a code has no verdict until the operator
		// decides: a neutral block, whatever is decided.
		return verdictLook{s.VerdictWait, '✎', "", "手工登记", "MANUAL ENTRY"}
	case m.dec.Verdict == healthcode.VerdictInvalid:
		return verdictLook{s.VerdictStop, '?', "INVALID", "无效", "INVALID CODE"}
	case m.dec.Verdict == healthcode.VerdictStop:
		st := s.VerdictStop
		if m.manual == nil && m.v.EffectiveColour == healthcode.Yellow && !m.dec.Fever {
			st = s.VerdictWarn
		}
		return verdictLook{st, '✖', "STOP", "停止", "STOP"}
	case m.dec.NeedTemperature:
		return verdictLook{s.VerdictWait, '…', "", "请测体温", "TEMPERATURE"}
	}
	return verdictLook{s.VerdictPass, '✔', "PASS", "通行", "PASS"}
}

// holderLine is the one line a foreign holder reads.
func (m checkModel) holderLine() string {
	if m.manual != nil || m.step == stepVerifying {
		return ""
	}
	l, ok := holderLines[m.v.Claims.Lang]
	if !ok || (m.c.en() && m.v.Claims.Lang == "en") {
		return ""
	}
	if m.dec.Verdict == healthcode.VerdictPass && !m.dec.NeedTemperature && !m.dec.Fever {
		return l[1]
	}
	return l[0]
}

func (m checkModel) band(width int, roomy bool) string {
	lk := m.look()
	inner := width - 4 // border and padding
	var lines []string
	if roomy && lk.big != "" {
		if art, ok := bigText(string(lk.symbol)+"  "+lk.big, inner); ok {
			lines = append(lines, "")
			lines = append(lines, art...)
		}
	}
	word := fmt.Sprintf("%s %c %s", lk.zh, lk.symbol, lk.en)
	if m.earlier != nil && m.step != stepVerifying {
		word += "  · ↻ " + m.c.T("repeat.word")
	}
	if sc := m.scan; sc.Group != 0 && m.manual == nil {
		word += "  · " + m.c.T("group.of", sc.Index, sc.Of)
	}
	if m.manual != nil && m.step == stepSaved {
		word += "  · " + m.c.T("decided") + ": " + m.c.T("verdict."+m.rec.Verdict.String())
	}
	if m.dec.Fever {
		t := m.temp
		if t == 0 { // measuring again: the first reading stands until then
			t = m.firstTemp
		}
		word += "  · " + m.c.T("fever") + " " + t.String() + " °C"
	}
	lines = append(lines, word)
	if h := m.holderLine(); h != "" {
		lines = append(lines, h)
	}
	return lk.style.Width(width - 2).Align(lipgloss.Center).Render(strings.Join(lines, "\n"))
}

func (m checkModel) colourName(c healthcode.Colour) string {
	return m.c.T("colour." + c.String())
}

// details are the facts under the band, one per line, most important first.
func (m checkModel) details(width int) []string {
	c, s := m.c, m.c.styles
	kv := func(k, v string) string { return s.Label.Render(k+": ") + s.Value.Render(v) }
	var out []string
	if p := m.manual; p != nil {
		out = append(out, s.Warn.Render(c.T("manual.mark")))
		out = append(out, kv(c.T("name"), p.name)+"   "+kv(c.T("id"), p.id))
		if p.reason != "" {
			out = append(out, kv(c.T("reason"), p.reason))
		}
		if p.sealNote != "" {
			out = append(out, s.Faint.Render(p.sealNote))
		}
		return m.withTemp(out)
	}
	if e := m.earlier; e != nil && m.step != stepVerifying {
		out = append(out, s.Warn.Render("↻ "+c.T("repeat.earlier", c.local(e.at).Format("15:04"), m.earlierWords(*e))))
	}
	if m.beforeSignIn {
		out = append(out, s.Warn.Render(c.T("seen.before", m.scan.At.In(c.now().Location()).Format("15:04:05"))))
	}
	if m.step == stepVerifying {
		return append(out, c.T("verifying"))
	}
	res := m.v.Result
	if res.Claims.Name != "" {
		out = append(out, kv(c.T("name"), clean(res.Claims.Name, 32))+"   "+kv(c.T("id"), clean(res.Claims.ID, 32)))
	}
	out = append(out, m.rosterLines()...)
	if res.ScannedColour.Valid() {
		col := m.colourName(res.EffectiveColour)
		if res.StatusOverride {
			col += " " + c.T("changed", m.colourName(res.ScannedColour))
		}
		out = append(out, kv(c.T("colour"), col)+"   "+kv(c.T("region"), res.Claims.Region.Name(c.lang)))
		exp := c.local(res.Claims.Expires).Format("2006-01-02 15:04")
		kind := c.T("live")
		if !res.Dynamic {
			kind = c.T("printed")
		}
		out = append(out, kv(c.T("expires"), exp)+"   "+kind)
	}
	if !res.Valid {
		out = append(out, s.Error.Render(c.T("reason")+": "+res.Reason.Message(c.lang)))
	}
	// The clock's words are long: they wrap rather than lose their end.
	if line := verdictClock(c, m.v, c.confirmable); line != "" {
		out = append(out, s.Warn.Width(width).Render("⏱ "+line))
	}
	switch {
	case m.dec.Provisional && res.ClockUnsure:
		out = append(out, s.Warn.Width(width).Render(c.T("provisional.clock", c.local(m.v.At.Seen).Format("01-02 15:04"))))
	case m.dec.Provisional:
		out = append(out, s.Warn.Render(c.T("provisional")))
	}
	if line := m.statusData(); line != "" {
		st := s.Faint
		if !m.v.LiveStatus {
			st = s.Label
		}
		out = append(out, st.Render(line))
	}
	return m.withTemp(out)
}

// earlierWords says what the earlier check decided: its verdict, and
// its disposition or temperature.
func (m checkModel) earlierWords(e earlierCheck) string {
	c := m.c
	w := c.T("verdict." + e.verdict.String())
	switch {
	case e.verdict != healthcode.VerdictPass && e.disposition != healthcode.DispositionNone:
		w += ": " + e.disposition.Label(c.lang)
	case e.temp != 0:
		w += ", " + e.temp.String() + " °C"
	}
	return w
}

// statusData says which status data the colour was checked against: the
// province online, or the list cached at a time ("" for a code that did
// not verify: it has no colour to check).
func (m checkModel) statusData() string {
	c := m.c
	switch {
	case !m.v.Valid:
		return ""
	case m.v.LiveStatus:
		return c.T("livestatus")
	case m.v.StatusFetched.IsZero():
		return c.T("status.nolist")
	}
	at := c.local(m.v.StatusFetched)
	layout := "15:04"
	if y, mo, d := at.Date(); y != c.local(c.now()).Year() || mo != c.local(c.now()).Month() || d != c.local(c.now()).Day() {
		layout = "01-02 15:04"
	}
	return c.T("status.cached", at.Format(layout))
}

func (m checkModel) withTemp(out []string) []string {
	if m.temp == 0 {
		return out
	}
	t := m.c.T("temp.label") + ": " + m.temp.String() + " °C"
	if m.firstTemp != 0 {
		t += "  (" + m.c.T("temp.first") + " " + m.firstTemp.String() + " °C)"
	}
	if m.dec.Fever {
		return append(out, m.c.styles.Error.Render(t))
	}
	return append(out, m.c.styles.Label.Render(t))
}

// stepLines show what the operator does now.
func (m checkModel) stepLines(width int) []string {
	c, s := m.c, m.c.styles
	if m.leaving {
		return []string{s.Warn.Render(c.T("leave.ask"))}
	}
	var out []string
	switch m.step {
	case stepTemperature:
		out = append(out, s.Title.Render(c.T("temp.ask")))
		line := s.Label.Render(c.T("temp.label")+": ") + s.Selected.Render(" "+m.tempInput+"_ ") + " °C"
		if t, err := healthcode.ParseTemperature(m.tempInput); err == nil && !strings.ContainsAny(m.tempInput, ".,") && len(m.tempInput) == 3 {
			line += s.Faint.Render("  = " + t.String() + " °C")
		}
		out = append(out, line)
		if m.tempErr != "" {
			out = append(out, s.Error.Render(m.tempErr))
		}
	case stepFever:
		feverAt := c.set.Policy.FeverAt
		if feverAt == 0 {
			feverAt = healthcode.FeverThreshold
		}
		out = append(out, s.Error.Render(c.T("fever.offer", feverAt.String())))
	case stepDisposition:
		out = append(out, s.Title.Render(c.T("disp.ask", len(m.choices))))
		out = append(out, m.picker(width)...)
	case stepSaving:
		out = append(out, s.Faint.Render(c.T("saving")))
	case stepSaved:
		if m.rec.Verdict == healthcode.VerdictPass && !m.rec.Fever && c.set.AutoNext > 0 {
			out = append(out, s.Good.Render(c.T("saved")))
		} else {
			out = append(out, s.Good.Render(c.T("saved.next"))+s.Faint.Render("  ("+m.rec.Disposition.Label(c.lang)+")"))
		}
	case stepSaveFailed:
		out = append(out, s.Error.Render(c.T("savefail", clean(fmt.Sprint(m.saveErr), 120))))
	}
	if m.notice != "" {
		out = append(out, s.Warn.Render(m.notice))
	}
	return out
}

// picker lays the dispositions out in as few lines as the width allows.
func (m checkModel) picker(width int) []string {
	c, s := m.c, m.c.styles
	var lines []string
	line, lw := "", 0
	for i, d := range m.choices {
		label := fmt.Sprintf("%d %s", i+1, d.Label(c.lang))
		if d == m.dec.DefaultDisposition {
			label += " (" + c.T("default") + ")"
		}
		var item string
		if i == m.choice {
			item = s.Selected.Render("▶ " + label + " ")
		} else {
			item = "  " + label + " "
		}
		w := lipgloss.Width(item) + 1
		if lw > 0 && lw+w > width {
			lines = append(lines, line)
			line, lw = "", 0
		}
		line += item + " "
		lw += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// View draws the whole check into width×height. While keys are kept from
// the person (hold), a prompt that takes keys is not shown yet: it appears
// when keys reach them.
func (m checkModel) View(width, height int, hold bool) string {
	roomy := height >= 18 && width >= 56
	band := m.band(width, roomy)
	details := m.details(width)
	steps := m.stepLines(width)
	if hold && m.awaitsDecision() {
		// Only a prompt that takes keys waits; "saved" shows at once.
		steps = []string{m.c.styles.Faint.Render("…")}
	}
	for i := range details {
		details[i] = wrapLines(details[i], width)
	}
	for i := range steps {
		steps[i] = wrapLines(steps[i], width)
	}
	body := band + "\n" + strings.Join(details, "\n")
	if len(steps) > 0 {
		body += "\n\n" + strings.Join(steps, "\n")
	}
	if roomy && lipgloss.Height(body) > height {
		return m.View(width, 0, hold) // too tall with the big letters: drop them
	}
	return body
}
