package healthcode

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// DocTrustList is the SignedDoc kind of a trust list.
const DocTrustList = "trust-list"

// IssuerKey is one issuer's public key in the trust list: one per region,
// so codes from other provinces verify too ("one code pass").
type IssuerKey struct {
	KID       KID               `json:"kid"`
	Region    Region            `json:"region"`
	Name      string            `json:"name"`
	PublicKey ed25519.PublicKey `json:"public_key"`
	NotAfter  time.Time         `json:"not_after,omitzero"` // zero: no end

	verifier *edVerifier // the key with its precomputed tables, made by index
}

// TrustList is the set of issuer keys the scanner accepts, signed by the
// pinned provincial root. A list with a lower sequence number than one
// already accepted is refused (rollback to a list with a revoked key).
type TrustList struct {
	Seq     uint64      `json:"seq"`
	Issued  time.Time   `json:"issued"`
	Issuers []IssuerKey `json:"issuers"`
	// StatusKey signs status lists; the root vouches for it here, so the
	// scanner pins only the root.
	StatusKey ed25519.PublicKey `json:"status_key,omitempty"`
	// SealKey is the province's X25519 key that manual entries' typed
	// identities are sealed to (32 bytes); the root vouches for it here,
	// so a scanner follows a rotation with its next sync.
	SealKey []byte `json:"seal_key,omitempty"`

	byKID map[KID]*IssuerKey
}

// ErrTrustRollback is returned for a trust list older than the one held.
var ErrTrustRollback = errors.New("trust list is older than the one already held (rollback refused)")

// NewTrustList indexes issuers; it checks each kid matches its key.
func NewTrustList(seq uint64, issued time.Time, issuers []IssuerKey, statusKey ed25519.PublicKey) (*TrustList, error) {
	tl := &TrustList{Seq: seq, Issued: issued, Issuers: issuers, StatusKey: statusKey}
	if err := tl.index(); err != nil {
		return nil, err
	}
	return tl, nil
}

func (tl *TrustList) index() error {
	tl.byKID = make(map[KID]*IssuerKey, len(tl.Issuers))
	for i := range tl.Issuers {
		k := &tl.Issuers[i]
		if len(k.PublicKey) != ed25519.PublicKeySize {
			return fmt.Errorf("trust list: issuer %s: key has %d bytes", k.KID, len(k.PublicKey))
		}
		if KeyID(k.PublicKey) != k.KID {
			return fmt.Errorf("trust list: issuer %s: kid does not match its key", k.KID)
		}
		if !k.Region.Valid() {
			return fmt.Errorf("trust list: issuer %s: region %s invalid", k.KID, k.Region)
		}
		v, err := newEdVerifier(k.PublicKey)
		if err != nil {
			return fmt.Errorf("trust list: issuer %s: %w", k.KID, err)
		}
		k.verifier = v
		tl.byKID[k.KID] = k
	}
	return nil
}

// Lookup finds an issuer by key id.
func (tl *TrustList) Lookup(kid KID) (*IssuerKey, bool) {
	if tl == nil {
		return nil, false
	}
	k, ok := tl.byKID[kid]
	return k, ok
}

// Sign makes the signed envelope of the list (the root key is offline at
// the province; here it is the server's keys directory).
func (tl *TrustList) Sign(root ed25519.PrivateKey) ([]byte, error) {
	body, err := json.Marshal(tl)
	if err != nil {
		return nil, fmt.Errorf("trust list: %w", err)
	}
	return json.MarshalIndent(SignDoc(DocTrustList, body, root), "", "  ")
}

// ParseTrustList opens a signed trust list with the pinned root key and
// refuses one whose sequence is lower than haveSeq.
func ParseTrustList(data []byte, root ed25519.PublicKey, haveSeq uint64) (*TrustList, error) {
	body, err := OpenDoc(data, DocTrustList, root)
	if err != nil {
		return nil, err
	}
	var tl TrustList
	if err := json.Unmarshal(body, &tl); err != nil {
		return nil, fmt.Errorf("trust list: %w", err)
	}
	if tl.Seq < haveSeq {
		return nil, fmt.Errorf("trust list %d < %d: %w", tl.Seq, haveSeq, ErrTrustRollback)
	}
	if err := tl.index(); err != nil {
		return nil, err
	}
	return &tl, nil
}
