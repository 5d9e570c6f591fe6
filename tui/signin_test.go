package tui_test

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
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
