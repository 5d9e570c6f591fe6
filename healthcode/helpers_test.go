package healthcode

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"
)

// testWorld is a root, two regional issuers and a trust list, made afresh.
type testWorld struct {
	root     ed25519.PrivateKey
	beijing  Issuer
	shanghai Issuer
	trust    *TrustList
	now      time.Time
}

func newWorld(t testing.TB) *testWorld {
	t.Helper()
	_, root, _ := ed25519.GenerateKey(rand.Reader)
	_, bj, _ := ed25519.GenerateKey(rand.Reader)
	_, sh, _ := ed25519.GenerateKey(rand.Reader)
	w := &testWorld{root: root, beijing: Issuer{Region: 110000, Key: bj}, shanghai: Issuer{Region: 310000, Key: sh},
		now: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}
	var keys []IssuerKey
	for _, is := range []Issuer{w.beijing, w.shanghai} {
		pub := is.Key.Public().(ed25519.PublicKey)
		keys = append(keys, IssuerKey{KID: KeyID(pub), Region: is.Region, Name: is.Region.Name("en"), PublicKey: pub})
	}
	tl, err := NewTrustList(1, w.now.Add(-time.Hour), keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.trust = tl
	return w
}

func (w *testWorld) claims(t testing.TB, colour Colour, lang string) Claims {
	t.Helper()
	c, err := NewClaims(rand.Reader, 110105, colour, "张三丰", "110105199001011234", lang, w.now.Add(-time.Hour), 72*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *testWorld) issue(t testing.TB, c Claims) string {
	t.Helper()
	s, err := w.beijing.Issue(rand.Reader, c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *testWorld) verifier() *Verifier {
	return &Verifier{Trust: w.trust, Status: StatusMap{}, StatusFetched: w.now.Add(-time.Hour), Replay: NewReplayGuard()}
}
