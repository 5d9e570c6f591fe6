package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/pemkey"
	"hcscan/internal/trustclock"
	"hcscan/store"
)

// The clock cases end to end: the real hcscan program (built with
// -tags fakeclock, whose wall clock a file moves; its monotonic clock is
// the machine's) in a pseudo-terminal, typed at as an operator types, and
// the real hcserver, whose clock is the true time.

var (
	fakeOnce gosync.Once
	fakeBin  string
	fakeErr  error
)

// fakeClockScanner builds hcscan with the test-only clock source once; it
// is removed with the other binaries when the tests end.
func fakeClockScanner(t *testing.T) string {
	t.Helper()
	binaries(t)
	fakeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hcscan-fakeclock-")
		if err != nil {
			fakeErr = err
			return
		}
		prev := binClean
		binClean = func() {
			if prev != nil {
				prev()
			}
			os.RemoveAll(dir)
		}
		cmd := exec.Command("go", "build", "-tags", "fakeclock", "-o", filepath.Join(dir, "hcscan"), "hcscan/cmd/hcscan")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			fakeErr = errors.New("go build -tags fakeclock: " + err.Error() + "\n" + out.String())
		}
		fakeBin = filepath.Join(dir, "hcscan")
	})
	if fakeErr != nil {
		t.Fatal(fakeErr)
	}
	return fakeBin
}

// vt is the screen as the scanner draws it: hcscan's renderer writes each
// changed line whole after a cursor move to its row (and clears the
// screen on a resize), so the rows can be rebuilt from the stream.
type vt struct {
	mu      gosync.Mutex
	rows    map[int]string
	row     int
	pending []byte
}

func (v *vt) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	b := append(v.pending, p...)
	v.pending = nil
	i := 0
	for i < len(b) {
		if b[i] != 0x1b {
			j := bytes.IndexByte(b[i:], 0x1b)
			if j < 0 {
				j = len(b) - i
			}
			v.rows[v.row] += string(b[i : i+j])
			i += j
			continue
		}
		if i+1 >= len(b) {
			v.pending = append([]byte(nil), b[i:]...)
			break
		}
		if b[i+1] != '[' {
			i += 2
			continue
		}
		j := i + 2
		for j < len(b) && (b[j] < 0x40 || b[j] > 0x7e) {
			j++
		}
		if j >= len(b) {
			v.pending = append([]byte(nil), b[i:]...)
			break
		}
		params := string(b[i+2 : j])
		switch b[j] {
		case 'H':
			r, _, _ := strings.Cut(params, ";")
			n := 1
			for _, c := range r {
				if c >= '0' && c <= '9' {
					n = 0
					break
				}
			}
			for _, c := range r {
				n = n*10 + int(c-'0')
			}
			v.row = n
			v.rows[v.row] = ""
		case 'J':
			if params == "2" {
				v.rows = map[int]string{}
			}
		}
		i = j + 1
	}
	return len(p), nil
}

// screen is the rows now, top to bottom.
func (v *vt) screen() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for r := 1; r <= 60; r++ {
		out = append(out, strings.TrimRight(v.rows[r], " "))
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n")
}

// gate is one run of the real hcscan program at a gate.
type gate struct {
	t      *testing.T
	cmd    *exec.Cmd
	master *os.File
	vt     *vt
	done   chan error
}

// openGate runs `hcscan run` on the data file in a 200×50 terminal, its
// wall clock moved by the file clockFile.
func openGate(t *testing.T, bin, data, config, clockFile string) *gate {
	t.Helper()
	master, tty := openPTY(t, 200, 50)
	cmd := exec.Command(bin, "run", "--data", data, "--config", config)
	cmd.Env = append(os.Environ(), "TERM=xterm", trustclock.FakeEnv+"="+clockFile, "HCSCAN_CONFIG=")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	g := &gate{t: t, cmd: cmd, master: master, vt: &vt{rows: map[int]string{}}, done: make(chan error, 1)}
	go func() { _, _ = io.Copy(g.vt, master) }()
	go func() { g.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		master.Close()
	})
	return g
}

