package tui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"hcscan/healthcode"
	"hcscan/tui"
)

// screenRun is one screen test: a real store in t.TempDir(), real codes
// verified against a real trust list by the production adapters, and the
// program run by teatest.
type screenRun struct {
	t    *testing.T
	lang string
	w    *world
	sc   *scanner
	m    *tui.Model
	tm   *teatest.TestModel
}

func startScreen(t *testing.T, lang string, width, height int, adjust func(*tui.Settings)) *screenRun {
	t.Helper()
	return startScreenIn(t, nil, lang, width, height, adjust)
}

// startScreenIn is startScreen in a world changed by change first.
func startScreenIn(t *testing.T, change func(*world), lang string, width, height int, adjust func(*tui.Settings)) *screenRun {
	t.Helper()
	w := newWorld(t)
	if change != nil {
		change(w)
	}
	now := func() time.Time { return testNow }
	set := testSettings(lang)
	if adjust != nil {
		adjust(&set)
	}
	sc := w.openScanner(t, now, set.Policy)
	m := tui.New(context.Background(), sc.deps(now), set)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(width, height))
	return &screenRun{t: t, lang: lang, w: w, sc: sc, m: m, tm: tm}
}

// waitText waits until the screen shows text (in the run's language when
// it is a text key).
func (r *screenRun) waitText(s string) {
	r.t.Helper()
	s = text(r.lang, s)
	if i := strings.Index(s, "%"); i > 0 {
		s = s[:i]
	}
	teatest.WaitFor(r.t, r.tm.Output(), func(b []byte) bool { return strings.Contains(string(b), s) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
}

func (r *screenRun) signIn() {
	r.tm.Send(tui.SignedIn("王芳"))
	r.waitText("ready.hint")
}

func (r *screenRun) scan(payload string) {
	r.tm.Send(tui.Scanned(tui.Scan{Text: payload, At: testNow, Source: tui.SourceCamera}))
}

func (r *screenRun) keys(s string) {
	for _, k := range strings.Split(s, " ") {
		switch k {
		case "enter":
			r.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
		case "esc":
			r.tm.Send(tea.KeyMsg{Type: tea.KeyEscape})
		case "tab":
			r.tm.Send(tea.KeyMsg{Type: tea.KeyTab})
		case "down":
			r.tm.Send(tea.KeyMsg{Type: tea.KeyDown})
		default:
			r.tm.Type(k)
		}
	}
}

// finish stops the program and returns the final screen, with the
// counters read from the store as they are now (the 1 s refresh may not
// have run yet).
func (r *screenRun) finish() string {
	r.t.Helper()
	if err := r.tm.Quit(); err != nil {
		r.t.Fatal(err)
	}
	fm := r.tm.FinalModel(r.t, teatest.WithFinalTimeout(5*time.Second)).(*tui.Model)
	if s, err := r.sc.store.Stats(testNow); err == nil {
		fm.SetStats(s)
	}
	return fm.View()
}

// screenCases are every screen and every verdict.
var screenCases = []struct {
	name   string
	adjust func(*tui.Settings)
	drive  func(r *screenRun)
}{
	{"signin", nil, func(r *screenRun) { r.waitText("signin.hint") }},
	{"ready", nil, func(r *screenRun) { r.signIn() }},
	{"temperature", nil, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.green(r.t))
		r.waitText("temp.ask")
	}},
	{"pass", nil, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.green(r.t))
		r.waitText("temp.ask")
		r.keys("36.5 enter")
		r.waitText("saved")
	}},
	{"pass_live_no_temperature", func(s *tui.Settings) { s.Policy.TakeTemperature = false }, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.dynamic(r.t, testNow.Add(-10*time.Second)))
		r.waitText("saved")
	}},
	{"pass_holder_korean", func(s *tui.Settings) { s.Policy.TakeTemperature = false }, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.code(r.t, healthcode.Green, "Kim Minsu", "M12345678", "ko", testNow.Add(-time.Hour), 72*time.Hour))
		r.waitText("saved")
	}},
	{"stop_yellow", nil, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.code(r.t, healthcode.Yellow, "赵六", "310101198001011234", "zh", testNow.Add(-time.Hour), 72*time.Hour))
		r.waitText("temp.ask")
		r.keys("36.4 enter")
		r.waitText("disp.ask")
	}},
	{"stop_red", nil, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.code(r.t, healthcode.Red, "孙七", "440101197001011234", "zh", testNow.Add(-time.Hour), 72*time.Hour))
		r.waitText("temp.ask")
		r.keys("36.6 enter")
		r.waitText("disp.ask")
	}},
	{"stop_saved", nil, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.code(r.t, healthcode.Yellow, "赵六", "310101198001011234", "zh", testNow.Add(-time.Hour), 72*time.Hour))
		r.waitText("temp.ask")
		r.keys("36.4 enter")
		r.waitText("disp.ask")
		r.keys("enter")
		r.waitText("saved.next")
	}},
	{"invalid_forged", nil, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.forged(r.t))
		r.waitText("disp.ask")
	}},
	{"invalid_expired", nil, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.code(r.t, healthcode.Green, "周八", "110105199001015678", "zh", testNow.Add(-80*time.Hour), 72*time.Hour))
		r.waitText("disp.ask")
	}},
	{"invalid_not_a_health_code", nil, func(r *screenRun) {
		r.signIn()
		r.scan("https://example.com/\x1b[31mred\x1b[0m")
		r.waitText("disp.ask")
	}},
	{"fever", nil, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.green(r.t))
		r.waitText("temp.ask")
		r.keys("38.2 enter")
		r.waitText("37.3")
	}},
	{"temperature_typo", nil, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.green(r.t))
		r.waitText("temp.ask")
		r.keys("3.65 enter")
		r.waitText("42.5")
	}},
	{"save_failed", func(s *tui.Settings) { s.Policy.TakeTemperature = false }, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.forged(r.t))
		r.waitText("disp.ask")
		r.sc.st.Close() // the data file is gone from under the screen
		r.keys("enter")
		r.waitText("savefail")
	}},
	{"leave_confirm", nil, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.green(r.t))
		r.waitText("temp.ask")
		r.keys("esc")
		r.waitText(map[string]string{"zh": "不作决定就让此人离开", "en": "Let this person go"}[r.lang])
	}},
	{"waiting", nil, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.green(r.t))
		r.waitText("temp.ask")
		r.scan(r.w.forged(r.t))
		r.waitText(map[string]string{"zh": "等候核验:还有 1 人", "en": "waiting to be checked next: 1"}[r.lang])
	}},
	{"repeat", func(s *tui.Settings) { s.RepeatWindow = 10 * time.Minute }, func(r *screenRun) {
		r.signIn()
		code := r.w.green(r.t)
		r.scan(code)
		r.waitText("temp.ask")
		r.keys("365 enter")
		r.waitText("saved")
		r.keys("enter")
		r.waitText("ready.hint")
		r.scan(code)
		r.waitText("saved") // the repeat needs no key
	}},
	{"group_of_three", nil, func(r *screenRun) {
		r.signIn()
		for i := range 3 {
			code := r.w.code(r.t, healthcode.Green, fmt.Sprintf("王小%d", i), fmt.Sprintf("11010520150101%04d", i), "zh", testNow.Add(-time.Hour), 72*time.Hour)
			r.tm.Send(tui.Scanned(tui.Scan{Text: code, At: testNow, Source: tui.SourceCamera, Group: 1, Index: i + 1, Of: 3}))
		}
		r.waitText("temp.ask")
	}},
	{"manual_form", nil, func(r *screenRun) {
		r.signIn()
		r.keys("m")
		r.waitText("manual")
	}},
	{"manual_saved", nil, func(r *screenRun) {
		r.signIn()
		r.keys("m")
		r.waitText("manual")
		r.tm.Type("Li Hua")
		r.keys("tab")
		r.tm.Type("110105195001011234")
		r.keys("tab")
		r.tm.Type("13800000000")
		r.keys("tab")
		r.tm.Type("no phone")
		r.keys("enter")
		r.waitText("temp.ask")
		r.keys("36.6 enter")
		r.waitText("disp.ask")
		r.keys("enter")
		r.waitText("saved")
	}},
	{"records", nil, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.green(r.t))
		r.waitText("temp.ask")
		r.keys("36.5 enter")
		r.waitText("saved")
		r.scan(r.w.forged(r.t))
		r.waitText("disp.ask")
		r.keys("enter")
		r.waitText("saved.next")
		r.keys("enter")
		r.waitText("ready.hint")
		r.keys("r")
		r.waitText("records.hint")
	}},
	{"sync_offline_only", nil, func(r *screenRun) {
		r.signIn()
		r.keys("s")
		r.waitText("sync.none")
	}},
	{"help", nil, func(r *screenRun) {
		r.signIn()
		r.keys("?")
		r.waitText("help.title")
	}},
	{"locked", nil, func(r *screenRun) {
		r.signIn()
		r.keys("k")
		r.waitText("locked")
	}},
	{"summary", func(s *tui.Settings) { s.Policy.TakeTemperature = false }, func(r *screenRun) {
		r.signIn()
		r.scan(r.w.green(r.t))
		r.waitText("saved")
		r.keys("enter o")
		r.waitText("summary.hint")
	}},
}

