package healthcode

import "time"

// Record is one person at one check: written before the verdict screen
// accepts the next person, kept in the scanner's outbox, and uploaded to the
// province. It holds only what the code shows (masked) and the code hash.
type Record struct {
	ID              string        `json:"id"` // UUIDv7, made by the scanner
	DeviceID        string        `json:"device_id"`
	Seq             uint64        `json:"seq"` // per-device sequence number
	Institution     string        `json:"institution"`
	Gate            string        `json:"gate"`
	Operator        string        `json:"operator"`
	Time            time.Time     `json:"time"`                    // the laptop's clock, local zone
	CorrectedTime   time.Time     `json:"corrected_time"`          // the time the verdict used (see TimeSource)
	TimeSource      TimeSource    `json:"time_source,omitempty"`   // where CorrectedTime came from ("" in records made before it was kept)
	ClockJump       time.Duration `json:"clock_jump_ns,omitempty"` // the laptop's clock had been moved by this much (Moment.Jump)
	CodeHash        CodeHash      `json:"code_hash,omitempty"`
	PersonKey       PersonKey     `json:"person_key,omitzero"`   // only for the institution's own people; never shown
	EnrolGroup      string        `json:"enrol_group,omitempty"` // roster mode: the group the operator put the person in
	EnrolRole       Role          `json:"enrol_role,omitzero"`
	Manual          bool          `json:"manual,omitempty"` // no code: typed by the operator
	Dynamic         bool          `json:"dynamic,omitempty"`
	ScannedColour   Colour        `json:"scanned_colour"`
	EffectiveColour Colour        `json:"effective_colour"`
	Verdict         Verdict       `json:"verdict"`
	Reason          Reason        `json:"reason,omitempty"` // why the code was invalid
	Provisional     bool          `json:"provisional,omitempty"`
	Temperature     Temperature   `json:"temperature"` // null when not taken
	Fever           bool          `json:"fever,omitempty"`
	Disposition     Disposition   `json:"disposition"`
	Name            string        `json:"name_masked"`
	IDMasked        string        `json:"id_masked"`
	Region          Region        `json:"region,omitempty"`
	Lang            string        `json:"lang,omitempty"`
	Sealed          []byte        `json:"sealed,omitempty"` // manual entries: name, ID, phone sealed to the province
	ManualReason    string        `json:"manual_reason,omitempty"`
	ClockOffset     time.Duration `json:"clock_offset_ns,omitempty"` // CorrectedTime − Time
	// Abandoned: the operator left the person without a decision (and
	// confirmed it); Verdict is then stop, or invalid for a code that did
	// not verify, and Disposition is none: nobody let them through.
	Abandoned bool `json:"abandoned,omitempty"`
	// RepeatOf is the id of the earlier record of the same code (or person)
	// within the gate's repeat window: this check is a repeat of it.
	RepeatOf string `json:"repeat_of,omitempty"`
}
