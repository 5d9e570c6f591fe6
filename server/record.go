package server

import (
	"context"
	"strings"
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

// When is the record's time as the portal, close contacts and the day
// partitions use it: the scanner's corrected time (healthcode.Record.When).
func When(r *healthcode.Record) time.Time { return r.When() }

// RecordQuery selects an institution's records: a filter (every field
// left zero matches all), an order and a page. Stores answer it from an
// index on (institution, time) or (institution, gate, time), never by
// reading every record of the province.
type RecordQuery struct {
	Institution string
	Gate        string             // exact gate name, "" for all
	From        time.Time          // best time at or after From (zero: no bound)
	To          time.Time          // best time before To (zero: no bound)
	Verdict     healthcode.Verdict // VerdictNone for all
	Colour      healthcode.Colour  // effective colour, ColourUnknown for all
	Fever       bool               // only checks with a fever
	Operator    string             // exact operator name, "" for all
	Name        string             // part of the masked name, "" for all

	// Before is an older form of To (newest first: records before it).
	Before time.Time
	// After continues a listing after this record, in the query's order
	// (keyset paging: no offset over a million rows).
	After RecordCursor
	// Oldest lists oldest first; the default is newest first.
	Oldest bool
	// Offset skips that many records (for a page picked by number).
	Offset int
	Limit  int
}

// RecordCursor is a record's place in time order: its best time and key.
type RecordCursor struct {
	At       time.Time
	DeviceID string
	RecordID string
}

// IsZero reports whether c names no record.
func (c RecordCursor) IsZero() bool { return c.DeviceID == "" && c.RecordID == "" }

// CursorOf is the place of r.
func CursorOf(r *StoredRecord) RecordCursor {
	return RecordCursor{At: When(&r.Record), DeviceID: r.DeviceID, RecordID: r.ID}
}

// Upper is the exclusive upper time bound of q (To or Before, the earlier).
func (q *RecordQuery) Upper() time.Time {
	switch {
	case q.To.IsZero():
		return q.Before
	case q.Before.IsZero() || q.To.Before(q.Before):
		return q.To
	}
	return q.Before
}

// Match reports whether r passes q's filter (not its time bounds, cursor
// or page): the one rule both stores apply after their index.
func (q *RecordQuery) Match(r *healthcode.Record) bool {
	switch {
	case q.Gate != "" && r.Gate != q.Gate,
		q.Verdict != healthcode.VerdictNone && r.Verdict != q.Verdict,
		q.Colour != healthcode.ColourUnknown && r.EffectiveColour != q.Colour,
		q.Fever && !r.Fever,
		q.Operator != "" && r.Operator != q.Operator,
		q.Name != "" && !strings.Contains(r.Name, q.Name):
		return false
	}
	return true
}

// GateHour counts an institution's checks at one gate in one hour.
type GateHour struct {
	Gate  string
	Hour  time.Time // start of the hour, UTC
	Tally healthcode.Tally
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
	// Acked is when an operator at the gate acknowledged it on the
	// scanner (its trusted time), AckedBy who; zero: not yet.
	Acked   time.Time `json:"acked,omitzero"`
	AckedBy string    `json:"acked_by,omitempty"`
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
	// Records lists the records q selects, newest first unless q.Oldest.
	Records(ctx context.Context, q RecordQuery) ([]StoredRecord, error)
	// CountRecords counts what q selects, ignoring its page (After,
	// Offset, Limit).
	CountRecords(ctx context.Context, q RecordQuery) (int, error)
	// EachRecord calls fn for every record q selects, in q's order, without
	// holding them all in memory (exports of a million rows); an error from
	// fn stops it and is returned.
	EachRecord(ctx context.Context, q RecordQuery, fn func(*StoredRecord) error) error
	// GateHours counts an institution's checks with a best time in
	// [from, to) per gate and hour.
	GateHours(ctx context.Context, institution string, from, to time.Time) ([]GateHour, error)
	// GateWindow lists an institution's records at a gate with a time in [from, to].
	GateWindow(ctx context.Context, institution, gate string, from, to time.Time) ([]StoredRecord, error)
	// Alerts lists an institution's flagged records, newest first.
	Alerts(ctx context.Context, institution string) ([]Alert, error)
	// AckAlerts marks dev's alerts as acknowledged at the gate, one
	// result per acknowledgement: kept (the first acknowledgement stays;
	// a repeat changes nothing), or unknown when dev has no alert on that
	// record.
	AckAlerts(ctx context.Context, dev Device, acks []protocol.AlertAck, now time.Time) ([]protocol.AlertAckResult, error)
}
