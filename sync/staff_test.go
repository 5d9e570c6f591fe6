package sync

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"hcscan/store"
)

// TestStaffReachScannersAndFirstPINTravelsAsVerifier: a person added in
// the portal reaches every scanner of the institution with its next sync;
// they choose a PIN on one scanner with the one-time code, the PIN goes up
// only as an argon2id verifier and signs them in on another scanner after
// its sync; disabled, they are refused on both after one sync. Neither the
// PIN nor the code is in any file in clear.
func TestStaffReachScannersAndFirstPINTravelsAsVerifier(t *testing.T) {
	w := newWorld(t)
	dirA, dirB := t.TempDir(), t.TempDir()
	a, b := openStore(t, dirA), openStore(t, dirB)
	for _, s := range []struct {
		st   *store.Store
		gate string
	}{{a, "north gate"}, {b, "south gate"}} {
		if _, err := Enroll(t.Context(), s.st, EnrollOptions{ServerURL: w.URL, Token: w.token("第一中学", s.gate)}); err != nil {
			t.Fatal(err)
		}
	}
	ca, cb := newClient(t, a, Options{}), newClient(t, b, Options{})
	sync := func(c *Client) {
		t.Helper()
		if _, err := c.SyncOnce(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
	}
	m, code, err := w.srv.AddStaff(t.Context(), "第一中学", "王芳", "13800138000", "门卫")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := a.CheckPIN("王芳", code); ok || err != nil {
		t.Fatalf("before a sync the scanner knows the person: %v %v", ok, err)
	}
	sync(ca)
	sync(cb)
	if ok, err := a.CheckPIN("王芳", "00000000"); ok || err != nil {
		t.Fatalf("a wrong first sign-in code: %v %v, want refused", ok, err)
	}
	if _, err := a.CheckPIN("王芳", code); !errors.Is(err, store.ErrChoosePIN) {
		t.Fatalf("first sign-in code: %v, want ErrChoosePIN", err)
	}
	if err := a.SetFirstPIN("王芳", "12345678", "2468"); err == nil {
		t.Error("a first PIN set with a wrong code")
	}
	if err := a.SetFirstPIN("王芳", code, "2468"); err != nil {
		t.Fatal(err)
	}
	if ok, err := a.CheckPIN("王芳", "2468"); !ok || err != nil {
		t.Fatalf("the new PIN on scanner A: %v %v", ok, err)
	}
	// B does not know the PIN yet; after A and then B sync, it does.
	if ok, _ := b.CheckPIN("王芳", "2468"); ok {
		t.Error("scanner B took the PIN before any sync")
	}
	sync(ca)
	staff, _ := w.srv.Store().Staff(t.Context(), "第一中学")
	if len(staff) != 1 || staff[0].Verifier == "" || staff[0].Setup != "" {
		t.Fatalf("the province's staff after A's sync: %+v", staff)
	}
	sync(cb)
	if ok, err := b.CheckPIN("王芳", "2468"); !ok || err != nil {
		t.Fatalf("the PIN chosen on A, on scanner B after its sync: %v %v", ok, err)
	}
	if ok, err := b.CheckPIN("王芳", code); ok || errors.Is(err, store.ErrChoosePIN) {
		t.Error("the first sign-in code still works after the PIN was set")
	}
	// A second first sign-in on another scanner cannot replace the PIN.
	if err := b.SetFirstPIN("王芳", code, "9999"); err == nil {
		t.Error("a second first PIN was taken")
	}

	if err := w.srv.SetStaffDisabled(t.Context(), "第一中学", m.ID, true); err != nil {
		t.Fatal(err)
	}
	sync(ca)
	sync(cb)
	for name, st := range map[string]*store.Store{"A": a, "B": b} {
		if ok, err := st.CheckPIN("王芳", "2468"); ok || !errors.Is(err, store.ErrStaffDisabled) {
			t.Errorf("disabled person on scanner %s: %v %v", name, ok, err)
		}
	}
	// A local operator of the same name does not let them in.
	if err := a.AddOperator("王芳", "2468"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := a.CheckPIN("王芳", "2468"); ok {
		t.Error("a local operator of the same name signs a disabled person in")
	}
	a.Close()
	b.Close()
	for _, dir := range []string{dirA, dirB} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			data, _ := os.ReadFile(f)
			for _, secret := range []string{code, "13800138000"} {
				if bytes.Contains(data, []byte(secret)) {
					t.Errorf("%s holds %q in clear", filepath.Base(f), secret)
				}
			}
		}
	}
}
