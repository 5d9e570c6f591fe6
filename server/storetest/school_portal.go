package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
)

// checkSchoolPortal reads the school's morning in the portal as its admin
// does, and its two downloads, against what happened at the gate.
func checkSchoolPortal(t *testing.T, admin *Browser, students []*student, absent map[int]bool, fever map[int]healthcode.Temperature, first map[int]time.Time, today time.Time) {
	t.Helper()
	day := today.Format("2006-01-02")
	code, page := admin.Get("/portal/people?day=" + day)
	if code != 200 {
		t.Fatalf("morning view: %d", code)
	}
	for id, want := range map[string]int{"n-expected": 60, "n-checked": 55, "n-absent": 5, "n-fever": 2, "n-stopped": 2, "n-red": 1, "n-yellow": 0} {
		if got := Figure(page, id); got != want {
			t.Errorf("morning view %s = %d, want %d", id, got, want)
		}
	}
	red := students[59]
	att, _, _ := strings.Cut(page[max(0, strings.Index(page, `id="attention"`)):], "</table>")
	if !strings.Contains(att, red.name) || !strings.Contains(att, "not seen since") || !strings.Contains(att, "turned "+day+" 10:00") || strings.Count(att, "<tr") != 2 {
		t.Errorf("the top of the morning view does not list %s alone, red since 10:00 and not seen since:\n%s", red.name, att)
	}

	_, _, data := admin.Download("/portal/people/summary.xlsx?day=" + day)
	rows := ReadXLSX(t, data)
	want := [][]string{
		{day, "高一(1)班", "student", "30", "28", "2", "1", "1", "0", "0"},
		{day, "高一(2)班", "student", "30", "27", "3", "1", "1", "0", "1"},
		{day, "total", "", "60", "55", "5", "2", "2", "0", "1"},
	}
	if len(rows) != 4 {
		t.Fatalf("daily summary: %d rows, want a header and 3: %v", len(rows), rows)
	}
	for i, w := range want {
		if got := rows[i+1]; strings.Join(pad10(got), "|") != strings.Join(w, "|") {
			t.Errorf("daily summary row %d: %v, want %v", i+1, got, w)
		}
	}

	_, _, data = admin.Download("/portal/people.csv?day=" + day)
	people := ReadCSV(t, data)
	if len(people) != 61 {
		t.Fatalf("people export: %d rows, want a header and 60", len(people))
	}
	byName := map[string][]string{}
	for _, r := range people[1:] {
		byName[r[2]] = r
	}
	for i, s := range students {
		r := byName[s.name]
		if r == nil {
			t.Errorf("%s missing from the export", s.name)
			continue
		}
		// date group name role checked first gate temp verdict checks maxtemp fever stopped colour turned linked
		if r[1] != s.class || r[15] != "1" {
			t.Errorf("%s: group %s linked %s", s.name, r[1], r[15])
		}
		if absent[i] {
			if r[4] != "0" || r[5] != "" {
				t.Errorf("%s stayed away, exported as %v", s.name, r)
			}
			continue
		}
		temp := healthcode.Temperature(362 + i%6)
		verdict, fev := "pass", "0"
		if f, ok := fever[i]; ok {
			temp, verdict, fev = f, "stop", "1"
		}
		wantRow := fmt.Sprintf("1|%s|北门|%s|%s|1|%s|%s", first[i].In(Zone).Format("2006-01-02 15:04"), temp, verdict, temp, fev)
		if got := strings.Join(r[4:12], "|"); got != wantRow {
			t.Errorf("%s: %s, want %s", s.name, got, wantRow)
		}
	}
	if r := byName[red.name]; r[13] != "red" || r[14] != day+" 10:00" {
		t.Errorf("the student whose code turned red: %v", r)
	}
}

// pad10 is a row of the summary with the empty cells XLSX leaves out at its end.
func pad10(r []string) []string {
	for len(r) < 10 {
		r = append(r, "")
	}
	return r
}
