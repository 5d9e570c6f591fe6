package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"hcscan/healthcode"
	"hcscan/internal/qrimage"
	"hcscan/store"
	"hcscan/tui"
)

// The gate never loses a person: these tests drive the real screen
// (buildScreen, as hcscan run wires it) with the default configuration
// (key guard, verdict hold), a real enrolled scanner and province, codes
// from a handheld scanner typed as keys or a folder camera, and read the
// data file back.

// gateWorld is the demo's province and an enrolled scanner, for one test.
func gateWorld(t testing.TB, ctx context.Context) *demoWorld {
	t.Helper()
	w, err := buildDemo(ctx, demoOptions{Dir: t.TempDir(), HCServer: filepath.Join(binaries(t), "hcserver"),
		Log: slog.New(slog.DiscardHandler), Pace: demoPacing{FPS: 4, FramesPerPerson: 1, GapFrames: 1, LeadFrames: 1}})
	t.Cleanup(w.Close)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// gateConfig is the default configuration, in English, with the camera on
// source (a missing path: no camera).
func gateConfig(t testing.TB, source string) Config {
	cfg := DefaultConfig()
	if source == "" {
		source = filepath.Join(t.TempDir(), "no-camera")
	}
	cfg.Camera.Source = source
	cfg.UI.Language = "en"
	return cfg
}

// people issues n green codes with distinct names; it returns the codes
// and their masked names.
func people(t testing.TB, ctx context.Context, w *demoWorld, n int) (codes, masked []string) {
	t.Helper()
	surnames := []rune("赵钱孙李周吴郑王冯陈褚卫")
	for i := range n {
		name := string(surnames[i]) + "小" + string(rune('一'+i))
		codes = append(codes, issueCode(t, ctx, w, "green", name, fmt.Sprintf("1101082000010%05d", i)))
		masked = append(masked, healthcode.MaskName(name))
	}
	return codes, masked
}

const (
	askTemp  = "Type the temperature"
	savedMsg = "✔ saved"
)

// Codes read before anyone signed in (a handheld scanner used on the
// sign-in screen) wait, are said on screen, and each ends as a record
// after sign-in, in the order they were read.
func TestCodesReadBeforeSignInAllEndAsRecords(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := gateWorld(t, ctx)
	codes, names := people(t, ctx, w, 3)
	f := startFlow(t, ctx, screenConfig{cfg: gateConfig(t, ""), dataPath: w.DataPath}, 100, 30)
	f.wait("Operator sign-in")
	for _, c := range codes {
		f.scanGun(c)
	}
	f.wait("codes read before sign-in, checked one by one after it: 3")
	f.signIn(w.Operator, w.PIN)
	for _, name := range names {
		f.waitAll("code read before sign-in", name, askTemp)
		f.typeText("36.5")
		f.enter()
		f.wait(savedMsg)
	}
	recs := f.records()
	f.quit()
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	for i, r := range recs {
		if r.Name != names[i] || r.Verdict != healthcode.VerdictPass || r.Temperature != 365 || r.Operator != w.Operator {
			t.Errorf("record %d: %s %v %v by %q; want %s pass 36.5 by %s", i, r.Name, r.Verdict, r.Temperature, r.Operator, names[i], w.Operator)
		}
	}
}

// A folder camera starts when the operator signs in and plays faster than
// the operator works: every code waits its turn and ends as a record.
func TestFolderCameraPlaysAfterSignInAndLosesNobody(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := gateWorld(t, ctx)
	codes, names := people(t, ctx, w, 4)
	dir := t.TempDir()
	for i, c := range codes {
		if err := qrimage.WritePNG(filepath.Join(dir, fmt.Sprintf("%02d.png", i)), c, 4); err != nil {
			t.Fatal(err)
		}
	}
	cfg := gateConfig(t, dir)
	cfg.Camera.ImageSeconds = 0.3 // a person every 0.3 s: faster than anyone can check them
	f := startFlow(t, ctx, screenConfig{cfg: cfg, dataPath: w.DataPath}, 100, 30)
	f.wait("Operator sign-in")
	time.Sleep(2 * time.Second) // a folder played before sign-in would be over by now
	f.signIn(w.Operator, w.PIN)
	for _, name := range names {
		f.wait(name)
		f.wait(askTemp)
		f.typeText("36.6")
		f.enter()
		f.wait(savedMsg)
	}
	f.wait("played to the end")
	recs := f.records()
	f.quit()
	if len(recs) != len(names) {
		t.Fatalf("%d records, want %d", len(recs), len(names))
	}
	for i, r := range recs {
		if r.Name != names[i] || r.Temperature != 366 {
			t.Errorf("record %d: %s %v, want %s 36.6", i, r.Name, r.Temperature, names[i])
		}
	}
}

// Esc does not drop a person: it asks, Esc goes back to them, and Enter
// then leaves a record "left without a decision" with who and when.
func TestEscThenConfirmLeavesAnAbandonedRecord(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := gateWorld(t, ctx)
	codes, names := people(t, ctx, w, 2)
	f := startFlow(t, ctx, screenConfig{cfg: gateConfig(t, ""), dataPath: w.DataPath}, 100, 30)
	f.wait("Operator sign-in")
	f.signIn(w.Operator, w.PIN)
	f.wait("Ready")

	// Esc, then Esc: back to the person, who is then checked as usual.
	f.scanGun(codes[0])
	f.wait(askTemp)
	f.esc()
	f.wait("Let this person go without a decision?")
	f.esc()
	f.wait(askTemp)
	f.typeText("36.4")
	f.enter()
	f.wait(savedMsg)

	// Esc, then Enter: recorded as left without a decision.
	time.Sleep(1200 * time.Millisecond)
	f.scanGun(codes[1])
	f.wait(names[1])
	f.wait(askTemp)
	before := time.Now()
	f.esc()
	f.wait("Let this person go without a decision?")
	f.enter()
	f.wait("recorded: left without a decision")
	recs := f.records()
	f.quit()
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	if r := recs[0]; r.Name != names[0] || r.Abandoned || r.Verdict != healthcode.VerdictPass || r.Temperature != 364 {
		t.Errorf("first person: %+v; want a pass at 36.4", r)
	}
	r := recs[1]
	if r.Name != names[1] || !r.Abandoned || r.Verdict != healthcode.VerdictStop || r.Disposition != healthcode.DispositionNone ||
		r.Operator != w.Operator || r.Time.Before(before.Add(-time.Second)) || r.DeviceID == "" {
		t.Errorf("left person: %+v; want abandoned, stop, no disposition, operator %s, time of the decision", r, w.Operator)
	}
}

// The next waiting person's verdict screen appears only after the finished
// one has been up for the hold, and an Enter typed 100 ms after the screen
// turned to the next person (meant for the one before) is not applied to
// them, though the thermometer had typed their reading in.
func TestEnterRightAfterTheScreenMovesOnIsNotApplied(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := gateWorld(t, ctx)
	codes, names := people(t, ctx, w, 2)
	therm := func(tui.Scan, bool) (healthcode.Temperature, bool) { return 366, true }
	f := startFlow(t, ctx, screenConfig{cfg: gateConfig(t, ""), dataPath: w.DataPath, therm: therm}, 100, 30)
	f.wait("Operator sign-in")
	f.signIn(w.Operator, w.PIN)
	f.wait("Ready")
	f.scanGun(codes[0])
	f.scanGun(codes[1])
	f.waitAll(names[0], "waiting to be checked next: 1", askTemp)
	f.enter() // confirms the thermometer's 36.6 for the first person
	f.wait(savedMsg)
	saved := time.Now()
	f.wait(names[1])
	if held := time.Since(saved); held < 800*time.Millisecond {
		t.Errorf("the next person replaced the finished verdict after %v; want it up for about 1 s", held)
	}
	time.Sleep(100 * time.Millisecond)
	f.enter() // meant for the first person
	f.wait(askTemp)
	time.Sleep(500 * time.Millisecond)
	if recs := f.records(); len(recs) != 1 {
		t.Fatalf("the Enter typed 100 ms after the screen turned was applied: %d records", len(recs))
	}
	f.enter()
	f.wait(savedMsg)
	recs := f.records()
	f.quit()
	if len(recs) != 2 || recs[1].Name != names[1] || recs[1].Temperature != 366 || !recs[1].Time.After(recs[0].Time) {
		t.Fatalf("records %+v", recs)
	}
	if !strings.Contains(recs[0].Name, strings.Split(names[0], "*")[0]) {
		t.Fatalf("first record %+v", recs[0])
	}
}

// The same person scanned again within the repeat window: the screen says
// "already checked at HH:MM (pass, 36.5 °C)", the record is marked a repeat
// of the first (no temperature asked twice, no key), and the day counts it
// as a repeat. A yellow code scanned again is checked in full, marked too.
func TestRepeatWithinTheWindowIsMarked(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := gateWorld(t, ctx)
	codes, names := people(t, ctx, w, 1)
	yellow := issueCode(t, ctx, w, "yellow", "黄小明", "310104198506061234")
	f := startFlow(t, ctx, screenConfig{cfg: gateConfig(t, ""), dataPath: w.DataPath}, 100, 30)
	f.wait("Operator sign-in")
	f.signIn(w.Operator, w.PIN)
	f.wait("Ready")
	before := time.Now()
	f.scanGun(codes[0])
	f.wait(askTemp)
	f.typeText("365")
	f.enter()
	f.wait(savedMsg)
	f.wait("Ready") // back by itself after the pass
	after := time.Now()
	f.scanGun(codes[0])
	from := f.pos
	f.waitAll("REPEAT", "already checked at ", savedMsg)
	// The first check's minute: a check made across a minute's turn may
	// name either side of it.
	shown := string(f.screen[from:])
	if !strings.Contains(shown, "already checked at "+before.Format("15:04")) && !strings.Contains(shown, "already checked at "+after.Format("15:04")) {
		t.Fatalf("the repeat does not name the first check's time (%s–%s):\n%s", before.Format("15:04"), after.Format("15:04"), shown)
	}
	f.wait("Ready")

	f.scanGun(yellow)
	f.wait(askTemp)
	f.typeText("366")
	f.enter()
	f.wait("Choose what happens")
	f.enter()
	f.wait(savedMsg)
	f.enter()
	f.wait("Ready")
	f.scanGun(yellow)
	f.wait("already checked at")
	f.wait(askTemp)
	f.typeText("367")
	f.enter()
	f.wait("Choose what happens")
	f.enter()
	f.wait(savedMsg)
	recs := f.records()
	day, err := f.st.Today()
	f.quit()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4", len(recs))
	}
	if r := recs[1]; r.Name != names[0] || r.RepeatOf != recs[0].ID || r.Verdict != healthcode.VerdictPass || r.Temperature != 0 {
		t.Errorf("repeat of a pass: %+v; want a pass marked a repeat of %s", r, recs[0].ID)
	}
	if r := recs[3]; r.RepeatOf != recs[2].ID || r.Verdict != healthcode.VerdictStop || r.Temperature != 367 {
		t.Errorf("repeat of a stop: %+v; want a full check marked a repeat of %s", r, recs[2].ID)
	}
	if recs[0].RepeatOf != "" || recs[2].RepeatOf != "" {
		t.Errorf("first checks marked as repeats: %+v %+v", recs[0], recs[2])
	}
	if day.Repeats != 2 || day.Total != 4 {
		t.Errorf("the day's counts %+v; want 2 repeats of 4 checks", day)
	}
}

