// Package pinhash makes and checks argon2id verifiers of PINs in the PHC
// string form ($argon2id$v=19$m=65536,t=3,p=2$salt$hash), the only form in
// which a scanner staff member's PIN (or first sign-in code) is kept or
// sent: the province stores and distributes verifiers, never PINs.
package pinhash

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The cost of a new verifier: RFC 9106's second recommended option
// (t=3, 64 MiB), two lanes for a laptop's two cores.
const (
	Time    = 3
	Memory  = 64 * 1024 // KiB
	Threads = 2
	KeyLen  = 32
	SaltLen = 16
)

// Verifiers weaker than these are refused (a scanner may not upload a
// cheap one), and stronger than the max are refused too (a verifier must
// not make every scanner spend a gigabyte).
const (
	minTime, maxTime     = 3, 10
	minMemory, maxMemory = 64 * 1024, 256 * 1024
)

// ErrMalformed: the text is not an argon2id verifier this package accepts.
var ErrMalformed = errors.New("not an argon2id PIN verifier of the accepted cost")

// Hash makes the verifier of pin with a random salt.
func Hash(pin string) (string, error) {
	salt := make([]byte, SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pin), salt, Time, Memory, Threads, KeyLen)
	return encode(Time, Memory, Threads, salt, key), nil
}

func encode(t, m uint32, p uint8, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, p, b64.EncodeToString(salt), b64.EncodeToString(key))
}

type params struct {
	t, m      uint32
	p         uint8
	salt, key []byte
}

func parse(v string) (params, error) {
	var ps params
	parts := strings.Split(v, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return ps, ErrMalformed
	}
	var p uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &ps.m, &ps.t, &p); n != 3 || err != nil || p < 1 || p > 16 {
		return ps, ErrMalformed
	}
	ps.p = uint8(p)
	if ps.t < minTime || ps.t > maxTime || ps.m < minMemory || ps.m > maxMemory {
		return ps, ErrMalformed
	}
	var err error
	b64 := base64.RawStdEncoding
	if ps.salt, err = b64.DecodeString(parts[4]); err != nil || len(ps.salt) < 16 || len(ps.salt) > 64 {
		return ps, ErrMalformed
	}
	if ps.key, err = b64.DecodeString(parts[5]); err != nil || len(ps.key) < 16 || len(ps.key) > 64 {
		return ps, ErrMalformed
	}
	if encode(ps.t, ps.m, ps.p, ps.salt, ps.key) != v {
		return ps, ErrMalformed // one spelling only
	}
	return ps, nil
}

// Valid reports whether v is a verifier of an accepted cost.
func Valid(v string) error {
	_, err := parse(v)
	return err
}

// Check reports whether pin matches the verifier v (in constant time).
func Check(v, pin string) (bool, error) {
	ps, err := parse(v)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pin), ps.salt, ps.t, ps.m, ps.p, uint32(len(ps.key)))
	return subtle.ConstantTimeCompare(got, ps.key) == 1, nil
}
