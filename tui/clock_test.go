package tui_test

import (
	"context"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"hcscan/healthcode"
	"hcscan/internal/screenwire"
	"hcscan/internal/trustclock"
	"hcscan/store"
	"hcscan/tui"
)

// laptop is the scanner's machine: a wall clock anyone can set and a
// monotonic clock nobody can. The province's time is testNow when the
// monotonic clock reads startMono.
type laptop struct {
	mu   gosync.Mutex
	wall time.Time
	mono time.Duration
}

const startMono = time.Hour

func (l *laptop) Wall() time.Time     { l.mu.Lock(); defer l.mu.Unlock(); return l.wall }
func (l *laptop) Mono() time.Duration { l.mu.Lock(); defer l.mu.Unlock(); return l.mono }
func (l *laptop) Boot() string        { return "boot-1" }

// pass lets d go by on both clocks.
func (l *laptop) pass(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.wall, l.mono = l.wall.Add(d), l.mono+d
}

// set moves the wall clock only.
func (l *laptop) set(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.wall = l.wall.Add(d)
}

// truth is the province's time now.
func (l *laptop) truth() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return testNow.Add(l.mono - startMono)
}

// clockRun is a screen on a scanner whose clock is a real trustclock
// over laptop and the data file, as hcscan run wires it.
type clockRun struct {
	*screenRun
	lap *laptop
	clk *trustclock.Clock
}