// A parent holds up three children's printed codes: one frame, three
// people, each shown as "n of 3" and decided on its own, three records.
func TestThreeCodesInOneFrameAreThreePeople(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := gateWorld(t, ctx)
	codes, names := people(t, ctx, w, 3)
	dir := t.TempDir()
	writeCodesSideBySide(t, filepath.Join(dir, "family.png"), codes)
	f := startFlow(t, ctx, screenConfig{cfg: gateConfig(t, dir), dataPath: w.DataPath}, 120, 40)
	f.wait("Operator sign-in")
	f.signIn(w.Operator, w.PIN)
	temps := []string{"365", "366", "367"}
	for i := range codes {
		f.waitAll(fmt.Sprintf("%d of 3 in one picture", i+1), names[i], askTemp)
		f.typeText(temps[i])
		f.enter()
		f.wait(savedMsg)
	}
	recs := f.records()
	f.quit()
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	for i, r := range recs {
		if r.Name != names[i] || r.Temperature != healthcode.Temperature(365+i) || r.Verdict != healthcode.VerdictPass {
			t.Errorf("person %d: %s %v %v; want %s %s pass", i+1, r.Name, r.Temperature, r.Verdict, names[i], temps[i])
		}
	}
}

// writeCodesSideBySide writes one image holding the codes in a row, at 6
// pixels a module: as large as a parent's printed codes filmed close
// (the live decoder reads a frame's second and third codes of this size).
func writeCodesSideBySide(t testing.TB, path string, codes []string) {
	t.Helper()
	var imgs []*image.Gray
	w, h := 40, 0
	for _, c := range codes {
		g, err := qrimage.Render(c, 6)
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, g)
		w += g.Bounds().Dx() + 40
		h = max(h, g.Bounds().Dy())
	}
	out := image.NewGray(image.Rect(0, 0, w, h+80))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.Gray{Y: 230}), image.Point{}, draw.Src)
	x := 40
	for _, g := range imgs {
		draw.Draw(out, g.Bounds().Add(image.Pt(x, 40)), g, image.Point{}, draw.Src)
		x += g.Bounds().Dx() + 40
	}
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if err := png.Encode(fh, out); err != nil {
		t.Fatal(err)
	}
}

