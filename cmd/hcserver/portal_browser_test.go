package main

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"hcscan/healthcode"
	"hcscan/store"
	hcsync "hcscan/sync"
)

// chromiumFlags start Debian's Chromium headless on a machine without a
// network: no sandbox (root), no GPU, and nothing that calls out.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("Debian's chromium is not installed: run scripts/setup.sh (apt package chromium)")
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"))
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// person is one browser user with their own cookies (a browser context).
type person struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newPerson(t *testing.T, b context.Context, base string) *person {
	ctx, cancel := chromedp.NewContext(b, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelT)
	p := &person{t: t, ctx: ctx, base: base}
	p.do(chromedp.EmulateViewport(1280, 900))
	return p
}

func (p *person) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

func (p *person) open(path string) { p.t.Helper(); p.do(chromedp.Navigate(p.base + path)) }

func (p *person) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (p *person) eval(js string) int {
	p.t.Helper()
	n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](js))
	if err != nil {
		p.t.Fatalf("%s: %v", js, err)
	}
	return n
}

func (p *person) location() string {
	p.t.Helper()
	l, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		p.t.Fatal(err)
	}
	return l
}

// submit clicks sel and waits until the page that follows has loaded
// (its URL contains want and its document is complete).
func (p *person) submit(sel, want string) {
	p.t.Helper()
	before := p.eval(`window.__page = (window.__page || 0) + 1; window.__page`)
	p.do(chromedp.Click(chromedp.CSS(sel)))
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](`document.readyState === "complete" && !window.__page ? 1 : 0`))
		if err == nil && n == 1 && strings.Contains(p.location(), want) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("after clicking %s: at %s, want %q (mark %d)", sel, p.location(), want, before)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// login types a token on the login form.
func (p *person) login(token, want string) {
	p.t.Helper()
	p.open("/portal/login")
	p.do(chromedp.SetValue(chromedp.CSS("#token"), token))
	p.submit(`form[action="/portal/login"] button`, want)
}

// shoot takes the page at 1280 and at 390 px wide (a phone) into dir and
// fails when the phone has to scroll sideways.
func (p *person) shoot(dir, name string) {
	p.t.Helper()
	for _, w := range []int64{1280, 390} {
		opts := []chromedp.EmulateViewportOption{}
		if w < 500 {
			opts = append(opts, chromedp.EmulateMobile)
		}
		p.do(chromedp.EmulateViewport(w, 844, opts...))
		if w < 500 {
			if sw, iw := p.eval(`document.documentElement.scrollWidth`), p.eval(`window.innerWidth`); sw > iw {
				p.t.Errorf("%s at %d px: scrollWidth %d > %d, the page scrolls sideways", name, w, sw, iw)
			}
		}
		png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			p.t.Fatal(err)
		}
		top, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			p.t.Fatal(err)
		}
		for suffix, b := range map[string][]byte{"": png, "-top": top} {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d%s.png", name, w, suffix)), b, 0o644); err != nil {
				p.t.Fatal(err)
			}
		}
	}
	p.do(chromedp.EmulateViewport(1280, 900))
}

// download clicks a link and returns the file the browser saved.
func (p *person) download(sel, dir string) []byte {
	p.t.Helper()
	progress := chromedp.Events(p.ctx, browser.DownloadProgress)
	yes := true
	p.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &yes,
			BrowserContextID: chromedp.FromContext(p.ctx).BrowserContextID})
		return err
	}), chromedp.Click(chromedp.CSS(sel)))
	for ev, err := range progress {
		if err != nil {
			p.t.Fatalf("download %s: %v", sel, err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			b, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				p.t.Fatal(err)
			}
			return b
		case browser.DownloadProgressStateCanceled:
			p.t.Fatalf("download %s cancelled", sel)
		}
	}
	p.t.Fatalf("download %s: no file", sel)
	return nil
}

// scanner is a real scanner data file enrolled at a gate of the running server.
type scanner struct {
	st     *store.Store
	client *hcsync.Client
	dev    store.Device
}

func enrolScanner(t *testing.T, url, token string) *scanner {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "hcscan.db"), store.Options{})
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
	return &scanner{st: st, client: c, dev: dev}
}

