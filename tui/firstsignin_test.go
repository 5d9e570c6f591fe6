package tui_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"hcscan/internal/pinhash"
	"hcscan/store"
	"hcscan/tui"
)

// TestFirstSignInChoosesPIN: a staff member from the province's list types
// their name and the one-time code from their admin; the screen asks them
// to choose a PIN twice (a mismatch asks again), signs them in, and the
// data file holds only the new PIN's verifier, waiting to be sent. A
// person the institution disabled is told so.
func TestFirstSignInChoosesPIN(t *testing.T) {
	r := startScreen(t, "en", 80, 24, nil)
	setup, err := pinhash.Hash("31415926")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.sc.st.ReplaceStaff([]store.StaffMember{
		{ID: "s1", Name: "ZhaoMin", Role: "guard", Setup: setup},
		{ID: "s2", Name: "ZhouZR", Verifier: setup, Disabled: true},
	}, "v1", testNow); err != nil {
		t.Fatal(err)
	}
	r.waitText("signin.hint")
	r.keys("ZhouZR tab 31415926 enter")
	r.waitText("was disabled by the institution")
	r.keys("tab") // back to the name, which still says ZhouZR
	for range len("ZhouZR") {
		r.tm.Send(tea.KeyMsg{Type: tea.KeyBackspace})
	}
	r.keys("ZhaoMin tab 31415926 enter")
	r.waitText("choose your PIN")
	r.keys("2468 enter 2469 enter")
	r.waitText("signin.differ")
	r.keys("2468 enter 2468 enter")
	r.waitText("ready.hint")
	unsent, err := r.sc.st.UnsentStaffPINs()
	if err != nil || len(unsent) != 1 || unsent[0].ID != "s1" {
		t.Fatalf("unsent PINs: %+v %v", unsent, err)
	}
	if ok, _ := pinhash.Check(unsent[0].Verifier, "2468"); !ok {
		t.Error("the kept verifier is not of the chosen PIN")
	}
	if ok, err := r.sc.st.CheckPIN("ZhaoMin", "2468"); !ok || err != nil {
		t.Errorf("the chosen PIN: %v %v", ok, err)
	}
	if _, err := r.sc.st.CheckPIN("ZhaoMin", "31415926"); errors.Is(err, store.ErrChoosePIN) {
		t.Error("the one-time code still opens a first sign-in")
	}
}

// stateFeed delivers sync states to the screen as the sync client does.
type stateFeed chan tui.SyncState

func (f stateFeed) States() <-chan tui.SyncState { return f }
func (f stateFeed) SyncNow()                     {}

// TestDisabledOperatorLockedAfterSync: the operator on duty is disabled in
// the portal; when a sync brings the new staff list, the screen locks and
// says why; their PIN no longer unlocks it.
func TestDisabledOperatorLockedAfterSync(t *testing.T) {
	w := newWorld(t)
	now := func() time.Time { return testNow }
	set := testSettings("en")
	sc := w.openScanner(t, now, set.Policy)
	pin, err := pinhash.Hash("2468")
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.st.ReplaceStaff([]store.StaffMember{{ID: "s1", Name: "ZhaoMin", Verifier: pin}}, "v1", testNow); err != nil {
		t.Fatal(err)
	}
	feed := make(stateFeed, 1)
	deps := sc.deps(now)
	deps.Sync = feed
	tm := teatest.NewTestModel(t, tui.New(context.Background(), deps, set), teatest.WithInitialTermSize(80, 24))
	r := &screenRun{t: t, lang: "en", w: w, sc: sc, tm: tm}
	r.waitText("signin.hint")
	r.keys("ZhaoMin tab 2468 enter")
	r.waitText("ready.hint")
	if err := sc.st.ReplaceStaff([]store.StaffMember{{ID: "s1", Name: "ZhaoMin", Verifier: pin, Disabled: true}}, "v2", testNow); err != nil {
		t.Fatal(err)
	}
	feed <- tui.SyncState{Syncing: true}
	feed <- tui.SyncState{Online: true, LastSuccess: testNow}
	r.waitText("was disabled by the institution")
	if v := r.finish(); !strings.Contains(v, "Locked") || !strings.Contains(v, "Type ZhaoMin's PIN") {
		t.Errorf("the disabled operator's screen is not locked:\n%s", v)
	}
	// Their PIN no longer unlocks it (the lock screen asks CheckPIN).
	if ok, err := sc.st.CheckPIN("ZhaoMin", "2468"); ok || !errors.Is(err, store.ErrStaffDisabled) {
		t.Errorf("the disabled operator's PIN: %v %v", ok, err)
	}
}
