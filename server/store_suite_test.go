package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/store"
	hsync "hcscan/sync"
)

// storeKind makes the store a test server runs on: the same behavioural
// tests run against the embedded bbolt store and against PostgreSQL.
type storeKind struct {
	name string
	// open gives a new, empty store for cfg; nil means the embedded
	// bbolt store that server.New opens in cfg.Dir.
	open func(t testing.TB, cfg Config) Store
	pg   *testPG
}

var boltKind = storeKind{name: "bolt"}

// newEnvOn is newEnv on a store of kind k.
func newEnvOn(t testing.TB, k storeKind, mod func(*Config)) *testEnv {
	t.Helper()
	return newEnv(t, func(c *Config) {
		if os.Getenv("HCSCAN_TEST_LOG") != "" {
			c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
		if mod != nil {
			mod(c)
		}
		if k.open != nil {
			c.Store = k.open(t, *c)
		}
	})
}

// storeSuite is what every store must do, through the real HTTP server.
var storeSuite = []struct {
	name string
	fn   func(*testing.T, storeKind)
}{
	{"enrolment token single use", testEnrolmentTokenIsSingleUse},
	{"signed requests", testSignedRequestsAreChecked},
	{"status delta snapshot live", testStatusDeltaSnapshotAndLive},
	{"ingest idempotent and strict", testIngestIsIdempotentAndStrict},
	{"provisional then red alert", testProvisionalPassThenRedRaisesAlert},
	{"close contacts and portal", testCloseContactsAndPortal},
	{"records newest first", testRecordsNewestFirstInPages},
	{"stored record is what was sent", testStoredRecordIsWhatWasSent},
	{"record unique across days", testRecordUniqueAcrossDays},
	{"sealed identity", testSealedIdentity},
	{"sessions expire and prune", testSessionsExpire},
}

func TestBoltStore(t *testing.T) {
	for _, c := range storeSuite {
		t.Run(c.name, func(t *testing.T) { c.fn(t, boltKind) })
	}
}

// TestPostgresStore runs the suite on a real PostgreSQL server started for
// it (one server, a new database per test), then what only a shared
// database allows: several server processes in front of it.
func TestPostgresStore(t *testing.T) {
	pg := startPostgres(t, false)
	k := storeKind{name: "postgres", pg: pg, open: func(t testing.TB, cfg Config) Store {
		return openPG(t, pg.NewDatabase(t), cfg)
	}}
	for _, c := range storeSuite {
		t.Run(c.name, func(t *testing.T) { c.fn(t, k) })
	}
	t.Run("partitions by day", func(t *testing.T) { testPartitionsByDay(t, pg) })
	t.Run("two servers share one database", func(t *testing.T) { testTwoServers(t, pg) })
	t.Run("migrations run once", func(t *testing.T) { testMigrationsRunOnce(t, pg) })
}

// testRecordUniqueAcrossDays: (device, record id) stays unique when a
// retry carries another time (in PostgreSQL: another day's partition).
func testRecordUniqueAcrossDays(t *testing.T, k storeKind) {
	e := newEnvOn(t, k, nil)
	d := e.enroll(t, "clinic", "door")
	d2 := e.enroll(t, "clinic", "back")
	now := e.clock.Now()
	r := newRecord(d, "door", "a", now)
	if rr := e.upload(t, d, []healthcode.Record{r}, ""); rr.Stored != 1 {
		t.Fatalf("first upload: %+v", rr)
	}
	again := r
	again.CorrectedTime = now.Add(-50 * time.Hour) // two days earlier
	again.Time = again.CorrectedTime
	if rr := e.upload(t, d, []healthcode.Record{again}, ""); rr.Duplicate != 1 {
		t.Fatalf("same record id on another day: %+v, want a duplicate", rr)
	}
	// The same id from another device is another record.
	other := r
	other.DeviceID = d2.id
	if rr := e.upload(t, d2, []healthcode.Record{other}, ""); rr.Stored != 1 {
		t.Fatalf("same id, other device: %+v", rr)
	}
	if n := e.countRecords(t, "clinic"); n != 2 {
		t.Fatalf("%d records, want 2", n)
	}
	got, err := e.srv.Store().Record(t.Context(), d.id, r.ID)
	if err != nil || !got.CorrectedTime.Equal(now) {
		t.Errorf("the first upload's record is not the one kept: %v %v", got.CorrectedTime, err)
	}
	if _, err := e.srv.Store().Record(t.Context(), d.id, "0190c0de-0000-7000-8000-000000000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown record: %v", err)
	}
}

