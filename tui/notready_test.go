package tui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"hcscan/tui"
)

// A scanner with no issuers' list (not enrolled, no --trust) says so
// before and at sign-in, in words, and marks nobody invalid for it: a
// code read waits (and says so), manual entry still works.
func TestNotSetUpChecksNobody(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		for _, sz := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", lang, sz[0], sz[1]), func(t *testing.T) {
				r := startScreenIn(t, func(w *world) { w.trust = nil }, lang, sz[0], sz[1], nil)
				r.waitText("notready")
				r.signIn2()
				r.scan(r.w.green(t))
				r.waitText(map[string]string{"zh": "本机设置好后再核验", "en": "to check once this scanner is set up: 1"}[lang])
				view := r.finish()
				checkFits(t, view, sz[0], sz[1])
				golden.RequireEqual(t, []byte(view))
				if recs := r.sc.records(t); len(recs) != 0 {
					t.Fatalf("a scanner that is not set up saved %d records: %+v", len(recs), recs)
				}
				if !strings.Contains(view, text(lang, "notready")) {
					t.Fatalf("the ready screen does not say the scanner is not set up:\n%s", view)
				}
			})
		}
	}
}

// signIn2 signs in and waits for the ready screen whatever it says.
func (r *screenRun) signIn2() {
	r.tm.Send(tui.SignedIn("王芳"))
	r.waitText("hcscan enroll")
}