// startClockScreen opens a scanner whose laptop clock is off by off from
// the province's; synced: a sync measured the province's time at testNow
// (and fetched the status data then). Temperatures are off, so a pass is
// saved at once.
// seed, when not nil, fills the data file before the clock reads it.
func startClockScreen(t *testing.T, lang string, off time.Duration, synced bool, seed func(*store.Store)) *clockRun {
	t.Helper()
	w := newWorld(t)
	lap := &laptop{wall: testNow.Add(off), mono: startMono}
	var clk *trustclock.Clock
	st, err := store.Open(filepath.Join(t.TempDir(), "hcscan.db"), store.Options{Now: func() time.Time {
		if clk == nil {
			return lap.Wall()
		}
		return clk.Now()
	}, Location: testNow.Location()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if seed != nil {
		seed(st)
	}
	clk = trustclock.New(lap, trustclock.Options{Settings: st, Seen: st.LatestSeen})
	r := &clockRun{lap: lap, clk: clk}
	if synced {
		clk.Observe(testNow, lap.Mono(), lap.Mono())
		if _, err := st.ApplyStatus(nil, 1, clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	set := testSettings(lang)
	set.Policy.TakeTemperature = false
	sc := &scanner{st: st, store: screenwire.NewStore(st, w.trust),
		checker: screenwire.NewChecker(st, screenwire.CheckerOptions{Fixed: w.trust, Policy: set.Policy, Clock: clk})}
	r.screenRun = &screenRun{t: t, lang: lang, w: w, sc: sc}
	events := clk.Watch(t.Context(), 10*time.Millisecond)
	r.m = tui.New(context.Background(), tui.Deps{Store: sc.store, Verify: sc.checker.Verify, Clock: clk, ClockEvents: events}, set)
	r.tm = teatest.NewTestModel(t, r.m, teatest.WithInitialTermSize(120, 40))
	return r
}

// screenText is the screen now, with the counters the store has.
func (r *clockRun) screenText() string {
	r.t.Helper()
	if err := r.tm.Quit(); err != nil {
		r.t.Fatal(err)
	}
	fm := r.tm.FinalModel(r.t, teatest.WithFinalTimeout(5*time.Second)).(*tui.Model)
	if s, err := r.sc.store.Stats(r.clk.Now()); err == nil {
		fm.SetStats(s)
	}
	return fm.View()
}

func wantWords(t *testing.T, screen string, words ...string) {
	t.Helper()
	flat := strings.Join(strings.Fields(screen), " ")
	for _, w := range words {
		if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
			t.Errorf("the screen does not say %q:\n%s", w, screen)
		}
	}
}

// Each row of the table of a shifted laptop clock: the scanner synced, so
// the verdict goes by the province's time whatever the laptop's clock
// says; the screen says how far off the laptop's clock is, and the
// verdict which time it went by; the record keeps both times.
func TestVerdictsGoByTheProvincesTime(t *testing.T) {
	type shown struct {
		verdict healthcode.Verdict
		reason  healthcode.Reason
		words   []string
	}
	day := 24 * time.Hour
	for _, tc := range []struct {
		name string
		off  time.Duration // laptop clock − province's
		code func(w *world, t *testing.T) string
		want shown
	}{
		{"1 day behind, code expired 2 h ago", -day, func(w *world, t *testing.T) string {
			return w.code(t, healthcode.Green, "周八", "110105199001015678", "zh", testNow.Add(-74*time.Hour), 72*time.Hour)
		}, shown{healthcode.VerdictInvalid, healthcode.ReasonExpired, []string{
			"the code has expired", "by the province's time (this laptop's clock is 1 day behind)", "laptop clock 1 day behind"}}},
		{"1 day behind, a new code", -day, func(w *world, t *testing.T) string {
			return w.code(t, healthcode.Green, "张三丰", "110105199001011234", "zh", testNow.Add(-10*time.Minute), 72*time.Hour)
		}, shown{healthcode.VerdictPass, healthcode.ReasonOK, []string{"by the province's time (this laptop's clock is 1 day behind)"}}},
		{"1 day ahead, code valid 12 more hours", day, func(w *world, t *testing.T) string {
			return w.code(t, healthcode.Green, "张三丰", "110105199001011234", "zh", testNow.Add(-60*time.Hour), 72*time.Hour)
		}, shown{healthcode.VerdictPass, healthcode.ReasonOK, []string{"by the province's time (this laptop's clock is 1 day ahead)", "laptop clock 1 day ahead"}}},
		{"1 day ahead, code issued 2 h in the future", day, func(w *world, t *testing.T) string {
			return w.code(t, healthcode.Green, "张三丰", "110105199001011234", "zh", testNow.Add(2*time.Hour), 72*time.Hour)
		}, shown{healthcode.VerdictInvalid, healthcode.ReasonNotYetValid, []string{"not valid yet", "by the province's time (this laptop's clock is 1 day ahead)"}}},
		{"10 min ahead, code valid 3 more minutes", 10 * time.Minute, func(w *world, t *testing.T) string {
			return w.code(t, healthcode.Green, "张三丰", "110105199001011234", "zh", testNow.Add(-72*time.Hour+3*time.Minute), 72*time.Hour)
		}, shown{healthcode.VerdictPass, healthcode.ReasonOK, []string{"by the province's time (this laptop's clock is 10 minutes ahead)", "laptop clock 10 minutes ahead"}}},
		{"100 s ahead, a live code", 100 * time.Second, func(w *world, t *testing.T) string {
			return w.dynamic(t, testNow.Add(-5*time.Second))
		}, shown{healthcode.VerdictPass, healthcode.ReasonOK, []string{"live code", "this laptop's clock is 100 seconds ahead"}}},
		{"100 s behind, a live code", -100 * time.Second, func(w *world, t *testing.T) string {
			return w.dynamic(t, testNow.Add(-5*time.Second))
		}, shown{healthcode.VerdictPass, healthcode.ReasonOK, []string{"live code", "this laptop's clock is 100 seconds behind"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startClockScreen(t, "en", tc.off, true, nil)
			r.signIn()
			r.scan(tc.code(r.w, t))
			if tc.want.verdict == healthcode.VerdictPass {
				r.waitText("saved")
			} else {
				r.waitText("disp.ask")
				r.keys("enter")
				r.waitText("saved.next")
			}
			screen := r.screenText()
			wantWords(t, screen, tc.want.words...)
			recs := r.sc.records(t)
			if len(recs) != 1 {
				t.Fatalf("%d records", len(recs))
			}
			rec := recs[0]
			if rec.Verdict != tc.want.verdict || (tc.want.reason != healthcode.ReasonOK && rec.Reason != tc.want.reason) || rec.Provisional {
				t.Errorf("record: verdict %s reason %s provisional %v; want %s %s", rec.Verdict, rec.Reason, rec.Provisional, tc.want.verdict, tc.want.reason)
			}
			if !rec.CorrectedTime.Equal(testNow) || !rec.Time.Equal(testNow.Add(tc.off)) || rec.TimeSource != healthcode.TimeProvince ||
				rec.ClockOffset != -tc.off || rec.ClockJump != 0 {
				t.Errorf("record times: time %v corrected %v source %s offset %v jump %v", rec.Time, rec.CorrectedTime, rec.TimeSource, rec.ClockOffset, rec.ClockJump)
			}
		})
	}
}

// The ready screen says in words what to know about the clock.
func TestReadyScreenSaysHowFarOffTheLaptopClockIs(t *testing.T) {
	for _, tc := range []struct {
		lang  string
		off   time.Duration
		words []string
	}{
		{"en", -24 * time.Hour, []string{"this laptop's clock is 1 day behind; verdicts use the province's time"}},
		{"zh", 24 * time.Hour, []string{"本机时钟快了1天;结论按省平台时间", "本机时钟快1天"}},
		{"en", 90 * time.Minute, []string{"this laptop's clock is 1 hour 30 minutes ahead; verdicts use the province's time"}},
		{"en", 30 * time.Second, nil},
	} {
		r := startClockScreen(t, tc.lang, tc.off, true, nil)
		r.signIn()
		screen := r.screenText()
		wantWords(t, screen, tc.words...)
		if tc.words == nil && (strings.Contains(screen, "clock") || strings.Contains(screen, "⚠")) {
			t.Errorf("a laptop clock 30 s off is worth no words:\n%s", screen)
		}
	}
}

// Row "set back 1 h during a run": the jump is seen at the first look
// after it, from the monotonic clock, and the screen says so without
// waiting for anything else; the records keep the province's time and
// carry the jump, after a second jump while offline too.
func TestClockSetBackDuringARun(t *testing.T) {
	r := startClockScreen(t, "en", 0, true, nil)
	r.signIn()
	green := func() string {
		return r.w.code(r.t, healthcode.Green, "张三丰", "110105199001011234", "zh", testNow.Add(-time.Hour), 72*time.Hour)
	}
	r.scan(green())
	r.waitText("saved")
	r.keys("enter")
	r.lap.pass(time.Minute)
	r.lap.set(-time.Hour)
	r.waitText("this laptop's clock was set back 1 hour; verdicts and records keep the province's time")
	r.scan(green())
	r.waitText("saved")
	r.keys("enter")
	r.lap.pass(time.Minute)
	r.lap.set(-time.Hour) // again, still offline
	r.waitText("this laptop's clock was set back 2 hours")
	r.scan(green())
	r.waitText("saved")
	screen := r.screenText()
	wantWords(t, screen, "clock set back 2 hours", "today passed 3")

	recs := r.sc.records(t)
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	for i, want := range []struct {
		corrected time.Time
		jump      time.Duration
	}{{testNow, 0}, {testNow.Add(time.Minute), -time.Hour}, {testNow.Add(2 * time.Minute), -2 * time.Hour}} {
		rec := recs[i]
		if !rec.CorrectedTime.Equal(want.corrected) || rec.ClockJump != want.jump || !rec.Time.Equal(want.corrected.Add(want.jump)) || rec.TimeSource != healthcode.TimeProvince {
			t.Errorf("record %d: time %v corrected %v jump %v; want corrected %v jump %v", i, rec.Time, rec.CorrectedTime, rec.ClockJump, want.corrected, want.jump)
		}
	}
}

// Row "synced at +1 h, clock corrected while offline": the status data's
// age is the province's time since it was fetched, so correcting the
// laptop's clock cannot make it look younger: 24 h 30 min later it is
// stale and a green pass is provisional.
func TestStatusAgeByTheProvincesTime(t *testing.T) {
	r := startClockScreen(t, "en", time.Hour, true, nil)
	r.lap.set(-time.Hour) // corrected while offline
	r.lap.pass(24*time.Hour + 30*time.Minute)
	r.signIn()
	r.scan(r.w.code(t, healthcode.Green, "张三丰", "110105199001011234", "zh", r.lap.truth().Add(-time.Hour), 72*time.Hour))
	r.waitText("saved")
	screen := r.screenText()
	wantWords(t, screen, "status 24h stale", text("en", "provisional"))
	recs := r.sc.records(t)
	if len(recs) != 1 || !recs[0].Provisional || recs[0].Verdict != healthcode.VerdictPass || !recs[0].CorrectedTime.Equal(r.lap.truth()) {
		t.Fatalf("records %+v", recs)
	}
}

// Never silently wrong: no sync since the laptop started, and its clock is
// a day behind the data file's last record. A code that looks valid by it
// (it expired 8 hours before the last record) is a provisional pass that
// says why, not a pass; a code issued after the laptop's clock is not
// refused as "not valid yet" either. The records say their time is a
// guess (device_behind), the latest time seen.
func TestClockBehindWhatWasSeenMakesVerdictsProvisional(t *testing.T) {
	r := startClockScreen(t, "en", -24*time.Hour, false, func(st *store.Store) {
		last := &healthcode.Record{DeviceID: "dev-1", Gate: "东门", Verdict: healthcode.VerdictPass, Name: "李四", IDMasked: "110105199202021234",
			Time: testNow, CorrectedTime: testNow, ScannedColour: healthcode.Green, EffectiveColour: healthcode.Green}
		if err := st.Append(context.Background(), last); err != nil {
			t.Fatal(err)
		}
	})
	r.signIn()
	for _, issued := range []time.Time{testNow.Add(-80 * time.Hour), testNow.Add(-time.Hour)} {
		r.scan(r.w.code(t, healthcode.Green, "张三丰", "110105199001011234", "zh", issued, 72*time.Hour))
		r.waitText("saved")
		r.keys("enter")
		r.waitText("ready.hint")
	}
	screen := r.screenText()
	wantWords(t, screen, "this laptop's clock is behind a time this scanner has already seen (11-29 09:00) and the province has not confirmed the time: verdicts are provisional until the next sync",
		"laptop clock behind: provisional")
	recs := r.sc.records(t)
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	for _, rec := range recs[1:] {
		if rec.Verdict != healthcode.VerdictPass || !rec.Provisional || rec.TimeSource != healthcode.TimeDeviceBehind ||
			!rec.CorrectedTime.Equal(testNow) || !rec.Time.Equal(testNow.Add(-24*time.Hour)) {
			t.Errorf("record: %s provisional %v source %s time %v corrected %v", rec.Verdict, rec.Provisional, rec.TimeSource, rec.Time, rec.CorrectedTime)
		}
	}
}

// The verdict itself says why it is provisional.
func TestProvisionalVerdictSaysTheClockIsBehind(t *testing.T) {
	r := startClockScreen(t, "en", -24*time.Hour, false, func(st *store.Store) {
		if _, err := st.ApplyStatus(nil, 1, testNow); err != nil {
			t.Fatal(err)
		}
	})
	r.signIn()
	r.scan(r.w.code(t, healthcode.Green, "张三丰", "110105199001011234", "zh", testNow.Add(-time.Hour), 72*time.Hour))
	r.waitText("saved")
	wantWords(t, r.screenText(), "PASS", `provisional: this laptop's clock is behind a time already seen (11-29 09:00), so the code's dates could not be checked: look at "valid until" above`)
}

// A provisional pass whose code the status data later shows red: the
// status bar counts it, the ready screen says so, the sync view lists it
// (time of the check, gate, masked name, colour) until an operator
// acknowledges it with a; the acknowledgement is kept with the operator's
// name and the province's time, waiting to be reported.
func TestAlertShownUntilAcknowledged(t *testing.T) {
	var prov *healthcode.Record
	r := startClockScreen(t, "en", -24*time.Hour, true, func(st *store.Store) {
		var id healthcode.CodeID
		id[0] = 7
		prov = &healthcode.Record{DeviceID: "dev-1", Gate: "东门", Operator: "王芳", Verdict: healthcode.VerdictPass, Provisional: true,
			Name: "张三丰", IDMasked: "110105199001011234", CodeHash: id.Hash(), Time: testNow.Add(-26 * time.Hour), CorrectedTime: testNow.Add(-2 * time.Hour),
			ScannedColour: healthcode.Green, EffectiveColour: healthcode.Green}
		if err := st.Append(context.Background(), prov); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ApplyStatus([]healthcode.StatusEntry{{Hash: prov.CodeHash, Colour: healthcode.Red, Updated: testNow.Add(-time.Hour), Seq: 1}}, 1, testNow); err != nil {
			t.Fatal(err)
		}
	})
	r.tm.Send(tui.SignedIn("王芳"))
	r.waitText("press s to see who")
	r.keys("s")
	r.waitText("note these people (1), then press a")
	r.keys("a")
	r.waitText("alerts acknowledged: 1; the province is told at the next sync")
	screen := r.screenText()
	if strings.Contains(screen, "张*丰") || strings.Contains(screen, "alerts 1") {
		t.Errorf("the alert still shows after it was acknowledged:\n%s", screen)
	}
	all, err := r.sc.st.Alerts()
	if err != nil || len(all) != 1 || all[0].Open() || all[0].AckedBy != "王芳" || !all[0].Acked.Equal(testNow) {
		t.Fatalf("alerts in the data file: %+v %v", all, err)
	}
	if rep, _ := r.sc.st.AcksToReport(); len(rep) != 1 {
		t.Fatalf("acknowledgements to report: %+v", rep)
	}
}

// Before the acknowledgement, the sync view's list says who and where.
func TestAlertListSaysWhoWhereAndWhen(t *testing.T) {
	r := startClockScreen(t, "en", 0, true, func(st *store.Store) {
		var id healthcode.CodeID
		id[0] = 9
		prov := &healthcode.Record{DeviceID: "dev-1", Gate: "东门", Operator: "王芳", Verdict: healthcode.VerdictPass, Provisional: true,
			Name: "张三丰", IDMasked: "110105199001011234", CodeHash: id.Hash(), Time: testNow.Add(-2 * time.Hour), CorrectedTime: testNow.Add(-2 * time.Hour),
			ScannedColour: healthcode.Green, EffectiveColour: healthcode.Green}
		if err := st.Append(context.Background(), prov); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ApplyStatus([]healthcode.StatusEntry{{Hash: prov.CodeHash, Colour: healthcode.Yellow, Updated: testNow.Add(-3 * time.Hour), Seq: 1}}, 1, testNow); err != nil {
			t.Fatal(err)
		}
	})
	r.signIn()
	r.keys("s")
	r.waitText("then press a")
	wantWords(t, r.screenText(), "⚠ alerts 1", "11-29 07:00 东门 张*丰 yellow (already at the check)", "a alerts noted")
}
