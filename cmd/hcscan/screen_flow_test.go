package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"hcscan/healthcode"
	"hcscan/store"
)

// TestScreenFlow drives the whole scanner: the demo's province and server
// (the real hcserver program, built once),
// an enrolled scanner, the camera playing an image-folder video of seven
// people, a handheld-scanner code typed as keys, and an operator typing.
// Then it reads the data file: each person exactly one record with the
// right verdict, temperature and disposition.
func TestScreenFlow(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	const fps = 10
	bin := binaries(t)
	hcserverBin := filepath.Join(bin, "hcserver")
	w, err := buildDemo(ctx, demoOptions{Dir: t.TempDir(), HCServer: hcserverBin, Log: log,
		Pace: demoPacing{FPS: fps, FramesPerPerson: 15, GapFrames: 8, LeadFrames: 5}})
	defer w.Close()
	if err != nil {
		t.Fatal(err)
	}

	cfg := DefaultConfig()
	cfg.Camera.Source = w.Video
	cfg.Camera.Cooldown = Duration{time.Second}
	cfg.Gate.AutoNext = Duration{200 * time.Millisecond}
	cfg.UI.Language = "en"
	st, err := store.Open(w.DataPath, store.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sc := screenConfig{cfg: cfg, dataPath: w.DataPath, therm: w.thermometer(), camAfterSignIn: true}
	m, stop, err := buildScreen(ctx, sc, st, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	// wait finds s in the screen output after the previous match, so that
	// two markers drawn in one frame are both found, in order.
	var screen []byte
	pos := 0
	wait := func(s string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			b, _ := io.ReadAll(tm.Output())
			screen = append(screen, b...)
			if i := bytes.Index(screen[pos:], []byte(s)); i >= 0 {
				pos += i + len(s)
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("screen never showed %q; last output:\n%s", s, screen[max(0, len(screen)-3000):])
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	enter := func() { tm.Send(tea.KeyMsg{Type: tea.KeyEnter}) }
	const (
		askTemp = "Type the temperature"
		choose  = "Choose what happens"
		saved   = "✔ saved"
	)
	wait("Operator sign-in")
	tm.Type("demo")
	enter()
	tm.Type("1234")
	enter()

	// 1. green, 36.5 (the thermometer types it): pass, back to ready by itself.
	wait(askTemp)
	enter()
	wait(saved)
	// 2. yellow, 36.6: stop, default persuade to return.
	wait(askTemp)
	enter()
	wait(choose)
	enter()
	wait(saved)
	enter()
	// 3. red from another province, 36.4: stop, the operator picks 2 (centralised quarantine).
	wait(askTemp)
	enter()
	wait(choose)
	tm.Type("2")
	enter()
	wait(saved)
	enter()
	// 4. expired and 5. forged: invalid, default persuade to return.
	for range 2 {
		wait(choose)
		enter()
		wait(saved)
		enter()
	}
	// 6. fever 38.1, re-measured 38.0: stop, send to clinic.
	wait(askTemp)
	enter()
	wait("measure again")
	tm.Type("r")
	wait(askTemp)
	enter()
	wait(choose)
	enter()
	wait(saved)
	enter()
	// 7. Korean visitor: the operator mistypes 3.67, is asked again, types 36.7.
	wait(askTemp)
	for range 5 {
		tm.Send(tea.KeyMsg{Type: tea.KeyBackspace})
	}
	tm.Type("3.67")
	enter()
	wait("not a reading")
	tm.Type("36.7")
	enter()
	wait("통과하셔도 됩니다")
	wait(saved)

	// 8. a handheld USB scanner types a code and Enter.
	wedgeCode, err := hcserver(ctx, hcserverBin, "issue", "--dir", filepath.Join(w.Province, "keys"), "--region", "110108",
		"--colour", "green", "--name", "钱九", "--id", "110108200001011234", "--lang", "zh",
		"--issued-at", time.Now().Add(-time.Hour).Format(time.RFC3339), "--expires", "24h")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // back to ready
	tm.Type(wedgeCode)
	enter()
	wait(askTemp)
	tm.Type("36.2")
	enter()
	wait(saved)

	// 9. a person without a code: manual entry, sealed to the province key.
	time.Sleep(300 * time.Millisecond) // back to ready
	tm.Type("m")
	wait("Manual entry")
	tm.Type("Wang Laoshi")
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Type("110105194501019876")
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Type("13912345678")
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Type("elderly, no phone")
	enter()
	wait("identity sealed")
	tm.Type("36.3")
	enter()
	wait(choose)
	enter()
	wait(saved)

	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	stop()

	es, err := st.Recent(100, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		verdict healthcode.Verdict
		temp    healthcode.Temperature
		disp    healthcode.Disposition
		fever   bool
	}
	wants := map[string]want{
		"张*丰":       {healthcode.VerdictPass, 365, healthcode.DispositionPass, false},
		"李*龙":       {healthcode.VerdictStop, 366, healthcode.DispositionPersuadeReturn, false},
		"王*芳":       {healthcode.VerdictStop, 364, healthcode.DispositionCentralQuarantine, false},
		"赵*":        {healthcode.VerdictInvalid, 0, healthcode.DispositionPersuadeReturn, false},
		"周*":        {healthcode.VerdictStop, 380, healthcode.DispositionSendToClinic, true},
		"K** M****": {healthcode.VerdictPass, 367, healthcode.DispositionPass, false},
		"钱*":        {healthcode.VerdictPass, 362, healthcode.DispositionPass, false},
	}
	seen := map[string]int{}
	forged := 0
	for _, e := range es {
		r := e.Record
		if r.Operator != "demo" || r.DeviceID == "" || r.Gate == "" {
			t.Errorf("record %s lacks operator, device or gate: %+v", r.ID, r)
		}
		if r.Manual {
			if r.Name != "W*** L*****" || r.IDMasked != "110***********9876" || len(r.Sealed) == 0 || r.ManualReason != "elderly, no phone" ||
				r.Temperature != 363 || r.Disposition != healthcode.DispositionPass {
				t.Errorf("manual entry: %+v", r)
			}
			continue
		}
		if r.Reason == healthcode.ReasonUnknownIssuer {
			forged++
			if r.Verdict != healthcode.VerdictInvalid || r.Disposition != healthcode.DispositionPersuadeReturn || r.Temperature != 0 {
				t.Errorf("forged code: %+v", r)
			}
			continue
		}
		seen[r.Name]++
		wt, ok := wants[r.Name]
		if !ok {
			t.Errorf("unexpected record for %q: %+v", r.Name, r)
			continue
		}
		if r.Verdict != wt.verdict || r.Temperature != wt.temp || r.Disposition != wt.disp || r.Fever != wt.fever {
			t.Errorf("%s: verdict %v temp %v disposition %v fever %v; want %v %v %v %v", r.Name,
				r.Verdict, r.Temperature, r.Disposition, r.Fever, wt.verdict, wt.temp, wt.disp, wt.fever)
		}
	}
	if forged != 1 {
		t.Errorf("%d records of the forged code, want 1", forged)
	}
	for name := range wants {
		if seen[name] != 1 {
			t.Errorf("%s: %d records, want exactly 1", name, seen[name])
		}
	}
	if len(es) != 9 {
		t.Errorf("%d records, want 9", len(es))
	}
	// The typed identity is only in the sealed box: neither the name, the ID
	// number nor the phone is anywhere in the data file.
	raw, err := os.ReadFile(w.DataPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Wang Laoshi", "110105194501019876", "13912345678"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the data file holds %q in clear", secret)
		}
	}
}
