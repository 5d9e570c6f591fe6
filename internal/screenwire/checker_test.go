package screenwire

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/server"
	"hcscan/server/boltstore"
	"hcscan/store"
	hcsync "hcscan/sync"
)

// province is a real provincial server on loopback and a scanner enrolled
// with it, synced once: its trust and status lists are in the data file.
type province struct {
	srv    *server.Server
	hs     *httptest.Server
	st     *store.Store
	client *hcsync.Client
	dev    store.Device
}

func newProvince(t *testing.T) *province {
	t.Helper()
	dir := t.TempDir()
	if _, err := server.InitKeys(dir, server.DefaultRegions); err != nil {
		t.Fatal(err)
	}
	db, err := boltstore.Open(filepath.Join(dir, "server.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(t.Context(), server.Config{Dir: dir, Store: db})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler(nil))
	t.Cleanup(func() { hs.Close(); srv.Close() })
	tok, _, err := srv.NewToken(t.Context(), server.TokenEnroll, "第一中学", "东门")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "hcscan.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dev, err := hcsync.Enroll(t.Context(), st, hcsync.EnrollOptions{ServerURL: hs.URL, Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	client, err := hcsync.New(st, hcsync.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.SyncOnce(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	return &province{srv: srv, hs: hs, st: st, client: client, dev: dev}
}

// issue makes a static code of colour from the province's Beijing issuer.
func (p *province) issue(t *testing.T, colour healthcode.Colour) (string, healthcode.CodeHash) {
	t.Helper()
	is, err := p.srv.Keys().Issuer(110000)
	if err != nil {
		t.Fatal(err)
	}
	c, err := healthcode.NewClaims(rand.Reader, 110105, colour, "张三丰", "110105199001011234", "zh", time.Now().Add(-time.Hour), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s, err := is.Issue(rand.Reader, c)
	if err != nil {
		t.Fatal(err)
	}
	return s, c.CodeID.Hash()
}

// An enrolled scanner verifies with the trust list cached by the last sync;
// while the province answers, the live colour overrides the cached one
// (a code turned red since the last sync stops its holder); when it stops
// answering, the cached status list stands.
func TestCheckerCachedTrustAndLiveStatus(t *testing.T) {
	p := newProvince(t)
	k := NewChecker(p.st, CheckerOptions{Root: p.dev.RootKey, Live: p.client, Policy: healthcode.DefaultPolicy()})
	payload, hash := p.issue(t, healthcode.Green)
	ctx := context.Background()

	v := k.Verify(ctx, payload, confirmedNow())
	if !v.Valid || !v.LiveStatus || v.EffectiveColour != healthcode.Green || v.StatusOverride || v.StatusStale {
		t.Fatalf("green code, province online: %+v", v)
	}

	if _, _, err := p.srv.SetStatus(t.Context(), []server.StatusChange{{Hash: hash, Colour: healthcode.Red}}); err != nil {
		t.Fatal(err)
	}
	v = k.Verify(ctx, payload, confirmedNow())
	if !v.LiveStatus || v.EffectiveColour != healthcode.Red || !v.StatusOverride || v.ScannedColour != healthcode.Green {
		t.Fatalf("code turned red since the last sync, checked online: %+v", v)
	}

	p.hs.Close()
	v = k.Verify(ctx, payload, confirmedNow())
	if !v.Valid || v.LiveStatus || v.EffectiveColour != healthcode.Green {
		t.Fatalf("province gone: want the cached (green) answer, got %+v", v)
	}
	if p.client.State().Online {
		t.Fatal("the client still says online after the live check failed")
	}
	// Offline from now on: no live check is tried.
	v = k.Verify(ctx, payload, confirmedNow())
	if v.LiveStatus || v.EffectiveColour != healthcode.Green {
		t.Fatalf("offline: %+v", v)
	}
}

// A code from an issuer the cached list does not hold is invalid, and a
// data file with no trust list at all refuses every code with a reason.
func TestCheckerRefusesWithoutTheIssuer(t *testing.T) {
	p := newProvince(t)
	payload, _ := p.issue(t, healthcode.Green)
	_, fk, _ := ed25519.GenerateKey(rand.Reader)
	c, _ := healthcode.NewClaims(rand.Reader, 110105, healthcode.Green, "李四", "110105199202021234", "zh", time.Now().Add(-time.Hour), 24*time.Hour)
	forged, err := healthcode.Issuer{Region: 110000, Key: fk}.Issue(rand.Reader, c)
	if err != nil {
		t.Fatal(err)
	}
	k := NewChecker(p.st, CheckerOptions{Root: p.dev.RootKey, Policy: healthcode.DefaultPolicy()})
	if v := k.Verify(context.Background(), forged, confirmedNow()); v.Valid || v.Reason != healthcode.ReasonUnknownIssuer {
		t.Fatalf("forged code: %+v", v)
	}
	empty, err := store.Open(filepath.Join(t.TempDir(), "empty.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	v := NewChecker(empty, CheckerOptions{Root: p.dev.RootKey, Policy: healthcode.DefaultPolicy()}).Verify(context.Background(), payload, confirmedNow())
	if v.Valid || v.Reason == "" {
		t.Fatalf("no trust list: %+v", v)
	}
}

// confirmedNow is the moment of a scanner whose clock the province has
// just confirmed right.
func confirmedNow() healthcode.Moment {
	now := time.Now()
	return healthcode.Moment{Now: now, Wall: now, Confirmed: true, Synced: now, Floor: now, Seen: now}
}
