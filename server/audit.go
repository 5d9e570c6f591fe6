package server

import (
	"context"
	"time"
)

// AuditEntry is one opening of a sealed identity, or of an institution's
// roster by the province's tracing staff (What says which).
type AuditEntry struct {
	Time        time.Time `json:"time"`
	Institution string    `json:"institution"`
	Actor       string    `json:"actor"` // the login that opened it, e.g. "tracing ABCD"
	DeviceID    string    `json:"device_id"`
	RecordID    string    `json:"record_id"`
	Reason      string    `json:"reason"`
	// What was opened when it is not the sealed identity of DeviceID/RecordID:
	// e.g. "roster", "morning view 2026-11-29".
	What string `json:"what,omitempty"`
}

// AuditStore keeps the audit list of sealed identities opened.
type AuditStore interface {
	AddAudit(ctx context.Context, a AuditEntry) error
	// Audit lists an institution's entries, newest first.
	Audit(ctx context.Context, institution string, limit int) ([]AuditEntry, error)
}