// TestScreens draws every screen and verdict at 80×24 and 120×40 (and the
// verdicts at 60×20, where the screen must degrade without garbling) in
// both languages, against golden files (go test ./tui -update rewrites them).
func TestScreens(t *testing.T) {
	sizes := [][2]int{{80, 24}, {120, 40}, {60, 20}}
	for _, lang := range []string{"zh", "en"} {
		for _, sz := range sizes {
			for _, tc := range screenCases {
				if sz[0] == 60 && !strings.HasPrefix(tc.name, "pass") && !strings.HasPrefix(tc.name, "stop") && !strings.HasPrefix(tc.name, "invalid") && tc.name != "ready" {
					continue
				}
				t.Run(fmt.Sprintf("%s/%dx%d/%s", lang, sz[0], sz[1], tc.name), func(t *testing.T) {
					t.Parallel()
					r := startScreen(t, lang, sz[0], sz[1], tc.adjust)
					tc.drive(r)
					view := r.finish()
					checkFits(t, view, sz[0], sz[1])
					golden.RequireEqual(t, []byte(view))
				})
			}
		}
	}
}

// checkFits fails when the screen would scroll or wrap: more lines than
// the terminal, or a line wider than it.
func checkFits(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("%d lines on a %d-line terminal", len(lines), h)
	}
	for i, l := range lines {
		if lw := displayWidth(l); lw > w {
			t.Errorf("line %d is %d cells wide on a %d-cell terminal: %q", i+1, lw, w, l)
		}
	}
}

