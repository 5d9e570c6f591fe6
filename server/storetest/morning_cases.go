package storetest

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
)

// memberRow finds a member's day in a morning view.
func memberRow(t testing.TB, v *server.MorningView, name string) server.MemberDay {
	t.Helper()
	for _, g := range v.Groups {
		for _, d := range g.Members {
			if d.Member.Name == name {
				return d
			}
		}
	}
	t.Fatalf("no %s in the morning view", name)
	return server.MemberDay{}
}

// elderNames mask to twelve different names (张*芳, ...), as a group's
// names mostly do.
var elderNames = []string{"赵桂芳", "钱秀英", "孙玉兰", "李淑珍", "周凤英", "吴建国", "郑志强", "王德明", "冯丽华", "陈海燕", "褚国庆", "卫建军"}

func testMorningViewCounts(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	ctx := t.Context()
	north, south := e.Enroll(t, "养老院", "north"), e.Enroll(t, "养老院", "south")
	stranger := e.Enroll(t, "超市", "door")
	// Yesterday, so the whole day is over whenever the test runs.
	day := server.DayStart(e.Clock.Now().In(Zone), Zone).AddDate(0, 0, -1)
	var entries []server.RosterEntry
	var people []Person
	for i := 0; i < 12; i++ {
		group, role := "一楼", healthcode.RoleElderly
		if i >= 8 {
			group, role = "护理员", healthcode.RoleStaff
		}
		name := elderNames[i]
		entries = append(entries, server.RosterEntry{Name: name, Group: group, Role: role})
		people = append(people, e.NewPerson(t, name, 100+i))
	}
	if _, err := e.Srv.AddRosterMembers(ctx, "养老院", entries); err != nil {
		t.Fatal(err)
	}
	// Everyone was enrolled at the gate two days ago (the last one never was).
	var recs []healthcode.Record
	for i, p := range people[:11] {
		r := Check(north, p, day.Add(-24*time.Hour+time.Duration(i)*time.Minute))
		r.EnrolGroup = entries[i].Group
		recs = append(recs, r)
	}
	e.Upload(t, north, recs, "")
	// The day: 0–5 checked in the morning (3 twice, 4 with a fever, 5
	// stopped yellow), 8–9 of the staff; a check the day before and the
	// day after does not count; the same people at another institution's
	// door do not count.
	recs = nil
	for i := 0; i <= 5; i++ {
		recs = append(recs, Check(north, people[i], day.Add(7*time.Hour+time.Duration(i)*time.Minute)))
	}
	recs[4].Temperature, recs[4].Fever, recs[4].Verdict = 381, true, healthcode.VerdictStop
	recs[5].EffectiveColour, recs[5].Verdict = healthcode.Yellow, healthcode.VerdictStop
	again := Check(south, people[3], day.Add(17*time.Hour))
	again.Temperature = 369
	e.Upload(t, north, recs, "")
	e.Upload(t, south, []healthcode.Record{again, Check(south, people[8], day.Add(6*time.Hour)), Check(south, people[9], day.Add(23*time.Hour+59*time.Minute))}, "")
	e.Upload(t, north, []healthcode.Record{Check(north, people[6], day.Add(-time.Minute)), Check(north, people[7], day.Add(24*time.Hour))}, "")
	e.Upload(t, stranger, []healthcode.Record{Check(stranger, people[6], day.Add(9*time.Hour))}, "")

	v, err := e.Srv.MorningView(ctx, "养老院", day.Add(12*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !v.Day.Equal(day) || v.Current {
		t.Errorf("day %v current %v, want %v over", v.Day, v.Current, day)
	}
	want := map[string]server.DayCounts{
		"一楼":  {Expected: 8, Checked: 6, Absent: 2, Fever: 1, Stopped: 2, Yellow: 1},
		"护理员": {Expected: 4, Checked: 2, Absent: 2},
	}
	if len(v.Groups) != 2 {
		t.Fatalf("%d groups", len(v.Groups))
	}
	for _, g := range v.Groups {
		if g.Counts != want[g.Group] {
			t.Errorf("%s: %+v, want %+v", g.Group, g.Counts, want[g.Group])
		}
	}
	if v.Totals != (server.DayCounts{Expected: 12, Checked: 8, Absent: 4, Fever: 1, Stopped: 2, Yellow: 1}) || v.Unlinked != 1 {
		t.Errorf("totals %+v unlinked %d", v.Totals, v.Unlinked)
	}
	d3 := memberRow(t, v, elderNames[3])
	if d3.Checks != 2 || !d3.First.At.Equal(day.Add(7*time.Hour+3*time.Minute)) || d3.First.Gate != "north" || d3.Last.Gate != "south" || d3.MaxTemperature != 369 {
		t.Errorf("%s: %+v", elderNames[3], d3)
	}
	if d4 := memberRow(t, v, elderNames[4]); !d4.Fever || !d4.Stopped || d4.MaxTemperature != 381 {
		t.Errorf("%s: %+v", elderNames[4], d4)
	}
	if d5 := memberRow(t, v, elderNames[5]); d5.Colour != healthcode.Yellow || !d5.Stopped || len(v.Attention) != 1 || v.Attention[0].Member.Name != elderNames[5] {
		t.Errorf("%s yellow at the gate: %+v, attention %d", elderNames[5], d5, len(v.Attention))
	}
	if d6 := memberRow(t, v, elderNames[6]); d6.Checked() {
		t.Errorf("a check before midnight or at another institution counted: %+v", d6)
	}
	// The day after is queryable too and has its own counts.
	next, err := e.Srv.MorningView(ctx, "养老院", day.AddDate(0, 0, 1))
	if err != nil || next.Totals.Checked != 1 || !memberRow(t, next, elderNames[7]).Checked() {
		t.Errorf("the next day: %+v %v", next.Totals, err)
	}
	// The alerts: one fever, raised when the record arrived.
	alerts, _ := e.Srv.Store().RosterAlerts(ctx, "养老院", time.Time{})
	if len(alerts) != 1 || alerts[0].Kind != protocol.AlertFever || alerts[0].Name != healthcode.MaskName(elderNames[4]) || alerts[0].Group != "一楼" || alerts[0].Temperature != 381 {
		t.Errorf("fever alerts: %+v", alerts)
	}
	if other, _ := e.Srv.Store().RosterAlerts(ctx, "超市", time.Time{}); len(other) != 0 {
		t.Errorf("another institution got alerts: %+v", other)
	}
}

func testRosterStatusTurnsWithoutAScan(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	ctx := t.Context()
	gate := e.Enroll(t, "幼儿园", "大门")
	other := e.Enroll(t, "医院", "门诊")
	kid, teacher, parent := e.NewPerson(t, "刘小明", 1), e.NewPerson(t, "陈老师", 2), e.NewPerson(t, "刘大明", 3)
	if _, err := e.Srv.AddRosterMembers(ctx, "幼儿园", []server.RosterEntry{
		{Name: "刘小明", Group: "小一班", Role: healthcode.RoleChild}, {Name: "陈老师", Group: "小一班", Role: healthcode.RoleStaff},
	}); err != nil {
		t.Fatal(err)
	}
	now := e.Clock.Now()
	enrolKid, enrolTeacher := Check(gate, kid, now.Add(-2*time.Hour)), Check(gate, teacher, now.Add(-2*time.Hour))
	enrolKid.EnrolGroup, enrolTeacher.EnrolGroup = "小一班", "小一班"
	e.Upload(t, gate, []healthcode.Record{enrolKid, enrolTeacher}, "")
	// The same child passes a hospital's door too: its code is seen there,
	// but the hospital has no roster with the child.
	e.Upload(t, other, []healthcode.Record{Check(other, kid, now.Add(-time.Hour))}, "")

	// The child's code (as scanned at enrolment) turns red: no new scan.
	e.Clock.Add(time.Minute)
	if _, _, err := e.Srv.SetStatus(ctx, []server.StatusChange{{Hash: enrolKid.CodeHash, Colour: healthcode.Red}}); err != nil {
		t.Fatal(err)
	}
	turned := e.Clock.Now()
	alerts, _ := e.Srv.Store().RosterAlerts(ctx, "幼儿园", time.Time{})
	if len(alerts) != 1 || alerts[0].Kind != protocol.AlertRed || alerts[0].Group != "小一班" || alerts[0].Name != "刘*明" || alerts[0].At.Sub(turned).Abs() > time.Millisecond {
		t.Fatalf("alerts after the red: %+v", alerts)
	}
	// Set again (the province resends): no second alert.
	e.Clock.Add(time.Minute)
	e.Srv.SetStatus(ctx, []server.StatusChange{{Hash: enrolKid.CodeHash, Colour: healthcode.Red}})
	if again, _ := e.Srv.Store().RosterAlerts(ctx, "幼儿园", time.Time{}); len(again) != 1 {
		t.Errorf("the same change twice: %d alerts", len(again))
	}
	if h, _ := e.Srv.Store().RosterAlerts(ctx, "医院", time.Time{}); len(h) != 0 {
		t.Errorf("the hospital, without the child on a roster, got %+v", h)
	}
	v, err := e.Srv.MorningView(ctx, "幼儿园", e.Clock.Now().In(Zone))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Attention) != 1 || v.Attention[0].Member.Name != "刘小明" || v.Attention[0].Colour != healthcode.Red || v.Attention[0].Turned.IsZero() {
		t.Fatalf("attention: %+v", v.Attention)
	}
	if !v.Attention[0].NotSeenSince {
		t.Errorf("turned red after the last check but not marked so: %+v", v.Attention[0])
	}
	// The scanners get the alert with the group and masked name, nothing more.
	ro, _, raw := e.ScannerRoster(t, gate, "")
	if len(ro.Alerts) != 1 || ro.Alerts[0].Kind != protocol.AlertRed || ro.Alerts[0].Name != "刘*明" || ro.Alerts[0].Group != "小一班" || bytes.Contains(raw, []byte("刘小明")) {
		t.Errorf("scanner alerts: %+v", ro.Alerts)
	}
	if ro, _, _ := e.ScannerRoster(t, other, ""); len(ro.Alerts) != 0 {
		t.Errorf("the hospital's scanner got %+v", ro.Alerts)
	}

	// A code never seen at a gate, its owner named by the provincial
	// database: the teacher's new code turns yellow.
	fresh := HashOf(0x5a)
	e.Clock.Add(time.Minute)
	if _, _, err := e.Srv.SetStatus(ctx, []server.StatusChange{{Hash: fresh, Colour: healthcode.Yellow, Person: teacher.Key}, {Hash: HashOf(0x5b), Colour: healthcode.Red, Person: parent.Key}}); err != nil {
		t.Fatal(err)
	}
	alerts, _ = e.Srv.Store().RosterAlerts(ctx, "幼儿园", time.Time{})
	kinds := []string{}
	for _, a := range alerts {
		kinds = append(kinds, a.Kind+" "+a.Name)
	}
	sort.Strings(kinds)
	if strings.Join(kinds, ",") != "red 刘*明,yellow 陈*师" {
		t.Errorf("alerts: %v (the parent is on no roster)", kinds)
	}
	// Back to green: the member leaves the top of the page.
	e.Clock.Add(time.Minute)
	e.Srv.SetStatus(ctx, []server.StatusChange{{Hash: enrolKid.CodeHash, Colour: healthcode.Green}})
	v, _ = e.Srv.MorningView(ctx, "幼儿园", e.Clock.Now().In(Zone))
	if len(v.Attention) != 1 || v.Attention[0].Member.Name != "陈老师" || v.Totals.Yellow != 1 || v.Totals.Red != 0 {
		t.Errorf("after green: attention %+v totals %+v", v.Attention, v.Totals)
	}
}

func testGroupContacts(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	ctx := t.Context()
	gate, side := e.Enroll(t, "公司", "大堂"), e.Enroll(t, "公司", "侧门")
	a, b, c := e.NewPerson(t, "甲员工", 1), e.NewPerson(t, "乙员工", 2), e.NewPerson(t, "丙员工", 3)
	e.Srv.AddRosterMembers(ctx, "公司", []server.RosterEntry{
		{Name: "甲员工", Group: "研发部", Role: healthcode.RoleStaff}, {Name: "乙员工", Group: "研发部", Role: healthcode.RoleStaff},
		{Name: "丙员工", Group: "财务部", Role: healthcode.RoleStaff},
	})
	at := e.Clock.Now().Add(-3 * time.Hour).Truncate(time.Second)
	var recs []healthcode.Record
	for i, p := range []Person{a, b, c} {
		r := Check(gate, p, at.Add(time.Duration(i)*time.Minute-time.Hour))
		r.EnrolGroup = []string{"研发部", "研发部", "财务部"}[i]
		recs = append(recs, r)
	}
	caseCheck := Check(gate, a, at)
	visitor := NewRecord(gate, "大堂", "王*", at.Add(10*time.Minute))
	visitor.Name = "访*客"
	late := NewRecord(gate, "大堂", "王*", at.Add(50*time.Minute))
	otherGate := NewRecord(side, "侧门", "王*", at.Add(time.Minute))
	e.Upload(t, gate, append(recs, caseCheck, visitor, late), "")
	e.Upload(t, side, []healthcode.Record{otherGate}, "")
	ms, _ := e.Srv.Store().RosterMembers(ctx, "公司")
	gc, err := e.Srv.GroupContacts(ctx, "公司", memberByName(t, ms, "甲员工").ID, at.Add(-30*time.Minute), at.Add(time.Hour), 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(gc.Groupmates) != 1 || gc.Groupmates[0].Name != "乙员工" || len(gc.Checks) != 1 {
		t.Errorf("groupmates %+v checks %d", gc.Groupmates, len(gc.Checks))
	}
	if len(gc.AtGates) != 1 || gc.AtGates[0].Name != "访*客" {
		t.Errorf("at the gates: %+v", gc.AtGates)
	}
	if _, err := e.Srv.GroupContacts(ctx, "别的公司", memberByName(t, ms, "甲员工").ID, at, at, time.Minute); err == nil {
		t.Error("another institution reached the member")
	}
	stored, _ := e.Srv.Store().Record(ctx, gate.ID, caseCheck.ID)
	if m, ok, err := e.Srv.MemberOfRecord(ctx, "公司", stored); !ok || err != nil || m.Name != "甲员工" {
		t.Errorf("member of the case record: %+v %v %v", m, ok, err)
	}
}