// portalClient is a browser with its own cookies.
type portalClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newPortalClient(t *testing.T, base string) *portalClient {
	jar, _ := cookiejar.New(nil)
	return &portalClient{t: t, base: base, c: &http.Client{Jar: jar}}
}

func (p *portalClient) get(path string) (int, string) {
	p.t.Helper()
	resp, err := p.c.Get(p.base + path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (p *portalClient) post(path string, form url.Values) (int, string) {
	p.t.Helper()
	if p.csrf != "" && form.Get("csrf") == "" {
		form.Set("csrf", p.csrf)
	}
	resp, err := p.c.PostForm(p.base+path, form)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login logs in with a new token of kind and returns the home page.
func (p *portalClient) login(e *testEnv, kind, institution string) string {
	p.t.Helper()
	tok, _, err := e.srv.NewToken(p.t.Context(), kind, institution, "")
	if err != nil {
		p.t.Fatal(err)
	}
	code, home := p.post("/portal/login", url.Values{"token": {tok}})
	m := csrfField.FindStringSubmatch(home)
	if code != 200 || m == nil {
		p.t.Fatalf("login as %s: %d", kind, code)
	}
	p.csrf = m[1]
	return home
}

// testSealedIdentity: a scanner enrolled with the real client gets the
// province's sealing key; a manual entry sealed with it is uploaded; the
// scanner's files hold neither the typed identity nor a key that opens
// it; a tracing login opens it in the portal, and the opening is audited.
func testSealedIdentity(t *testing.T, k storeKind) {
	e := newEnvOn(t, k, nil)
	scannerDir := t.TempDir()
	st, err := store.Open(filepath.Join(scannerDir, "hcscan.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dev, err := hsync.Enroll(context.Background(), st, hsync.EnrollOptions{ServerURL: e.http.URL, Token: e.token(t, "养老院", "north")})
	if err != nil {
		t.Fatal(err)
	}
	saved, ok, err := st.Device()
	if err != nil || !ok || !bytes.Equal(saved.SealKey, e.srv.Keys().SealPublic()) {
		t.Fatalf("the scanner did not keep the province's sealing key: %x vs %x (%v)", saved.SealKey, e.srv.Keys().SealPublic(), err)
	}

	const fullName, fullID, phone = "张小三", "110101195001011234", "13800138000"
	var pub [32]byte
	copy(pub[:], saved.SealKey)
	sealed, err := store.SealIdentity(&pub, fullName, fullID, phone)
	if err != nil {
		t.Fatal(err)
	}
	at := e.clock.Now().Add(-time.Hour)
	manual := healthcode.Record{DeviceID: dev.ID, Institution: dev.Institution, Gate: dev.Gate, Operator: "李*",
		Time: at, CorrectedTime: at, Manual: true, ScannedColour: healthcode.ColourUnknown, EffectiveColour: healthcode.ColourUnknown,
		Verdict: healthcode.VerdictPass, Temperature: 364, Disposition: healthcode.DispositionPass,
		Name: "张*三", IDMasked: "110***********1234", Sealed: sealed, ManualReason: "no phone"}
	if err := st.Append(context.Background(), &manual); err != nil {
		t.Fatal(err)
	}
	pending, err := st.PendingBatch(10)
	if err != nil || len(pending) != 1 {
		t.Fatalf("outbox: %d records, %v", len(pending), err)
	}
	d := &device{id: dev.ID, key: saved.Key, rep: protocol.EnrollReply{Institution: dev.Institution}}
	if rr := e.upload(t, d, pending, ""); rr.Stored != 1 {
		t.Fatalf("upload: %+v", rr)
	}
	neighbour := newRecord(d, "north", "李*", at.Add(5*time.Minute))
	e.upload(t, d, []healthcode.Record{neighbour}, "")
	st.Close()

	// The scanner cannot open it: its files hold no typed identity and no
	// private sealing key, and its own key does not open the box.
	sealPriv := e.srv.Keys().Seal.Bytes()
	files, _ := filepath.Glob(filepath.Join(scannerDir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, secret := range [][]byte{[]byte(fullID), []byte(phone), []byte(fullName), sealPriv} {
			if bytes.Contains(b, secret) {
				t.Errorf("scanner file %s holds %q in clear", filepath.Base(f), secret)
			}
		}
	}
	var devPriv [32]byte
	copy(devPriv[:], saved.Key.Seed())
	if _, err := healthcode.OpenIdentity(sealed, &pub, &devPriv); err == nil {
		t.Error("the device's own key opened the sealed identity")
	}

	// An institution login sees that the record has a sealed identity but
	// cannot open it.
	inst := newPortalClient(t, e.http.URL)
	home := inst.login(e, TokenPortal, "养老院")
	if !strings.Contains(home, "sealed identity") || strings.Contains(home, fullID) {
		t.Errorf("home page: marks the sealed identity %v, shows the full ID %v", strings.Contains(home, "sealed identity"), strings.Contains(home, fullID))
	}
	contacts := "/portal/contacts?device=" + d.id + "&record=" + pending[0].ID + "&window=30"
	code, page := inst.get(contacts)
	if code != 200 || strings.Contains(page, "Open sealed identity") || !strings.Contains(page, "tracing staff can open them") {
		t.Errorf("institution's contacts page: %d, offers to open: %v", code, strings.Contains(page, "Open sealed identity"))
	}
	if code, _ := inst.post("/portal/identity", url.Values{"device": {d.id}, "record": {pending[0].ID}, "reason": {"curious"}}); code != 403 {
		t.Errorf("institution login opened an identity: %d, want 403", code)
	}

	// A tracing login opens it, with a reason, and the opening is listed.
	tracer := newPortalClient(t, e.http.URL)
	tracer.login(e, TokenTracing, "养老院")
	code, page = tracer.get(contacts)
	if code != 200 || strings.Count(page, `class="open-identity"`) != 1 {
		t.Fatalf("tracing contacts page: %d, %d open forms, want 1", code, strings.Count(page, `class="open-identity"`))
	}
	if code, _ := tracer.post("/portal/identity", url.Values{"device": {d.id}, "record": {pending[0].ID}, "reason": {"  "}}); code != 400 {
		t.Errorf("opening without a reason: %d, want 400", code)
	}
	if code, _ := tracer.post("/portal/identity", url.Values{"device": {d.id}, "record": {neighbour.ID}, "reason": {"case 17"}}); code != 400 {
		t.Errorf("opening a record with nothing sealed: %d, want 400", code)
	}
	if a, _ := e.srv.Store().Audit(t.Context(), "养老院", 10); len(a) != 0 {
		t.Fatalf("refused openings were audited: %+v", a)
	}
	code, page = tracer.post("/portal/identity", url.Values{"device": {d.id}, "record": {pending[0].ID}, "reason": {"case 2024-17 close contact"}})
	for _, want := range []string{fullName, fullID, phone} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("opened identity page: %d, lacks %q", code, want)
		}
	}
	audit, err := e.srv.Store().Audit(t.Context(), "养老院", 10)
	if err != nil || len(audit) != 1 || audit[0].Reason != "case 2024-17 close contact" || audit[0].RecordID != pending[0].ID ||
		!strings.HasPrefix(audit[0].Actor, "tracing ") || audit[0].Time.IsZero() {
		t.Fatalf("audit list: %+v %v", audit, err)
	}
	_, home = inst.get("/portal/")
	if !strings.Contains(home, "case 2024-17 close contact") || !strings.Contains(home, audit[0].Actor) {
		t.Error("the institution's home page does not list the opening")
	}
	// Another institution's tracer cannot reach the record.
	other := newPortalClient(t, e.http.URL)
	other.login(e, TokenTracing, "school")
	if code, _ := other.post("/portal/identity", url.Values{"device": {d.id}, "record": {pending[0].ID}, "reason": {"x"}}); code != 404 {
		t.Errorf("another institution's tracer: %d, want 404", code)
	}
	if a, _ := e.srv.Store().Audit(t.Context(), "school", 10); len(a) != 0 {
		t.Errorf("audit of another institution: %+v", a)
	}
}

// testSessionsExpire: a portal session ends after its time, and Prune
// drops it (and old nonces: a nonce may come again once forgotten).
func testSessionsExpire(t *testing.T, k storeKind) {
	e := newEnvOn(t, k, nil)
	p := newPortalClient(t, e.http.URL)
	p.login(e, TokenPortal, "clinic")
	if _, body := p.get("/portal/"); !strings.Contains(body, "<h1>clinic</h1>") {
		t.Fatal("not logged in")
	}
	st := e.srv.Store()
	now := e.clock.Now()
	h := SessionHash{1, 2, 3}
	if err := st.PutSession(t.Context(), Session{Hash: h, Institution: "clinic", Kind: TokenPortal, Actor: "portal X", CSRF: "c", Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Session(t.Context(), h, now); err != nil || got.Institution != "clinic" || got.Actor != "portal X" || got.CSRF != "c" {
		t.Fatalf("session: %+v %v", got, err)
	}
	if _, err := st.Session(t.Context(), h, now.Add(2*time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired session: %v", err)
	}
	fresh, err := st.CheckNonce(t.Context(), "dev", "n1", now.Add(time.Minute), now)
	if err != nil || !fresh {
		t.Fatalf("new nonce: %v %v", fresh, err)
	}
	if fresh, _ := st.CheckNonce(t.Context(), "dev", "n1", now.Add(time.Minute), now); fresh {
		t.Error("a nonce seen before is fresh")
	}
	if fresh, _ := st.CheckNonce(t.Context(), "other", "n1", now.Add(time.Minute), now); !fresh {
		t.Error("another device's nonce is a replay")
	}
	e.clock.Add(13 * time.Hour)
	if err := st.Prune(t.Context(), e.clock.Now().Add(-48*time.Hour), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Session(t.Context(), h, now); !errors.Is(err, ErrNotFound) {
		t.Errorf("session after prune: %v", err)
	}
	if code, body := p.get("/portal/"); code != 200 || !strings.Contains(body, `name="token"`) {
		t.Error("a 12-hour portal session still works after 13 hours")
	}
	if fresh, _ := st.CheckNonce(t.Context(), "dev", "n1", e.clock.Now().Add(time.Minute), e.clock.Now()); !fresh {
		t.Error("a nonce past its time is still remembered")
	}
}

// testPartitionsByDay: records go to their day's partition; a record
// whose day is far ahead waits in the default partition and moves into
// its day's partition when that is made; one from years ago stays in the
// default partition instead of making a table.
func testPartitionsByDay(t *testing.T, pg *testPG) {
	var dbURL string
	k := storeKind{name: "postgres", open: func(t testing.TB, cfg Config) Store {
		dbURL = pg.NewDatabase(t)
		return openPG(t, dbURL, cfg)
	}}
	e := newEnvOn(t, k, nil)
	d := e.enroll(t, "clinic", "door")
	now := e.clock.Now()
	today := newRecord(d, "door", "a", now)
	yesterday := newRecord(d, "door", "a", now.Add(-24*time.Hour))
	ahead := newRecord(d, "door", "a", now.Add(10*24*time.Hour))
	old := newRecord(d, "door", "a", now.AddDate(-3, 0, 0))
	if rr := e.upload(t, d, []healthcode.Record{today, yesterday, ahead, old}, ""); rr.Stored != 4 {
		t.Fatalf("upload: %+v", rr)
	}
	partOf := func(r healthcode.Record) string {
		return pg.Query(t, dbURL, fmt.Sprintf(`SELECT tableoid::regclass FROM records WHERE record_id = '%s'`, r.ID))
	}
	day := func(t time.Time) string { return "records_" + t.UTC().Format("20060102") }
	if got := partOf(today); got != day(now) {
		t.Errorf("today's record is in %q, want %q", got, day(now))
	}
	if got := partOf(yesterday); got != day(now.Add(-24*time.Hour)) {
		t.Errorf("yesterday's record is in %q", got)
	}
	if got := partOf(ahead); got != "records_default" {
		t.Errorf("the record 10 days ahead is in %q, want records_default", got)
	}
	if got := partOf(old); got != "records_default" {
		t.Errorf("the record 3 years old is in %q, want records_default", got)
	}
	// Nine days later its day is near: the next record of that day makes
	// the partition, and the waiting record moves in.
	e.clock.Add(9 * 24 * time.Hour)
	sameDay := newRecord(d, "door", "a", ahead.CorrectedTime.Add(time.Minute))
	if rr := e.upload(t, d, []healthcode.Record{sameDay}, ""); rr.Stored != 1 {
		t.Fatalf("upload: %+v", rr)
	}
	if got := partOf(ahead); got != day(ahead.CorrectedTime) {
		t.Errorf("the waiting record is in %q after its partition was made, want %q", got, day(ahead.CorrectedTime))
	}
	if got := partOf(sameDay); got != day(ahead.CorrectedTime) {
		t.Errorf("the new record is in %q", got)
	}
	if n := pg.Query(t, dbURL, `SELECT count(*) FROM records_default`); n != "1" {
		t.Errorf("records_default holds %s records, want 1 (the old one)", n)
	}
	for _, r := range []healthcode.Record{today, yesterday, ahead, old, sameDay} {
		if _, err := e.srv.Store().Record(t.Context(), d.id, r.ID); err != nil {
			t.Errorf("record of %v: %v", r.CorrectedTime, err)
		}
	}
	if n := e.countRecords(t, "clinic"); n != 5 {
		t.Errorf("%d records, want 5", n)
	}
}

// newTwin is a second server process on e's keys, clock and database.
func newTwin(t testing.TB, e *testEnv, st Store) *testEnv {
	t.Helper()
	s, err := New(Config{Dir: e.dir, Now: e.clock.Now, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	return &testEnv{t: e.t, dir: e.dir, srv: s, http: hs, clock: e.clock}
}

// testTwoServers: two server processes (two server.New, each with its own
// connection pool) on one database, as a province runs them behind a load
// balancer. Each serves what the other stored, a request replayed to the
// other is refused, a portal session works on both.
func testTwoServers(t *testing.T, pg *testPG) {
	var dbURL string
	k := storeKind{name: "postgres", open: func(t testing.TB, cfg Config) Store {
		dbURL = pg.NewDatabase(t)
		return openPG(t, dbURL, cfg)
	}}
	a := newEnvOn(t, k, nil)
	b := newTwin(t, a, openPG(t, dbURL, Config{Now: a.clock.Now}))
	if a.srv.TrustSeq() != b.srv.TrustSeq() {
		t.Errorf("trust list sequences %d and %d", a.srv.TrustSeq(), b.srv.TrustSeq())
	}

	// Enrolled on one (with a token made on the other), known to both.
	tok, _, err := b.srv.NewToken(t.Context(), TokenEnroll, "clinic", "door")
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	body, _ := json.Marshal(protocol.NewEnrollRequest(tok, key, "laptop"))
	resp, data := a.post(t, protocol.PathEnroll, "application/json", body)
	if resp.StatusCode != 200 {
		t.Fatalf("enrol on a: %d %s", resp.StatusCode, data)
	}
	d := &device{key: key}
	json.Unmarshal(data, &d.rep)
	d.id = d.rep.DeviceID
	if resp, data := b.post(t, protocol.PathEnroll, "application/json", body); resp.StatusCode != 403 {
		t.Errorf("the same token on b: %d %s, want 403", resp.StatusCode, data)
	}

	// A signed request accepted by a is a replay for b.
	recs := []healthcode.Record{newRecord(d, "door", "x", a.clock.Now())}
	batch := batchBody(t, recs)
	req, _ := http.NewRequest("POST", a.http.URL+protocol.PathRecords, bytes.NewReader(batch))
	req.Header.Set("Content-Type", "application/json")
	protocol.SignRequest(req, batch, d.id, d.key, a.clock.Now())
	if resp, data := a.send(t, req); resp.StatusCode != 200 {
		t.Fatalf("upload to a: %d %s", resp.StatusCode, data)
	}
	replay, _ := http.NewRequest("POST", b.http.URL+protocol.PathRecords, bytes.NewReader(batch))
	replay.Header = req.Header.Clone()
	resp, data = b.send(t, replay)
	wantError(t, "request replayed to the second server", resp, data, 401, protocol.ErrReplay)

	// An idempotent retry that lands on the other server gets the first answer.
	more := []healthcode.Record{newRecord(d, "door", "x", a.clock.Now()), newRecord(d, "door", "x", a.clock.Now())}
	first := a.upload(t, d, more, "batch-7")
	again := b.upload(t, d, more, "batch-7")
	if first.Stored != 2 || again.Stored != 2 {
		t.Errorf("idempotent retry on b: %+v then %+v", first, again)
	}

	// The same batch (no key) sent to both at once: every record is
	// stored exactly once.
	const n = 200
	same := make([]healthcode.Record, n)
	for i := range same {
		same[i] = newRecord(d, "door", "y", a.clock.Now().Add(-time.Duration(i)*time.Minute))
	}
	var wg gosync.WaitGroup
	replies := make([]protocol.RecordsReply, 2)
	for i, env := range []*testEnv{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = env.upload(t, d, same, "")
		}()
	}
	wg.Wait()
	if s := replies[0].Stored + replies[1].Stored; s != n || replies[0].Duplicate+replies[1].Duplicate != n {
		t.Errorf("concurrent uploads of one batch: %+v / %+v, want %d stored in all", replies[0], replies[1], n)
	}
	if got := b.countRecords(t, "clinic"); got != n+3 {
		t.Errorf("%d records on b, want %d", got, n+3)
	}

	// Status set through one is served by the other.
	if _, _, err := a.srv.SetStatus(t.Context(), []StatusChange{{hashOf(4), healthcode.Red}}); err != nil {
		t.Fatal(err)
	}
	if _, sl := b.status(t, d, 0); sl == nil || sl.Seq != 1 || len(sl.Entries) != 1 {
		t.Errorf("status on b: %+v", sl)
	}

	// A portal session opened on a works on b, and logging out on b ends it on a.
	p := newPortalClient(t, a.http.URL)
	p.login(a, TokenPortal, "clinic")
	cookies := p.c.Jar.Cookies(mustURL(t, a.http.URL+"/portal/"))
	if len(cookies) != 1 {
		t.Fatalf("cookies: %v", cookies)
	}
	onB := &portalClient{t: t, base: b.http.URL, c: &http.Client{}, csrf: p.csrf}
	onB.c.Jar, _ = cookiejar.New(nil)
	onB.c.Jar.SetCookies(mustURL(t, b.http.URL+"/portal/"), cookies)
	if code, body := onB.get("/portal/"); code != 200 || !strings.Contains(body, "<h1>clinic</h1>") {
		t.Fatalf("session from a on b: %d", code)
	}
	if code, _ := onB.post("/portal/logout", url.Values{}); code != 200 {
		t.Fatalf("logout on b: %d", code)
	}
	if _, body := p.get("/portal/"); !strings.Contains(body, `name="token"`) {
		t.Error("still logged in on a after logging out on b")
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// testMigrationsRunOnce: processes starting together on a new database
// apply the schema once; a database from a newer server is refused.
func testMigrationsRunOnce(t *testing.T, pg *testPG) {
	dbURL := pg.NewDatabase(t)
	var wg gosync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := OpenPG(context.Background(), dbURL, PGOptions{})
			if err == nil {
				st.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent open: %v", err)
		}
	}
	if got := pg.Query(t, dbURL, `SELECT version FROM schema_version ORDER BY version`); got != fmt.Sprint(len(pgMigrations)-1) {
		t.Errorf("schema_version rows %q, want one row %d", got, len(pgMigrations)-1)
	}
	pg.Query(t, dbURL, `INSERT INTO schema_version (version) VALUES (999)`)
	if _, err := OpenPG(context.Background(), dbURL, PGOptions{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("a database from a newer server: %v", err)
	}
}
