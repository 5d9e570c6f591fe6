package server

import (
	"context"
	"time"
)

// SessionHash is SHA-256 of a portal session cookie: stores never keep the cookie.
type SessionHash [32]byte

// Session is a portal login.
type Session struct {
	Hash        SessionHash `json:"hash"`
	Institution string      `json:"institution"`
	Kind        string      `json:"kind"`  // the login token's kind (TokenPortal, TokenViewer, ...)
	Token       TokenHash   `json:"token"` // the login token: revoking it ends the session
	Actor       string      `json:"actor"` // names the login in the audit list
	CSRF        string      `json:"csrf"`
	Expires     time.Time   `json:"expires"`
}

// SessionStore keeps portal logins, by the hash of the cookie, for every
// server process.
type SessionStore interface {
	PutSession(ctx context.Context, s Session) error
	// Session answers ErrNotFound for an unknown or expired session.
	Session(ctx context.Context, h SessionHash, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, h SessionHash) error
}
