package healthcode

import "time"

// The rules below are used by the scanner, its screen and both server
// stores; each is written once, here.

// Stops reports whether a code of this colour stops its holder at the door
// (red or yellow).
func (c Colour) Stops() bool { return c == Red || c == Yellow }

// ProvisionalPass reports whether r let a person with a code through on
// stale status data. Such a record is watched: if the status feed later
// shows the code red or yellow, the operator and the province are alerted.
// Manual entries have no code and are never watched.
func (r *Record) ProvisionalPass() bool {
	return r.Provisional && r.Verdict == VerdictPass && !r.CodeHash.IsZero()
}

// When is the time of the check that r records: its corrected time (the
// time the verdict used), or the laptop's clock for a record without one.
// Today's counts, lists, exports, the portal and close contacts all go by it.
func (r *Record) When() time.Time {
	if !r.CorrectedTime.IsZero() {
		return r.CorrectedTime
	}
	return r.Time
}

// StatusTransition says what a status change does to a code whose current
// entry is prev (known false: no entry yet): changed is false when the
// colour stays the same (nothing is logged), alert is true when the new
// colour stops its holder, so provisional passes of the code are flagged.
func StatusTransition(prev Colour, known bool, next Colour) (changed, alert bool) {
	if known && prev == next {
		return false, false
	}
	return true, next.Stops()
}

// Overrides reports whether the status entry e replaces the colour of a
// code issued at issuedAt: it must name a colour and be newer than the code.
func (e StatusEntry) Overrides(c Claims) bool {
	return e.Colour.Valid() && e.Updated.After(c.IssuedAt)
}

// ApplyStatus sets the effective colour of a verified result from the
// status entry e (from the cached list or a live check), if e overrides the
// code's own colour.
func (r *Result) ApplyStatus(e StatusEntry) {
	if !e.Overrides(r.Claims) {
		return
	}
	r.EffectiveColour = e.Colour
	r.StatusOverride = e.Colour != r.ScannedColour
}

// Tally counts checks by what was decided: the day's counters on the
// scanner, a shift's summary, an institution's totals. Every record counts
// once in Total and once by its verdict; Fever, Manual, Provisional,
// Repeats and Abandoned are parts of those (a manual entry counts by the
// decision taken, a repeat by its verdict and in Repeats, a person left
// without a decision as stopped or invalid and in Abandoned).
type Tally struct {
	Total       int `json:"total"`
	Passed      int `json:"passed"`
	Stopped     int `json:"stopped"`
	Invalid     int `json:"invalid"`
	Fever       int `json:"fever"`
	Manual      int `json:"manual"`
	Provisional int `json:"provisional"`
	Repeats     int `json:"repeats"`
	Abandoned   int `json:"abandoned"`
}

// Add counts one record.
func (t *Tally) Add(r *Record) {
	t.Total++
	switch r.Verdict {
	case VerdictPass:
		t.Passed++
	case VerdictStop:
		t.Stopped++
	case VerdictInvalid:
		t.Invalid++
	}
	if r.Fever {
		t.Fever++
	}
	if r.Manual {
		t.Manual++
	}
	if r.Provisional {
		t.Provisional++
	}
	if r.RepeatOf != "" {
		t.Repeats++
	}
	if r.Abandoned {
		t.Abandoned++
	}
}

// Merge adds the counts of o.
func (t *Tally) Merge(o Tally) {
	t.Total += o.Total
	t.Passed += o.Passed
	t.Stopped += o.Stopped
	t.Invalid += o.Invalid
	t.Fever += o.Fever
	t.Manual += o.Manual
	t.Provisional += o.Provisional
	t.Repeats += o.Repeats
	t.Abandoned += o.Abandoned
}
