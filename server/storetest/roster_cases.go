package storetest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
)

// Zone is the institutions' zone in the roster cases (China Standard Time).
var Zone = time.FixedZone("CST", 8*3600)

// Person is one of an institution's people as the province knows them:
// the ID number the person key is made from and the full name that the
// code shows masked.
type Person struct {
	Name string
	ID   string
	Key  healthcode.PersonKey
}

// NewPerson makes the i-th test person of e's province.
func (e *Env) NewPerson(t testing.TB, name string, i int) Person {
	t.Helper()
	id := fmt.Sprintf("1101052010%02d%02d%04d", 1+i%12, 1+i%28, i)
	k, err := e.Srv.Keys().PersonKey(healthcode.IDResident, id)
	if err != nil {
		t.Fatal(err)
	}
	return Person{Name: name, ID: id, Key: k}
}

// Check is a record of p's code (a fresh code hash) checked by d at at.
func Check(d *Device, p Person, at time.Time) healthcode.Record {
	r := NewRecord(d, d.Rep.Gate, "王*", at)
	r.PersonKey, r.Name = p.Key, healthcode.MaskName(p.Name)
	return r
}

// ScannerRoster fetches d's roster as a scanner does and checks its signature.
func (e *Env) ScannerRoster(t testing.TB, d *Device, etag string) (*protocol.Roster, string, []byte) {
	t.Helper()
	c := Call{Method: "GET", URI: protocol.PathRoster}
	if etag != "" {
		c.Header = map[string]string{"If-None-Match": etag}
	}
	resp, data := e.Do(t, d, c)
	if resp.StatusCode == 304 {
		return nil, resp.Header.Get("ETag"), nil
	}
	if resp.StatusCode != 200 {
		t.Fatalf("roster: %d %s", resp.StatusCode, data)
	}
	ro, err := protocol.ParseRoster(data, d.Rep.ServerKey, d.Rep.Institution)
	if err != nil {
		t.Fatalf("roster does not verify: %v", err)
	}
	return ro, resp.Header.Get("ETag"), data
}

