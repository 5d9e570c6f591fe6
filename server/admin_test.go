package server_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"hcscan/healthcode"
	"hcscan/server"
	"hcscan/server/storetest"
)

func TestAdminAPI(t *testing.T) {
	e := newEnv(t)
	secret := server.NewAdminSecret()
	admin := httptest.NewServer(e.Srv.AdminHandler(secret))
	defer admin.Close()
	if err := server.WriteAdminFiles(e.Dir, strings.TrimPrefix(admin.URL, "http://"), secret); err != nil {
		t.Fatal(err)
	}
	var tr server.AdminTokenReply
	if err := server.AdminCall(context.Background(), e.Dir, server.AdminPathToken, server.AdminTokenRequest{Kind: server.TokenEnroll, Institution: "clinic", Gate: "door"}, &tr); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Srv.Store().Token(t.Context(), server.HashToken(tr.Token)); err != nil {
		t.Errorf("token made through the admin API is not stored: %v", err)
	}
	var sr server.AdminStatusReply
	h := storetest.HashOf(7)
	if err := server.AdminCall(context.Background(), e.Dir, server.AdminPathStatus, server.AdminStatusRequest{Changes: []server.StatusChange{{Hash: h, Colour: healthcode.Red}}}, &sr); err != nil || sr.Seq != 1 {
		t.Fatalf("status: %+v %v", sr, err)
	}
	if st, ok, _ := e.Srv.Store().Status(t.Context(), h); !ok || st.Colour != healthcode.Red {
		t.Errorf("status not set: %+v", st)
	}
	// A wrong secret is refused.
	server.WriteAdminFiles(e.Dir, strings.TrimPrefix(admin.URL, "http://"), "wrong")
	err := server.AdminCall(context.Background(), e.Dir, server.AdminPathToken, server.AdminTokenRequest{Kind: server.TokenEnroll, Institution: "clinic", Gate: "door"}, &tr)
	if err == nil || errors.Is(err, server.ErrAdminNotRunning) || !strings.Contains(err.Error(), "unauthorized") {
		t.Errorf("wrong secret: %v", err)
	}
	// No server there.
	server.RemoveAdminFiles(e.Dir)
	if err := server.AdminCall(context.Background(), e.Dir, server.AdminPathToken, server.AdminTokenRequest{}, &tr); !errors.Is(err, server.ErrAdminNotRunning) {
		t.Errorf("no server: %v", err)
	}
}
