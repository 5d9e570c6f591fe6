package pgstore

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/pgtest"
	"hcscan/protocol"
	"hcscan/server"
	"hcscan/server/storetest"
)

// testPartitionsByDay: records go to their day's partition; a record
// whose day is far ahead waits in the default partition and moves into
// its day's partition when that is made; one from years ago stays in the
// default partition instead of making a table.
func testPartitionsByDay(t *testing.T, pg *pgtest.Server) {
	var dbURL string
	open := func(t testing.TB, o storetest.Options) server.Store {
		dbURL = pg.NewDatabase(t)
		return openTest(t, dbURL, o)
	}
	e := storetest.NewEnv(t, open, storetest.Options{})
	d := e.Enroll(t, "clinic", "door")
	now := e.Clock.Now()
	today := storetest.NewRecord(d, "door", "a", now)
	yesterday := storetest.NewRecord(d, "door", "a", now.Add(-24*time.Hour))
	ahead := storetest.NewRecord(d, "door", "a", now.Add(10*24*time.Hour))
	old := storetest.NewRecord(d, "door", "a", now.AddDate(-3, 0, 0))
	if rr := e.Upload(t, d, []healthcode.Record{today, yesterday, ahead, old}, ""); rr.Stored != 4 {
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
	e.Clock.Add(9 * 24 * time.Hour)
	sameDay := storetest.NewRecord(d, "door", "a", ahead.CorrectedTime.Add(time.Minute))
	if rr := e.Upload(t, d, []healthcode.Record{sameDay}, ""); rr.Stored != 1 {
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
		if _, err := e.Srv.Store().Record(t.Context(), d.ID, r.ID); err != nil {
			t.Errorf("record of %v: %v", r.CorrectedTime, err)
		}
	}
	if n := e.CountRecords(t, "clinic"); n != 5 {
		t.Errorf("%d records, want 5", n)
	}
}

// testTwoServers: two server processes (two server.New, each with its own
// connection pool) on one database, as a province runs them behind a load
// balancer. Each serves what the other stored, a request replayed to the
// other is refused, a portal session works on both.
func testTwoServers(t *testing.T, pg *pgtest.Server) {
	var dbURL string
	open := func(t testing.TB, o storetest.Options) server.Store {
		dbURL = pg.NewDatabase(t)
		return openTest(t, dbURL, o)
	}
	a := storetest.NewEnv(t, open, storetest.Options{})
	b := storetest.NewTwin(t, a, openTest(t, dbURL, storetest.Options{Now: a.Clock.Now}))
	if a.Srv.TrustSeq() != b.Srv.TrustSeq() {
		t.Errorf("trust list sequences %d and %d", a.Srv.TrustSeq(), b.Srv.TrustSeq())
	}

	// Enrolled on one (with a token made on the other), known to both.
	tok, _, err := b.Srv.NewToken(t.Context(), server.TokenEnroll, "clinic", "door")
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	body, _ := json.Marshal(protocol.NewEnrollRequest(tok, key, "laptop"))
	resp, data := a.Post(t, protocol.PathEnroll, "application/json", body)
	if resp.StatusCode != 200 {
		t.Fatalf("enrol on a: %d %s", resp.StatusCode, data)
	}
	d := &storetest.Device{Key: key}
	json.Unmarshal(data, &d.Rep)
	d.ID = d.Rep.DeviceID
	if resp, data := b.Post(t, protocol.PathEnroll, "application/json", body); resp.StatusCode != 403 {
		t.Errorf("the same token on b: %d %s, want 403", resp.StatusCode, data)
	}

	// A signed request accepted by a is a replay for b.
	recs := []healthcode.Record{storetest.NewRecord(d, "door", "x", a.Clock.Now())}
	batch := storetest.BatchBody(t, recs)
	req, _ := http.NewRequest("POST", a.HTTP.URL+protocol.PathRecords, bytes.NewReader(batch))
	req.Header.Set("Content-Type", "application/json")
	protocol.SignRequest(req, batch, d.ID, d.Key, a.Clock.Now())
	if resp, data := storetest.Send(t, req); resp.StatusCode != 200 {
		t.Fatalf("upload to a: %d %s", resp.StatusCode, data)
	}
	replay, _ := http.NewRequest("POST", b.HTTP.URL+protocol.PathRecords, bytes.NewReader(batch))
	replay.Header = req.Header.Clone()
	resp, data = storetest.Send(t, replay)
	storetest.WantError(t, "request replayed to the second server", resp, data, 401, protocol.ErrReplay)

	// An idempotent retry that lands on the other server gets the first answer.
	more := []healthcode.Record{storetest.NewRecord(d, "door", "x", a.Clock.Now()), storetest.NewRecord(d, "door", "x", a.Clock.Now())}
	first := a.Upload(t, d, more, "batch-7")
	again := b.Upload(t, d, more, "batch-7")
	if first.Stored != 2 || again.Stored != 2 {
		t.Errorf("idempotent retry on b: %+v then %+v", first, again)
	}

	// The same batch (no key) sent to both at once: every record is
	// stored exactly once.
	const n = 200
	same := make([]healthcode.Record, n)
	for i := range same {
		same[i] = storetest.NewRecord(d, "door", "y", a.Clock.Now().Add(-time.Duration(i)*time.Minute))
	}
	var wg gosync.WaitGroup
	replies := make([]protocol.RecordsReply, 2)
	for i, env := range []*storetest.Env{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = env.Upload(t, d, same, "")
		}()
	}
	wg.Wait()
	if s := replies[0].Stored + replies[1].Stored; s != n || replies[0].Duplicate+replies[1].Duplicate != n {
		t.Errorf("concurrent uploads of one batch: %+v / %+v, want %d stored in all", replies[0], replies[1], n)
	}
	if got := b.CountRecords(t, "clinic"); got != n+3 {
		t.Errorf("%d records on b, want %d", got, n+3)
	}

	// Status set through one is served by the other.
	if _, _, err := a.Srv.SetStatus(t.Context(), []server.StatusChange{{Hash: storetest.HashOf(4), Colour: healthcode.Red}}); err != nil {
		t.Fatal(err)
	}
	if _, sl := b.Status(t, d, 0); sl == nil || sl.Seq != 1 || len(sl.Entries) != 1 {
		t.Errorf("status on b: %+v", sl)
	}

	// A portal session opened on a works on b, and logging out on b ends it on a.
	p := storetest.NewBrowser(t, a.HTTP.URL)
	p.Login(a, server.TokenPortal, "clinic")
	cookies := p.C.Jar.Cookies(mustURL(t, a.HTTP.URL+"/portal/"))
	if len(cookies) != 2 { // the session and the language
		t.Fatalf("cookies: %v", cookies)
	}
	onB := storetest.NewBrowser(t, b.HTTP.URL)
	onB.CSRF = p.CSRF
	onB.C.Jar.SetCookies(mustURL(t, b.HTTP.URL+"/portal/"), cookies)
	if code, body := onB.Get("/portal/"); code != 200 || !strings.Contains(body, `class="who">clinic`) {
		t.Fatalf("session from a on b: %d", code)
	}
	if code, _ := onB.Post("/portal/logout", url.Values{}); code != 200 {
		t.Fatalf("logout on b: %d", code)
	}
	if _, body := p.Get("/portal/"); !strings.Contains(body, `name="token"`) {
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
func testMigrationsRunOnce(t *testing.T, pg *pgtest.Server) {
	dbURL := pg.NewDatabase(t)
	var wg gosync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := Open(context.Background(), dbURL, Options{})
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
	var want []string
	for v := 1; v < len(migrations); v++ {
		want = append(want, fmt.Sprint(v))
	}
	if got := pg.Query(t, dbURL, `SELECT version FROM schema_version ORDER BY version`); got != strings.Join(want, "\n") {
		t.Errorf("schema_version rows %q, want one row of each version 1 to %d", got, len(migrations)-1)
	}
	pg.Query(t, dbURL, `INSERT INTO schema_version (version) VALUES (999)`)
	if _, err := Open(context.Background(), dbURL, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("a database from a newer server: %v", err)
	}
}
