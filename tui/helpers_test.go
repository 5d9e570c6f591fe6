package tui_test

import (
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
	"hcscan/internal/screenwire"
	"hcscan/store"
	"hcscan/tui"
)

func TestMain(m *testing.M) {
	// Goldens are plain text: no colour, no attributes, whatever the terminal.
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// testNow is the fixed clock of the screen tests; its zone is the local
// zone of the screen and of the data file.
var testNow = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// world is a province in miniature: a Beijing issuer in the trust list, a
// forger whose key is in no list, and status data fetched 10 minutes ago
// (zero fetched: none ever).
type world struct {
	issuer  healthcode.Issuer
	forger  healthcode.Issuer
	trust   *healthcode.TrustList
	fetched time.Time
}

func newWorld(t testing.TB) *world {
	t.Helper()
	_, bj, _ := ed25519.GenerateKey(rand.Reader)
	_, fk, _ := ed25519.GenerateKey(rand.Reader)
	w := &world{issuer: healthcode.Issuer{Region: 110000, Key: bj}, forger: healthcode.Issuer{Region: 110000, Key: fk},
		fetched: testNow.Add(-10 * time.Minute)}
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

// scanner is the screen's side of a scanner as hcscan run wires it when
// given a trust list with --trust: a real data file in t.TempDir() and the
// production adapters (internal/screenwire).
type scanner struct {
	st      *store.Store
	store   screenwire.Store
	checker *screenwire.Checker
}

// openScanner opens the data file with the world's status data in its
// cache and wires it for the screen with policy.
func (w *world) openScanner(t testing.TB, now func() time.Time, policy healthcode.Policy) *scanner {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "hcscan.db"), store.Options{Now: now, Location: testNow.Location()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if !w.fetched.IsZero() {
		if _, err := st.ApplyStatus(nil, 1, w.fetched); err != nil {
			t.Fatal(err)
		}
	}
	return &scanner{st: st, store: screenwire.NewStore(st, w.trust),
		checker: screenwire.NewChecker(st, screenwire.CheckerOptions{Fixed: w.trust, Policy: policy})}
}

// deps is what the screen is given (no camera, offline only).
func (s *scanner) deps(now func() time.Time) tui.Deps {
	return tui.Deps{Store: s.store, Verify: s.checker.Verify, CanVerify: s.checker.CanVerify, Now: now}
}

// records reads back everything the screen saved, oldest first.
func (s *scanner) records(t testing.TB) []healthcode.Record {
	t.Helper()
	es, err := s.st.Recent(1000, store.Filter{})
	if err != nil && !errors.Is(err, store.ErrClosed) {
		t.Fatal(err)
	}
	out := make([]healthcode.Record, len(es))
	for i, e := range es {
		out[len(es)-1-i] = e.Record
	}
	return out
}

func testSettings(lang string) tui.Settings {
	return tui.Settings{Institution: "第一中学", Gate: "东门", DeviceID: "dev-1", Policy: healthcode.DefaultPolicy(),
		AutoNext: time.Minute, Bell: true, IdleLock: 10 * time.Minute, Lang: lang}
}

// text is the screen's text for key in lang (key itself when it is not one).
func text(lang, key string) string {
	s, ok := tui.Text(lang, key)
	if !ok {
		return key
	}
	return s
}

func displayWidth(s string) int { return lipgloss.Width(s) }