// The demo's sign-in screen has its operator and PIN filled in: Enter
// signs in. Its language follows the locale when --lang is not given.
func TestDemoSignInIsFilledInAndFollowsTheLocale(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := gateWorld(t, ctx)
	f := startFlow(t, ctx, screenConfig{cfg: gateConfig(t, ""), dataPath: w.DataPath, signInAs: [2]string{w.Operator, w.PIN}}, 100, 30)
	f.waitAll("Operator sign-in", "Operator: demo")
	f.enter()
	f.wait("Ready")
	f.quit()

	for env, want := range map[[3]string]string{
		{"", "", "en_US.UTF-8"}:      "en",
		{"", "", "zh_CN.UTF-8"}:      "zh",
		{"zh_TW.UTF-8", "", "en_GB"}: "zh",
		{"de_DE.UTF-8", "", "zh_CN"}: "en",
		{"", "en_US.UTF-8", "zh_CN"}: "en",
		{"", "", ""}:                 "zh",
		{"", "", "C.UTF-8"}:          "en",
	} {
		get := func(k string) string {
			return map[string]string{"LC_ALL": env[0], "LC_MESSAGES": env[1], "LANG": env[2]}[k]
		}
		if got := localeLang(get); got != want {
			t.Errorf("LC_ALL=%q LC_MESSAGES=%q LANG=%q: %s, want %s", env[0], env[1], env[2], got, want)
		}
	}
}

