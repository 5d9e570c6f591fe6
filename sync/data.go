package sync

import (
	"time"

	"hcscan/healthcode"
	"hcscan/store"
)

// What the client needs of the scanner's data file, one small interface per
// job. *store.Store implements all of them; the client never sees more of
// it than these methods.

// Identity is the enrolment the client signs its requests with.
type Identity interface {
	// Device returns the enrolment; ok is false before enrolment.
	Device() (d store.Device, ok bool, err error)
}

// Outbox is the records waiting for upload. The client reads batches in
// sequence order and removes only what the server answered.
type Outbox interface {
	// Pending is how many records wait (cheap: read after every batch).
	Pending() (int, error)
	// PendingAfter returns up to max waiting records after sequence seq
	// (0: from the oldest), oldest first.
	PendingAfter(seq uint64, max int) ([]healthcode.Record, error)
	// Ack marks the records the server acknowledged as uploaded.
	Ack(ids []string) (int, error)
	// DeadLetter takes a record the server rejected out of the outbox,
	// keeping it with the server's reason.
	DeadLetter(id, reason string) error
	// DeadLetters lists the rejected records (counted on the sync view).
	DeadLetters() ([]store.DeadLetter, error)
}

// TrustCache holds the signed trust list as last fetched.
type TrustCache interface {
	// TrustList returns the cached list (raw nil when none yet).
	TrustList() (raw []byte, seq uint64, fetched time.Time, err error)
	// SaveTrustList caches a list (raw nil: the same list, fetched again);
	// a lower seq than the cached one fails with store.ErrRollback.
	SaveTrustList(raw []byte, seq uint64, fetched time.Time) error
}

// StatusCache holds the status list: colour changes by code, with the
// sequence of the last change applied.
type StatusCache interface {
	StatusSeq() (uint64, error)
	StatusFetched() (time.Time, error)
	// ApplyStatus merges changes since StatusSeq; ReplaceStatus replaces
	// everything with a snapshot. Both return the alerts raised for
	// provisional passes of codes that were already yellow or red.
	ApplyStatus(entries []healthcode.StatusEntry, seq uint64, fetched time.Time) ([]store.Alert, error)
	ReplaceStatus(entries []healthcode.StatusEntry, seq uint64, fetched time.Time) ([]store.Alert, error)
}

// Settings keeps small values between runs: the client keeps the device
// clock at the end of each sync, to notice a clock set back while hcscan
// was not running.
type Settings interface {
	Setting(key string) (value string, ok bool, err error)
	SetSetting(key, value string) error
}

// SealKeyStore keeps the province's sealing key for manual entries when
// the root-signed trust list names a new one (the province rotated it).
type SealKeyStore interface {
	SetSealKey(key []byte) error
}

// AlertAcks are the alerts operators acknowledged on screen, waiting to
// be reported to the province.
type AlertAcks interface {
	AcksToReport() ([]store.Alert, error)
	MarkAlertsReported(recordIDs []string) error
}

// Data is everything New needs: the scanner's data file.
type Data interface {
	Identity
	Outbox
	TrustCache
	StatusCache
	Settings
	AlertAcks
	SealKeyStore
	RosterCache
	StaffCache
}

// EnrolmentStore is what Enroll needs: where the new identity and the
// trust list from the enrolment reply are kept.
type EnrolmentStore interface {
	Identity
	// SaveDevice keeps the enrolment, with its private key.
	SaveDevice(d store.Device) error
	SaveTrustList(raw []byte, seq uint64, fetched time.Time) error
}
