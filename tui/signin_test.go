package tui_test

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"hcscan/tui"
)

// A wrong PIN says how many tries are left; the lock-out after the last
// says until when, in the screen's language (not the store's English).
func TestWrongPINCountsDownToALockInTheScreensLanguage(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			r := startScreen(t, lang, 80, 24, nil)
			if err := r.sc.st.AddOperator("wangfang", "2468"); err != nil {
				t.Fatal(err)
			}
			r.waitText("signin.hint")
			r.tm.Type("wangfang")
			r.keys("enter")
			want := map[string][]string{
				"zh": {"还可再试 4 次", "还可再试 3 次", "还可再试 2 次", "还可再试 1 次", "已锁定"},
				"en": {"4 more tries", "3 more tries", "2 more tries", "1 more tries", "locked, try again at 09:05"},
			}[lang]
			for _, w := range want {
				r.tm.Type("0000")
				r.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
				r.waitText(w)
			}
			view := r.finish()
			if strings.Contains(view, "may try again") || strings.Contains(view, "operator wangfang") {
				t.Fatalf("the store's English sentence is on screen:\n%s", view)
			}
		})
	}
}

// Quitting (ctrl+c) with a person on screen who has no decision yet
// records them as left without a decision; codes still waiting are
// counted (hcscan run says so once the terminal is back).
func TestQuitLosesNobody(t *testing.T) {
	r := startScreen(t, "en", 80, 24, nil)
	r.signIn()
	r.scan(r.w.green(t))
	r.waitText("temp.ask")
	r.scan(r.w.forged(t))
	r.waitText("waiting to be checked next: 1")
	r.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm := r.tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*tui.Model)
	recs := r.sc.records(t)
	if len(recs) != 1 || !recs[0].Abandoned || recs[0].Name != "张*丰" || recs[0].Operator != "王芳" {
		t.Fatalf("records after quitting: %+v; want the person on screen, left without a decision", recs)
	}
	if n := fm.Unchecked(); n != 1 {
		t.Fatalf("%d codes counted unchecked, want 1", n)
	}
}