// A scanner that is neither enrolled nor given a trust list says so on the
// sign-in screen and after it, and marks nobody invalid: the code read
// waits, no record is made; manual entry still works.
func TestNotSetUpMarksNobodyInvalid(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := gateWorld(t, ctx) // for a genuine code; this scanner is another one
	code := issueCode(t, ctx, w, "green", "吴小五", "110108200505051234")
	data := filepath.Join(t.TempDir(), "hcscan.db")
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddOperator("li", "2468"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	f := startFlow(t, ctx, screenConfig{cfg: gateConfig(t, ""), dataPath: data}, 100, 30)
	f.waitAll("Operator sign-in", "This scanner is not set up")
	f.signIn("li", "2468")
	f.waitAll("operator li", "hcscan enroll")
	f.scanGun(code)
	f.wait("codes read, to check once this scanner is set up: 1")
	time.Sleep(500 * time.Millisecond)
	if recs := f.records(); len(recs) != 0 {
		t.Fatalf("a scanner with no issuers' list recorded %+v", recs)
	}
	f.typeText("m")
	f.wait("Manual entry")
	f.quit()
}

// A thermometer that types its reading and Enter (a keyboard wedge, as a
// handheld scanner is) needs no key from the operator: its burst of keys
// arrives as one event, and a green person with a normal reading is saved
// and the screen goes back to ready by itself.
func TestWedgeThermometerNeedsNoKey(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := gateWorld(t, ctx)
	codes, names := people(t, ctx, w, 1)
	f := startFlow(t, ctx, screenConfig{cfg: gateConfig(t, ""), dataPath: w.DataPath}, 100, 30)
	f.wait("Operator sign-in")
	f.signIn(w.Operator, w.PIN)
	f.wait("Ready")
	f.scanGun(codes[0])
	f.waitAll(names[0], askTemp)
	f.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("36.8")}) // the thermometer
	f.enter()                                                        // its Enter
	f.wait(savedMsg)
	f.wait("Ready")
	recs := f.records()
	f.quit()
	if len(recs) != 1 || recs[0].Temperature != 368 || recs[0].Verdict != healthcode.VerdictPass {
		t.Fatalf("records %+v; want one pass at 36.8", recs)
	}
}