func (s *scanner) sync(t *testing.T) {
	t.Helper()
	if _, err := s.client.SyncOnce(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
}

// checks makes n records of a morning at the scanner's gate: green passes,
// and in a fixed pattern fevers, red and yellow stops and invalid codes.
func (s *scanner) checks(t *testing.T, n int, start time.Time, step time.Duration) []healthcode.Record {
	t.Helper()
	var out []healthcode.Record
	for i := range n {
		id, _ := uuid.NewV7()
		var h healthcode.CodeHash
		rand.Read(h[:])
		at := start.Add(time.Duration(i) * step)
		r := healthcode.Record{ID: id.String(), Institution: s.dev.Institution, Gate: s.dev.Gate, Operator: []string{"王老师", "李师傅"}[i%2],
			Time: at, CorrectedTime: at, CodeHash: h, ScannedColour: healthcode.Green, EffectiveColour: healthcode.Green,
			Verdict: healthcode.VerdictPass, Temperature: 365, Disposition: healthcode.DispositionPass,
			Name: []string{"张*三", "李*四", "欧阳*娜"}[i%3], IDMasked: "110***********1234", Region: 110000, Lang: "zh"}
		switch {
		case i%9 == 4:
			r.Temperature, r.Fever, r.Verdict, r.Disposition = 381, true, healthcode.VerdictStop, healthcode.DispositionSendToClinic
		case i%13 == 7:
			r.ScannedColour, r.EffectiveColour, r.Verdict, r.Disposition = healthcode.Red, healthcode.Red, healthcode.VerdictStop, healthcode.DispositionCentralQuarantine
		case i%17 == 2:
			r.ScannedColour, r.EffectiveColour, r.Verdict, r.Disposition = healthcode.ColourUnknown, healthcode.ColourUnknown, healthcode.VerdictInvalid, healthcode.DispositionPersuadeReturn
		}
		if err := s.st.Append(t.Context(), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestPortalInBrowser drives the portal in Debian's Chromium against the
// real `hcserver serve`, with records uploaded by two enrolled scanners:
// log in, today's totals, filter, page, export CSV and XLSX (read back and
// compared with the filter), a staff member added and signed in on a
// scanner after a sync and refused after being disabled, an institution
// registered and approved, the language switched and remembered, and every
// page at 1280 and 390 px wide without sideways scrolling. Screenshots go
// to $HCSCAN_SCREENSHOTS (a temporary folder when unset).
func TestPortalInBrowser(t *testing.T) {
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
	token := func(args ...string) string {
		t.Helper()
		out, stderr, code := run(t, "", "hcserver", append([]string{"token", "--data", data}, args...)...)
		if code != 0 {
			t.Fatalf("token %v: %s", args, stderr)
		}
		return strings.TrimSpace(out)
	}
	const school = "第一中学"
	north := enrolScanner(t, base, token("--institution", school, "--gate", "北门"))
	south := enrolScanner(t, base, token("--institution", school, "--gate", "南门"))
	// The checks are of today in the institution's zone (UTC+8), before now.
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	start := now.Add(-time.Hour)
	if midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location()); start.Before(midnight) {
		start = midnight
	}
	step := min(20*time.Second, now.Sub(start)/140)
	recs := append(north.checks(t, 130, start, step), south.checks(t, 40, start.Add(step/2), step)...)
	north.sync(t)
	south.sync(t)
	var stops []string
	tally := healthcode.Tally{}
	for i := range recs {
		tally.Add(&recs[i])
		if recs[i].Verdict == healthcode.VerdictStop && recs[i].Gate == "北门" {
			stops = append(stops, recs[i].ID)
		}
	}
	sort.Strings(stops)

	b := newBrowser(t)
	admin := newPerson(t, b, base)

	t.Run("login and today", func(t *testing.T) {
		admin.t = t
		admin.open("/portal/")
		if !strings.HasSuffix(admin.location(), "/portal/login") {
			t.Fatalf("not logged in: at %s", admin.location())
		}
		admin.shoot(shots, "login")
		admin.login(token("--portal", "--institution", school), "/portal/")
		for sel, want := range map[string]int{"#total-all": tally.Total, "#total-passed": tally.Passed, "#total-stopped": tally.Stopped, "#total-fever": tally.Fever, "#total-invalid": tally.Invalid} {
			if got := admin.text(sel); got != strconv.Itoa(want) {
				t.Errorf("%s: %s, want %d", sel, got, want)
			}
		}
		admin.shoot(shots, "today")
	})

	t.Run("filter page export", func(t *testing.T) {
		admin.t = t
		admin.open("/portal/records")
		admin.do(chromedp.SetValue(chromedp.CSS(`#filters select[name=gate]`), "北门"), chromedp.SetValue(chromedp.CSS(`#filters select[name=verdict]`), "stop"))
		admin.submit(`#filters button[type=submit]`, "verdict=stop")
		if got := admin.text("#match-count"); !strings.Contains(got, strconv.Itoa(len(stops))) {
			t.Errorf("match count %q, want %d", got, len(stops))
		}
		if n := admin.eval(`document.querySelectorAll("#records tbody tr").length`); n != min(50, len(stops)) {
			t.Errorf("%d rows on page 1, want %d", n, min(50, len(stops)))
		}
		admin.shoot(shots, "records")
		csvFile := admin.download("#export-csv", t.TempDir())
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(csvFile), "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		checkExported(t, "CSV", rows, stops)
		xlsx := admin.download("#export-xlsx", t.TempDir())
		f, err := excelize.OpenReader(strings.NewReader(string(xlsx)))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		xrows, err := f.GetRows("records")
		if err != nil {
			t.Fatal(err)
		}
		checkExported(t, "XLSX", xrows, stops)

		// Pages: all of the north gate's checks, 50 a page, older and newer.
		admin.open("/portal/records?gate=" + "%E5%8C%97%E9%97%A8")
		if got := admin.text("#page-of"); got != "第 1 页，共 3 页" {
			t.Errorf("pager %q, want page 1 of 3", got)
		}
		admin.submit("#page-next", "p=2")
		admin.submit("#page-next", "p=3")
		if n := admin.eval(`document.querySelectorAll("#records tbody tr").length`); n != 30 {
			t.Errorf("last page: %d rows, want 30", n)
		}
		admin.submit("#page-prev", "p=2")
		if n := admin.eval(`document.querySelectorAll("#records tbody tr").length`); n != 50 || !strings.Contains(admin.text("#page-of"), "2") {
			t.Errorf("back to page 2: %d rows, %q", n, admin.text("#page-of"))
		}
	})

	t.Run("staff sign in on a scanner", func(t *testing.T) {
		admin.t = t
		admin.open("/portal/staff")
		admin.do(chromedp.SetValue(chromedp.CSS(`#add-staff input[name=name]`), "赵敏"), chromedp.SetValue(chromedp.CSS(`#add-staff input[name=phone]`), "139 0000 1111"),
			chromedp.SetValue(chromedp.CSS(`#add-staff input[name=role]`), "门卫"))
		admin.submit(`#add-staff button`, "/portal/staff")
		code := admin.text("#new-code")
		if len(code) != 8 {
			t.Fatalf("first sign-in code %q", code)
		}
		admin.shoot(shots, "staff")
		north.sync(t)
		if _, err := north.st.CheckPIN("赵敏", code); !errors.Is(err, store.ErrChoosePIN) {
			t.Fatalf("first sign-in at the north gate: %v", err)
		}
		if err := north.st.SetFirstPIN("赵敏", code, "7531"); err != nil {
			t.Fatal(err)
		}
		north.sync(t)
		south.sync(t)
		if ok, err := south.st.CheckPIN("赵敏", "7531"); !ok || err != nil {
			t.Fatalf("sign-in at the south gate after its sync: %v %v", ok, err)
		}
		admin.open("/portal/staff")
		if !strings.Contains(admin.text("#staff"), "PIN") {
			t.Error("the staff page does not show the PIN as set")
		}
		admin.submit(`#staff button[value=disable]`, "/portal/staff")
		north.sync(t)
		south.sync(t)
		for gate, s := range map[string]*scanner{"north": north, "south": south} {
			if ok, err := s.st.CheckPIN("赵敏", "7531"); ok || !errors.Is(err, store.ErrStaffDisabled) {
				t.Errorf("disabled person at the %s gate: %v %v", gate, ok, err)
			}
		}
	})

	t.Run("register and approve", func(t *testing.T) {
		applicant := newPerson(t, b, base)
		applicant.open("/portal/register")
		applicant.shoot(shots, "register")
		applicant.do(chromedp.SetValue(chromedp.CSS(`#register input[name=name]`), "阳光幼儿园"), chromedp.SetValue(chromedp.CSS(`#register select[name=kind]`), "kindergarten"),
			chromedp.SetValue(chromedp.CSS(`#register input[name=address]`), "长安街 1 号"), chromedp.SetValue(chromedp.CSS(`#register input[name=contact]`), "王园长"),
			chromedp.SetValue(chromedp.CSS(`#register input[name=phone]`), "010-1234 5678"))
		applicant.submit(`#register button`, "/portal/register")
		tok := applicant.text("#new-token")
		applicant.login(tok, "/portal/login")
		if !strings.Contains(applicant.text("main"), "阳光幼儿园") {
			t.Error("the login before approval does not say the application waits")
		}
		prov := newPerson(t, b, base)
		prov.login(token("--province"), "/portal/province")
		prov.shoot(shots, "province")
		prov.submit(`form[action="/portal/province/decide"] button[value=approve]`, "/portal/province")
		if !strings.Contains(prov.text("#decided"), "阳光幼儿园") {
			t.Error("the approved institution is not listed as decided")
		}
		applicant.login(tok, "/portal/")
		if got := applicant.text(".who"); !strings.Contains(got, "阳光幼儿园") {
			t.Errorf("after approval: %q", got)
		}
	})

	t.Run("language remembered", func(t *testing.T) {
		admin.t = t
		admin.open("/portal/gates")
		admin.submit("#lang-switch", "/portal/gates")
		if lang := admin.eval(`document.documentElement.lang === "en" ? 1 : 0`); lang != 1 || !strings.Contains(admin.text("nav.menu"), "Records") {
			t.Fatal("the switch did not turn the page English")
		}
		admin.open("/portal/records?verdict=stop")
		if !strings.Contains(admin.text("#match-count"), "records") {
			t.Error("the next page is not English: the switch is not remembered")
		}
		admin.shoot(shots, "records-en")
		admin.open("/portal/contacts?device=" + north.dev.ID + "&record=" + recs[10].ID + "&window=30")
		admin.shoot(shots, "contacts-en")
		admin.open("/portal/contacts?device=" + north.dev.ID + "&record=" + recs[10].ID + "&window=abc")
		if !strings.Contains(admin.text(".err"), "not \"abc\"") {
			t.Errorf("a bad window: %q", admin.text(".err"))
		}
		for _, page := range []string{"/portal/", "/portal/gates", "/portal/logins", "/portal/audit", "/portal/nothing"} {
			admin.open(page)
			admin.shoot(shots, "en"+strings.ReplaceAll(strings.TrimSuffix(page, "/"), "/", "-"))
		}
		admin.submit("#lang-switch", "/portal/")
		for _, page := range []string{"/portal/gates", "/portal/logins", "/portal/contacts?device=" + north.dev.ID + "&record=" + recs[10].ID + "&window=30"} {
			admin.open(page)
			admin.shoot(shots, "zh"+strings.ReplaceAll(strings.SplitN(page, "?", 2)[0], "/", "-"))
		}
	})
}

func checkExported(t *testing.T, what string, rows [][]string, want []string) {
	t.Helper()
	if len(rows) != len(want)+1 {
		t.Fatalf("%s: %d rows, want a header and %d", what, len(rows), len(want))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var got []string
	for _, r := range rows[1:] {
		if r[col["门岗"]] != "北门" || r[col["结果"]] != "停止" || !strings.Contains(r[col["证件号"]], "****") {
			t.Errorf("%s row %v is not in the filter or not masked", what, r)
		}
		got = append(got, r[col["记录编号"]])
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s holds other records than the filter shows", what)
	}
}
