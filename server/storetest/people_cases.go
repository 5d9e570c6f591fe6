package storetest

import (
	"bytes"
	"encoding/csv"
	"io"
	"mime/multipart"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hcscan/healthcode"
	"hcscan/server"
)

// Upload posts a file as a browser's file field does (multipart), with the
// session's CSRF token.
func (p *Browser) Upload(path, field, name string, content []byte) (int, string) {
	p.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", p.CSRF)
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(content)
	mw.Close()
	resp, err := p.C.Post(p.Base+path, mw.FormDataContentType(), &body)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Download fetches a file and its content type.
func (p *Browser) Download(path string) (int, string, []byte) {
	p.t.Helper()
	resp, err := p.C.Get(p.Base + path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// Figure reads the number in the element with id on a page (-1: none).
func Figure(page, id string) int {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `">(\d+)<`).FindStringSubmatch(page)
	if m == nil {
		return -1
	}
	n := 0
	for _, c := range m[1] {
		n = n*10 + int(c-'0')
	}
	return n
}

// ReadXLSX is the first sheet of an XLSX file as rows of text.
func ReadXLSX(t testing.TB, data []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not an XLSX file: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// ReadCSV is a CSV download as rows (the byte-order mark dropped).
func ReadCSV(t testing.TB, data []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v", err)
	}
	return rows
}

func testPeoplePages(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	gate := e.Enroll(t, "第一中学", "北门")
	e.Enroll(t, "第二中学", "南门")
	admin := NewBrowser(t, e.HTTP.URL)
	admin.Login(e, server.TokenPortal, "第一中学")

	if code, page := admin.Upload("/portal/roster/import", "file", "roster.csv", []byte("name,group,role\n张小三,高一(3)班,学生\n李四\n")); code != 400 || !strings.Contains(page, "line 3") {
		t.Errorf("a file with a mistake: %d, want 400 naming line 3", code)
	}
	code, page := admin.Upload("/portal/roster/import", "file", "roster.csv", []byte("\ufeff姓名,班级,身份\n张小三,高一(3)班,学生\n李四,高一(3)班,学生\n王五,高一(4)班,学生\n"))
	if code != 200 || !strings.Contains(page, "3 added") {
		t.Fatalf("import: %d %s", code, page)
	}
	if code, page := admin.Post("/portal/roster/add", url.Values{"name": {"赵老师"}, "group": {"教务处"}, "role": {"staff"}}); code != 200 || !strings.Contains(page, "1 added") {
		t.Errorf("add one: %d", code)
	}
	zhang, li := e.NewPerson(t, "张小三", 1), e.NewPerson(t, "李四", 2)
	now := e.Clock.Now()
	a, b := Check(gate, zhang, now.Add(-2*time.Minute)), Check(gate, li, now.Add(-time.Minute))
	a.EnrolGroup, b.EnrolGroup = "高一(3)班", "高一(3)班"
	b.Temperature, b.Fever, b.Verdict = 379, true, healthcode.VerdictStop
	e.Upload(t, gate, []healthcode.Record{a, b}, "")

	day := server.DayStart(now.In(Zone), Zone).Format("2006-01-02")
	// The home page says there are alerts about the institution's people.
	if _, page := admin.Get("/portal/"); !strings.Contains(page, `id="people-alerts-today"`) {
		t.Error("the today page does not mention the fever alert about 李四")
	}
	// The institution's own logins see the day. (The zone of an
	// institution from before registration is the server's default.)
	code, page = admin.Get("/portal/people?day=" + day)
	if code != 200 || Figure(page, "n-expected") != 4 || Figure(page, "n-fever") != 1 || Figure(page, "n-stopped") != 1 || !strings.Contains(page, "王五") {
		t.Fatalf("morning view: %d expected %d fever %d", code, Figure(page, "n-expected"), Figure(page, "n-fever"))
	}
	code, ctype, data := admin.Download("/portal/people/summary.xlsx?day=" + day)
	rows := ReadXLSX(t, data)
	if code != 200 || !strings.Contains(ctype, "spreadsheetml") || len(rows) != 5 || rows[4][1] != "total" || rows[4][3] != "4" {
		t.Errorf("summary XLSX: %d %s %v", code, ctype, rows)
	}
	code, _, data = admin.Download("/portal/people.csv?day=" + day)
	rows = ReadCSV(t, data)
	if code != 200 || len(rows) != 5 || rows[0][2] != "name" {
		t.Fatalf("people CSV: %d %v", code, rows)
	}
	viewer := NewBrowser(t, e.HTTP.URL)
	viewer.Login(e, server.TokenViewer, "第一中学")
	if code, page := viewer.Get("/portal/roster"); code != 200 || !strings.Contains(page, "张小三") || strings.Contains(page, "import-form") {
		t.Errorf("a records viewer's roster: %d", code)
	}
	if code, _ := viewer.Post("/portal/roster/add", url.Values{"name": {"x"}, "group": {"y"}, "role": {"staff"}}); code != 403 {
		t.Errorf("a viewer added a person: %d", code)
	}

	// Tracing staff give a reason first; it is audited before anything shows.
	tracer := NewBrowser(t, e.HTTP.URL)
	tracer.Login(e, server.TokenTracing, "第一中学")
	code, page = tracer.Get("/portal/people?day=" + day)
	if code != 200 || !strings.Contains(page, "reason-form") || strings.Contains(page, "张小三") {
		t.Errorf("tracing without a reason: %d, names shown %v", code, strings.Contains(page, "张小三"))
	}
	if code, page := tracer.Get("/portal/people?day=" + day + "&reason=%20"); code != 200 || !strings.Contains(page, "reason-form") || strings.Contains(page, "张小三") {
		t.Errorf("tracing with a blank reason: %d", code)
	}
	code, page = tracer.Get("/portal/people?day=" + day + "&reason=" + url.QueryEscape("case 2026-117"))
	if code != 200 || !strings.Contains(page, "张小三") || !regexp.MustCompile(`href="[^"]*reason=case(\+|&#43;)2026-117`).MatchString(page) {
		t.Errorf("tracing with a reason: %d", code)
	}
	audit, _ := e.Srv.Store().Audit(t.Context(), "第一中学", 10)
	if len(audit) != 1 || audit[0].Reason != "case 2026-117" || !strings.HasPrefix(audit[0].What, "morning view ") || !strings.HasPrefix(audit[0].Actor, "tracing") {
		t.Errorf("audit: %+v", audit)
	}
	if _, page := admin.Get("/portal/audit"); !strings.Contains(page, "case 2026-117") {
		t.Error("the institution does not see the opening in its audit list")
	}

	// Another institution and the provincial office see nothing of it.
	other := NewBrowser(t, e.HTTP.URL)
	other.Login(e, server.TokenPortal, "第二中学")
	for _, path := range []string{"/portal/roster", "/portal/people?day=" + day, "/portal/people.csv?day=" + day} {
		_, _, body := other.Download(path)
		for _, name := range []string{"张小三", "李四", "王五", "赵老师", "高一"} {
			if bytes.Contains(body, []byte(name)) {
				t.Errorf("another institution's %s shows %s", path, name)
			}
		}
	}
	ms, _ := e.Srv.Store().RosterMembers(t.Context(), "第一中学")
	if code, page := other.Get("/portal/people/contacts?day=" + day + "&window=30&member=" + memberByName(t, ms, "张小三").ID); code != 404 || strings.Contains(page, "张小三") {
		t.Errorf("another institution's contacts by group: %d", code)
	}
	province := NewBrowser(t, e.HTTP.URL)
	province.Login(e, server.TokenProvince, "")
	for _, path := range []string{"/portal/roster", "/portal/people", "/portal/people/summary.csv"} {
		if code, page := province.Get(path); code != 403 || strings.Contains(page, "张小三") {
			t.Errorf("the provincial office on %s: %d", path, code)
		}
	}
	// Close contacts by group, and taking someone off the roster.
	if code, page := admin.Get("/portal/people/contacts?day=" + day + "&window=30&member=" + memberByName(t, ms, "李四").ID); code != 200 || !strings.Contains(page, "张小三") {
		t.Errorf("contacts by group: %d", code)
	}
	if code, page := admin.Post("/portal/roster/remove", url.Values{"member": {memberByName(t, ms, "王五").ID}}); code != 200 || !strings.Contains(page, "1 taken off") {
		t.Errorf("remove: %d", code)
	}
	if _, page := admin.Get("/portal/people?day=" + day); Figure(page, "n-expected") != 3 {
		t.Errorf("after removing: expected %d", Figure(page, "n-expected"))
	}
}
