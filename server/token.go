package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// TokenHash is SHA-256 of a token's text: the server never keeps the text.
type TokenHash [32]byte

// Token kinds.
const (
	TokenEnroll = "enroll" // single use: enrols one device at a gate
	TokenPortal = "portal" // portal login for an institution
	// TokenTracing is a portal login for provincial tracing staff working
	// on an institution's records: it may also open the sealed identities
	// of manual entries (each opening is audited).
	TokenTracing = "tracing"
)

// Token is an enrolment or portal token.
type Token struct {
	Hash        TokenHash `json:"hash"`
	Kind        string    `json:"kind"`
	Institution string    `json:"institution"`
	Gate        string    `json:"gate,omitempty"`
	Hint        string    `json:"hint"` // first characters, to tell tokens apart in the portal
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires"`
	UsedAt      time.Time `json:"used_at,omitzero"`
	UsedBy      string    `json:"used_by,omitempty"` // device id
}

// Redeemable says whether an enrolment token may still enrol a device at
// now: the one rule both stores apply inside their redeeming transaction.
func (t Token) Redeemable(now time.Time) error {
	switch {
	case t.Kind != TokenEnroll:
		return ErrTokenUnknown
	case !t.UsedAt.IsZero():
		return ErrTokenUsed
	case now.After(t.Expires):
		return ErrTokenExpired
	}
	return nil
}

// TokenStore keeps enrolment and portal tokens.
type TokenStore interface {
	// PutToken saves a new token (enrolment or portal login).
	PutToken(ctx context.Context, t Token) error
	// Token finds a token by the hash of its text (ErrTokenUnknown).
	Token(ctx context.Context, hash TokenHash) (Token, error)
	// Tokens lists an institution's tokens, newest first.
	Tokens(ctx context.Context, institution string) ([]Token, error)
	// Enroll consumes an enrolment token (Token.Redeemable) and registers
	// dev under the token's institution and gate, atomically.
	Enroll(ctx context.Context, hash TokenHash, dev Device, now time.Time) (Device, error)
}

// normalizeToken forgives what people do when typing a token: dashes,
// spaces, lower case, and digits that look like letters (base32 has no 0,
// 1 or 8).
func normalizeToken(t string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-':
			return -1
		case '0':
			return 'O'
		case '1':
			return 'I'
		case '8':
			return 'B'
		}
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, t)
}

// HashToken is the hash a token is kept and looked up by, of its text as
// typed (normalizeToken).
func HashToken(t string) TokenHash { return sha256.Sum256([]byte(normalizeToken(t))) }

// NewToken makes a token of kind (TokenEnroll or TokenPortal) for an
// institution (and gate, for enrolment) and returns its text, which is
// shown once: the store keeps only its hash.
func (s *Server) NewToken(ctx context.Context, kind, institution, gate string) (string, Token, error) {
	institution, gate = strings.TrimSpace(institution), strings.TrimSpace(gate)
	switch {
	case kind != TokenEnroll && kind != TokenPortal && kind != TokenTracing:
		return "", Token{}, fmt.Errorf("token kind %q: want %s, %s or %s", kind, TokenEnroll, TokenPortal, TokenTracing)
	case institution == "" || !validField(institution):
		return "", Token{}, fmt.Errorf("institution must be 1 to %d bytes", maxFieldLen)
	case kind == TokenEnroll && (gate == "" || !validField(gate)):
		return "", Token{}, fmt.Errorf("an enrolment token needs a gate of 1 to %d bytes", maxFieldLen)
	}
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Token{}, err
	}
	raw := base32.StdEncoding.EncodeToString(b[:]) // 24 characters, 120 bits
	var groups []string
	for i := 0; i < len(raw); i += 4 {
		groups = append(groups, raw[i:i+4])
	}
	text := strings.Join(groups, "-")
	now := s.now()
	ttl := s.cfg.EnrollTokenTTL
	if kind != TokenEnroll {
		ttl = s.cfg.PortalTokenTTL
		gate = ""
	}
	t := Token{Hash: HashToken(text), Kind: kind, Institution: institution, Gate: gate, Hint: groups[0], Created: now.UTC(), Expires: now.Add(ttl).UTC()}
	if err := s.store.PutToken(ctx, t); err != nil {
		return "", Token{}, err
	}
	s.log.Info("token made", "kind", kind, "institution", institution, "gate", gate, "hint", t.Hint)
	return text, t, nil
}
