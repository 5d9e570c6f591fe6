package healthcode

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"
)

// fuzzKeys are fixed so that the committed seed corpus (testdata/fuzz)
// stays valid: the seeds include genuine codes signed with these keys.
func fuzzWorld() (*Verifier, Issuer, ed25519.PrivateKey, time.Time) {
	issuer := Issuer{Region: 110000, Key: ed25519.NewKeyFromSeed([]byte("hcscan fuzz issuer key seed 0001"))}
	holder := ed25519.NewKeyFromSeed([]byte("hcscan fuzz holder key seed 0001"))
	pub := issuer.Key.Public().(ed25519.PublicKey)
	tl, err := NewTrustList(1, time.Unix(1e9, 0), []IssuerKey{{KID: KeyID(pub), Region: 110000, PublicKey: pub}}, nil)
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	return &Verifier{Trust: tl, Status: StatusMap{}, StatusFetched: now, Replay: NewReplayGuard()}, issuer, holder, now
}

// FuzzVerify feeds arbitrary text to the parser and verifier: it must never
// panic, and whatever it accepts must be a well-formed, signed code.
func FuzzVerify(f *testing.F) {
	v, issuer, holder, now := fuzzWorld()
	det := zeroReader{}
	c, _ := NewClaims(det, 110105, Green, "张三丰", "110105199001011234", "zh", now.Add(-time.Hour), 72*time.Hour)
	c.HolderKey = holder.Public().(ed25519.PublicKey)
	code, err := issuer.Issue(det, c)
	if err != nil {
		f.Fatal(err)
	}
	live, _ := Present(code, holder, now)
	for _, s := range []string{code, live, "", "HCN1:", "HCP1:", "HCN1:6BFOXN", code[:len(code)/2], strings.ToLower(code), "https://example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		r := v.Verify(payload, now)
		if r.DecoderPanic {
			t.Fatalf("a decoder panicked: %s", r.Detail)
		}
		if r.Reason == "" {
			t.Fatal("no reason")
		}
		if r.Valid {
			if r.Reason != ReasonOK || r.Issuer == nil || !r.EffectiveColour.Valid() || r.Claims.Name == "" {
				t.Fatalf("accepted without a full result: %+v", r)
			}
			if !strings.HasPrefix(payload, PrefixStatic) && !strings.HasPrefix(payload, PrefixDynamic) {
				t.Fatalf("accepted a payload without a prefix: %q", payload)
			}
		}
	})
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i)
	}
	return len(p), nil
}
