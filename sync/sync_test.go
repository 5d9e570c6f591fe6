package sync

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/trustclock"
	"hcscan/protocol"
	"hcscan/server"
	"hcscan/store"
)

func TestEnrollThenSyncUploadsEverythingOnce(t *testing.T) {
	w := newWorld(t)
	st := openStore(t, "")
	// Records made before enrolment carry no device id; sync stamps them.
	ids := fill(t, st, 1234)

	dev, err := Enroll(context.Background(), st, EnrollOptions{ServerURL: w.URL + "/", Token: w.token("第一中学", "north gate"), Name: "gate laptop"})
	if err != nil {
		t.Fatal(err)
	}
	if dev.ID == "" || dev.Institution != "第一中学" || dev.Gate != "north gate" || dev.ServerURL != w.URL {
		t.Fatalf("enrolment: %+v", dev)
	}
	saved, ok, err := st.Device()
	if err != nil || !ok || saved.ID != dev.ID || !saved.Key.Equal(dev.Key) || !saved.RootKey.Equal(w.srv.Keys().Root.Public()) {
		t.Fatalf("stored identity: %+v ok=%v err=%v", saved.ID, ok, err)
	}
	fi, err := os.Stat(st.KeyPath())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("device key file: %v mode %v", err, fi.Mode())
	}
	if _, seq, _, _ := st.TrustList(); seq != w.srv.TrustSeq() {
		t.Fatalf("trust list from enrolment has seq %d, server %d", seq, w.srv.TrustSeq())
	}

	c := newClient(t, st, Options{})
	var calls [][2]int
	rep, err := c.SyncOnce(context.Background(), func(sent, total int) { calls = append(calls, [2]int{sent, total}) })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stored != len(ids) || rep.Duplicates != 0 || rep.Rejected != 0 || rep.Remaining != 0 || rep.Batches != 3 {
		t.Fatalf("report %+v", rep)
	}
	if len(calls) < 2 || calls[0] != [2]int{0, 1234} || calls[len(calls)-1] != [2]int{1234, 1234} {
		t.Fatalf("progress calls %v", calls)
	}
	w.assertExactlyOnce(t, st, ids)
	s := c.State()
	if !s.Online || s.LastSuccess.IsZero() || s.LastError != "" || s.Pending != 0 || s.TrustSeq == 0 || s.StatusFetched.IsZero() || !s.Clock.Confirmed {
		t.Fatalf("state after sync: %+v", s)
	}

	// Again: the trust list is not modified (ETag), nothing to upload.
	rep, err = c.SyncOnce(context.Background(), nil)
	if err != nil || rep.TrustUpdated || rep.Batches != 0 {
		t.Fatalf("second sync: %+v %v", rep, err)
	}
}

func TestEnrollRefusals(t *testing.T) {
	w := newWorld(t)
	root := w.srv.Keys().Root.Public().(ed25519.PublicKey)
	fp := protocol.Fingerprint(root)

	// A pinned fingerprint that does not match: refused before the token
	// is sent, nothing saved.
	st := openStore(t, "")
	wrong := strings.Repeat("ab", 32)
	tok := w.token("i", "g")
	_, err := Enroll(context.Background(), st, EnrollOptions{ServerURL: w.URL, Token: tok, PinRoot: wrong})
	if !errors.Is(err, ErrRootMismatch) {
		t.Fatalf("wrong pin: %v", err)
	}
	if _, ok, _ := st.Device(); ok {
		t.Fatal("a refused enrolment left an identity behind")
	}
	if _, err := os.Stat(st.KeyPath()); err == nil {
		t.Fatal("a refused enrolment left a device key behind")
	}

	// The matching fingerprint (its first 16 digits, with colons) passes,
	// with the same token: the refusal did not spend it.
	pin := fp[:4] + ":" + strings.ToUpper(fp[4:16])
	if _, err := Enroll(context.Background(), st, EnrollOptions{ServerURL: w.URL, Token: tok, PinRoot: pin}); err != nil {
		t.Fatalf("right pin: %v", err)
	}
	// Enrolled already: refused without Force.
	if _, err := Enroll(context.Background(), st, EnrollOptions{ServerURL: w.URL, Token: w.token("i", "g")}); err == nil || !strings.Contains(err.Error(), "already enrolled") {
		t.Fatalf("second enrolment without force: %v", err)
	}
	// The token is single use.
	other := openStore(t, "")
	_, err = Enroll(context.Background(), other, EnrollOptions{ServerURL: w.URL, Token: tok})
	if err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("reused token: %v", err)
	}
	_, err = Enroll(context.Background(), other, EnrollOptions{ServerURL: w.URL, Token: "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF"})
	if err == nil || !strings.Contains(err.Error(), "does not know this token") {
		t.Fatalf("unknown token: %v", err)
	}
	if _, err := New(other, Options{}); !errors.Is(err, ErrNotEnrolled) {
		t.Fatalf("New without enrolment: %v", err)
	}
}

