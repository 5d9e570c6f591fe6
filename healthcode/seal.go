package healthcode

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/nacl/box"
)

// SealedIdentity is what a manual entry (a person without a code) seals for
// the province: the typed name, ID number and phone. Only the province's
// private key opens it; the scanner keeps the sealed bytes and the masked
// name and ID.
type SealedIdentity struct {
	Name  string `json:"name"`
	ID    string `json:"id"`
	Phone string `json:"phone"`
}

// SealIdentity seals an identity to the province's X25519 public key (NaCl
// anonymous box, randomness from rand). The sealer cannot open the result.
func SealIdentity(rand io.Reader, provincePub *[32]byte, id SealedIdentity) ([]byte, error) {
	if provincePub == nil || *provincePub == ([32]byte{}) {
		return nil, errors.New("seal identity: no province key (enrol the device first)")
	}
	msg, err := json.Marshal(id)
	if err != nil {
		return nil, err
	}
	out, err := box.SealAnonymous(nil, msg, provincePub, rand)
	clear(msg)
	if err != nil {
		return nil, fmt.Errorf("seal identity: %w", err)
	}
	return out, nil
}

// OpenIdentity is the province's side of SealIdentity.
func OpenIdentity(sealed []byte, pub, priv *[32]byte) (SealedIdentity, error) {
	var si SealedIdentity
	msg, ok := box.OpenAnonymous(nil, sealed, pub, priv)
	if !ok {
		return si, errors.New("open sealed identity: wrong key or damaged")
	}
	err := json.Unmarshal(msg, &si)
	clear(msg)
	return si, err
}
