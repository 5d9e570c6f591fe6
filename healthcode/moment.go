package healthcode

import "time"

// Moment is the time of a check as the scanner knows it: the time its
// decisions use, the laptop's own clock beside it, and how far that time
// can be trusted. The scanner's clock (package trustclock) makes it.
type Moment struct {
	// Now is the time decisions use: the province's time when Confirmed,
	// else the laptop's clock, or Seen when that clock is behind it
	// (Behind).
	Now time.Time
	// Wall is the laptop's own clock, as someone set it.
	Wall time.Time
	// Confirmed: Now is the province's time at the last sync (Synced),
	// carried since by a monotonic clock that nobody can set.
	Confirmed bool
	Synced    time.Time // the province's time at that sync; zero when !Confirmed
	// Floor is a time the province vouched for (its time at a sync, a
	// code's signed issue time), carried forward by the monotonic clock
	// where it can be: the true time is not before it. Zero: none known.
	Floor time.Time
	// Seen is the latest time the scanner has seen by any account (Floor,
	// its last record, its status data, the laptop's clock earlier in
	// this run, carried forward): a laptop clock behind it is not right.
	Seen time.Time
	// Jump is how far the laptop's clock was moved (set back: negative)
	// since it was last compared with the monotonic clock's count at the
	// last sync, or at the start when there was none; 0 when it was not.
	Jump time.Duration
}

// JumpTolerance is the largest disagreement between the laptop's clock and
// the monotonic clock that is not a jump (NTP slews far less than this).
const JumpTolerance = 2 * time.Second

// Offset is how far the time decisions use is from the laptop's clock
// (positive: the laptop's clock is behind).
func (m Moment) Offset() time.Duration { return m.Now.Sub(m.Wall) }

// Behind reports that the province has not confirmed the time and the
// laptop's clock is behind a time the scanner has already seen: the true
// time is unknown, only that it is not before Floor, and Now is the best
// guess (Seen). A verdict that depends on the time is then provisional.
func (m Moment) Behind() bool {
	seen := m.Seen
	if m.Floor.After(seen) {
		seen = m.Floor
	}
	return !m.Confirmed && !seen.IsZero() && m.Wall.Before(seen.Add(-ClockTolerance))
}

// Jumped reports that the laptop's clock was moved (see Jump).
func (m Moment) Jumped() bool { return m.Jump > JumpTolerance || m.Jump < -JumpTolerance }

// TimeSource says where a record's corrected time came from.
type TimeSource string

const (
	// TimeProvince: the province's time, carried by the monotonic clock
	// since the last sync.
	TimeProvince TimeSource = "province"
	// TimeDevice: the laptop's clock; the province has not confirmed it
	// since hcscan started (or this scanner is not enrolled).
	TimeDevice TimeSource = "device"
	// TimeDeviceBehind: the laptop's clock was behind a time the scanner
	// had already seen; the corrected time is the best guess (the latest
	// time seen, carried forward), not a measurement.
	TimeDeviceBehind TimeSource = "device_behind"
)

// Source is where the moment's Now comes from.
func (m Moment) Source() TimeSource {
	switch {
	case m.Confirmed:
		return TimeProvince
	case m.Behind():
		return TimeDeviceBehind
	}
	return TimeDevice
}

// Stamp sets a record's times from the moment: Time is the laptop's
// clock (in its zone), CorrectedTime the time decisions use, and the
// offset, source and jump beside them.
func (m Moment) Stamp(r *Record) {
	r.Time, r.CorrectedTime = m.Wall, m.Now
	r.ClockOffset = m.Offset()
	r.TimeSource = m.Source()
	r.ClockJump = 0
	if m.Jumped() {
		r.ClockJump = m.Jump
	}
}

// DependsOnClock reports whether a code refused for this reason could be
// right with another clock: the validity window or a live code's age.
func (r Reason) DependsOnClock() bool {
	return r == ReasonNotYetValid || r == ReasonExpired || r == ReasonStalePresentation
}