// replayingProxy forwards to the server but answers GET /v1/trust-list
// with doc (an attacker replaying an old signed list, or forging one).
func replayingProxy(t *testing.T, target string, doc []byte) string {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == protocol.PathTrustList {
			w.Header().Set("Content-Type", "application/json")
			w.Write(doc)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}

func TestTrustListRollbackAndForgeryRefused(t *testing.T) {
	w := newWorld(t)
	st := w.scanner(w.URL)
	oldDoc, oldSeq, _, _ := st.TrustList()

	// The province publishes a newer list; the scanner takes it.
	keys := w.srv.Keys()
	tl, err := keys.TrustList(oldSeq+5, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := tl.Sign(keys.Root)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(keys.Dir, "trust.json"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.srv.ReloadKeys(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, st, Options{})
	rep, err := c.SyncOnce(context.Background(), nil)
	if err != nil || rep.TrustSeq != oldSeq+5 || !rep.TrustUpdated {
		t.Fatalf("newer trust list: %+v %v", rep, err)
	}

	// Someone in the middle replays the old, genuinely signed list.
	dev := c.Device()
	dev.ServerURL = replayingProxy(t, w.URL, oldDoc)
	if err := st.SaveDevice(dev); err != nil {
		t.Fatal(err)
	}
	c = newClient(t, st, Options{})
	ids := fill(t, st, 20)
	rep, err = c.SyncOnce(context.Background(), nil)
	if !errors.Is(err, healthcode.ErrTrustRollback) {
		t.Fatalf("replayed old trust list: %v", err)
	}
	// The refusal does not hold the records back.
	if rep.Stored != 20 {
		t.Fatalf("records uploaded despite the refused list: %d", rep.Stored)
	}
	w.assertExactlyOnce(t, st, ids)
	if _, seq, _, _ := st.TrustList(); seq != oldSeq+5 {
		t.Fatalf("cache went back to seq %d", seq)
	}
	if s := c.State(); s.LastError == "" || !strings.Contains(s.LastError, "older trust list") {
		t.Fatalf("state does not say why: %q", s.LastError)
	}

	// A list with a higher sequence signed by another root: refused.
	_, otherRoot, _ := ed25519.GenerateKey(rand.Reader)
	forged, _ := keys.TrustList(oldSeq+99, time.Now())
	fdoc, _ := forged.Sign(otherRoot)
	dev.ServerURL = replayingProxy(t, w.URL, fdoc)
	st.SaveDevice(dev)
	c = newClient(t, st, Options{})
	if _, err = c.SyncOnce(context.Background(), nil); !errors.Is(err, healthcode.ErrBadDocSignature) {
		t.Fatalf("forged trust list: %v", err)
	}
	if _, seq, _, _ := st.TrustList(); seq != oldSeq+5 {
		t.Fatalf("cache took the forged list: seq %d", seq)
	}
}

func TestStatusDeltaSnapshotAndLive(t *testing.T) {
	dir := t.TempDir()
	if _, err := server.InitKeys(dir, server.DefaultRegions); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(t.Context(), server.Config{Dir: dir, Store: serverStore(t, dir, 3), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler(nil))
	t.Cleanup(func() { hs.Close(); srv.Close() })
	w := &world{t: t, dir: dir, srv: srv, hs: hs, URL: hs.URL}
	st := w.scanner(w.URL)
	c := newClient(t, st, Options{})

	hash := func(b byte) healthcode.CodeHash { return healthcode.CodeID{b}.Hash() }
	set := func(b byte, col healthcode.Colour) {
		t.Helper()
		if _, _, err := srv.SetStatus(t.Context(), []server.StatusChange{{Hash: hash(b), Colour: col}}); err != nil {
			t.Fatal(err)
		}
	}
	colour := func(b byte) healthcode.Colour {
		e, ok := st.Lookup(hash(b))
		if !ok {
			return healthcode.ColourUnknown
		}
		return e.Colour
	}

	set(1, healthcode.Red)
	rep, err := c.SyncOnce(context.Background(), nil)
	if err != nil || !rep.StatusSnapshot || rep.StatusEntries != 1 || colour(1) != healthcode.Red {
		t.Fatalf("first pull (snapshot): %+v %v colour %v", rep, err, colour(1))
	}
	set(2, healthcode.Yellow)
	rep, err = c.SyncOnce(context.Background(), nil)
	if err != nil || rep.StatusSnapshot || rep.StatusEntries != 1 || colour(2) != healthcode.Yellow || colour(1) != healthcode.Red {
		t.Fatalf("delta: %+v %v", rep, err)
	}
	seq, _ := st.StatusSeq()
	if seq != rep.StatusSeq || seq != 2 {
		t.Fatalf("cached status seq %d, report %d", seq, rep.StatusSeq)
	}

	// More changes than the server keeps history for: 410, then a snapshot.
	set(1, healthcode.Green)
	for b := byte(3); b < 8; b++ {
		set(b, healthcode.Red)
	}
	rep, err = c.SyncOnce(context.Background(), nil)
	if err != nil || !rep.StatusSnapshot || rep.StatusEntries != 7 {
		t.Fatalf("after history was pruned: %+v %v", rep, err)
	}
	if colour(1) != healthcode.Green || colour(7) != healthcode.Red || colour(2) != healthcode.Yellow {
		t.Fatalf("snapshot not applied: %v %v %v", colour(1), colour(7), colour(2))
	}

	// The online check sees a change before any sync does.
	set(2, healthcode.Red)
	e, err := c.LiveStatus(context.Background(), hash(2))
	if err != nil || e.Colour != healthcode.Red || e.Hash != hash(2) || e.Seq == 0 {
		t.Fatalf("live status: %+v %v", e, err)
	}
	e, err = c.LiveStatus(context.Background(), hash(200))
	if err != nil || e.Colour != healthcode.ColourUnknown {
		t.Fatalf("live status of an unknown code: %+v %v", e, err)
	}
	// Server gone: an error, so the screen falls back to the cache.
	hs.Close()
	if _, err := c.LiveStatus(context.Background(), hash(2)); err == nil {
		t.Fatal("live status with the server down gave no error")
	}
}

func TestProvisionalPassThenRedRaisesAlert(t *testing.T) {
	w := newWorld(t)
	st := w.scanner(w.URL)
	c := newClient(t, st, Options{})
	if _, err := c.SyncOnce(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	var id healthcode.CodeID
	rand.Read(id[:])
	// The province learns the code is red …
	if _, _, err := w.srv.SetStatus(t.Context(), []server.StatusChange{{Hash: id.Hash(), Colour: healthcode.Red}}); err != nil {
		t.Fatal(err)
	}
	// … while the gate, offline with a stale list, lets the person pass provisionally.
	recs := makeRecords(2, time.Now().Add(time.Second))
	recs[0].CodeHash, recs[0].Provisional = id.Hash(), true
	if err := st.AppendBatch(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	rep, err := c.SyncOnce(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Alerts) != 1 || rep.Alerts[0].RecordID != recs[0].ID || rep.Alerts[0].Colour != healthcode.Red {
		t.Fatalf("report alerts %+v", rep.Alerts)
	}
	alerts, _ := st.Alerts()
	if len(alerts) != 1 || alerts[0].RecordID != recs[0].ID {
		t.Fatalf("scanner alerts %+v", alerts)
	}
	if s := c.State(); s.NewAlerts != 1 {
		t.Fatalf("state NewAlerts %d", s.NewAlerts)
	}
	dev := c.Device()
	sa, err := w.srv.Store().Alerts(t.Context(), dev.Institution)
	if err != nil || len(sa) != 1 || sa[0].RecordID != recs[0].ID || sa[0].Colour != healthcode.Red {
		t.Fatalf("server alerts %+v %v", sa, err)
	}
	w.assertExactlyOnce(t, st, []string{recs[0].ID, recs[1].ID})
}

func TestRejectedRecordsGoToDeadLetters(t *testing.T) {
	w := newWorld(t)
	st := w.scanner(w.URL)
	recs := makeRecords(5, time.Now())
	recs[1].DeviceID = "another-scanner"
	recs[3].Verdict = healthcode.VerdictNone
	if err := st.AppendBatch(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, st, Options{})
	rep, err := c.SyncOnce(context.Background(), nil)
	if err != nil || rep.Stored != 3 || rep.Rejected != 2 || rep.Remaining != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
	dead, err := st.DeadLetters()
	if err != nil || len(dead) != 2 {
		t.Fatalf("dead letters %+v %v", dead, err)
	}
	if dead[0].ID != recs[1].ID || !strings.Contains(dead[0].Reason, "not the signing device") ||
		dead[1].ID != recs[3].ID || !strings.Contains(dead[1].Reason, "verdict") {
		t.Fatalf("dead letters %+v", dead)
	}
	if c.State().DeadLetters != 2 {
		t.Fatalf("state dead letters %d", c.State().DeadLetters)
	}
}

func TestClockOffsetMeasuredAndStaleTimeCorrected(t *testing.T) {
	dir := t.TempDir()
	if _, err := server.InitKeys(dir, server.DefaultRegions); err != nil {
		t.Fatal(err)
	}
	// The province's clock is 10 minutes ahead of this laptop: beyond
	// the 5 minutes a signed request may be off.
	skew := 10 * time.Minute
	srv, err := server.New(t.Context(), server.Config{Dir: dir, Store: serverStore(t, dir, 0), Now: func() time.Time { return time.Now().Add(skew) }})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler(nil))
	t.Cleanup(func() { hs.Close(); srv.Close() })
	w := &world{t: t, dir: dir, srv: srv, hs: hs, URL: hs.URL}
	st := w.scanner(hs.URL)
	ids := fill(t, st, 10)
	c := newClient(t, st, Options{})
	if _, err := c.SyncOnce(context.Background(), nil); err != nil {
		t.Fatalf("sync with a skewed clock: %v", err)
	}
	s := c.State()
	if d := s.Clock.Offset() - skew; d > time.Second || d < -time.Second || !s.ClockSkewed || !s.Clock.Confirmed {
		t.Fatalf("offset %v (skewed %v), want ≈%v", s.Clock.Offset(), s.ClockSkewed, skew)
	}
	if d := c.now().Sub(time.Now().Add(skew)); d > time.Second || d < -time.Second {
		t.Fatalf("trusted clock off by %v", d)
	}
	w.assertExactlyOnce(t, st, ids)
}

// laptop is the machine's clocks with a wall clock a test can set.
type laptop struct {
	real  trustclock.Source
	shift atomic.Int64
}

func (l *laptop) Wall() time.Time     { return l.real.Wall().Add(time.Duration(l.shift.Load())) }
func (l *laptop) Mono() time.Duration { return l.real.Mono() }
func (l *laptop) Boot() string        { return l.real.Boot() }

// The laptop's clock set back between syncs does not move the time the
// client signs and stamps with; the jump is in the state until the next
// sync measures the new offset; a restart on the same boot keeps the
// province's time without a sync.
func TestClockSetBackIsNoticedAndIgnored(t *testing.T) {
	w := newWorld(t)
	st := w.scanner(w.URL)
	l := &laptop{real: trustclock.System()}
	clk := trustclock.New(l, trustclock.Options{Settings: st})
	c := newClient(t, st, Options{Clock: clk})
	if s := c.State(); s.Clock.Confirmed {
		t.Fatalf("confirmed before any sync: %+v", s.Clock)
	}
	if _, err := c.SyncOnce(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if s := c.State(); s.Clock.Jumped() || !s.Clock.Confirmed {
		t.Fatalf("after a sync: %+v", s.Clock)
	}
	l.shift.Store(int64(-time.Hour)) // someone sets the laptop's clock back an hour
	m := clk.Moment()
	if m.Jump > -59*time.Minute || m.Jump < -61*time.Minute || m.Now.Sub(time.Now()).Abs() > time.Second {
		t.Fatalf("after the set back: jump %v, now off by %v", m.Jump, m.Now.Sub(time.Now()))
	}
	if _, err := c.SyncOnce(context.Background(), nil); err != nil {
		t.Fatalf("sync after the clock was set back: %v", err)
	}
	s := c.State()
	if d := s.Clock.Offset() - time.Hour; d > time.Second || d < -time.Second || s.Clock.Jumped() || !s.ClockSkewed {
		t.Fatalf("after the next sync: offset %v jump %v skewed %v", s.Clock.Offset(), s.Clock.Jump, s.ClockSkewed)
	}
	if fetched, _ := st.StatusFetched(); fetched.Sub(time.Now()).Abs() > time.Second {
		t.Fatalf("status fetched at %v: not the province's time", fetched)
	}

	// hcscan restarts on the same boot: the province's time, before any sync.
	l.shift.Store(int64(-2 * time.Hour))
	c = newClient(t, st, Options{Clock: trustclock.New(l, trustclock.Options{Settings: st})})
	if s := c.State(); !s.Clock.Confirmed || s.Clock.Now.Sub(time.Now()).Abs() > time.Second || s.Clock.Jump > -59*time.Minute {
		t.Fatalf("after a restart: %+v", s.Clock)
	}
}

func TestRunPublishesStateAndStops(t *testing.T) {
	w := newWorld(t)
	st := w.scanner(w.URL)
	c := newClient(t, st, Options{Interval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	waitState(t, c, func(s State) bool { return s.Online && !s.LastSuccess.IsZero() && !s.Syncing })

	// A record saved while running is uploaded on Kick, not an hour later.
	ids := fill(t, st, 3)
	kicked := time.Now()
	c.Kick()
	// A sync that began before the records were saved may end after the
	// kick: what counts is the data file's outbox, empty.
	waitState(t, c, func(s State) bool {
		n, err := st.Pending()
		return s.LastSuccess.After(kicked) && s.Pending == 0 && !s.Syncing && err == nil && n == 0
	})
	w.assertExactlyOnce(t, st, ids)

	// The server goes away: the state says offline, with a sentence.
	w.hs.Close()
	fill(t, st, 1)
	c.Kick()
	s := waitState(t, c, func(s State) bool { return !s.Online && s.LastError != "" })
	if !strings.Contains(s.LastError, "cannot reach the province server") || s.Pending != 1 || s.Failures == 0 {
		t.Fatalf("offline state: %+v", s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// waitState reads Updates until ok holds (each state is checked).
func waitState(t *testing.T, c *Client, ok func(State) bool) State {
	t.Helper()
	timeout := time.After(30 * time.Second)
	if s := c.State(); ok(s) {
		return s
	}
	for {
		select {
		case s := <-c.Updates():
			if ok(s) {
				return s
			}
		case <-timeout:
			t.Fatalf("state never reached; last %+v", c.State())
		}
	}
}

var _ = store.Alert{}

func TestLiveStatusGivesUpAtItsDeadline(t *testing.T) {
	w := newWorld(t)
	p := newFaultProxy(t, w.URL, nil)
	p.delay = 600 * time.Millisecond
	st := w.scanner(p.URL)
	c := newClient(t, st, Options{LiveTimeout: 100 * time.Millisecond})
	var id healthcode.CodeID
	rand.Read(id[:])
	if _, _, err := w.srv.SetStatus(t.Context(), []server.StatusChange{{Hash: id.Hash(), Colour: healthcode.Yellow}}); err != nil {
		t.Fatal(err)
	}
	if e, err := c.LiveStatus(context.Background(), id.Hash()); err != nil || e.Colour != healthcode.Yellow {
		t.Fatalf("live status through a quiet proxy: %+v %v", e, err)
	}
	p.setPlan(func(int, *http.Request) fault { return faultDelay })
	_, err := c.LiveStatus(context.Background(), id.Hash())
	if err == nil || !strings.Contains(err.Error(), "did not answer in time") {
		t.Fatalf("slow server: %v", err)
	}
	if c.State().Online {
		t.Fatal("still online after the live check timed out")
	}
}
