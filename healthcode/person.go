package healthcode

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// PersonKey is the province's pseudonym of a person:
// HMAC-SHA256(subject key, "subject" ‖ ID type ‖ 0 ‖ ID number)[:16]. It is
// the same on every code that person is issued in the province, and
// meaningless without the province's subject key (another province has
// another key, so the same person gets another key there). Institutions
// follow their own people by it (the roster); it is never shown.
type PersonKey [16]byte

// IsZero reports whether k is unset (a code without a person key).
func (k PersonKey) IsZero() bool { return k == PersonKey{} }

func (k PersonKey) String() string { return hex.EncodeToString(k[:]) }

func (k PersonKey) MarshalText() ([]byte, error) {
	if k.IsZero() {
		return []byte{}, nil
	}
	return []byte(k.String()), nil
}

func (k *PersonKey) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*k = PersonKey{}
		return nil
	}
	v, err := ParsePersonKey(string(b))
	*k = v
	return err
}

// ParsePersonKey reads 32 hex digits.
func ParsePersonKey(s string) (PersonKey, error) {
	var k PersonKey
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(k) {
		return k, fmt.Errorf("person key %q: want 32 hex digits", s)
	}
	copy(k[:], b)
	return k, nil
}

// SubjectKeySize is the length of a province's subject key in bytes.
const SubjectKeySize = 32

// ID types a person key is made from: the document whose number is keyed.
const (
	IDResident = "resident" // 居民身份证, the resident identity card
	IDPassport = "passport"
	IDPermit   = "permit"  // 港澳台居民居住证 / travel permits of Hong Kong, Macao, Taiwan residents
	IDForeign  = "foreign" // 外国人永久居留身份证, foreigners' permanent residence card
)

// IDTypes lists the ID types in the order a form offers them.
var IDTypes = []string{IDResident, IDPassport, IDPermit, IDForeign}

// NewPersonKey computes the person key of an ID number of idType under the
// province's subject key. The number is compared as people write it:
// spaces are ignored and letters (the check digit X) are upper case.
func NewPersonKey(subjectKey []byte, idType, idNumber string) (PersonKey, error) {
	var k PersonKey
	if len(subjectKey) != SubjectKeySize {
		return k, fmt.Errorf("person key: subject key has %d bytes, want %d", len(subjectKey), SubjectKeySize)
	}
	known := false
	for _, t := range IDTypes {
		known = known || t == idType
	}
	if !known {
		return k, fmt.Errorf("person key: ID type %q unknown (want one of %s)", idType, strings.Join(IDTypes, ", "))
	}
	number := strings.ToUpper(strings.Join(strings.Fields(idNumber), ""))
	if number == "" || strings.ContainsRune(number, 0) {
		return k, fmt.Errorf("person key: no ID number")
	}
	mac := hmac.New(sha256.New, subjectKey)
	mac.Write([]byte("subject"))
	mac.Write([]byte(idType))
	mac.Write([]byte{0}) // the type names are fixed, but the separator makes the message unambiguous whatever they become
	mac.Write([]byte(number))
	copy(k[:], mac.Sum(nil))
	return k, nil
}
