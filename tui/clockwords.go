package tui

import (
	"fmt"
	"time"

	"hcscan/healthcode"
)

// The clock in words an operator acts on: how far this laptop's clock is
// from the province's, whether it was moved, and whether the province has
// confirmed the time at all. The status bar gets the short form, the
// ready screen the sentences, and a verdict that depends on the time says
// which time it went by.

// clockWarn is how far the laptop's clock may be off before the screen
// says so.
func (c *common) clockWarn() time.Duration {
	if c.set.ClockWarn > 0 {
		return c.set.ClockWarn
	}
	return time.Minute
}

// span says a duration in words ("1 day", "2 hours 30 minutes", "100
// seconds"), in at most two units, rounded to the smaller one.
func span(c *common, d time.Duration) string {
	unit := func(n int64, zh, en string) string {
		switch {
		case !c.en():
			return fmt.Sprintf("%d%s", n, zh)
		case n == 1:
			return "1 " + en
		}
		return fmt.Sprintf("%d %ss", n, en)
	}
	two := func(d, big, small time.Duration, bzh, ben, szh, sen string) string {
		d = d.Round(small)
		out := unit(int64(d/big), bzh, ben)
		if rest := int64(d % big / small); rest > 0 {
			if c.en() {
				out += " "
			}
			out += unit(rest, szh, sen)
		}
		return out
	}
	switch d = d.Abs(); {
	case d >= 24*time.Hour-30*time.Minute:
		return two(d, 24*time.Hour, time.Hour, "天", "day", "小时", "hour")
	case d >= time.Hour-30*time.Second:
		return two(d, time.Hour, time.Minute, "小时", "hour", "分钟", "minute")
	case d >= 2*time.Minute:
		return unit(int64(d.Round(time.Minute)/time.Minute), "分钟", "minute")
	}
	return unit(int64(d.Round(time.Second)/time.Second), "秒", "second")
}

// clockOff reports whether the laptop's clock is far enough from the
// province's to say so.
func (c *common) clockOff(m healthcode.Moment) bool {
	return m.Confirmed && m.Offset().Abs() > c.clockWarn()
}

// clockSentences are the ready screen's notes about the clock, each one
// what the operator needs to know and do. confirmable: this scanner syncs
// with a province, so "not confirmed" is news.
func clockSentences(c *common, m healthcode.Moment, confirmable bool) []string {
	var out []string
	switch {
	case c.clockOff(m) && m.Offset() > 0:
		out = append(out, c.T("clock.behind", span(c, m.Offset())))
	case c.clockOff(m):
		out = append(out, c.T("clock.ahead", span(c, m.Offset())))
	case m.Behind():
		out = append(out, c.T("clock.behindseen", c.local(m.Seen).Format("01-02 15:04")))
	case !m.Confirmed && confirmable:
		out = append(out, c.T("clock.unconfirmed"))
	}
	if m.Jumped() {
		s := c.T("clock.setback", span(c, m.Jump))
		if m.Jump > 0 {
			s = c.T("clock.setforward", span(c, m.Jump))
		}
		if m.Confirmed {
			s += c.T("clock.keep")
		} else {
			s += c.T("clock.marked")
		}
		out = append(out, s)
	}
	return out
}

// clockSegments are the status bar's short forms of the same.
func clockSegments(c *common, m healthcode.Moment, confirmable bool) []string {
	var out []string
	switch {
	case c.clockOff(m) && m.Offset() > 0:
		out = append(out, "⚠ "+c.T("bar.clockbehind", span(c, m.Offset())))
	case c.clockOff(m):
		out = append(out, "⚠ "+c.T("bar.clockahead", span(c, m.Offset())))
	case m.Behind():
		out = append(out, "⚠ "+c.T("bar.clockbehindseen"))
	case !m.Confirmed && confirmable:
		out = append(out, "⚠ "+c.T("bar.unconfirmed"))
	}
	if m.Jumped() {
		if m.Jump < 0 {
			out = append(out, "⚠ "+c.T("bar.setback", span(c, m.Jump)))
		} else {
			out = append(out, "⚠ "+c.T("bar.setforward", span(c, m.Jump)))
		}
	}
	return out
}

// verdictClock is the line under a verdict that depends on the time
// (a valid code's dates were checked, or it was refused for its dates):
// which time it went by, when that is news. "" when it is not.
func verdictClock(c *common, v Verification, confirmable bool) string {
	res, m := v.Result, v.At
	if !res.Valid && !res.Reason.DependsOnClock() {
		return ""
	}
	switch {
	case res.ClockUnsure:
		return "" // the provisional line says it
	case c.clockOff(m) || (m.Confirmed && m.Jumped()):
		return c.T("verdict.byprovince", clockFromProvince(c, m))
	case !m.Confirmed && confirmable:
		return c.T("verdict.bylaptop")
	}
	return ""
}

// clockFromProvince says how the laptop's clock stands against the
// province's ("this laptop's clock is 1 day behind").
func clockFromProvince(c *common, m healthcode.Moment) string {
	switch off := m.Offset(); {
	case off.Abs() <= c.clockWarn() && m.Jumped() && m.Jump < 0:
		return c.T("clock.setback", span(c, m.Jump))
	case off.Abs() <= c.clockWarn() && m.Jumped():
		return c.T("clock.setforward", span(c, m.Jump))
	case off.Abs() <= c.clockWarn():
		return c.T("clock.right")
	case off > 0:
		return c.T("clock.isbehind", span(c, off))
	default:
		return c.T("clock.isahead", span(c, off))
	}
}
