package server

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// Store is everything the server keeps. The embedded default is bbolt
// (OpenBolt); a province would put PostgreSQL behind the same interface and
// run several stateless server processes in front of it. Every method is
// one transaction; ctx (the request's, for the HTTP API) ends it early.
type Store interface {
	// PutToken saves a new token (enrolment or portal login).
	PutToken(ctx context.Context, t Token) error
	// Token finds a token by the hash of its text.
	Token(ctx context.Context, hash TokenHash) (Token, error)
	// Tokens lists an institution's tokens, newest first.
	Tokens(ctx context.Context, institution string) ([]Token, error)
	// Enroll consumes an enrolment token and registers dev under the
	// token's institution and gate, atomically.
	Enroll(ctx context.Context, hash TokenHash, dev Device, now time.Time) (Device, error)
	// Device finds a device (ErrNotFound).
	Device(ctx context.Context, id string) (Device, error)
	// Devices lists an institution's devices.
	Devices(ctx context.Context, institution string) ([]Device, error)
	// SetDeviceDisabled stops (or allows again) a device of an institution,
	// e.g. a lost laptop: its signed requests get 403.
	SetDeviceDisabled(ctx context.Context, institution, id string, disabled bool) error

	// Ingest stores a batch from dev in one transaction: each record is
	// stored, a duplicate of (device, record id), or rejected (Reject set
	// by the caller). With an idempotency key the answer is kept, and a
	// retry with the same key and body hash gets it back (replayed).
	Ingest(ctx context.Context, dev Device, batch []IngestRecord, idem IdempotencyKey, now time.Time) (results []protocol.RecordResult, replayed bool, err error)
	// Record finds one stored record.
	Record(ctx context.Context, deviceID, recordID string) (StoredRecord, error)
	// Records lists an institution's records, newest first.
	Records(ctx context.Context, q RecordQuery) ([]StoredRecord, error)
	// GateWindow lists an institution's records at a gate with a time in [from, to].
	GateWindow(ctx context.Context, institution, gate string, from, to time.Time) ([]StoredRecord, error)
	// Alerts lists an institution's flagged records.
	Alerts(ctx context.Context, institution string) ([]Alert, error)

	// SetStatus records colour changes (a change to the current colour is
	// skipped) and flags the provisional passes of codes that turned red
	// or yellow. It returns the new status sequence and the alerts raised.
	SetStatus(ctx context.Context, changes []StatusChange, now time.Time) (seq uint64, alerts int, err error)
	// Status is the latest entry of one code.
	Status(ctx context.Context, h healthcode.CodeHash) (healthcode.StatusEntry, bool, error)
	// StatusSince is the delta after since, or the snapshot for since=0;
	// ErrStatusGone when since is older than the history kept or unknown.
	StatusSince(ctx context.Context, since uint64, now time.Time) (*healthcode.StatusList, error)

	// TrustState and PutTrustState keep the trust list the server serves.
	TrustState(ctx context.Context) (TrustState, error)
	PutTrustState(ctx context.Context, ts TrustState) error

	// CheckNonce remembers the nonce of a signed request until forget and
	// reports whether it is new (false: a replay). Every server process in
	// front of the store shares what it remembers.
	CheckNonce(ctx context.Context, deviceID, nonce string, forget, now time.Time) (fresh bool, err error)

	// PutSession, Session and DeleteSession keep portal logins, by the
	// hash of the cookie, for every server process. Session answers
	// ErrNotFound for an unknown or expired session.
	PutSession(ctx context.Context, s Session) error
	Session(ctx context.Context, h SessionHash, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, h SessionHash) error

	// AddAudit and Audit keep the audit list of sealed identities opened
	// (Audit: an institution's entries, newest first).
	AddAudit(ctx context.Context, a AuditEntry) error
	Audit(ctx context.Context, institution string, limit int) ([]AuditEntry, error)

	// Prune drops idempotency answers older than idemBefore, and the
	// sessions and nonces that expired by now.
	Prune(ctx context.Context, idemBefore, now time.Time) error
	Close() error
}

