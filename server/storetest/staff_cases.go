package storetest

import (
	"errors"
	"testing"
	"time"

	"hcscan/server"
)

// testInstitutionsStaffAndLogins: applications and decisions, staff with
// unique names per institution and one-transaction changes, and revocable
// logins, the same in every store.
func testInstitutionsStaffAndLogins(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	st, ctx := e.Srv.Store(), t.Context()
	in := server.Institution{Name: "阳光幼儿园", Kind: "kindergarten", Address: "a", Contact: "c", Phone: "12345"}
	if _, err := e.Srv.Register(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Srv.Register(ctx, in); !errors.Is(err, server.ErrInstitutionExists) {
		t.Errorf("second application: %v", err)
	}
	if l, err := st.Institutions(ctx, server.InstitutionPending); err != nil || len(l) != 1 || l[0].TimeZone != server.DefaultTimeZone {
		t.Fatalf("pending: %+v %v", l, err)
	}
	got, err := e.Srv.DecideInstitution(ctx, "阳光幼儿园", true, "province X", "")
	if err != nil || got.State != server.InstitutionApproved || got.Decided.IsZero() {
		t.Fatalf("approve: %+v %v", got, err)
	}
	if _, err := e.Srv.DecideInstitution(ctx, "阳光幼儿园", false, "province X", ""); !errors.Is(err, server.ErrInstitutionDecided) {
		t.Errorf("decide twice: %v", err)
	}
	if _, err := e.Srv.DecideInstitution(ctx, "nobody", true, "p", ""); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("decide unknown: %v", err)
	}
	if l, _ := st.Institutions(ctx, ""); len(l) != 1 {
		t.Errorf("all institutions: %d", len(l))
	}

	a, code, err := e.Srv.AddStaff(ctx, "阳光幼儿园", "王芳", "13800138000", "门卫")
	if err != nil || len(code) != 8 {
		t.Fatal(err)
	}
	if _, _, err := e.Srv.AddStaff(ctx, "阳光幼儿园", "王芳", "", ""); !errors.Is(err, server.ErrStaffExists) {
		t.Errorf("same name twice: %v", err)
	}
	if _, _, err := e.Srv.AddStaff(ctx, "school", "王芳", "", ""); err != nil {
		t.Errorf("same name in another institution: %v", err)
	}
	b, _, _ := e.Srv.AddStaff(ctx, "阳光幼儿园", "李四", "", "")
	staff, err := st.Staff(ctx, "阳光幼儿园")
	if err != nil || len(staff) != 2 || staff[0].Name != "李四" || staff[1].ID != a.ID {
		t.Fatalf("staff by name: %+v %v", staff, err)
	}
	stop := errors.New("no")
	if _, err := st.UpdateStaff(ctx, "阳光幼儿园", b.ID, func(m *server.StaffMember) error { m.Disabled = true; return stop }); !errors.Is(err, stop) {
		t.Errorf("update refused by fn: %v", err)
	}
	if _, err := st.UpdateStaff(ctx, "school", a.ID, func(*server.StaffMember) error { return nil }); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("another institution's person: %v", err)
	}
	if err := e.Srv.SetStaffDisabled(ctx, "阳光幼儿园", b.ID, true); err != nil {
		t.Fatal(err)
	}
	staff, _ = st.Staff(ctx, "阳光幼儿园")
	if !staff[0].Disabled || staff[1].Disabled {
		t.Errorf("disabled: %+v", staff)
	}

	_, tok, err := e.Srv.NewTokenBy(ctx, server.TokenViewer, "阳光幼儿园", "", "portal ABCD")
	if err != nil {
		t.Fatal(err)
	}
	now := e.Clock.Now()
	if err := st.RevokeToken(ctx, "school", tok.Hash, now); !errors.Is(err, server.ErrTokenUnknown) {
		t.Errorf("revoke from another institution: %v", err)
	}
	if err := st.RevokeToken(ctx, "阳光幼儿园", tok.Hash, now); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeToken(ctx, "阳光幼儿园", tok.Hash, now.Add(time.Hour)); err != nil {
		t.Errorf("revoke twice: %v", err)
	}
	got2, err := st.Token(ctx, tok.Hash)
	if err != nil || !got2.Revoked.Equal(now.Truncate(time.Microsecond)) && !got2.Revoked.Equal(now) || got2.MadeBy != "portal ABCD" || got2.LoginValid(now) {
		t.Errorf("revoked token: %+v %v", got2, err)
	}
	enrol, _, _ := e.Srv.NewToken(ctx, server.TokenEnroll, "阳光幼儿园", "大门")
	if err := st.RevokeToken(ctx, "阳光幼儿园", server.HashToken(enrol), now); !errors.Is(err, server.ErrTokenUnknown) {
		t.Errorf("an enrolment token revoked as a login: %v", err)
	}
}
