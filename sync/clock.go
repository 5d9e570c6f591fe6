package sync

import (
	"time"
)

// jumpTolerance is how far the wall clock may fall behind the monotonic
// clock between two looks before it counts as "set back" (NTP slews are
// far smaller).
const jumpTolerance = 2 * time.Second

// clock keeps the measured offset to the server's clock and notices when
// the device's wall clock is set back. Guarded by Client.mu.
type clock struct {
	offset   time.Duration // server − device
	rtt      time.Duration // of the measurement offset came from
	measured time.Time     // device time of that measurement; zero: never

	lastWall time.Time     // wall clock at the previous look (no monotonic part)
	lastMono time.Duration // monotonic clock at the previous look
	jumpBack time.Duration // the last backwards jump seen
	jumpAt   time.Time
}

// observe takes one reply's server time. The request took rtt there and
// back and the reply arrived when the device clock read wallAtRecv, so
// the server read its clock about rtt/2 earlier. A measurement over a slow
// round trip is less precise; it replaces a better one only when that one
// is a minute old. It returns how much the offset moved.
func (k *clock) observe(rtt time.Duration, server, wallAtRecv time.Time) (moved time.Duration, ok bool) {
	if rtt < 0 {
		return 0, false
	}
	off := server.Sub(wallAtRecv.Round(0).Add(-rtt / 2))
	if !k.measured.IsZero() && rtt > 2*k.rtt && rtt > 50*time.Millisecond && wallAtRecv.Sub(k.measured) < time.Minute {
		return 0, false
	}
	prev := k.offset
	k.offset, k.rtt, k.measured = off, rtt, wallAtRecv.Round(0)
	return off - prev, true
}

// look compares the wall clock with the monotonic clock since the last
// look; a wall clock that fell behind by more than jumpTolerance was set
// back (by hand, or by a dead RTC battery after a reboot is impossible to
// see here). It returns the size of a new jump, or 0.
func (k *clock) look(wall time.Time, mono time.Duration) time.Duration {
	wall = wall.Round(0)
	defer func() { k.lastWall, k.lastMono = wall, mono }()
	if k.lastWall.IsZero() {
		return 0
	}
	wallStep := wall.Sub(k.lastWall)
	monoStep := mono - k.lastMono
	if back := monoStep - wallStep; back > jumpTolerance {
		k.jumpBack, k.jumpAt = back, wall
		return back
	}
	return 0
}
