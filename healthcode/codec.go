package healthcode

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Prefixes of the text in the QR code.
const (
	PrefixStatic  = "HCN1:" // the signed credential itself (paper or screenshot)
	PrefixDynamic = "HCP1:" // a holder-signed live presentation of the credential
)

// KID names an issuer key: the first 8 bytes of SHA-256 of its public key.
type KID [8]byte

// KeyID computes the KID of an Ed25519 public key.
func KeyID(pub ed25519.PublicKey) KID {
	sum := sha256.Sum256(pub)
	var k KID
	copy(k[:], sum[:8])
	return k
}

func (k KID) String() string { return hex.EncodeToString(k[:]) }

func (k KID) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

func (k *KID) UnmarshalText(b []byte) error {
	v, err := hex.DecodeString(string(b))
	if err != nil || len(v) != len(k) {
		return fmt.Errorf("kid %q: want 16 hex digits", b)
	}
	copy(k[:], v)
	return nil
}

// strict is the CBOR decoding used on untrusted input: bounded sizes, no
// duplicate keys, no indefinite lengths, no unknown claim fields.
var strict = func() cbor.DecMode {
	m, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		MaxNestedLevels:   6,
		MaxArrayElements:  16,
		MaxMapPairs:       16,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// canonical is the CBOR encoding of everything this package signs.
var canonical = func() cbor.EncMode {
	m, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// presentation is the dynamic code's CBOR array:
// [credential COSE_Sign1 bytes, unix time, holder signature].
type presentation struct {
	_          struct{} `cbor:",toarray"`
	Credential []byte
	Time       int64
	Signature  []byte
}

// presentationMessage is what the holder signs: both the credential and the time.
func presentationMessage(credential []byte, t int64) []byte {
	b, err := canonical.Marshal([]any{"HCP1", credential, t})
	if err != nil {
		panic(err) // encoding a fixed shape of bytes and ints cannot fail
	}
	return b
}

// Fingerprint is how people compare a root key by eye or pin it in the
// configuration: the hex SHA-256 of the public key.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])
}