// The status bar shows the ages of the very trust and status data the
// verdict was reached with: fresh status data gives a firm pass and its
// age; none gives a provisional pass and says so in the bar.
func TestStatusBarShowsTheDataTheVerdictUsed(t *testing.T) {
	for _, tc := range []struct {
		name        string
		fetched     time.Duration // before testNow; 0: never
		provisional bool
		bar         []string
	}{
		{"fresh", 10 * time.Minute, false, []string{"issuers 1h", "status 10m"}},
		{"stale", 30 * time.Hour, true, []string{"issuers 1h", "status 30h stale"}},
		{"none", 0, true, []string{"issuers 1h", "status none"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startScreenIn(t, func(w *world) {
				w.fetched = time.Time{}
				if tc.fetched > 0 {
					w.fetched = testNow.Add(-tc.fetched)
				}
			}, "en", 120, 40, func(s *tui.Settings) { s.Policy.TakeTemperature = false })
			r.signIn()
			r.scan(r.w.green(t))
			r.waitText("saved")
			view := r.finish()
			bar := strings.Join(strings.Split(view, "\n")[:3], "\n")
			for _, want := range tc.bar {
				if !strings.Contains(bar, want) {
					t.Errorf("status bar lacks %q:\n%s", want, bar)
				}
			}
			if got := strings.Contains(view, text("en", "provisional")); got != tc.provisional {
				t.Errorf("provisional shown = %v, want %v:\n%s", got, tc.provisional, view)
			}
			recs := r.sc.records(t)
			if len(recs) != 1 || recs[0].Provisional != tc.provisional || recs[0].Verdict != healthcode.VerdictPass {
				t.Errorf("records %+v; want one pass, provisional %v", recs, tc.provisional)
			}
		})
	}
}