// wait waits until the screen shows each of words at once; whitespace
// runs count as one space.
func (g *gate) wait(words ...string) {
	g.t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		screen := flat(g.vt.screen())
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(screen, flat(w))
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("the scanner never showed %q; the screen:\n%s", words, g.vt.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// keys types as a person does; a handheld scanner's code goes in one write.
func (g *gate) keys(ks ...string) {
	for _, k := range ks {
		if _, err := g.master.Write([]byte(k)); err != nil {
			g.t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

func (g *gate) signIn(op, pin string) {
	g.wait("Operator sign-in")
	g.keys(op, "\t", pin, "\r")
	g.wait("Ready")
}

// scan is a handheld scanner reading code.
func (g *gate) scan(code string) { g.keys(code + "\r") }

// see logs the screen as the operator sees it now.
func (g *gate) see(what string) {
	g.t.Helper()
	g.t.Logf("%s — the screen:\n%s", what, g.vt.screen())
}

// quit ends the program (ctrl+c) and waits for it.
func (g *gate) quit() {
	g.t.Helper()
	g.keys("\x03")
	select {
	case <-g.done:
	case <-time.After(20 * time.Second):
		g.t.Fatal("hcscan did not end on ctrl+c")
	}
}

// clockFile moves the fake clock's wall clock (and names a boot).
func setClock(t *testing.T, path string, wall time.Duration, boot string) {
	t.Helper()
	s := "wall " + wall.String() + "\n"
	if boot != "" {
		s += "boot " + boot + "\n"
	}
	if err := os.WriteFile(path+".new", []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}

// issue is a code of the demo province: issued at issued, valid for valid.
func issue(t *testing.T, ctx context.Context, w *demoWorld, name, id string, issued time.Time, valid time.Duration, extra ...string) string {
	t.Helper()
	args := append([]string{"issue", "--dir", filepath.Join(w.Province, "keys"), "--region", "110108", "--colour", "green",
		"--name", name, "--id", id, "--issued-at", issued.Format(time.RFC3339), "--expires", valid.String()}, extra...)
	code, err := hcserver(ctx, filepath.Join(binaries(t), "hcserver"), args...)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// records reads the scanner's data file (hcscan must have ended).
func scannerRecords(t *testing.T, data string) []healthcode.Record {
	t.Helper()
	st, err := store.Open(data, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	es, err := st.Recent(1000, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]healthcode.Record, len(es))
	for i, e := range es {
		out[len(es)-1-i] = e.Record
	}
	return out
}

func near(a, b time.Time, d time.Duration) bool { return a.Sub(b).Abs() <= d }

// clockGateConfig writes a configuration for the gate: English, no
// temperatures, no camera, status data stale after staleAfter.
func clockGateConfig(t *testing.T, staleAfter string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	text := `[gate]
take_temperature = false
stale_after = "` + staleAfter + `"
auto_next = "1s"
[camera]
source = "` + filepath.Join(t.TempDir(), "no-camera") + `"
[server]
sync_interval = "2s"
[ui]
language = "en"
`
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestClockCasesThroughTheRealPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bin := fakeClockScanner(t)
	hcserverBin := filepath.Join(binaries(t), "hcserver")
	w, err := buildDemo(ctx, demoOptions{Dir: t.TempDir(), HCServer: hcserverBin, Log: slog.New(slog.DiscardHandler),
		Pace: demoPacing{FPS: 4, FramesPerPerson: 1, GapFrames: 1, LeadFrames: 1}})
	defer func() { w.Close() }()
	if err != nil {
		t.Fatal(err)
	}
	clock := filepath.Join(t.TempDir(), "clock")
	online := clockGateConfig(t, "24h")
	day := 24 * time.Hour

	// Each row of the table: a laptop clock shifted for the whole run.
	type person struct {
		code  func() string
		words []string
		stop  bool // not a pass: the operator confirms the default disposition
	}
	rows := []struct {
		name   string
		shift  time.Duration
		people []person
	}{
		{"1 day behind", -day, []person{
			{func() string {
				return issue(t, ctx, w, "周八", "110105199001015678", time.Now().Add(-74*time.Hour), 72*time.Hour)
			},
				[]string{"INVALID CODE", "the code has expired", "by the province's time (this laptop's clock is 1 day behind)"}, true},
			{func() string {
				return issue(t, ctx, w, "张三丰", "110105199001011234", time.Now().Add(-10*time.Minute), 72*time.Hour)
			},
				[]string{"PASS", "by the province's time (this laptop's clock is 1 day behind)"}, false},
		}},
		{"1 day ahead", day, []person{
			{func() string {
				return issue(t, ctx, w, "张三丰", "110105199001011234", time.Now().Add(-60*time.Hour), 72*time.Hour)
			},
				[]string{"PASS", "by the province's time (this laptop's clock is 1 day ahead)"}, false},
			{func() string {
				return issue(t, ctx, w, "李四", "110105199202021234", time.Now().Add(2*time.Hour), 72*time.Hour)
			},
				[]string{"INVALID CODE", "not valid yet", "by the province's time (this laptop's clock is 1 day ahead)"}, true},
		}},
		{"10 minutes ahead", 10 * time.Minute, []person{
			{func() string {
				return issue(t, ctx, w, "张三丰", "110105199001011234", time.Now().Add(-72*time.Hour+3*time.Minute), 72*time.Hour)
			}, []string{"PASS", "by the province's time (this laptop's clock is 10 minutes ahead)"}, false},
		}},
		{"100 seconds ahead", 100 * time.Second, []person{
			{func() string {
				return issue(t, ctx, w, "王五", "110105199303031234", time.Now().Add(-time.Hour), 72*time.Hour, "--dynamic")
			}, []string{"PASS", "live code", "this laptop's clock is 100 seconds ahead"}, false},
		}},
		{"100 seconds behind", -100 * time.Second, []person{
			{func() string {
				return issue(t, ctx, w, "王五", "110105199303031234", time.Now().Add(-time.Hour), 72*time.Hour, "--dynamic")
			}, []string{"PASS", "live code", "this laptop's clock is 100 seconds behind"}, false},
		}},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			setClock(t, clock, row.shift, "")
			before := len(scannerRecords(t, w.DataPath))
			g := openGate(t, bin, w.DataPath, online, clock)
			g.signIn(w.Operator, w.PIN)
			g.wait("Ready")
			for _, p := range row.people {
				g.scan(p.code())
				g.wait(p.words...)
				g.see(row.name + ": " + p.words[0])
				if p.stop {
					g.wait("Choose what happens") // keys count from here
					g.keys("\r")                  // the default disposition
					g.wait("✔ saved")
					g.keys("\r")
				} else {
					g.wait("✔ saved")
				}
				g.wait("Ready")
			}
			g.quit()
			recs := scannerRecords(t, w.DataPath)[before:]
			if len(recs) != len(row.people) {
				t.Fatalf("%d records, want %d", len(recs), len(row.people))
			}
			for _, r := range recs {
				if r.TimeSource != healthcode.TimeProvince || !near(r.CorrectedTime, time.Now(), 2*time.Minute) ||
					!near(r.Time, r.CorrectedTime.Add(row.shift), 2*time.Second) || r.Provisional {
					t.Errorf("record %s: time %v corrected %v source %s provisional %v", r.Verdict, r.Time, r.CorrectedTime, r.TimeSource, r.Provisional)
				}
			}
		})
	}

	// Set back twice while offline: no sync measures the new offset, the
	// monotonic clock carries the province's time through both.
	t.Run("set back during the run", func(t *testing.T) {
		setClock(t, clock, 0, "")
		before := len(scannerRecords(t, w.DataPath))
		g := openGate(t, bin, w.DataPath, online, clock)
		g.signIn(w.Operator, w.PIN)
		green := func() string {
			return issue(t, ctx, w, "张三丰", "110105199001011234", time.Now().Add(-time.Hour), 72*time.Hour)
		}
		g.scan(green())
		g.wait("PASS", "✔ saved")
		g.wait("Ready")
		addr := strings.TrimPrefix(w.URL, "http://")
		w.server.Stop()
		defer func() {
			if w.server, err = startServer(ctx, hcserverBin, []string{"--data", w.Province, "--addr", addr, "--db="}, nopWriter{}); err != nil {
				t.Fatal(err)
			}
		}()
		setClock(t, clock, -time.Hour, "")
		g.wait("this laptop's clock was set back 1 hour; verdicts and records keep the province's time")
		g.see("set back 1 hour while running")
		g.scan(green())
		g.wait("PASS", "✔ saved")
		g.wait("Ready")
		setClock(t, clock, -2*time.Hour, "") // again, before any sync can measure it
		g.wait("set back 2 hours")
		g.scan(green())
		g.wait("PASS", "✔ saved")
		g.see("set back another hour")
		g.quit()
		recs := scannerRecords(t, w.DataPath)[before:]
		if len(recs) != 3 {
			t.Fatalf("%d records", len(recs))
		}
		for i, r := range recs {
			if !near(r.CorrectedTime, time.Now(), 2*time.Minute) || r.TimeSource != healthcode.TimeProvince {
				t.Errorf("record %d: corrected %v source %s", i, r.CorrectedTime, r.TimeSource)
			}
		}
		for i, want := range []time.Duration{0, -time.Hour, -2 * time.Hour} {
			if r := recs[i]; r.ClockJump.Round(time.Second) != want || r.ClockOffset.Round(time.Second) != -want {
				t.Errorf("record %d: jump %v offset %v, want jump %v", i, r.ClockJump, r.ClockOffset, want)
			}
		}
	})

	t.Run("offline provisional pass, marked red, acknowledged", func(t *testing.T) {
		stale := clockGateConfig(t, "3s")
		setClock(t, clock, time.Hour, "") // the laptop's clock an hour ahead at the sync
		g := openGate(t, bin, w.DataPath, stale, clock)
		g.signIn(w.Operator, w.PIN)
		g.wait("laptop clock 1 hour ahead")
		addr := strings.TrimPrefix(w.URL, "http://")
		w.server.Stop()           // offline from here
		setClock(t, clock, 0, "") // someone corrects the laptop's clock while offline
		g.wait("this laptop's clock was set back 1 hour")
		time.Sleep(4 * time.Second) // the status data is now stale by the province's time
		code := issue(t, ctx, w, "赵六", "310101198001011234", time.Now().Add(-time.Hour), 72*time.Hour)
		g.scan(code)
		g.wait("PASS", "provisional: status data is stale", "✔ saved")
		g.see("offline, stale status data")
		g.wait("Ready")

		// The province marks the code red while the scanner is offline.
		if _, err := hcserver(ctx, hcserverBin, "status", "set", "--data", w.Province, "--db=", "--code-hash", codeHash(t, w, code), "--colour", "red"); err != nil {
			t.Fatal(err)
		}
		w.server, err = startServer(ctx, hcserverBin, []string{"--data", w.Province, "--addr", addr, "--db="}, nopWriter{})
		if err != nil {
			t.Fatal(err)
		}
		g.wait("passed provisionally, now red or yellow: 1; press s to see who and trace them", "⚠ alerts 1")
		g.see("the server is back: the alert")
		g.keys("s")
		g.wait("alerts: passed provisionally, now red/yellow: trace these people", "东门 East gate 赵*", "red (turned after the check)")
		g.see("the sync view")
		g.keys("a")
		g.wait("alerts acknowledged: 1; the province is told at the next sync")
		portalShows(t, ctx, w, hcserverBin, "seen at the gate", w.Operator)
		g.quit()

		st, err := store.Open(w.DataPath, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		alerts, err := st.Alerts()
		st.Close()
		if err != nil || len(alerts) != 1 || alerts[0].Open() || !alerts[0].Reported || alerts[0].AckedBy != w.Operator {
			t.Fatalf("the scanner's alert: %+v %v", alerts, err)
		}
	})

	t.Run("restart without a sync", func(t *testing.T) {
		w.server.Stop()
		// Another boot, the clock right: the laptop's clock, and it says so.
		setClock(t, clock, 0, "boot-after-a-reboot")
		g := openGate(t, bin, w.DataPath, online, clock)
		g.signIn(w.Operator, w.PIN)
		g.wait("the province has not confirmed the time since hcscan started: verdicts use this laptop's clock", "time not confirmed")
		g.see("restart without a sync")
		g.quit()
		// Another boot, the clock a day behind the last record: provisional.
		setClock(t, clock, -day, "boot-after-another-reboot")
		before := len(scannerRecords(t, w.DataPath))
		g = openGate(t, bin, w.DataPath, online, clock)
		g.signIn(w.Operator, w.PIN)
		g.wait("this laptop's clock is behind a time this scanner has already seen", "laptop clock behind: provisional")
		g.scan(issue(t, ctx, w, "张三丰", "110105199001011234", time.Now().Add(-time.Hour), 72*time.Hour))
		g.wait("PASS", "provisional: this laptop's clock is behind a time already seen", "✔ saved")
		g.see("restart without a sync, clock a day behind")
		g.quit()
		recs := scannerRecords(t, w.DataPath)[before:]
		if len(recs) != 1 || !recs[0].Provisional || recs[0].TimeSource != healthcode.TimeDeviceBehind {
			t.Fatalf("records %+v", recs)
		}
	})
}

// codeHash is the hash the province keys a code's status by.
func codeHash(t *testing.T, w *demoWorld, code string) string {
	t.Helper()
	keys := filepath.Join(w.Province, "keys")
	root, err := pemkey.ReadPublic(filepath.Join(keys, "root.pub"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(keys, "trust.json"))
	if err != nil {
		t.Fatal(err)
	}
	tl, err := healthcode.ParseTrustList(raw, root, 0)
	if err != nil {
		t.Fatal(err)
	}
	v := healthcode.Verifier{Trust: tl}
	res := v.Verify(code, time.Now())
	if !res.Valid {
		t.Fatalf("the code does not verify: %s", res.Reason)
	}
	return res.CodeHash.String()
}

// portalShows logs in to the institution's portal and waits until its
// home page shows every one of words.
func portalShows(t *testing.T, ctx context.Context, w *demoWorld, hcserverBin string, words ...string) {
	t.Helper()
	tok, err := hcserver(ctx, hcserverBin, "token", "--data", w.Province, "--db=", "--institution", "第一中学 No.1 School", "--portal")
	if err != nil {
		t.Fatal(err)
	}
	tok = strings.TrimSpace(tok[strings.LastIndex(tok, "\n")+1:])
	jar, _ := cookiejar.New(nil)
	if u, err := url.Parse(w.URL + "/portal/"); err == nil {
		jar.SetCookies(u, []*http.Cookie{{Name: "hclang", Value: "en", Path: "/portal/"}})
	}
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(w.URL+"/portal/login", url.Values{"token": {tok}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := c.Get(w.URL + "/portal/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ok := true
		for _, word := range words {
			ok = ok && strings.Contains(string(b), word)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the portal never showed %q:\n%s", words, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The shipped build has no way to move its clock: the test build's file
// moves the test build's clock (a code valid for 72 hours is expired
// 96 hours on) and nothing of the shipped build's, which does not even
// contain the variable's name.
func TestShippedBuildIgnoresTheFakeClock(t *testing.T) {
	ctx := context.Background()
	shipped := filepath.Join(binaries(t), "hcscan")
	fake := fakeClockScanner(t)
	keys := filepath.Join(t.TempDir(), "keys")
	hcserverBin := filepath.Join(binaries(t), "hcserver")
	if _, err := hcserver(ctx, hcserverBin, "keys", "init", "--dir", keys); err != nil {
		t.Fatal(err)
	}
	code, err := hcserver(ctx, hcserverBin, "issue", "--dir", keys, "--colour", "green", "--name", "张三丰", "--id", "110105199001011234", "--expires", "72h")
	if err != nil {
		t.Fatal(err)
	}
	clock := filepath.Join(t.TempDir(), "clock")
	setClock(t, clock, 96*time.Hour, "")
	verify := func(bin string) (int, string) {
		cmd := exec.Command(bin, "verify", "--trust", filepath.Join(keys, "trust.json"), code)
		cmd.Env = append(os.Environ(), trustclock.FakeEnv+"="+clock)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := verify(shipped); code != 0 || !strings.Contains(out, "PASS") {
		t.Errorf("the shipped build, with the fake clock file 96 h ahead: exit %d\n%s", code, out)
	}
	if code, out := verify(fake); code != 1 || !strings.Contains(out, "expired") {
		t.Errorf("the fakeclock build, 96 h ahead: exit %d\n%s", code, out)
	}
	b, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(trustclock.FakeEnv)) {
		t.Errorf("the shipped hcscan contains %q", trustclock.FakeEnv)
	}
}
