package healthcode

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
	"github.com/veraison/go-cose"
)

func TestBase45RFC9285Vectors(t *testing.T) {
	for in, want := range map[string]string{"AB": "BB8", "Hello!!": "%69 VD92EX0", "base-45": "UJCLQE7W581", "ietf!": "QED8WEX0", "": ""} {
		if got := base45Encode([]byte(in)); got != want {
			t.Errorf("encode %q = %q, want %q", in, got, want)
		}
		back, err := base45Decode(want)
		if err != nil || string(back) != in {
			t.Errorf("decode %q = %q, %v", want, back, err)
		}
	}
	for _, bad := range []string{"GGW", "A", "ab!", "ZZZ", "::"} {
		if _, err := base45Decode(bad); err == nil {
			t.Errorf("decode %q: no error", bad)
		}
	}
}

func TestRoundTripEveryColourAndLanguage(t *testing.T) {
	w := newWorld(t)
	_, holder, _ := ed25519.GenerateKey(rand.Reader)
	for _, colour := range []Colour{Green, Yellow, Red} {
		for _, lang := range Languages {
			c := w.claims(t, colour, lang)
			c.HolderKey = holder.Public().(ed25519.PublicKey)
			code := w.issue(t, c)
			live, err := Present(code, holder, w.now.Add(-10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			for _, payload := range []string{code, live} {
				r := w.verifier().Verify(payload, w.now)
				if !r.Valid || r.Reason != ReasonOK {
					t.Fatalf("%s/%s: %s %s", colour, lang, r.Reason, r.Detail)
				}
				if r.Dynamic != (payload == live) {
					t.Errorf("dynamic = %v for %.5s", r.Dynamic, payload)
				}
				got := r.Claims
				if got.Colour != colour || got.Lang != lang || got.Name != "张*丰" || got.ID != "110***********1234" ||
					got.CodeID != c.CodeID || !got.Expires.Equal(c.Expires) || got.Region != 110105 {
					t.Errorf("claims changed in transit: %+v", got)
				}
				if r.EffectiveColour != colour || r.CodeHash != c.CodeID.Hash() || r.Issuer.Region != 110000 {
					t.Errorf("result %+v", r)
				}
			}
		}
	}
}

func TestOneCodePassAcrossRegions(t *testing.T) {
	w := newWorld(t)
	c, _ := NewClaims(rand.Reader, 310104, Green, "Anna Müller", "C12345678", "de", w.now, 24*time.Hour)
	code, err := w.shanghai.Issue(rand.Reader, c)
	if err != nil {
		t.Fatal(err)
	}
	r := w.verifier().Verify(code, w.now)
	if !r.Valid || r.Issuer.Region.Name("zh") != "上海" || r.Claims.Name != "A*** M*****" || r.Claims.ID != "C1*****78" {
		t.Fatalf("%+v", r)
	}
	// An issuer may only sign codes for its own province.
	if _, err := w.beijing.Issue(rand.Reader, c); err == nil {
		t.Error("Beijing issuer signed a Shanghai code")
	}
	forged := signRaw(t, w.beijing.Key, cose.AlgorithmEdDSA, w.beijing.KID(), c.wire())
	if r := w.verifier().Verify(forged, w.now); r.Reason != ReasonRegionMismatch {
		t.Errorf("cross-region signature: %s", r.Reason)
	}
}

// signRaw signs any claims shape with any key and algorithm, as a forger would.
func signRaw(t *testing.T, key any, alg cose.Algorithm, kid KID, claims any) string {
	t.Helper()
	payload, err := canonical.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	var signer cose.Signer
	switch k := key.(type) {
	case ed25519.PrivateKey:
		signer, err = cose.NewSigner(alg, k)
	case *ecdsa.PrivateKey:
		signer, err = cose.NewSigner(alg, k)
	}
	if err != nil {
		t.Fatal(err)
	}
	msg := cose.NewSign1Message()
	msg.Headers.Protected.SetAlgorithm(alg)
	msg.Headers.Protected[cose.HeaderLabelKeyID] = kid[:]
	msg.Payload = payload
	if err := msg.Sign(rand.Reader, nil, signer); err != nil {
		t.Fatal(err)
	}
	raw, err := msg.MarshalCBOR()
	if err != nil {
		t.Fatal(err)
	}
	return PrefixStatic + base45Encode(raw)
}

func TestEveryRejectionHasItsOwnReason(t *testing.T) {
	w := newWorld(t)
	good := w.claims(t, Green, "zh")
	code := w.issue(t, good)
	raw, _ := base45Decode(code[len(PrefixStatic):])
	_, holder, _ := ed25519.GenerateKey(rand.Reader)
	withHolder := good
	withHolder.HolderKey = holder.Public().(ed25519.PublicKey)
	liveCode := w.issue(t, withHolder)
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	flip := func(b []byte, i int) string {
		c := append([]byte(nil), b...)
		c[i] ^= 0x01
		return PrefixStatic + base45Encode(c)
	}
	at := func(c Claims, issued time.Time) Claims {
		c.IssuedAt = issued
		c.Expires = issued.Add(time.Hour)
		return c
	}
	present := func(cred string, key ed25519.PrivateKey, t0 time.Time) string {
		s, err := Present(cred, key, t0)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	deep := []byte{0xd2, 0x84}
	for i := 0; i < 40; i++ {
		deep = append(deep, 0x81)
	}
	badClaims := good.wire()
	badClaims.Colour = 9
	unknownField := struct {
		wireClaims
		Extra string `cbor:"99,keyasint"`
	}{good.wire(), "x"}

	cases := []struct {
		name    string
		payload string
		want    Reason
	}{
		{"empty", "", ReasonEmpty},
		{"a web address", "https://example.com/", ReasonBadPrefix},
		{"lower-case prefix", "hcn1:" + code[5:], ReasonBadPrefix},
		{"oversized", PrefixStatic + strings.Repeat("A", MaxPayloadLen), ReasonTooLarge},
		{"not base45", PrefixStatic + "abc", ReasonBadBase45},
		{"base45 bad length", code[:len(code)-1] + "AAAA", ReasonBadBase45},
		{"truncated CBOR", PrefixStatic + base45Encode(raw[:len(raw)-20]), ReasonBadCBOR},
		{"trailing CBOR", PrefixStatic + base45Encode(append(append([]byte{}, raw...), 0x00)), ReasonBadCBOR},
		{"deeply nested CBOR", PrefixStatic + base45Encode(deep), ReasonBadCBOR},
		{"huge CBOR array", PrefixStatic + base45Encode([]byte{0xd2, 0x99, 0xff, 0xff}), ReasonBadCBOR},
		{"not COSE", PrefixStatic + base45Encode([]byte{0x83, 0x01, 0x02, 0x03}), ReasonBadCOSE},
		{"wrong algorithm", signRaw(t, ecKey, cose.AlgorithmES256, w.beijing.KID(), good.wire()), ReasonAlgorithm},
		{"unknown kid", signRaw(t, stranger, cose.AlgorithmEdDSA, KeyID(stranger.Public().(ed25519.PublicKey)), good.wire()), ReasonUnknownIssuer},
		{"forged with a known kid", signRaw(t, stranger, cose.AlgorithmEdDSA, w.beijing.KID(), good.wire()), ReasonBadSignature},
		{"bad signature", flip(raw, len(raw)-1), ReasonBadSignature},
		{"claims altered", flip(raw, len(raw)-80), ReasonBadSignature},
		{"claims malformed", signRaw(t, w.beijing.Key, cose.AlgorithmEdDSA, w.beijing.KID(), badClaims), ReasonBadClaims},
		{"claims with unknown field", signRaw(t, w.beijing.Key, cose.AlgorithmEdDSA, w.beijing.KID(), unknownField), ReasonBadClaims},
		{"expired", w.issue(t, at(good, w.now.Add(-2*time.Hour))), ReasonExpired},
		{"not yet valid beyond skew", w.issue(t, at(good, w.now.Add(6*time.Minute))), ReasonNotYetValid},
		{"live code without holder key", present(code, holder, w.now), ReasonNoHolderKey},
		{"live code signed by someone else", present(liveCode, stranger, w.now), ReasonBadHolderSignature},
		{"stale live code (screenshot)", present(liveCode, holder, w.now.Add(-91*time.Second)), ReasonStalePresentation},
		{"live code from the future", present(liveCode, holder, w.now.Add(91*time.Second)), ReasonStalePresentation},
	}
	seen := map[Reason]bool{}
	for _, c := range cases {
		r := w.verifier().Verify(c.payload, w.now)
		if r.Valid || r.Reason != c.want {
			t.Errorf("%s: got %v %s (%s), want %s", c.name, r.Valid, r.Reason, r.Detail, c.want)
		}
		if r.DecoderPanic {
			t.Errorf("%s: a decoder panicked: %s", c.name, r.Detail)
		}
		if r.Reason.Message("zh") == "" || r.Reason.Message("en") == "" || r.Reason.Message("zh") == r.Reason.Message("en") {
			t.Errorf("%s: reason %s lacks messages", c.name, r.Reason)
		}
		seen[r.Reason] = true
	}
	// Within the clock tolerance a code issued "in the future" is accepted.
	if r := w.verifier().Verify(w.issue(t, at(good, w.now.Add(4*time.Minute))), w.now); !r.Valid {
		t.Errorf("4 min clock skew refused: %s", r.Reason)
	}
	if r := (&Verifier{}).Verify(code, w.now); r.Reason != ReasonNoTrustList {
		t.Errorf("no trust list: %s", r.Reason)
	}
	// Every reason has a Chinese and an English sentence.
	for _, r := range Reasons {
		if _, ok := reasonText[r]; !ok {
			t.Errorf("reason %s has no message", r)
		}
	}
}

func TestReplayedPresentationRefused(t *testing.T) {
	w := newWorld(t)
	_, holder, _ := ed25519.GenerateKey(rand.Reader)
	c := w.claims(t, Green, "zh")
	c.HolderKey = holder.Public().(ed25519.PublicKey)
	cred := w.issue(t, c)
	older, _ := Present(cred, holder, w.now.Add(-40*time.Second))
	newer, _ := Present(cred, holder, w.now.Add(-5*time.Second))
	v := w.verifier()
	if r := v.Verify(newer, w.now); !r.Valid {
		t.Fatal(r.Reason)
	}
	if r := v.Verify(older, w.now); r.Reason != ReasonReplayedPresentation {
		t.Errorf("older presentation after a newer one: %s", r.Reason)
	}
	if r := v.Verify(newer, w.now.Add(time.Second)); !r.Valid {
		t.Errorf("the same presentation scanned again (re-measure) refused: %s", r.Reason)
	}
}

func TestTrustListSignedAndRollbackRefused(t *testing.T) {
	w := newWorld(t)
	signed, err := w.trust.Sign(w.root)
	if err != nil {
		t.Fatal(err)
	}
	rootPub := w.root.Public().(ed25519.PublicKey)
	tl, err := ParseTrustList(signed, rootPub, 0)
	if err != nil || len(tl.Issuers) != 2 {
		t.Fatalf("%v %+v", err, tl)
	}
	if r := (&Verifier{Trust: tl}).Verify(w.issue(t, w.claims(t, Green, "en")), w.now); !r.Valid {
		t.Errorf("parsed list does not verify: %s", r.Reason)
	}
	if _, err := ParseTrustList(signed, rootPub, 2); !errors.Is(err, ErrTrustRollback) {
		t.Errorf("rollback: %v", err)
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := ParseTrustList(signed, other.Public().(ed25519.PublicKey), 0); !errors.Is(err, ErrBadDocSignature) {
		t.Errorf("wrong root: %v", err)
	}
	tampered := strings.Replace(string(signed), `"sig": "`, `"sig": "AA`, 1)
	if _, err := ParseTrustList([]byte(tampered), rootPub, 0); err == nil {
		t.Error("tampered signature accepted")
	}
	if _, err := ParseStatusList(signed, rootPub); err == nil {
		t.Error("a trust list was accepted as a status list")
	}
}

func TestStatusOverride(t *testing.T) {
	w := newWorld(t)
	c := w.claims(t, Green, "zh")
	code := w.issue(t, c)
	h := c.CodeID.Hash()
	v := w.verifier()
	v.Status = StatusMap{h: {Hash: h, Colour: Red, Updated: c.IssuedAt.Add(time.Minute), Seq: 7}}
	r := v.Verify(code, w.now)
	if !r.Valid || r.ScannedColour != Green || r.EffectiveColour != Red || !r.StatusOverride {
		t.Errorf("newer red status: %+v", r)
	}
	if d := DefaultPolicy().Decide(r, 365, false); d.Verdict != VerdictStop || d.DefaultDisposition != DispositionSendToClinic {
		t.Errorf("decision %+v", d)
	}
	v.Status = StatusMap{h: {Hash: h, Colour: Red, Updated: c.IssuedAt.Add(-time.Minute)}}
	if r := v.Verify(code, w.now); r.EffectiveColour != Green || r.StatusOverride {
		t.Errorf("a status older than the code must not win: %+v", r)
	}
	// A status that turned a yellow code green again also wins.
	y := w.claims(t, Yellow, "zh")
	v.Status = StatusMap{y.CodeID.Hash(): {Colour: Green, Updated: w.now}}
	if r := v.Verify(w.issue(t, y), w.now); r.EffectiveColour != Green {
		t.Errorf("yellow → green: %+v", r)
	}
	// Stale or missing status data makes a pass provisional.
	v.StatusFetched = w.now.Add(-25 * time.Hour)
	r = v.Verify(code, w.now)
	if !r.StatusStale || !DefaultPolicy().Decide(r, 365, false).Provisional {
		t.Errorf("25 h old status not stale: %+v", r)
	}
	v.StaleAfter = 48 * time.Hour
	if r := v.Verify(code, w.now); r.StatusStale {
		t.Error("stale_after setting ignored")
	}
	if r := (&Verifier{Trust: w.trust}).Verify(code, w.now); !r.StatusStale {
		t.Error("no status data at all is not stale")
	}
	m := StatusMap{}
	m.Apply([]StatusEntry{{Hash: h, Colour: Red, Seq: 2}, {Hash: h, Colour: Green, Seq: 1}})
	if e, _ := m.Lookup(h); e.Colour != Red {
		t.Errorf("an older delta replaced a newer entry: %+v", e)
	}
}

func TestVerdictTable(t *testing.T) {
	w := newWorld(t)
	verify := func(c Colour) Result { return w.verifier().Verify(w.issue(t, w.claims(t, c, "zh")), w.now) }
	green, yellow, red := verify(Green), verify(Yellow), verify(Red)
	invalid := w.verifier().Verify("HCN1:garbage", w.now)
	p := DefaultPolicy()
	cases := []struct {
		name        string
		r           Result
		temp        string
		remeasured  bool
		verdict     Verdict
		fever       bool
		remeasure   bool
		disposition Disposition
	}{
		{"green 36.5", green, "36.5", false, VerdictPass, false, false, DispositionPass},
		{"green 37.2", green, "37.2", false, VerdictPass, false, false, DispositionPass},
		{"green 37.3 fever", green, "37.3", false, VerdictStop, true, true, DispositionSendToClinic},
		{"green 37.3 re-measured", green, "37.3", true, VerdictStop, true, false, DispositionSendToClinic},
		{"green 39,1 (comma)", green, "39,1", false, VerdictStop, true, true, DispositionSendToClinic},
		{"yellow normal", yellow, "36.6", false, VerdictStop, false, false, DispositionPersuadeReturn},
		{"red normal", red, "36.6", false, VerdictStop, false, false, DispositionSendToClinic},
		{"red fever", red, "38.0", false, VerdictStop, true, true, DispositionSendToClinic},
		{"invalid code", invalid, "36.6", false, VerdictInvalid, false, false, DispositionPersuadeReturn},
	}
	for _, c := range cases {
		temp, err := ParseTemperature(c.temp)
		if err != nil {
			t.Fatal(err)
		}
		d := p.Decide(c.r, temp, c.remeasured)
		if d.Verdict != c.verdict || d.Fever != c.fever || d.OfferRemeasure != c.remeasure || d.DefaultDisposition != c.disposition {
			t.Errorf("%s: %+v", c.name, d)
		}
	}
	if d := p.Decide(green, 0, false); !d.NeedTemperature || d.Verdict != VerdictPass {
		t.Errorf("no temperature yet: %+v", d)
	}
	off := p
	off.TakeTemperature = false
	if d := off.Decide(green, 0, false); d.NeedTemperature || d.Verdict != VerdictPass {
		t.Errorf("gate without temperature: %+v", d)
	}
	if d := p.Decide(green, 365, false); !d.Printed {
		t.Error("a static code is not marked printed")
	}
	// Three digits without the point are tenths when that is plausible
	// ("365" is 36.5); otherwise they are a typo like any other.
	for _, typo := range []string{"3.65", "45", "33.9", "42.6", "abc", "36.66", "", "-36.5", "1e2", "339", "426", "999", "3650", "36 5"} {
		if v, err := ParseTemperature(typo); err == nil {
			t.Errorf("typo %q accepted as %s", typo, v)
		}
	}
	for in, want := range map[string]Temperature{"34.0": 340, "42.5": 425, "36": 360, " 36.6 ": 366, "365": 365, "340": 340, "425": 425, "381": 381} {
		if v, err := ParseTemperature(in); err != nil || v != want {
			t.Errorf("%q = %v, %v", in, v, err)
		}
	}
}

func TestMasking(t *testing.T) {
	for in, want := range map[string]string{
		"张三丰": "张*丰", "张三": "张*", "欧阳娜娜": "欧**娜", "王": "*", "张*丰": "张*丰",
		"John Smith": "J*** S****", "  Анна  Петрова ": "А*** П******", "김민준": "김**", "买买提·艾力": "买****力",
	} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"110105199001011234": "110***********1234", "11010519900101123x": "110***********123X",
		"E12345678": "E1*****78", "12345": "****5", "110***********1234": "110***********1234",
	} {
		if got := MaskID(in); got != want {
			t.Errorf("MaskID(%q) = %q, want %q", in, got, want)
		}
	}
}

// The QR must stay at version ≤ 12 at level M: phone screens filmed by a
// laptop webcam lose denser codes.
func TestTypicalCodeFitsQRVersion12M(t *testing.T) {
	w := newWorld(t)
	_, holder, _ := ed25519.GenerateKey(rand.Reader)
	c, _ := NewClaims(rand.Reader, 110105, Green, "欧阳娜娜", "110105199001011234", "zh", w.now, 72*time.Hour)
	c.HolderKey = holder.Public().(ed25519.PublicKey)
	// A holder on an institution's roster: the code carries the person key.
	subject := make([]byte, SubjectKeySize)
	rand.Read(subject)
	c.PersonKey, _ = NewPersonKey(subject, IDResident, "110105199001011234")
	code := w.issue(t, c)
	live, _ := Present(code, holder, w.now)
	for _, p := range []string{code, live} {
		q, err := encoder.Encoder_encodeWithoutHint(p, decoder.ErrorCorrectionLevel_M)
		if err != nil {
			t.Fatal(err)
		}
		if v := q.GetVersion().GetVersionNumber(); v > 12 {
			t.Errorf("%.5s… (%d chars) needs QR version %d at level M, want ≤ 12", p, len(p), v)
		} else {
			t.Logf("%.5s… %d chars: QR version %d-M", p, len(p), v)
		}
	}
}
