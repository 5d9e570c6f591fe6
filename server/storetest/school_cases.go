package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
	"hcscan/store"
	hcsync "hcscan/sync"
)

// schoolSurnames give sixty students whose masked names differ within
// each class (张*明 in class 1, 张*华 in class 2), as a class's mostly do.
const schoolSurnames = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏"

// GateScanner is a real scanner at a gate: its data file, enrolled with the
// province, and the real sync client. It checks codes as the screen does:
// offline against the trust list it holds, the person looked up in the
// roster it holds, the person key kept only for the institution's people.
type GateScanner struct {
	t      testing.TB
	st     *store.Store
	client *hcsync.Client
	dev    store.Device
	path   string
}

// NewGateScanner enrols a new data file with the server at url with an
// enrolment token.
func NewGateScanner(t testing.TB, url, token string) *GateScanner {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hcscan.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dev, err := hcsync.Enroll(t.Context(), st, hcsync.EnrollOptions{ServerURL: url, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	c, err := hcsync.New(st, hcsync.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &GateScanner{t: t, st: st, client: c, dev: dev, path: path}
}

// Sync is one full sync (it fails the test when it fails).
func (g *GateScanner) Sync() hcsync.Report {
	g.t.Helper()
	rep, err := g.client.SyncOnce(g.t.Context(), nil)
	if err != nil {
		g.t.Fatalf("sync: %v", err)
	}
	return rep
}

// Check verifies payload at at, takes the temperature and keeps the record
// the screen would save (enrol: roster mode's group, "" for none).
func (g *GateScanner) Check(payload string, at time.Time, temp healthcode.Temperature, enrol string) healthcode.Record {
	g.t.Helper()
	raw, _, _, err := g.st.TrustList()
	if err != nil {
		g.t.Fatal(err)
	}
	tl, err := healthcode.ParseTrustList(raw, g.dev.RootKey, 0)
	if err != nil {
		g.t.Fatal(err)
	}
	fetched, _ := g.st.StatusFetched()
	v := healthcode.Verifier{Trust: tl, Status: g.st, StatusFetched: fetched}
	res := v.VerifyAt(payload, healthcode.Moment{Now: at, Wall: at, Confirmed: true, Synced: at})
	if !res.Valid {
		g.t.Fatalf("code refused at the gate: %s %s", res.Reason, res.Detail)
	}
	policy := healthcode.DefaultPolicy()
	dec := policy.Decide(res, temp, true)
	id, _ := uuid.NewV7()
	rec := healthcode.Record{ID: id.String(), Institution: g.dev.Institution, Gate: g.dev.Gate, Operator: "王*", Time: at, CorrectedTime: at,
		CodeHash: res.CodeHash, ScannedColour: res.ScannedColour, EffectiveColour: res.EffectiveColour, Verdict: dec.Verdict,
		Temperature: temp, Fever: dec.Fever, Disposition: dec.DefaultDisposition, Name: res.Claims.Name, IDMasked: res.Claims.ID,
		Region: res.Claims.Region, Lang: res.Claims.Lang}
	if enrol != "" {
		rec.PersonKey, rec.EnrolGroup = res.Claims.PersonKey, enrol
	} else if g.onRoster(res.Claims.PersonKey) {
		rec.PersonKey = res.Claims.PersonKey
	}
	if err := g.st.Append(context.Background(), &rec); err != nil {
		g.t.Fatal(err)
	}
	return rec
}

// onRoster says whether the roster the scanner holds has the person.
func (g *GateScanner) onRoster(p healthcode.PersonKey) bool {
	g.t.Helper()
	raw, _, _, err := g.st.Roster()
	if err != nil || raw == nil || p.IsZero() {
		return false
	}
	ro, err := protocol.ParseRoster(raw, g.dev.ServerKey, g.dev.Institution)
	if err != nil {
		g.t.Fatalf("the roster on the scanner: %v", err)
	}
	for _, m := range ro.Members {
		if m.Person == p {
			return true
		}
	}
	return false
}

// student is one of the school's sixty, with the codes the province issued.
type student struct {
	name, class, id string
	person          healthcode.PersonKey
	enrolCode       string              // shown at enrolment, the day before
	enrolHash       healthcode.CodeHash // its hash, as the scanner recorded it
	code            string              // shown this morning
}

// issue makes p's code, issued at at.
func (e *Env) issue(t testing.TB, s *student, at time.Time) string {
	t.Helper()
	is, err := e.Srv.Keys().Issuer(110105)
	if err != nil {
		t.Fatal(err)
	}
	c, err := healthcode.NewClaims(rand.Reader, 110105, healthcode.Green, s.name, s.id, "zh", at, 72*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c.PersonKey = s.person
	code, err := is.Issue(rand.Reader, c)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// testSchoolMorning is a school of two classes and sixty students: the
// roster imported in the portal, everyone enrolled at the gate the day
// before, 55 checked this morning (two with a fever), and at 10:00 the code
// of one of the five who did not come turns red, without a scan. The
// morning view and its exports say exactly that, the scanner learns the
// alerts at its next sync, and its data file names nobody.
func testSchoolMorning(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	const school, gate = "实验中学", "北门"
	classes := [2]string{"高一(1)班", "高一(2)班"}
	today := server.DayStart(e.Clock.Now().In(Zone), Zone)
	at := func(day int, h, m int) time.Time {
		return today.AddDate(0, 0, day).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	e.Clock.Add(at(-1, 15, 0).Sub(e.Clock.Now()))

	surnames := []rune(schoolSurnames)
	students := make([]*student, 60)
	var file strings.Builder
	file.WriteString("姓名,班级,身份\n")
	for i := range students {
		s := &student{class: classes[i/30], id: fmt.Sprintf("1101052009%02d%02d%04d", 1+i%12, 1+i%28, 3000+i)}
		s.name = string(surnames[i%30]) + "小" + map[int]string{0: "明", 1: "华"}[i/30]
		s.person, _ = e.Srv.Keys().PersonKey(healthcode.IDResident, s.id)
		s.enrolCode = e.issue(t, s, at(-1, 14, 0))
		students[i] = s
		fmt.Fprintf(&file, "%s,%s,学生\n", s.name, s.class)
	}
	admin := NewBrowser(t, e.HTTP.URL)
	admin.Login(e, server.TokenPortal, school)
	if code, page := admin.Upload("/portal/roster/import", "file", "roster.csv", []byte(file.String())); code != 200 || !strings.Contains(page, "60 added") {
		t.Fatalf("roster import: %d", code)
	}

	// The day before: everyone shows their code once in roster mode.
	sc := NewGateScanner(t, e.HTTP.URL, e.Token(t, school, gate))
	sc.Sync()
	for i, s := range students {
		s.enrolHash = sc.Check(s.enrolCode, at(-1, 16, i/2), 365, s.class).CodeHash
	}
	// The sync that takes the enrolments up brings the linked roster back.
	if rep := sc.Sync(); rep.Stored != 60 || rep.RosterMembers != 60 {
		t.Fatalf("enrolment upload: stored %d, roster of %d", rep.Stored, rep.RosterMembers)
	}
	ms, _ := e.Srv.Store().RosterMembers(t.Context(), school)
	linked := 0
	for _, m := range ms {
		if m.IsLinked() && !m.Unconfirmed {
			linked++
		}
	}
	if len(ms) != 60 || linked != 60 {
		t.Fatalf("after enrolment %d members, %d linked", len(ms), linked)
	}

	// This morning: half show a code reissued overnight (the same person
	// key); 55 come, two with a fever; 28, 29, 57, 58 and 59 stay away.
	e.Clock.Add(at(0, 7, 0).Sub(e.Clock.Now()))
	sc.Sync()
	absent := map[int]bool{28: true, 29: true, 57: true, 58: true, 59: true}
	fever := map[int]healthcode.Temperature{3: 378, 40: 382}
	first := map[int]time.Time{}
	for i, s := range students {
		s.code = s.enrolCode
		if i%2 == 0 {
			s.code = e.issue(t, s, at(0, 6, 0))
		}
		if absent[i] {
			continue
		}
		temp := healthcode.Temperature(362 + i%6)
		if f, ok := fever[i]; ok {
			temp = f
		}
		first[i] = at(0, 7, 5+i/2)
		rec := sc.Check(s.code, first[i], temp, "")
		if rec.PersonKey != s.person {
			t.Fatalf("student %d: the record does not carry the person key of a roster member", i)
		}
	}
	// A visitor's record carries no person key.
	visitor := &student{name: "路过人", id: "110105198001019999"}
	visitor.person, _ = e.Srv.Keys().PersonKey(healthcode.IDResident, visitor.id)
	if rec := sc.Check(e.issue(t, visitor, at(0, 6, 0)), at(0, 7, 50), 364, ""); !rec.PersonKey.IsZero() {
		t.Error("a visitor's record carries their person key")
	}
	e.Clock.Add(at(0, 7, 55).Sub(e.Clock.Now()))
	if rep := sc.Sync(); rep.Stored != 56 || len(rep.RosterAlerts) != 2 {
		t.Fatalf("morning upload: stored %d, %d new alerts (want 56 and the two fevers)", rep.Stored, len(rep.RosterAlerts))
	}

	// 10:00: the province turns red the code student 59 showed yesterday.
	e.Clock.Add(at(0, 10, 0).Sub(e.Clock.Now()))
	red := students[59]
	if _, _, err := e.Srv.SetStatus(t.Context(), []server.StatusChange{{Hash: red.enrolHash, Colour: healthcode.Red}}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Add(5 * time.Minute)
	rep := sc.Sync()
	if len(rep.RosterAlerts) != 1 || rep.RosterAlerts[0].Kind != protocol.AlertRed || rep.RosterAlerts[0].Name != healthcode.MaskName(red.name) || rep.RosterAlerts[0].Group != red.class {
		t.Fatalf("the scanner's alert: %+v", rep.RosterAlerts)
	}

	// The head teacher logs in at 10:05 (yesterday's session has ended).
	morning := NewBrowser(t, e.HTTP.URL)
	morning.Login(e, server.TokenPortal, school)
	checkSchoolPortal(t, morning, students, absent, fever, first, today)

	// The scanner's data file names nobody: not in its bytes, not in the
	// roster it keeps.
	raw, _, _, _ := sc.st.Roster()
	body, err := healthcode.OpenDoc(raw, protocol.DocRoster, sc.dev.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	sc.st.Close()
	data, err := os.ReadFile(sc.path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range students {
		if bytes.Contains(data, []byte(s.name)) || bytes.Contains(body, []byte(s.name)) {
			t.Fatalf("the scanner keeps %s in clear", s.name)
		}
	}
}
