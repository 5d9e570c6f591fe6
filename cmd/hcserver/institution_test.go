package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestInstitutionApproveCommand: an institution applies on a running
// server's portal; `hcserver institution list` shows it waiting,
// `institution approve` lets its login in, and `token --province` and
// `--viewer` make the other logins.
func TestInstitutionApproveCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "prov")
	if _, stderr, code := run(t, "", "hcserver", "keys", "init", "--dir", data); code != 0 {
		t.Fatalf("keys init: %s", stderr)
	}
	_, base := startServe(t, data)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) (int, string) {
		resp, err := noRedirect.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	code, page := post("/portal/register", url.Values{"name": {"向阳小区"}, "kind": {"residential"}, "address": {"人民路 8 号"}, "contact": {"刘主任"}, "phone": {"0571-8888 1234"}})
	m := regexp.MustCompile(`id="new-token">([A-Z2-7-]+)<`).FindStringSubmatch(page)
	if code != 200 || m == nil {
		t.Fatalf("apply: %d", code)
	}
	out, stderr, exit := run(t, "", "hcserver", "institution", "list", "--data", data, "--state", "pending")
	if exit != 0 || !strings.Contains(out, "向阳小区\tpending\tresidential") {
		t.Fatalf("list pending: %d %q %s", exit, out, stderr)
	}
	if code, _ := post("/portal/login", url.Values{"token": {m[1]}}); code != 403 {
		t.Errorf("login before approval: %d", code)
	}
	if out, stderr, exit := run(t, "", "hcserver", "institution", "approve", "--data", data, "向阳小区"); exit != 0 || !strings.Contains(out, "approved") {
		t.Fatalf("approve: %d %q %s", exit, out, stderr)
	}
	if code, _ := post("/portal/login", url.Values{"token": {m[1]}}); code != 303 {
		t.Errorf("login after approval: %d", code)
	}
	if _, stderr, exit := run(t, "", "hcserver", "institution", "approve", "--data", data, "向阳小区"); exit != 2 || !strings.Contains(stderr, "already decided") {
		t.Errorf("approve twice: %d %s", exit, stderr)
	}
	for _, args := range [][]string{{"--province"}, {"--viewer", "--institution", "向阳小区"}} {
		tok, stderr, exit := run(t, "", "hcserver", append([]string{"token", "--data", data}, args...)...)
		if exit != 0 {
			t.Fatalf("token %v: %s", args, stderr)
		}
		if code, _ := post("/portal/login", url.Values{"token": {strings.TrimSpace(tok)}}); code != 303 {
			t.Errorf("login with token %v: %d", args, code)
		}
	}
	if _, stderr, exit := run(t, "", "hcserver", "token", "--data", data, "--province", "--institution", "x"); exit != 2 || !strings.Contains(stderr, "no institution") {
		t.Errorf("province token for an institution: %d %s", exit, stderr)
	}
}
