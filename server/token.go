package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
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
	// TokenViewer is a portal login that reads an institution's records
	// (today, records, exports, close contacts) and changes nothing.
	TokenViewer = "viewer"
	// TokenTracing is a portal login for provincial tracing staff working
	// on an institution's records: it may also open the sealed identities
	// of manual entries (each opening is audited), and make no tokens.
	TokenTracing = "tracing"
	// TokenProvince is a portal login of the provincial office: it
	// approves or refuses the institutions that apply.
	TokenProvince = "province"
)

// IsLogin reports whether kind is a portal login (not an enrolment token).
func IsLogin(kind string) bool {
	return kind == TokenPortal || kind == TokenViewer || kind == TokenTracing || kind == TokenProvince
}

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
	// Revoked ends a portal login (and every session made with it).
	Revoked time.Time `json:"revoked,omitzero"`
	// MadeBy names who made the token: "province" or a login's actor.
	MadeBy string `json:"made_by,omitempty"`
}

// LoginValid says whether a portal login token still logs in at now.
func (t Token) LoginValid(now time.Time) bool {
	return IsLogin(t.Kind) && t.Revoked.IsZero() && !now.After(t.Expires)
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
	// RevokeToken ends a portal login of an institution at now
	// (ErrTokenUnknown when it is not one of its logins).
	RevokeToken(ctx context.Context, institution string, hash TokenHash, now time.Time) error
	// Enroll consumes an enrolment token (Token.Redeemable) and registers
	// dev under the token's institution and gate, atomically.
	Enroll(ctx context.Context, hash TokenHash, dev Device, now time.Time) (Device, error)
}

// NormalizeToken forgives what people do when typing a token: dashes,
// spaces, lower case, and digits that look like letters (base32 has no 0,
// 1 or 8).
func NormalizeToken(t string) string {
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
// typed (NormalizeToken).
func HashToken(t string) TokenHash { return sha256.Sum256([]byte(NormalizeToken(t))) }

// NewToken makes a token of kind for an institution (and gate, for
// enrolment) as the province (the command line, the admin API) and
// returns its text, which is shown once: the store keeps only its hash.
func (s *Server) NewToken(ctx context.Context, kind, institution, gate string) (string, Token, error) {
	return s.NewTokenBy(ctx, kind, institution, gate, "province")
}

// NewTokenBy makes a token as NewToken does, made by the named login. The
// institution must be approved (one the province has not seen is approved
// now: the province asked); a province login has no institution.
func (s *Server) NewTokenBy(ctx context.Context, kind, institution, gate, madeBy string) (string, Token, error) {
	institution, gate = strings.TrimSpace(institution), strings.TrimSpace(gate)
	if kind != TokenProvince {
		if institution == "" || !validField(institution) {
			return "", Token{}, fmt.Errorf("institution must be 1 to %d bytes", maxFieldLen)
		}
		if err := s.approvedInstitution(ctx, institution); err != nil {
			return "", Token{}, err
		}
	}
	return s.putToken(ctx, kind, institution, gate, madeBy)
}

func (s *Server) putToken(ctx context.Context, kind, institution, gate, madeBy string) (string, Token, error) {
	switch {
	case kind != TokenEnroll && !IsLogin(kind):
		return "", Token{}, fmt.Errorf("token kind %q: want %s, %s, %s, %s or %s", kind, TokenEnroll, TokenPortal, TokenViewer, TokenTracing, TokenProvince)
	case kind == TokenProvince && institution != "":
		return "", Token{}, errors.New("a province login is for no institution")
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
	t := Token{Hash: HashToken(text), Kind: kind, Institution: institution, Gate: gate, Hint: groups[0], Created: now.UTC(), Expires: now.Add(ttl).UTC(), MadeBy: madeBy}
	if err := s.store.PutToken(ctx, t); err != nil {
		return "", Token{}, err
	}
	s.log.Info("token made", "kind", kind, "institution", institution, "gate", gate, "hint", t.Hint, "by", madeBy)
	return text, t, nil
}
