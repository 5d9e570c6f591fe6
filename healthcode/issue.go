package healthcode

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/veraison/go-cose"
)

// Issuer signs codes for one region with its Ed25519 key.
type Issuer struct {
	Region Region
	Key    ed25519.PrivateKey
}

// KID is the key id that codes from this issuer carry.
func (is Issuer) KID() KID { return KeyID(is.Key.Public().(ed25519.PublicKey)) }

// NewClaims builds the claims for a person, masking the full name and ID
// number so that the code never carries them, with a random code id.
func NewClaims(rand io.Reader, region Region, colour Colour, fullName, fullID, lang string, issuedAt time.Time, validity time.Duration) (Claims, error) {
	c := Claims{
		Region: region, IssuedAt: issuedAt.Truncate(time.Second), Colour: colour,
		Name: MaskName(fullName), ID: MaskID(fullID), Lang: lang,
	}
	c.Expires = c.IssuedAt.Add(validity)
	if _, err := io.ReadFull(rand, c.CodeID[:]); err != nil {
		return c, fmt.Errorf("code id: %w", err)
	}
	return c, nil
}

// Issue signs the claims and returns the text for the QR code: "HCN1:" +
// Base45(COSE_Sign1).
func (is Issuer) Issue(rand io.Reader, c Claims) (string, error) {
	w := c.wire()
	if _, err := w.claims(); err != nil {
		return "", fmt.Errorf("issue: %w", err)
	}
	if !is.Region.Valid() || c.Region.Province() != is.Region.Province() {
		return "", fmt.Errorf("issue: issuer for region %s cannot issue codes for region %s", is.Region, c.Region)
	}
	payload, err := canonical.Marshal(w)
	if err != nil {
		return "", fmt.Errorf("issue: encode claims: %w", err)
	}
	signer, err := cose.NewSigner(cose.AlgorithmEdDSA, is.Key)
	if err != nil {
		return "", fmt.Errorf("issue: %w", err)
	}
	kid := is.KID()
	msg := cose.NewSign1Message()
	msg.Headers.Protected.SetAlgorithm(cose.AlgorithmEdDSA)
	msg.Headers.Protected[cose.HeaderLabelKeyID] = kid[:]
	msg.Payload = payload
	if err := msg.Sign(rand, nil, signer); err != nil {
		return "", fmt.Errorf("issue: sign: %w", err)
	}
	raw, err := msg.MarshalCBOR()
	if err != nil {
		return "", fmt.Errorf("issue: encode COSE: %w", err)
	}
	return PrefixStatic + base45Encode(raw), nil
}

// Present makes the live code a phone shows: the credential, the time, and
// the holder's signature over both. The phone makes a new one every 30 s.
func Present(credential string, holder ed25519.PrivateKey, at time.Time) (string, error) {
	if len(credential) < len(PrefixStatic) || credential[:len(PrefixStatic)] != PrefixStatic {
		return "", errors.New("present: not an HCN1 credential")
	}
	raw, err := base45Decode(credential[len(PrefixStatic):])
	if err != nil {
		return "", fmt.Errorf("present: %w", err)
	}
	t := at.Unix()
	p := presentation{Credential: raw, Time: t, Signature: SignEd25519(holder, presentationMessage(raw, t))}
	b, err := canonical.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("present: %w", err)
	}
	return PrefixDynamic + base45Encode(b), nil
}
