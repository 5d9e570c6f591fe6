package store

import (
	"crypto/rand"
	"encoding/json"
	"fmt"

	"golang.org/x/crypto/nacl/box"
)

// SealedIdentity is what a manual entry seals for the province: the
// typed name, ID number and phone. Only the province's private key opens it.
type SealedIdentity struct {
	Name  string `json:"name"`
	ID    string `json:"id"`
	Phone string `json:"phone"`
}

// SealIdentity seals name, ID number and phone to the province's X25519
// public key (NaCl anonymous box). The scanner cannot open the result; the
// record keeps it with only the masked name and ID beside it.
func SealIdentity(provincePub *[32]byte, name, id, phone string) ([]byte, error) {
	if provincePub == nil || *provincePub == ([32]byte{}) {
		return nil, fmt.Errorf("seal identity: no province key (enrol the device first)")
	}
	msg, err := json.Marshal(SealedIdentity{Name: name, ID: id, Phone: phone})
	if err != nil {
		return nil, err
	}
	out, err := box.SealAnonymous(nil, msg, provincePub, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("seal identity: %w", err)
	}
	clear(msg)
	return out, nil
}

// OpenIdentity is the province's side of SealIdentity.
func OpenIdentity(sealed []byte, pub, priv *[32]byte) (SealedIdentity, error) {
	var si SealedIdentity
	msg, ok := box.OpenAnonymous(nil, sealed, pub, priv)
	if !ok {
		return si, fmt.Errorf("open sealed identity: wrong key or damaged")
	}
	err := json.Unmarshal(msg, &si)
	return si, err
}
