package healthcode

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/veraison/go-cose"
)

func subjectKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, SubjectKeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// verifiedPerson issues a code with the person key of (idType, id) under
// subject and returns the person key the scanner reads from it.
func verifiedPerson(t *testing.T, w *testWorld, subject []byte, idType, id string, issued time.Time) (PersonKey, CodeHash) {
	t.Helper()
	pk, err := NewPersonKey(subject, idType, id)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClaims(rand.Reader, 110105, Green, "张三丰", id, "zh", issued, 72*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c.PersonKey = pk
	r := w.verifier().Verify(w.issue(t, c), w.now)
	if !r.Valid {
		t.Fatalf("code with a person key: %s %s", r.Reason, r.Detail)
	}
	return r.Claims.PersonKey, r.CodeHash
}

func TestPersonKeyIsStableAcrossReissuesAndPrivateToTheProvince(t *testing.T) {
	w := newWorld(t)
	beijing, shanghai := subjectKey(t), subjectKey(t)
	const id = "11010519900101123x"
	first, firstHash := verifiedPerson(t, w, beijing, IDResident, id, w.now.Add(-50*time.Hour))
	second, secondHash := verifiedPerson(t, w, beijing, IDResident, "1101 0519 9001 0112 3X", w.now.Add(-time.Hour))
	if first.IsZero() || first != second {
		t.Fatalf("two codes of one person: person keys %s and %s, want the same", first, second)
	}
	if firstHash == secondHash {
		t.Fatal("two reissued codes share a code hash: the code id must stay random")
	}
	other, _ := verifiedPerson(t, w, beijing, IDResident, "110105199001011234", w.now.Add(-time.Hour))
	if other == first {
		t.Error("two people have the same person key")
	}
	elsewhere, _ := verifiedPerson(t, w, shanghai, IDResident, id, w.now.Add(-time.Hour))
	if elsewhere == first {
		t.Error("two provinces give one person the same key: codes are linkable across provinces")
	}
	passport, _ := verifiedPerson(t, w, beijing, IDPassport, id, w.now.Add(-time.Hour))
	if passport == first {
		t.Error("the ID type is not part of the key")
	}
	// The key is a keyed hash: without the subject key nobody can
	// recompute it from a guessed ID number.
	if plain, _ := NewPersonKey(make([]byte, SubjectKeySize), IDResident, id); plain == first {
		t.Error("person key does not depend on the subject key")
	}
	for _, bad := range []struct {
		key     []byte
		typ, id string
	}{
		{beijing[:16], IDResident, id}, {beijing, "driving-licence", id}, {beijing, IDResident, "  "},
	} {
		if _, err := NewPersonKey(bad.key, bad.typ, bad.id); err == nil {
			t.Errorf("NewPersonKey(%d-byte key, %q, %q): no error", len(bad.key), bad.typ, bad.id)
		}
	}
}

// Codes issued before the person key existed carried every claim
// explicitly (expiry and language too) and no person key: they verify
// and read as before.
func TestCodesFromBeforeThePersonKeyStillVerify(t *testing.T) {
	w := newWorld(t)
	type oldWire struct {
		Region    uint32 `cbor:"1,keyasint"`
		IssuedAt  int64  `cbor:"2,keyasint"`
		Expires   int64  `cbor:"3,keyasint"`
		CodeID    []byte `cbor:"4,keyasint"`
		Colour    uint8  `cbor:"5,keyasint"`
		Name      string `cbor:"6,keyasint"`
		ID        string `cbor:"7,keyasint"`
		Lang      string `cbor:"8,keyasint"`
		HolderKey []byte `cbor:"9,keyasint,omitempty"`
	}
	issued := w.now.Add(-time.Hour)
	for _, validity := range []time.Duration{72 * time.Hour, 24 * time.Hour} {
		old := oldWire{Region: 110105, IssuedAt: issued.Unix(), Expires: issued.Add(validity).Unix(), CodeID: make([]byte, 16),
			Colour: uint8(Yellow), Name: "张*丰", ID: "110***********1234", Lang: "zh"}
		rand.Read(old.CodeID)
		r := w.verifier().Verify(signRaw(t, w.beijing.Key, cose.AlgorithmEdDSA, w.beijing.KID(), old), w.now)
		if !r.Valid {
			t.Fatalf("old code (%s): %s %s", validity, r.Reason, r.Detail)
		}
		if !r.Claims.PersonKey.IsZero() || r.Claims.Lang != "zh" || !r.Claims.Expires.Equal(issued.Add(validity).Truncate(time.Second)) ||
			r.ScannedColour != Yellow || r.CodeHash != CodeID(old.CodeID).Hash() {
			t.Errorf("old code read as %+v", r.Claims)
		}
	}
	// A new code leaves out the usual expiry and language and reads them back.
	c := w.claims(t, Green, "zh")
	r := w.verifier().Verify(w.issue(t, c), w.now)
	if !r.Valid || r.Claims.Lang != "zh" || !r.Claims.Expires.Equal(c.Expires) || !r.Claims.PersonKey.IsZero() {
		t.Errorf("new code without person key: %v %+v", r.Reason, r.Claims)
	}
}

func TestPersonKeyClaimOfWrongLengthRefused(t *testing.T) {
	w := newWorld(t)
	wc := w.claims(t, Green, "zh").wire()
	wc.PersonKey = make([]byte, 8)
	r := w.verifier().Verify(signRaw(t, w.beijing.Key, cose.AlgorithmEdDSA, w.beijing.KID(), wc), w.now)
	if r.Valid || r.Reason != ReasonBadClaims {
		t.Errorf("8-byte person key: %v %s", r.Valid, r.Reason)
	}
}