func memberByName(t testing.TB, ms []server.RosterMember, name string) server.RosterMember {
	t.Helper()
	for _, m := range ms {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no member %q in %d", name, len(ms))
	return server.RosterMember{}
}

func testRosterLinkedByCSVAndScan(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	gate := e.Enroll(t, "第一中学", "北门")
	ctx := t.Context()
	csv := "\ufeff姓名,班级,身份\n张小三,高一(3)班,学生\n李四,高一(3)班,学生\n王五,高一(4)班,学生\n王六,高一(4)班,学生\n赵老师,教务处,教职工\n"
	entries, err := server.ParseRosterCSV(strings.NewReader(csv))
	if err != nil || len(entries) != 5 {
		t.Fatalf("parse: %d %v", len(entries), err)
	}
	if _, err := e.Srv.AddRosterMembers(ctx, "第一中学", entries); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"张三,高一(3)班\n", "张三,高一(3)班,校长的猫\n", "", ",高一,学生\n", "\xff\xfe,x,y\n"} {
		if _, err := server.ParseRosterCSV(strings.NewReader(bad)); err == nil {
			t.Errorf("roster file %q accepted", bad)
		}
	}
	ms, _ := e.Srv.Store().RosterMembers(ctx, "第一中学")
	if len(ms) != 5 || ms[0].Group != "教务处" || ms[0].Role != healthcode.RoleStaff || ms[0].IsLinked() {
		t.Fatalf("imported roster: %+v", ms)
	}

	zhang, li := e.NewPerson(t, "张小三", 1), e.NewPerson(t, "李四", 2)
	wang5 := e.NewPerson(t, "王五", 3)
	newcomer := e.NewPerson(t, "孙七", 5)
	at := e.Clock.Now().Add(-time.Hour)
	enrol := func(p Person, group string, role healthcode.Role, off time.Duration) healthcode.Record {
		r := Check(gate, p, at.Add(off))
		r.EnrolGroup, r.EnrolRole = group, role
		return r
	}
	// Roster mode: the operator picks the group, the code shows the masked
	// name. 王五 and 王六 both mask to 王*: which is which the portal settles.
	recs := []healthcode.Record{
		enrol(zhang, "高一(3)班", healthcode.RoleStudent, 0),
		enrol(li, "高一(3)班", healthcode.RoleNone, time.Minute), // the role comes from the group
		enrol(wang5, "高一(4)班", healthcode.RoleStudent, 2*time.Minute),
		enrol(newcomer, "高一(3)班", healthcode.RoleStudent, 3*time.Minute),
	}
	if rr := e.Upload(t, gate, recs, "enrol-1"); rr.Stored != 4 {
		t.Fatalf("upload: %+v", rr)
	}
	// A retry of the batch (the answer was lost) links nothing twice.
	if rr := e.Upload(t, gate, recs, "enrol-1"); rr.Stored != 4 {
		t.Fatalf("retry: %+v", rr)
	}
	ms, _ = e.Srv.Store().RosterMembers(ctx, "第一中学")
	if len(ms) != 7 {
		t.Fatalf("after enrolment %d members, want 5 imported + 孙* + 王* unconfirmed: %+v", len(ms), ms)
	}
	if m := memberByName(t, ms, "张小三"); m.Person != zhang.Key || m.Masked != "张*三" || m.Unconfirmed || m.Linked.IsZero() {
		t.Errorf("张小三 not linked by the scan: %+v", m)
	}
	if m := memberByName(t, ms, "李四"); m.Person != li.Key || m.Role != healthcode.RoleStudent {
		t.Errorf("李四: %+v", m)
	}
	if m := memberByName(t, ms, "王五"); m.IsLinked() {
		t.Errorf("王五 linked although 王六 masks the same: %+v", m)
	}
	amb := memberByName(t, ms, "王*")
	if !amb.Unconfirmed || amb.Person != wang5.Key || amb.Group != "高一(4)班" {
		t.Errorf("ambiguous scan: %+v", amb)
	}
	if m := memberByName(t, ms, "孙*"); !m.Unconfirmed || m.Person != newcomer.Key || m.Role != healthcode.RoleStudent {
		t.Errorf("someone not on the list, enrolled at the gate: %+v", m)
	}
	// The portal settles it: the unconfirmed 王* is 王五.
	if err := e.Srv.ConfirmRosterMember(ctx, "第一中学", amb.ID, memberByName(t, ms, "王五").ID); err != nil {
		t.Fatal(err)
	}
	ms, _ = e.Srv.Store().RosterMembers(ctx, "第一中学")
	if m := memberByName(t, ms, "王五"); m.Person != wang5.Key || m.Unconfirmed || len(ms) != 6 {
		t.Errorf("confirmed: %+v (%d members)", m, len(ms))
	}
	// A person can be on the roster once: giving 王六 王五's key is refused.
	w6 := memberByName(t, ms, "王六")
	w6.Person = wang5.Key
	if err := e.Srv.Store().PutRosterMembers(ctx, "第一中学", []server.RosterMember{w6}); err == nil {
		t.Error("one person key on two members")
	}
	// Enrolled again into another group: the member moves.
	e.Upload(t, gate, []healthcode.Record{enrol(zhang, "高一(4)班", healthcode.RoleStudent, 4*time.Minute)}, "")
	ms, _ = e.Srv.Store().RosterMembers(ctx, "第一中学")
	if m := memberByName(t, ms, "张小三"); m.Group != "高一(4)班" || m.Person != zhang.Key {
		t.Errorf("moved: %+v", m)
	}

	// The scanners get person keys, groups and roles; no name leaves the server.
	ro, etag, raw := e.ScannerRoster(t, gate, "")
	if len(ro.Members) != 4 || len(ro.Groups) != 3 || etag == "" {
		t.Fatalf("scanner roster: %d members %d groups etag %q", len(ro.Members), len(ro.Groups), etag)
	}
	got := map[healthcode.PersonKey]string{}
	for _, m := range ro.Members {
		got[m.Person] = m.Group + "/" + m.Role.String()
	}
	if got[zhang.Key] != "高一(4)班/student" || got[li.Key] != "高一(3)班/student" || got[newcomer.Key] != "高一(3)班/student" {
		t.Errorf("scanner roster members: %v", got)
	}
	for _, name := range []string{"张小三", "李四", "王五", "王六", "赵老师", "孙七"} {
		if bytes.Contains(raw, []byte(name)) || strings.Contains(fmt.Sprintf("%+v", ro), name) {
			t.Errorf("the scanner's roster names %s in clear", name)
		}
	}
	if again, etag2, _ := e.ScannerRoster(t, gate, etag); again != nil || etag2 != etag {
		t.Errorf("unchanged roster: not a 304 (etag %q → %q)", etag, etag2)
	}
	if _, err := e.Srv.AddRosterMembers(ctx, "第一中学", []server.RosterEntry{{Name: "周八", Group: "高一(3)班", Role: healthcode.RoleStudent}}); err != nil {
		t.Fatal(err)
	}
	if ro, etag3, _ := e.ScannerRoster(t, gate, etag); ro == nil || etag3 == etag || len(ro.Groups) != 3 || ro.Groups[1].Name != "高一(3)班" || ro.Groups[1].Members != 3 {
		t.Errorf("changed roster: %v %q", ro, etag3)
	}

	// Another institution: its scanners and its morning view see nothing of this roster.
	other := e.Enroll(t, "第二中学", "南门")
	if ro, _, _ := e.ScannerRoster(t, other, ""); len(ro.Members)+len(ro.Groups)+len(ro.Alerts) != 0 {
		t.Errorf("another institution's scanner got %+v", ro)
	}
	v, err := e.Srv.MorningView(ctx, "第二中学", e.Clock.Now().In(Zone))
	if err != nil || v.Totals.Expected != 0 || len(v.Groups) != 0 {
		t.Errorf("another institution's morning view: %+v %v", v, err)
	}
	// Removing takes the member off the scanners too.
	if err := e.Srv.RemoveRosterMembers(ctx, "第一中学", []string{memberByName(t, ms, "李四").ID}); err != nil {
		t.Fatal(err)
	}
	if err := e.Srv.RemoveRosterMembers(ctx, "第二中学", []string{memberByName(t, ms, "王五").ID}); err == nil {
		t.Error("another institution removed a member")
	}
	if ro, _, _ := e.ScannerRoster(t, gate, ""); len(ro.Members) != 3 {
		t.Errorf("after removing 李四: %d members", len(ro.Members))
	}
}
