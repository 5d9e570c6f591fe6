package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
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

// flow is the real scanner screen (buildScreen, as hcscan run wires it)
// driven by typed keys, as an operator types, with its output read back.
type flow struct {
	t      testing.TB
	tm     *teatest.TestModel
	st     *store.Store
	stop   func()
	screen []byte
	pos    int
}

// startFlow opens the screen on the data file of sc in a width×height
// terminal. The caller ends it with quit.
func startFlow(t testing.TB, ctx context.Context, sc screenConfig, width, height int) *flow {
	return startFlowIn(t, ctx, sc, width, height, nil)
}

// startFlowIn is startFlow with the screen run inside wrap (something that
// watches it), when wrap is not nil.
func startFlowIn(t testing.TB, ctx context.Context, sc screenConfig, width, height int, wrap func(tea.Model) tea.Model) *flow {
	t.Helper()
	lipgloss.SetColorProfile(termenv.Ascii)
	log := slog.New(slog.DiscardHandler)
	st, err := store.Open(sc.dataPath, store.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, stop, err := buildScreen(ctx, sc, st, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &flow{t: t, st: st, stop: stop}
	var run tea.Model = m
	if wrap != nil {
		run = wrap(m)
	}
	f.tm = teatest.NewTestModel(t, run, teatest.WithInitialTermSize(width, height))
	return f
}

// wait finds s in the screen output after the previous match, so that two
// markers drawn in one frame are both found, in order.
func (f *flow) wait(s string) {
	f.t.Helper()
	f.waitWithin(s, 20*time.Second)
}

func (f *flow) waitWithin(s string, d time.Duration) {
	f.t.Helper()
	deadline := time.Now().Add(d)
	for {
		b, _ := io.ReadAll(f.tm.Output())
		f.screen = append(f.screen, b...)
		if i := bytes.Index(f.screen[f.pos:], []byte(s)); i >= 0 {
			f.pos += i + len(s)
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("screen never showed %q; last output:\n%s", s, f.screen[max(0, len(f.screen)-3000):])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitAll waits until every one of ss shows after the previous match, in
// any order (lines drawn in one frame, or redrawn, come in no fixed order).
func (f *flow) waitAll(ss ...string) {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := io.ReadAll(f.tm.Output())
		f.screen = append(f.screen, b...)
		end, all := f.pos, true
		for _, s := range ss {
			i := bytes.Index(f.screen[f.pos:], []byte(s))
			if i < 0 {
				all = false
				break
			}
			end = max(end, f.pos+i+len(s))
		}
		if all {
			f.pos = end
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("screen never showed all of %q; last output:\n%s", ss, f.screen[max(0, len(f.screen)-3000):])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *flow) enter()                { f.tm.Send(tea.KeyMsg{Type: tea.KeyEnter}) }
func (f *flow) esc()                  { f.tm.Send(tea.KeyMsg{Type: tea.KeyEscape}) }
func (f *flow) tab()                  { f.tm.Send(tea.KeyMsg{Type: tea.KeyTab}) }
func (f *flow) typeText(s string)     { f.tm.Type(s) }
func (f *flow) key(k tea.KeyType)     { f.tm.Send(tea.KeyMsg{Type: k}) }
func (f *flow) signIn(op, pin string) { f.typeText(op); f.enter(); f.typeText(pin); f.enter() }

// scanGun is a handheld scanner reading code: its keys come faster than
// the terminal is read, so they arrive together, then its Enter.
func (f *flow) scanGun(code string) {
	f.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(code)})
	f.enter()
}

// quit ends the program and what buildScreen started.
func (f *flow) quit() {
	f.t.Helper()
	f.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	f.tm.WaitFinished(f.t, teatest.WithFinalTimeout(5*time.Second))
	f.stop()
}

// records reads the data file back, oldest first.
func (f *flow) records() []healthcode.Record {
	f.t.Helper()
	es, err := f.st.Recent(1000, store.Filter{})
	if err != nil {
		f.t.Fatal(err)
	}
	out := make([]healthcode.Record, len(es))
	for i, e := range es {
		out[len(es)-1-i] = e.Record
	}
	return out
}

// issueCode is a green (or other colour) code from the demo province.
func issueCode(t testing.TB, ctx context.Context, w *demoWorld, colour, name, id string) string {
	t.Helper()
	code, err := hcserver(ctx, filepath.Join(binaries(t), "hcserver"), "issue", "--dir", filepath.Join(w.Province, "keys"),
		"--region", "110108", "--colour", colour, "--name", name, "--id", id, "--lang", "zh",
		"--issued-at", time.Now().Add(-time.Hour).Format(time.RFC3339), "--expires", "24h")
	if err != nil {
		t.Fatal(err)
	}
	return code
}
