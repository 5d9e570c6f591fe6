package tui

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"hcscan/healthcode"
	"hcscan/store"
)

func TestMain(m *testing.M) {
	// Goldens are plain text: no colour, no attributes, whatever the terminal.
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// testNow is the fixed clock of the screen tests.
var testNow = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// world is a province in miniature: a Beijing issuer in the trust list, a
// forger whose key is in no list, and a verifier with fresh status data.
type world struct {
	issuer  healthcode.Issuer
	forger  healthcode.Issuer
	trust   *healthcode.TrustList
	status  healthcode.StatusMap
	fetched time.Time
	now     time.Time
}

func newWorld(t testing.TB) *world {
	t.Helper()
	_, bj, _ := ed25519.GenerateKey(rand.Reader)
	_, fk, _ := ed25519.GenerateKey(rand.Reader)
	w := &world{issuer: healthcode.Issuer{Region: 110000, Key: bj}, forger: healthcode.Issuer{Region: 110000, Key: fk},
		status: healthcode.StatusMap{}, fetched: testNow.Add(-10 * time.Minute), now: testNow}
	pub := bj.Public().(ed25519.PublicKey)
	tl, err := healthcode.NewTrustList(1, testNow.Add(-time.Hour),
		[]healthcode.IssuerKey{{KID: healthcode.KeyID(pub), Region: 110000, Name: "Beijing", PublicKey: pub}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.trust = tl
	return w
}

// code issues a static code; name and id are the full ones (masked in the code).
func (w *world) code(t testing.TB, colour healthcode.Colour, name, id, lang string, issued time.Time, validity time.Duration) string {
	t.Helper()
	c, err := healthcode.NewClaims(rand.Reader, 110105, colour, name, id, lang, issued, validity)
	if err != nil {
		t.Fatal(err)
	}
	s, err := w.issuer.Issue(rand.Reader, c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *world) green(t testing.TB) string {
	return w.code(t, healthcode.Green, "张三丰", "110105199001011234", "zh", testNow.Add(-time.Hour), 72*time.Hour)
}

func (w *world) forged(t testing.TB) string {
	c, _ := healthcode.NewClaims(rand.Reader, 110105, healthcode.Green, "李四", "110105199202021234", "zh", testNow.Add(-time.Hour), 72*time.Hour)
	s, err := w.forger.Issue(rand.Reader, c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dynamic is the live code a phone shows for a green credential.
func (w *world) dynamic(t testing.TB, at time.Time) string {
	t.Helper()
	hpub, hpriv, _ := ed25519.GenerateKey(rand.Reader)
	c, _ := healthcode.NewClaims(rand.Reader, 110105, healthcode.Green, "王五", "110105199303031234", "zh", testNow.Add(-time.Hour), 72*time.Hour)
	c.HolderKey = hpub
	cred, err := w.issuer.Issue(rand.Reader, c)
	if err != nil {
		t.Fatal(err)
	}
	p, err := healthcode.Present(cred, hpriv, at)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (w *world) verify(_ context.Context, payload string, now time.Time) Verification {
	v := healthcode.Verifier{Trust: w.trust, Status: w.status, StatusFetched: w.fetched}
	return Verification{Result: v.Verify(payload, now)}
}

// testStore is the real data file behind the screen's RecordStore.
type testStore struct{ *store.Store }

func openTestStore(t testing.TB, now func() time.Time) testStore {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "hcscan.db"), store.Options{Now: now, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return testStore{st}
}

func (s testStore) Stats(now time.Time) (Stats, error) {
	p, err := s.Pending()
	if err != nil {
		return Stats{}, err
	}
	d, err := s.Day(now)
	if err != nil {
		return Stats{}, err
	}
	_, _, tf, err := s.TrustList()
	if err != nil {
		return Stats{}, err
	}
	sf, err := s.StatusFetched()
	return Stats{Pending: p, Passed: d.Passed, Stopped: d.Stopped, Fever: d.Fever, Invalid: d.Invalid,
		TrustFetched: tf, StatusFetched: sf}, err
}

func (s testStore) Today(now time.Time, limit int) ([]Row, error) {
	day := now.Truncate(24 * time.Hour)
	es, err := s.Recent(limit, store.Filter{From: day})
	var rows []Row
	for _, e := range es {
		rows = append(rows, Row{Record: e.Record, Uploaded: e.State == store.StateUploaded, Refused: e.State == store.StateRejected})
	}
	return rows, err
}

func (s testStore) CheckPIN(op, pin string) error {
	ok, err := s.Store.CheckPIN(op, pin)
	if err != nil {
		return err
	}
	if !ok {
		return ErrWrongPIN
	}
	return nil
}

func (s testStore) Rejected(limit int) ([]Rejected, error) {
	ds, err := s.DeadLetters()
	var out []Rejected
	for _, d := range ds {
		out = append(out, Rejected{RecordID: d.ID, Time: d.At, Reason: d.Reason})
	}
	return out, err
}

func (s testStore) Alerts() ([]Alert, error) {
	as, err := s.Store.Alerts()
	var out []Alert
	for _, a := range as {
		out = append(out, Alert{RecordID: a.RecordID, Time: a.Created, Colour: a.Colour, Reason: a.Reason})
	}
	return out, err
}

var _ RecordStore = testStore{}

// records reads back everything the screen saved.
func (s testStore) records(t testing.TB) []healthcode.Record {
	t.Helper()
	es, err := s.Recent(1000, store.Filter{})
	if err != nil && !errors.Is(err, store.ErrClosed) {
		t.Fatal(err)
	}
	out := make([]healthcode.Record, len(es))
	for i, e := range es {
		out[len(es)-1-i] = e.Record // oldest first
	}
	return out
}

func testSettings(lang string) Settings {
	return Settings{Institution: "第一中学", Gate: "东门", DeviceID: "dev-1", Policy: healthcode.DefaultPolicy(),
		AutoNext: time.Minute, Bell: true, IdleLock: 10 * time.Minute, Lang: lang}
}

func displayWidth(s string) int { return lipgloss.Width(s) }
