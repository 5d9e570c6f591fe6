package healthcode

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
	"unicode/utf8"
)

// Limits of a code's payload. A typical credential is about 200 bytes; the
// QR must stay at version ≤ 12 at level M.
const (
	MaxPayloadLen   = 1024             // characters of the text in the QR code
	MaxValidity     = 72 * time.Hour   // expires − issued-at
	ClockTolerance  = 5 * time.Minute  // device clock vs issuer clock
	PresentationAge = 90 * time.Second // |t − now| accepted for a dynamic code
	RefreshInterval = 30 * time.Second // the phone makes a new presentation this often
	maxNameBytes    = 64
	maxIDBytes      = 32
)

// Languages a holder's code may be in.
var Languages = []string{"zh", "en", "ko", "ja", "ru", "de", "fr"}

// ValidLanguage reports whether lang is one of Languages.
func ValidLanguage(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// CodeID is the random identity of one issued code.
type CodeID [16]byte

// CodeHash is what the scanner records instead of the code id:
// SHA-256("code" ‖ code id)[:16]. The province resolves it to the person.
type CodeHash [16]byte

// Hash returns the code's hash as recorded and as keyed in the status list.
func (id CodeID) Hash() CodeHash {
	h := sha256.New()
	h.Write([]byte("code"))
	h.Write(id[:])
	var out CodeHash
	copy(out[:], h.Sum(nil))
	return out
}

func (h CodeHash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is unset (a record without a code).
func (h CodeHash) IsZero() bool { return h == CodeHash{} }

func (h CodeHash) MarshalText() ([]byte, error) {
	if h.IsZero() {
		return []byte{}, nil
	}
	return []byte(h.String()), nil
}

func (h *CodeHash) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*h = CodeHash{}
		return nil
	}
	v, err := ParseCodeHash(string(b))
	*h = v
	return err
}

// ParseCodeHash reads 32 hex digits.
func ParseCodeHash(s string) (CodeHash, error) {
	var h CodeHash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("code hash %q: want 32 hex digits", s)
	}
	copy(h[:], b)
	return h, nil
}

// Claims are what a code says about its holder. Name and ID are already
// masked by the issuer: a code never carries a full identity.
type Claims struct {
	Region    Region            // issuing region, GB/T 2260 code (e.g. 110000)
	IssuedAt  time.Time         // to the second
	Expires   time.Time         // ≤ IssuedAt + 72 h
	CodeID    CodeID            // 16 random bytes
	Colour    Colour            // as issued
	Name      string            // masked, e.g. 张*三
	ID        string            // masked, e.g. 110***********1234
	Lang      string            // holder's language: zh, en, ko, ja, ru, de, fr
	HolderKey ed25519.PublicKey // optional; present for codes shown live on a phone
	PersonKey PersonKey         // optional; the province's pseudonym of the holder (zero: none)
}

// wireClaims is the CBOR form, with small integer keys to keep the QR small.
//
// Two claims may be left out when they hold the usual value, which is what
// makes room for the person key in a live code at QR version 12-M: expires
// (3) when it is issued-at + 72 h, and language (8) when it is zh. Codes
// issued before always carried both and read the same.
type wireClaims struct {
	Region    uint32 `cbor:"1,keyasint"`
	IssuedAt  int64  `cbor:"2,keyasint"`
	Expires   int64  `cbor:"3,keyasint,omitempty"`
	CodeID    []byte `cbor:"4,keyasint"`
	Colour    uint8  `cbor:"5,keyasint"`
	Name      string `cbor:"6,keyasint"`
	ID        string `cbor:"7,keyasint"`
	Lang      string `cbor:"8,keyasint,omitempty"`
	HolderKey []byte `cbor:"9,keyasint,omitempty"`
	PersonKey []byte `cbor:"10,keyasint,omitempty"`
}

// defaultLang is the holder language a code that names none has.
const defaultLang = "zh"

func (c Claims) wire() wireClaims {
	w := wireClaims{
		Region: uint32(c.Region), IssuedAt: c.IssuedAt.Unix(), Expires: c.Expires.Unix(),
		CodeID: c.CodeID[:], Colour: uint8(c.Colour), Name: c.Name, ID: c.ID, Lang: c.Lang,
		HolderKey: c.HolderKey,
	}
	if w.Expires == w.IssuedAt+int64(MaxValidity/time.Second) {
		w.Expires = 0
	}
	if w.Lang == defaultLang {
		w.Lang = ""
	}
	if !c.PersonKey.IsZero() {
		w.PersonKey = c.PersonKey[:]
	}
	return w
}

// check validates the claims' shape (not time or signature).
func (w wireClaims) claims() (Claims, error) {
	var c Claims
	if !Region(w.Region).Valid() {
		return c, fmt.Errorf("region %d is not a GB/T 2260 code", w.Region)
	}
	if len(w.CodeID) != len(c.CodeID) {
		return c, fmt.Errorf("code id has %d bytes, want 16", len(w.CodeID))
	}
	if !Colour(w.Colour).Valid() {
		return c, fmt.Errorf("colour %d unknown", w.Colour)
	}
	if w.Expires == 0 {
		w.Expires = w.IssuedAt + int64(MaxValidity/time.Second)
	}
	if w.Lang == "" {
		w.Lang = defaultLang
	}
	if w.Expires <= w.IssuedAt || time.Duration(w.Expires-w.IssuedAt)*time.Second > MaxValidity {
		return c, fmt.Errorf("validity %ds outside (0, 72 h]", w.Expires-w.IssuedAt)
	}
	if len(w.Name) == 0 || len(w.Name) > maxNameBytes || !utf8.ValidString(w.Name) {
		return c, fmt.Errorf("name missing, too long or not UTF-8")
	}
	if len(w.ID) == 0 || len(w.ID) > maxIDBytes || !utf8.ValidString(w.ID) {
		return c, fmt.Errorf("ID missing, too long or not UTF-8")
	}
	if !ValidLanguage(w.Lang) {
		return c, fmt.Errorf("language %q unknown", w.Lang)
	}
	if len(w.HolderKey) != 0 && len(w.HolderKey) != ed25519.PublicKeySize {
		return c, fmt.Errorf("holder key has %d bytes", len(w.HolderKey))
	}
	if len(w.PersonKey) != 0 && len(w.PersonKey) != len(c.PersonKey) {
		return c, fmt.Errorf("person key has %d bytes, want %d", len(w.PersonKey), len(c.PersonKey))
	}
	c = Claims{
		Region: Region(w.Region), IssuedAt: time.Unix(w.IssuedAt, 0), Expires: time.Unix(w.Expires, 0),
		Colour: Colour(w.Colour), Name: w.Name, ID: w.ID, Lang: w.Lang,
	}
	copy(c.CodeID[:], w.CodeID)
	copy(c.PersonKey[:], w.PersonKey)
	if len(w.HolderKey) != 0 {
		c.HolderKey = ed25519.PublicKey(w.HolderKey)
	}
	return c, nil
}