// Errors of a Store.
var (
	ErrNotFound     = errors.New("not found")
	ErrTokenUnknown = errors.New("no such token")
	ErrTokenUsed    = errors.New("token already used")
	ErrTokenExpired = errors.New("token expired")
	ErrStatusGone   = errors.New("status history since that sequence is not kept")
	ErrIdemConflict = errors.New("idempotency key reused with a different body")
	ErrStoreBusy    = errors.New("the server database is open in another process (is `hcserver serve` running?)")
	// ErrNonceWindowFull: more signed requests in one replay window than
	// the in-process cache holds (bbolt store); answered 503.
	ErrNonceWindowFull = errors.New("too many requests in the replay window")
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

// SessionHash is SHA-256 of a portal session cookie: stores never keep the cookie.
type SessionHash [32]byte

// Session is a portal login.
type Session struct {
	Hash        SessionHash `json:"hash"`
	Institution string      `json:"institution"`
	Kind        string      `json:"kind"`  // TokenPortal or TokenTracing
	Actor       string      `json:"actor"` // names the login in the audit list
	CSRF        string      `json:"csrf"`
	Expires     time.Time   `json:"expires"`
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
}

// redeemable says whether an enrolment token may still enrol a device at
// now: the one rule both stores apply inside their redeeming transaction.
func (t Token) redeemable(now time.Time) error {
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

// Device is an enrolled scanner.
type Device struct {
	ID          string            `json:"id"`
	PublicKey   ed25519.PublicKey `json:"public_key"`
	Institution string            `json:"institution"`
	Gate        string            `json:"gate"`
	Name        string            `json:"name,omitempty"`
	Software    string            `json:"software,omitempty"`
	Enrolled    time.Time         `json:"enrolled"`
	Disabled    bool              `json:"disabled,omitempty"`
}

// IngestRecord is one record of a batch as the HTTP layer checked it.
type IngestRecord struct {
	ID     string            // normalised record id ("" when unreadable)
	Record healthcode.Record // decoded
	Raw    []byte            // compact JSON as received, what is stored
	Reject string            // non-empty: rejected with this reason
}

// IdempotencyKey names a batch; zero Key means none was sent.
type IdempotencyKey struct {
	Key      string
	BodyHash [32]byte
}

// StoredRecord is a record as the server keeps it.
type StoredRecord struct {
	healthcode.Record
	// Institution is the enrolling institution of the device, which the
	// portal trusts (the record's own field is the device's claim).
	DeviceInstitution string    `json:"device_institution"`
	Received          time.Time `json:"received"`
}

// When is the record's best time: corrected when the device measured its offset.
func When(r *healthcode.Record) time.Time {
	if !r.CorrectedTime.IsZero() {
		return r.CorrectedTime
	}
	return r.Time
}

// RecordQuery selects an institution's records.
type RecordQuery struct {
	Institution string
	Gate        string    // "" for all
	Before      time.Time // zero for now
	Limit       int
}

// Alert flags a record that passed provisionally while its code was (or
// later became) red or yellow.
type Alert struct {
	DeviceID string              `json:"device_id"`
	RecordID string              `json:"record_id"`
	Gate     string              `json:"gate"`
	Time     time.Time           `json:"time"`
	CodeHash healthcode.CodeHash `json:"code_hash"`
	Colour   healthcode.Colour   `json:"colour"`
	Raised   time.Time           `json:"raised"`
	Name     string              `json:"name_masked"`
}

// StatusChange is one code's new colour, as the provincial database sends it.
type StatusChange struct {
	Hash   healthcode.CodeHash `json:"hash"`
	Colour healthcode.Colour   `json:"colour"`
}

// TrustState is the trust list being served.
type TrustState struct {
	Seq         uint64 `json:"seq"`
	Fingerprint string `json:"fingerprint"` // of the keys it lists
	Doc         []byte `json:"doc"`         // the signed envelope
}
