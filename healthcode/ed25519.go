package healthcode

import (
	"crypto/ed25519"
	"errors"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Ed25519 signatures are signed and verified with
// curve25519-voi instead of crypto/ed25519: the same signatures, accepted
// and refused exactly as crypto/ed25519 does (voi's VerifyOptionsStdLib),
// at about half the CPU. Every signed request costs the province a
// verification and every live answer a signature, and a province answers
// thousands a second; the scanners' and the load generator's signing is
// cheaper too.
//
// What the standard library spends more on: ed25519.Sign derives the
// public key from the seed again on every call to check it against the
// key's second half (a second scalar multiplication), and its verification
// decompresses the public key and builds its table for every signature.
// SignEd25519 takes the public half as it is (keys made by
// crypto/ed25519.GenerateKey or NewKeyFromSeed, as all of ours are), and
// Ed25519Key keeps a key decompressed with its table for a signer that
// signs many times.

var edStdOptions = &voi.Options{Verify: voi.VerifyOptionsStdLib}

// SignEd25519 signs message with key (a crypto/ed25519 private key: seed and
// public key). It panics on a key of the wrong length, as ed25519.Sign.
func SignEd25519(key ed25519.PrivateKey, message []byte) []byte {
	return voi.Sign(voi.PrivateKey(key), message)
}

// VerifyEd25519 reports whether sig is pub's signature of message, with
// crypto/ed25519.Verify's rules; false for a key of the wrong length.
func VerifyEd25519(pub ed25519.PublicKey, message, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize {
		return false
	}
	return voi.VerifyWithOptions(voi.PublicKey(pub), message, sig, edStdOptions)
}

// Ed25519Key is a public key decompressed, with its precomputed table, for
// verifying many signatures of one signer (a device, an issuer).
type Ed25519Key struct {
	key *voi.ExpandedPublicKey
}

// NewEd25519Key prepares pub for Verify.
func NewEd25519Key(pub ed25519.PublicKey) (*Ed25519Key, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("ed25519 public key: wrong length")
	}
	k, err := voi.NewExpandedPublicKey(voi.PublicKey(pub))
	if err != nil {
		return nil, err
	}
	return &Ed25519Key{key: k}, nil
}

// Verify reports whether sig is the key's signature of message.
func (k *Ed25519Key) Verify(message, sig []byte) bool {
	return voi.VerifyExpandedWithOptions(k.key, message, sig, edStdOptions)
}
