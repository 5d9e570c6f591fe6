package server

import (
	"context"
	"time"

	"hcscan/healthcode"
	"hcscan/protocol"
)

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

// RecordStore keeps the records scanners upload and the alerts raised on them.
type RecordStore interface {
	// Ingest stores a batch from dev in one transaction: each record is
	// stored, a duplicate of (device, record id), or rejected (Reject set
	// by the caller). A provisional pass (healthcode.Record.ProvisionalPass)
	// of a code whose status already stops its holder raises an alert.
	// With an idempotency key the answer is kept, and a retry with the
	// same key and body hash gets it back (replayed).
	Ingest(ctx context.Context, dev Device, batch []IngestRecord, idem IdempotencyKey, now time.Time) (results []protocol.RecordResult, replayed bool, err error)
	// Record finds one stored record (ErrNotFound).
	Record(ctx context.Context, deviceID, recordID string) (StoredRecord, error)
	// Records lists an institution's records, newest first.
	Records(ctx context.Context, q RecordQuery) ([]StoredRecord, error)
	// GateWindow lists an institution's records at a gate with a time in [from, to].
	GateWindow(ctx context.Context, institution, gate string, from, to time.Time) ([]StoredRecord, error)
	// Alerts lists an institution's flagged records, newest first.
	Alerts(ctx context.Context, institution string) ([]Alert, error)
}
