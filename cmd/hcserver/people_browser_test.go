package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"hcscan/healthcode"
	"hcscan/server/storetest"
)

// TestMorningViewInBrowser drives the morning view of a kindergarten in
// Debian's Chromium against the real `hcserver serve`: the roster file
// imported through the page, twelve children enrolled at the gate by a
// real scanner the day before, ten checked this morning (one with a
// fever), and the code of one who stayed away turned red by `hcserver
// status set`. The page shows the counts and that child at the top, the
// daily summary downloads, and the roster and morning pages fit 1280 and
// 390 px (screenshots in $HCSCAN_SCREENSHOTS).
func TestMorningViewInBrowser(t *testing.T) {
	shots := os.Getenv("HCSCAN_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "prov")
	if _, stderr, code := run(t, "", "hcserver", "keys", "init", "--dir", data); code != 0 {
		t.Fatalf("keys init: %s", stderr)
	}
	_, base, _ := startServeArgs(t, "--data", data)
	hc := func(args ...string) string {
		t.Helper()
		out, stderr, code := run(t, "", "hcserver", args...)
		if code != 0 {
			t.Fatalf("hcserver %v: %s", args, stderr)
		}
		return strings.TrimSpace(out)
	}
	const school = "阳光幼儿园"
	cst := time.FixedZone("CST", 8*3600)
	now := time.Now().In(cst)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, cst)

	type child struct{ name, class, id, code string }
	surnames, classes := []rune("赵钱孙李周吴郑王冯陈褚卫"), []string{"小一班", "小二班"}
	var kids []child
	var file strings.Builder
	file.WriteString("姓名,班级,身份\n")
	for i := range 12 {
		k := child{name: string(surnames[i]) + "乐天", class: classes[i/6], id: fmt.Sprintf("11010520200%d0%d%04d", 1+i%9, 1+i%9, 7000+i)}
		k.code = hc("issue", "--dir", data, "--name", k.name, "--id", k.id, "--issued-at", now.Add(-26*time.Hour).Format(time.RFC3339))
		kids = append(kids, k)
		fmt.Fprintf(&file, "%s,%s,幼儿\n", k.name, k.class)
	}
	csvPath := filepath.Join(t.TempDir(), "名单.csv")
	if err := os.WriteFile(csvPath, []byte(file.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	admin := newPerson(t, b, base)
	admin.login(hc("token", "--data", data, "--portal", "--institution", school), "/portal/")
	admin.open("/portal/roster")
	admin.do(chromedp.SetUploadFiles(chromedp.CSS(`#import-form input[type=file]`), []string{csvPath}))
	admin.submit(`#import-form button`, "/portal/roster/import")
	if got := admin.text(".notice"); !strings.Contains(got, "12") {
		t.Fatalf("after the import: %q", got)
	}

	// The day before, each child shows their code once in roster mode.
	gate := storetest.NewGateScanner(t, base, hc("token", "--data", data, "--institution", school, "--gate", "正门"))
	gate.Sync()
	hashes := make([]healthcode.CodeHash, len(kids))
	for i, k := range kids {
		hashes[i] = gate.Check(k.code, now.Add(-24*time.Hour+time.Duration(i)*time.Minute), 365, k.class).CodeHash
	}
	gate.Sync()

	// This morning: ten come (the fourth with a fever); 5 and 11 stay
	// home, and the province turns 11's code red.
	start := now.Add(-50 * time.Minute)
	if start.Before(midnight) {
		start = midnight
	}
	step := now.Sub(start) / 12
	for i, k := range kids {
		if i == 5 || i == 11 {
			continue
		}
		temp := healthcode.Temperature(363 + i%5)
		if i == 3 {
			temp = 381
		}
		gate.Check(k.code, start.Add(time.Duration(i)*step), temp, "")
	}
	gate.Sync()
	hc("status", "set", "--data", data, "--code-hash", hashes[11].String(), "--colour", "red")
	if rep := gate.Sync(); len(rep.RosterAlerts) != 1 || rep.RosterAlerts[0].Group != "小二班" {
		t.Errorf("the gate's alerts after the red: %+v", rep.RosterAlerts)
	}

	admin.open("/portal/people")
	for sel, want := range map[string]string{"#n-expected": "12", "#n-checked": "10", "#n-absent": "2", "#n-fever": "1", "#n-stopped": "1", "#n-red": "1"} {
		if got := admin.text(sel); got != want {
			t.Errorf("%s: %s, want %s", sel, got, want)
		}
	}
	if att := admin.text("#attention"); !strings.Contains(att, kids[11].name) || strings.Contains(att, kids[5].name) {
		t.Errorf("the top of the page: %q, want %s alone", att, kids[11].name)
	}
	if n := admin.eval(`document.querySelectorAll("table.members tbody tr").length`); n != 12 {
		t.Errorf("%d children listed by class, want 12", n)
	}
	admin.shoot(shots, "people")
	xlsx := admin.download("#summary-xlsx", t.TempDir())
	f, err := excelize.OpenReader(strings.NewReader(string(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows(f.GetSheetName(0))
	f.Close()
	if len(rows) != 4 || strings.Join(rows[3][3:], ",") != "12,10,2,1,1,0,1" {
		t.Errorf("daily summary: %v", rows)
	}
	admin.do(chromedp.SetValue(chromedp.CSS(`#list-form select[name=show]`), "absent"))
	admin.submit(`#list-form button`, "show=absent")
	if n := admin.eval(`document.querySelectorAll("table.members tbody tr[data-member]").length`); n != 2 {
		t.Errorf("not yet checked: %d listed, want 2", n)
	}
	admin.open("/portal/roster")
	admin.shoot(shots, "roster")

	// The province's tracing staff give a reason first.
	tracer := newPerson(t, b, base)
	tracer.login(hc("token", "--data", data, "--tracing", "--institution", school), "/portal/")
	tracer.open("/portal/people")
	if n := tracer.eval(`document.querySelectorAll("#reason-form").length`); n != 1 || strings.Contains(tracer.text("main"), kids[0].name) {
		t.Error("tracing staff see the morning view without giving a reason")
	}
	tracer.shoot(shots, "people-reason")
	tracer.do(chromedp.SetValue(chromedp.CSS(`#reason-form input[name=reason]`), "病例 2026-0117 密接排查"))
	tracer.submit(`#reason-form button`, "reason=")
	if !strings.Contains(tracer.text("#attention"), kids[11].name) {
		t.Error("tracing staff with a reason do not see the morning view")
	}
}
