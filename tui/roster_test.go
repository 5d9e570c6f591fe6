package tui_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"hcscan/healthcode"
	"hcscan/internal/screenwire"
	"hcscan/protocol"
	"hcscan/tui"
)

// personCode issues a green code carrying the person key p.
func (w *world) personCode(t testing.TB, name, id string, p healthcode.PersonKey) string {
	t.Helper()
	c, err := healthcode.NewClaims(rand.Reader, 110105, healthcode.Green, name, id, "zh", testNow.Add(-time.Hour), 72*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c.PersonKey = p
	s, err := w.issuer.Issue(rand.Reader, c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func personKey(b byte) healthcode.PersonKey {
	var k healthcode.PersonKey
	for i := range k {
		k[i] = b
	}
	return k
}

// startRosterScreen is a screen whose data file holds the institution's
// roster, signed by the province, with one member in 高一(3)班 and an
// alert about another; adjust changes the settings.
func startRosterScreen(t *testing.T, adjust func(*tui.Settings)) *screenRun {
	t.Helper()
	w := newWorld(t)
	now := func() time.Time { return testNow }
	set := testSettings("en")
	set.Policy.TakeTemperature = false
	if adjust != nil {
		adjust(&set)
	}
	sc := w.openScanner(t, now, set.Policy)
	prov, provKey, _ := ed25519.GenerateKey(rand.Reader)
	ro := protocol.Roster{Institution: "第一中学",
		Groups:  []protocol.RosterGroup{{Name: "高一(3)班", Role: healthcode.RoleStudent, Members: 40}, {Name: "教务处", Role: healthcode.RoleStaff, Members: 5}},
		Members: []protocol.RosterEntry{{Person: personKey(1), Group: "高一(3)班", Role: healthcode.RoleStudent}},
		Alerts:  []protocol.RosterAlert{{ID: "a1", Kind: protocol.AlertRed, Group: "教务处", Role: healthcode.RoleStaff, Name: "赵*师", At: testNow.Add(-time.Hour)}},
	}
	body, _ := json.Marshal(ro)
	raw, _ := json.Marshal(healthcode.SignDoc(protocol.DocRoster, body, provKey))
	if err := sc.st.SaveRoster(raw, `"ro-1"`, testNow); err != nil {
		t.Fatal(err)
	}
	book := screenwire.NewRosterBook(sc.st, "第一中学", func() ed25519.PublicKey { return prov }, nil)
	sc.checker = screenwire.NewChecker(sc.st, screenwire.CheckerOptions{Fixed: w.trust, Policy: set.Policy, Roster: book})
	deps := sc.deps(now)
	deps.Roster = book
	m := tui.New(context.Background(), deps, set)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	return &screenRun{t: t, lang: "en", w: w, sc: sc, m: m, tm: tm}
}

// waitAll waits until the screen has shown every one of texts (text keys
// in the run's language), which may come in one frame.
func (r *screenRun) waitAll(texts ...string) {
	r.t.Helper()
	for i, s := range texts {
		s = text(r.lang, s)
		if j := strings.Index(s, "%"); j > 0 {
			s = s[:j]
		}
		texts[i] = s
	}
	teatest.WaitFor(r.t, r.tm.Output(), func(b []byte) bool {
		for _, s := range texts {
			if !strings.Contains(string(b), s) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
}

// A roster-only gate (a kindergarten): the institution's own people pass
// with their group on the screen; anyone else is stopped as not on the
// list, and only the member's record carries the person key.
func TestRosterOnlyGate(t *testing.T) {
	r := startRosterScreen(t, func(s *tui.Settings) { s.RosterOnly = true })
	r.signIn()
	r.scan(r.w.personCode(t, "张小三", "110105200801011234", personKey(1)))
	r.waitAll("高一(3)班 · student", "saved")
	r.keys("enter")
	r.waitText("ready.hint")
	r.scan(r.w.personCode(t, "王大明", "110105198001011234", personKey(2)))
	r.waitText("roster.notlisted")
	r.keys("enter")
	r.waitText("saved")
	r.keys("enter")
	r.waitText("ready.hint")
	r.scan(r.w.green(t)) // a code from before person keys: not on the list either
	r.waitText("roster.notlisted")
	r.keys("enter")
	r.waitText("saved")
	r.finish()
	recs := r.sc.records(t)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	if m := recs[0]; m.Verdict != healthcode.VerdictPass || m.PersonKey != personKey(1) || m.EnrolGroup != "" {
		t.Errorf("member: %+v", m)
	}
	for _, s := range recs[1:] {
		if s.Verdict != healthcode.VerdictStop || s.Disposition != healthcode.DispositionNotListed || !s.PersonKey.IsZero() {
			t.Errorf("stranger: verdict %v disposition %v person key %s", s.Verdict, s.Disposition, s.PersonKey)
		}
	}
}

// Roster mode: the operator picks a group; each code shown is enrolled
// into it (a code without a person key cannot be, and says so); leaving
// roster mode, a stranger's record carries no person key again.
func TestRosterModeEnrols(t *testing.T) {
	r := startRosterScreen(t, nil)
	r.signIn()
	r.keys("g")
	r.waitAll("roster.title", "教务处 · staff")
	r.keys("down enter")
	r.waitText("roster mode: each code is enrolled into 教务处 · staff")
	r.scan(r.w.personCode(t, "钱老师", "110105198502021234", personKey(3)))
	r.waitAll("enrolled into 教务处 · staff", "saved")
	r.keys("enter")
	r.waitText("ready.hint")
	r.scan(r.w.green(t))
	r.waitAll("roster.nokey", "saved")
	r.keys("enter")
	r.waitText("ready.hint")
	r.keys("g")
	r.waitText("roster.end")
	r.keys("enter")
	r.waitText("ready.hint")
	r.scan(r.w.personCode(t, "孙大明", "110105198603031234", personKey(4)))
	r.waitText("saved")
	r.keys("enter")
	r.waitText("ready.hint")
	// The sync view lists the alert about one of the institution's people.
	r.keys("s")
	r.waitAll("sync.people", "赵*师")
	view := r.finish()
	recs := r.sc.records(t)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	if e := recs[0]; e.PersonKey != personKey(3) || e.EnrolGroup != "教务处" || e.EnrolRole != healthcode.RoleStaff || e.Verdict != healthcode.VerdictPass {
		t.Errorf("enrolled: %+v", e)
	}
	if e := recs[1]; e.EnrolGroup != "" || !e.PersonKey.IsZero() {
		t.Errorf("a code without a person key enrolled: %+v", e)
	}
	if e := recs[2]; e.EnrolGroup != "" || !e.PersonKey.IsZero() {
		t.Errorf("after roster mode a stranger's record keeps a person key: %+v", e)
	}
	if !strings.Contains(view, "教务处") {
		t.Errorf("sync view without the alert's group:\n%s", view)
	}
}
