package healthcode

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
)

// SignedDoc is the envelope of everything the province publishes for
// scanners (trust list, status list): the exact body bytes, the kind of
// document, and an Ed25519 signature by a key the scanner pins.
type SignedDoc struct {
	Kind      string `json:"kind"`
	KeyID     KID    `json:"kid"`
	Body      []byte `json:"body"` // JSON of the document, base64 in the envelope
	Signature []byte `json:"sig"`
}

// ErrBadDocSignature means a published document was not signed by the pinned key.
var ErrBadDocSignature = errors.New("signature does not match the pinned key")

func docMessage(kind string, body []byte) []byte {
	m := make([]byte, 0, len(kind)+len(body)+24)
	m = append(m, "hcscan-signed-doc-v1\x00"...)
	m = append(m, kind...)
	m = append(m, 0)
	return append(m, body...)
}

// SignDoc signs body as a document of the given kind.
func SignDoc(kind string, body []byte, key ed25519.PrivateKey) SignedDoc {
	return SignedDoc{
		Kind: kind, KeyID: KeyID(key.Public().(ed25519.PublicKey)), Body: body,
		Signature: SignEd25519(key, docMessage(kind, body)),
	}
}

// OpenDoc parses an envelope and checks it is a document of kind signed by pub.
func OpenDoc(data []byte, kind string, pub ed25519.PublicKey) ([]byte, error) {
	var d SignedDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("signed %s: %w", kind, err)
	}
	if d.Kind != kind {
		return nil, fmt.Errorf("signed document is a %q, want %q", d.Kind, kind)
	}
	if len(pub) != ed25519.PublicKeySize || !VerifyEd25519(pub, docMessage(kind, d.Body), d.Signature) {
		return nil, fmt.Errorf("signed %s: %w", kind, ErrBadDocSignature)
	}
	return d.Body, nil
}
