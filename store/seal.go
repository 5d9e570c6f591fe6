package store

import (
	"crypto/rand"

	"hcscan/healthcode"
)

// SealedIdentity is what a manual entry seals for the province.
type SealedIdentity = healthcode.SealedIdentity

// SealIdentity seals name, ID number and phone to the province's X25519
// public key (NaCl anonymous box). The scanner cannot open the result; the
// record keeps it with only the masked name and ID beside it.
func SealIdentity(provincePub *[32]byte, name, id, phone string) ([]byte, error) {
	return healthcode.SealIdentity(rand.Reader, provincePub, SealedIdentity{Name: name, ID: id, Phone: phone})
}
