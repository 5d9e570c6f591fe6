package server

import (
	"context"
	"errors"
	"time"
)

// Store is everything the server keeps: one interface per entity, each in
// the file of that entity's types. The embedded default is bbolt (package
// boltstore); a province puts PostgreSQL (package pgstore) behind the same
// interface and runs several stateless server processes in front of it.
// Every method is one transaction; ctx (the request's, for the HTTP API)
// ends it early.
type Store interface {
	TokenStore
	DeviceStore
	RecordStore
	StatusStore
	TrustStore
	NonceStore
	SessionStore
	AuditStore
	InstitutionStore
	RosterStore
	StaffStore

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
	// ErrNonceWindowFull: more signed requests in one replay window than
	// the in-process cache holds (bbolt store); answered 503.
	ErrNonceWindowFull = errors.New("too many requests in the replay window")
	// ErrStorageFull: the store cannot write because its disk is full;
	// stores wrap it so the scanners are told, and keep their records.
	ErrStorageFull = errors.New("the server's storage is full")
)
