package tui_test

import (
	"errors"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"hcscan/internal/pinhash"
	"hcscan/store"
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
