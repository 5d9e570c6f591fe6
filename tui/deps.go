package tui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"hcscan/healthcode"
)

// The screen never opens files, sockets or cameras: cmd/hcscan hands it
// these small interfaces, implemented by camera/, store/ and sync/.

// ScanSource says where a scan came from.
type ScanSource string

const (
	SourceCamera ScanSource = "camera" // decoded from a camera frame
	SourceWedge  ScanSource = "wedge"  // typed by a handheld USB scanner
)

// Scan is one code read at the gate. Text is untrusted.
type Scan struct {
	Text   string
	At     time.Time
	Source ScanSource
	// Several codes in one frame (a parent holding the children's printed
	// codes, a car at a checkpoint) are one group: Group names it (0: a
	// code on its own), Index is this code's place in it from 1, Of how
	// many codes the frame held. Each is its own person.
	Group, Index, Of int
}

// CameraState is what the camera is doing, for the status bar.
type CameraState int

const (
	CameraOff      CameraState = iota // no camera configured
	CameraStarting                    // opening the device or file
	CameraOK                          // frames are arriving
	CameraLost                        // frames stopped; reconnecting
	CameraFailed                      // cannot open the source (missing file, no device)
	CameraEnded                       // a video file or image folder has played to its end
	CameraWaiting                     // it starts when someone signs in (a video, a folder, a URL)
)

// CameraStatus is a snapshot of the camera.
type CameraStatus struct {
	State  CameraState
	Detail string  // e.g. "no such file: /tmp/x.avi"; shown on screen, so plain text
	FPS    float64 // frames per second really delivered
}

// Camera is the frame source seen from the screen.
type Camera interface {
	// Scans delivers each code once (the camera de-duplicates); it is
	// closed when the camera stops for good.
	Scans() <-chan Scan
	Status() CameraStatus
	// Preview renders the latest frame in at most width×height cells
	// ("" when there is no frame yet).
	Preview(width, height int) string
}

// Stats are the counters the status bar shows; the store keeps them so
// that reading them is cheap.
type Stats struct {
	Pending       int // records waiting to upload
	Passed        int // today
	Stopped       int // today (stop verdicts, including fever)
	Fever         int // today
	Invalid       int // today
	Alerts        int // alerts no operator has acknowledged yet
	TrustFetched  time.Time
	StatusFetched time.Time
}

// Rejected is a record the province refused, with its reason.
type Rejected struct {
	RecordID string
	Time     time.Time
	Reason   string
}

// Row is a stored record and where it is in its upload life.
type Row struct {
	Record   healthcode.Record
	Uploaded bool
	Refused  bool // the province rejected it
}

// Alert is a record that passed provisionally and was later found to be
// red or yellow (the person should be traced), or one of the
// institution's people whose code turned red or yellow or who had a fever
// at one of its gates (Group set).
type Alert struct {
	RecordID string
	Time     time.Time // of the check, or of the change
	Gate     string
	Name     string // masked
	Colour   healthcode.Colour
	Already  bool // the code was already that colour at the check
	Reason   string
	Acked    bool                   // an operator has acknowledged it
	Group    string                 // the person's group, for an alert about one of the institution's people
	Fever    healthcode.Temperature // the reading, for a fever alert
}

// ErrWrongPIN is what RecordStore.CheckPIN returns (possibly wrapped) for a
// wrong operator name or PIN.
var ErrWrongPIN = errors.New("wrong operator or PIN")

// ErrChoosePIN is what CheckPIN returns for a staff member's first
// sign-in when the one-time code from their admin was right: the screen
// asks them to choose a PIN and calls SetFirstPIN.
var ErrChoosePIN = errors.New("first sign-in: choose a PIN")

// ErrOperatorDisabled is what CheckPIN returns for a staff member the
// institution disabled.
var ErrOperatorDisabled = errors.New("disabled by the institution")

// WrongPINError is a wrong PIN for a known operator, with the tries left
// before the lock-out; it is ErrWrongPIN.
type WrongPINError struct{ Left int }

func (e *WrongPINError) Error() string        { return fmt.Sprintf("wrong PIN, %d tries left", e.Left) }
func (e *WrongPINError) Is(target error) bool { return target == ErrWrongPIN }

// PINLockedError is an operator locked after wrong PINs, until Until.
type PINLockedError struct{ Until time.Time }

func (e *PINLockedError) Error() string {
	return "locked after wrong PINs until " + e.Until.Format("15:04:05")
}

// RecordStore is the local data file seen from the screen.
type RecordStore interface {
	// Append makes the record durable; only after it returns nil may the
	// screen say "saved". It may fill in DeviceID and Seq.
	Append(ctx context.Context, rec *healthcode.Record) error
	Stats(now time.Time) (Stats, error)
	// Today returns today's records (local day of now), newest first.
	Today(now time.Time, limit int) ([]Row, error)
	// CheckPIN returns nil if pin is the operator's PIN, ErrWrongPIN if not
	// (a *WrongPINError when the tries left are known), a *PINLockedError
	// during a lock-out; other errors are shown as they are.
	CheckPIN(operator, pin string) error
	// SetFirstPIN is a staff member's first sign-in: the one-time code
	// again and the PIN they chose (kept and sent only as a verifier).
	SetFirstPIN(operator, code, pin string) error
	// OnDuty says whether the signed-in operator may still check after a
	// sync: ErrOperatorDisabled when the institution disabled them.
	OnDuty(operator string) error
	// Rejected lists records the province refused (dead letters).
	Rejected(limit int) ([]Rejected, error)
	// Alerts lists provisional passes later found red or yellow.
	Alerts() ([]Alert, error)
	// AckAlerts records that operator acknowledged the alerts of
	// recordIDs at time at (the province is told at the next sync).
	AckAlerts(recordIDs []string, operator string, at time.Time) error
}

