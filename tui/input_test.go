package tui_test

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"hcscan/healthcode"
	"hcscan/tui"
)

// Keys typed faster than the terminal is read arrive as one message; each
// must still count as the key it is (here: r to re-measure, then digits).
func TestFastTypingIsSplitIntoKeys(t *testing.T) {
	r := startScreen(t, "en", 80, 24, nil)
	r.signIn()
	r.scan(r.w.green(t))
	r.waitText("temp.ask")
	r.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("38.2")})
	r.keys("enter")
	r.waitText("measure again")
	r.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("r36.9")})
	r.keys("enter")
	r.waitText("saved")
	r.finish()
	recs := r.sc.records(t)
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	if got := recs[0]; got.Temperature != 369 || got.Fever || got.Verdict != healthcode.VerdictPass {
		t.Errorf("record: temperature %v fever %v verdict %v; want 36.9, no fever, pass", got.Temperature, got.Fever, got.Verdict)
	}
}

// A handheld scanner types the payload (a terminal often delivers it as
// one message) and Enter; an operator typing a name that starts with H
// in the manual form must still get every letter.
func TestKeyboardWedge(t *testing.T) {
	r := startScreen(t, "en", 80, 24, func(s *tui.Settings) { s.Policy.TakeTemperature = false })
	r.signIn()
	payload := r.w.green(t)
	r.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(payload[:10])})
	r.tm.Type(payload[10:])
	r.keys("enter")
	r.waitText("saved")
	r.keys("enter")
	r.waitText("ready.hint")
	r.keys("m")
	r.waitText("manual")
	r.tm.Type("Hans Muller")
	r.keys("tab")
	r.tm.Type("X1234567")
	r.keys("tab tab enter")
	r.waitText("disp.ask")
	r.keys("enter")
	r.waitText("saved")
	r.finish()
	recs := r.sc.records(t)
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	if recs[0].Verdict != healthcode.VerdictPass || recs[0].CodeHash.IsZero() {
		t.Errorf("wedge scan: %+v", recs[0])
	}
	if m := recs[1]; !m.Manual || m.Name != "H*** M*****" || m.IDMasked != "X1****67" || m.Verdict != healthcode.VerdictPass {
		t.Errorf("manual entry: name %q ID %q manual %v", m.Name, m.IDMasked, m.Manual)
	}
}