// SyncState is a snapshot of the link to the province.
type SyncState struct {
	Server      string
	Online      bool
	Syncing     bool
	Sent, Total int // upload progress while syncing
	LastSuccess time.Time
	LastError   string // one sentence for the operator
	NextAttempt time.Time
	NewAlerts   int
}

// Syncer is the background sync client seen from the screen.
type Syncer interface {
	// States delivers each new state (only the latest is kept).
	States() <-chan SyncState
	// SyncNow asks for an upload and pull at once; progress arrives on States.
	SyncNow()
}

// Verification is one code checked offline (and online when the province
// answered in time).
type Verification struct {
	healthcode.Result
	LiveStatus bool              // the colour was confirmed online just now
	At         healthcode.Moment // the time it was checked at (zero: the one the screen passed)
	// StatusFetched is when the cached status list the colour was checked
	// against was fetched (zero: there is none); the verdict says which
	// status data it used.
	StatusFetched time.Time
	// Member is set when the code's person key is one of the institution's
	// people on the roster this scanner holds.
	Member *RosterMember
	// RosterKnown says the scanner holds a roster, so that a person not
	// in it is known not to be one of the institution's people.
	RosterKnown bool
}

// RosterMember is one of the institution's own people as the gate knows
// them: their group and role. The roster on the scanner names nobody.
type RosterMember struct {
	Group string
	Role  healthcode.Role
}

// RosterGroup is a group roster mode enrols people into.
type RosterGroup struct {
	Name    string
	Role    healthcode.Role
	Members int
}

// Roster is the institution's roster seen from the screen.
type Roster interface {
	// Groups lists the groups (empty when the scanner holds no roster yet).
	Groups() ([]RosterGroup, error)
	// Alerts are the recent alerts about the institution's people (the
	// province raises them; nothing to acknowledge here).
	Alerts() []Alert
}

// VerifyFunc checks a payload at the moment at (the scanner's trusted
// time); it must not block longer than the online check's deadline.
type VerifyFunc func(ctx context.Context, payload string, at healthcode.Moment) Verification

// Clock is the time the gate decides by (trustclock): the province's time
// carried since the last sync, the laptop's clock beside it, and how far it
// can be trusted.
type Clock interface {
	Moment() healthcode.Moment
}

// Identity is what an operator types for a person without a code; it is
// sealed at once and never kept in clear.
type Identity struct {
	Name, ID, Phone string
}

// SealFunc seals a typed identity to the province's public key.
type SealFunc func(Identity) ([]byte, error)

// Settings are the gate's configuration as the screen needs it.
type Settings struct {
	Institution string
	Gate        string
	DeviceID    string
	Policy      healthcode.Policy
	AutoNext    time.Duration // a green pass returns to ready after this; 0: wait for a key
	// VerdictHold is how long a finished person's verdict stays up at
	// least before a waiting code replaces it (0: at once).
	VerdictHold time.Duration
	// KeyGuard is how long keys are kept from a person who just came on
	// screen, so that a key meant for the one before does not land on
	// them (0: no guard).
	KeyGuard time.Duration
	// RepeatWindow: the same code or person checked again within it is a
	// repeat ("already checked at HH:MM"), recorded as one (0: off).
	RepeatWindow time.Duration
	Bell         bool
	IdleLock     time.Duration // 0: never lock
	Lang         string        // "zh" or "en"
	ClockWarn    time.Duration // say so when the laptop's clock is off by more (default 1 min)
	// Location is the institution's time zone: times shown and "today"
	// (nil: the zone of the clock's times).
	Location *time.Location
	Banner   string // a line for the sign-in screen (the demo shows its PIN here)
	// SignInAs fills the sign-in fields, operator and PIN (the demo's own,
	// which its banner shows anyway): Enter signs in. Empty: blank fields.
	SignInAs [2]string
	// RosterOnly: only the institution's own people enter at this gate (a
	// kindergarten); anyone else is stopped as not on the list.
	RosterOnly bool
}

// Thermometer gives a reading for the person just scanned (a networked
// thermometer, or the demo's script); the screen types it in for the
// operator, who confirms it with Enter. ok is false when it has none.
type Thermometer func(s Scan, remeasure bool) (t healthcode.Temperature, ok bool)

// Deps is everything the screen is given by cmd/hcscan.
type Deps struct {
	Store  RecordStore // required
	Verify VerifyFunc  // required
	Camera Camera      // nil: no camera (handheld scanner and manual entry only)
	Sync   Syncer      // nil: offline only
	Seal   SealFunc    // nil: the province key is unknown (not enrolled)
	Roster Roster      // nil: no roster (roster mode is not offered)
	Bell   func()      // rings the terminal bell; nil: silent
	Therm  Thermometer // nil: the operator types every reading
	// OnSignIn is told who signed in (e.g. to start a camera only once
	// someone is on duty). It runs outside the screen's loop; the screen
	// asks the camera's state again when it returns.
	OnSignIn func(operator string)
	// CanVerify says the scanner holds the issuers' list that codes are
	// verified against; without it the screen says the scanner is not set
	// up and checks no code (they wait), rather than call everyone
	// invalid. nil: always.
	CanVerify func() bool
	Log       *slog.Logger
	// Clock is the time decisions, records and "today" use; nil: Now,
	// as the laptop's clock with nothing to check it against.
	Clock Clock
	// ClockEvents delivers a moment when the clock's state changes (the
	// laptop's clock moved, the province confirmed the time), so that the
	// screen says so at once; nil: at the next refresh.
	ClockEvents <-chan healthcode.Moment
	Now         func() time.Time // used when Clock is nil; nil: time.Now
}
