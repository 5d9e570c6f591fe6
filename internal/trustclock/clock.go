// Package trustclock is the time the gate decides by. The laptop's clock
// is whatever someone set it to; the province's is right. At every sync
// the scanner learns the province's time, and from then on carries it
// with a monotonic clock that nobody can set: trusted time = the
// province's time at the last sync + the monotonic time since. The anchor
// is kept in the data file, so it survives a restart of hcscan on the same
// boot; after a reboot without a sync the laptop's clock is used, and the
// moment says so (healthcode.Moment.Confirmed false). When that clock is
// behind a time the scanner has already seen (its last sync, its last
// record, its status data, the newest code it read) it cannot be right:
// the moment is Behind and verdicts that depend on the time are
// provisional. The laptop's clock is compared with the monotonic one at
// every look, so a clock moved while hcscan runs is seen at once.
package trustclock

import (
	"encoding/json"
	"fmt"
	"log/slog"
	gosync "sync"
	"time"

	"hcscan/healthcode"
)

// Settings keeps the anchor between runs (the scanner's data file).
type Settings interface {
	Setting(key string) (value string, ok bool, err error)
	SetSetting(key, value string) error
}

// Options tune New. The zero value is usable.
type Options struct {
	// Settings keeps the anchor between runs; nil: nothing is kept.
	Settings Settings
	// Seen returns the latest time the data file has seen (its last
	// record, its status and trust data); nil: none.
	Seen func() (time.Time, error)
	Log  *slog.Logger // nil: discard
}

// settingAnchor is where the anchor is kept.
const settingAnchor = "clock.anchor"

// anchor is one reading of the province's time and the monotonic clock
// at the same instant (the middle of the round trip that brought it).
type anchor struct {
	Server time.Time     `json:"server"` // the province's time
	Mono   time.Duration `json:"mono_ns"`
	Boot   string        `json:"boot"`
	Wall   time.Time     `json:"wall"` // the laptop's clock then
	RTT    time.Duration `json:"rtt_ns"`
}

// reading is a time known at a monotonic instant; it is carried forward
// by the monotonic clock (on the same boot).
type reading struct {
	at   time.Time
	mono time.Duration
	live bool // mono is from this boot: the time can be carried forward
}

func (r reading) carried(mono time.Duration) time.Time {
	if !r.live || r.at.IsZero() {
		return r.at
	}
	return r.at.Add(mono - r.mono)
}

// Clock is the scanner's trusted time. It is safe for concurrent use.
type Clock struct {
	src  Source
	opts Options
	log  *slog.Logger

	mu     gosync.Mutex
	anchor *anchor // nil: no sync on this boot
	saved  *anchor // the anchor last kept in Settings
	start  reading // the laptop's clock at the first look (the jump base without an anchor)
	floor  reading // vouched for by the province: the true time is not before this
	seen   reading // the latest time seen by any account (Moment.Seen)
	jumped bool    // the last look saw a jump (to log only the first)
}

// New makes the clock, with the anchor kept in o.Settings when it is from
// this boot, the floor from any older anchor and the latest time seen
// from o.Seen.
func New(src Source, o Options) *Clock {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	c := &Clock{src: src, opts: o, log: o.Log.With("component", "clock")}
	wall, mono := src.Wall(), src.Mono()
	c.start = reading{at: wall, mono: mono, live: true}
	if o.Seen != nil {
		if t, err := o.Seen(); err != nil {
			c.log.Error("read the latest time the data file has seen", "err", err)
		} else {
			c.seen = latest(c.seen, reading{at: t}, mono)
		}
	}
	if a, ok := c.load(); ok {
		c.saved = &a
		if a.Boot == src.Boot() && mono >= a.Mono {
			c.anchor = &a
			c.raise(reading{at: a.Server, mono: a.Mono, live: true})
		} else {
			c.raise(reading{at: a.Server})
			c.log.Info("the province's time from the last sync is from before a reboot: using the laptop's clock until the next sync", "synced", a.Server)
		}
	}
	return c
}

func (c *Clock) load() (anchor, bool) {
	if c.opts.Settings == nil {
		return anchor{}, false
	}
	v, ok, err := c.opts.Settings.Setting(settingAnchor)
	if err != nil {
		c.log.Error("read the kept clock anchor", "err", err)
		return anchor{}, false
	}
	var a anchor
	if !ok || json.Unmarshal([]byte(v), &a) != nil || a.Server.IsZero() {
		return anchor{}, false
	}
	return a, true
}

// raise moves the floor up to r (never down). Guarded by mu, or called
// before the clock is shared.
func (c *Clock) raise(r reading) { c.floor = latest(c.floor, r, c.src.Mono()) }

// latest is the later of a and b at the monotonic time mono.
func latest(a, b reading, mono time.Duration) reading {
	if b.carried(mono).After(a.carried(mono)) {
		return b
	}
	return a
}

// Mono is the monotonic clock, for timing the round trips Observe takes.
func (c *Clock) Mono() time.Duration { return c.src.Mono() }

// Now is the time decisions use (Moment().Now).
func (c *Clock) Now() time.Time { return c.Moment().Now }

// Moment reads the clocks once and says what time it is and how far that
// can be trusted.
func (c *Clock) Moment() healthcode.Moment {
	wall, mono := c.src.Wall(), c.src.Mono()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := healthcode.Moment{Wall: wall}
	base := c.start
	if a := c.anchor; a != nil {
		m.Now, m.Confirmed, m.Synced = a.Server.Add(mono-a.Mono), true, a.Server
		base = reading{at: a.Wall, mono: a.Mono, live: true}
	} else {
		m.Now = wall
	}
	m.Jump = wall.Sub(base.carried(mono)).Round(time.Millisecond)
	c.seen = latest(c.seen, c.floor, mono)
	m.Floor, m.Seen = c.floor.carried(mono), c.seen.carried(mono)
	if m.Behind() {
		m.Now = m.Seen
	}
	c.seen = latest(c.seen, reading{at: m.Now, mono: mono, live: true}, mono)
	if j := m.Jumped(); j != c.jumped {
		c.jumped = j
		if j {
			c.log.Warn("the laptop's clock was moved", "by", m.Jump, "wall", wall, "now", m.Now, "confirmed", m.Confirmed)
		}
	}
	return m
}

// Saw tells the clock the true time is not before t: a time signed by the
// province (a code's issue time) that the laptop's clock is behind.
func (c *Clock) Saw(t time.Time) {
	mono := c.src.Mono()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.raise(reading{at: t, mono: mono, live: true})
}

// Observe takes the province's time from a reply to a request sent at
// monotonic time sent and answered at recv: the server read its clock
// about half way. A reading over a slow round trip is less precise; it
// replaces a better one only when that one is a minute old, or when it
// shows that one wrong: the server's time lies outside what the anchor
// predicts by more than the round trip can explain (the province's clock
// was stepped). It reports whether the anchor moved, and by how much the
// trusted time changed.
func (c *Clock) Observe(server time.Time, sent, recv time.Duration) (moved time.Duration, ok bool) {
	rtt := recv - sent
	if rtt < 0 || server.IsZero() {
		return 0, false
	}
	wall := c.src.Wall()
	mid := sent + rtt/2
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.anchor; a != nil && rtt > 2*a.RTT && rtt > 50*time.Millisecond && recv-a.Mono < time.Minute {
		off := server.Sub(a.Server.Add(mid - a.Mono))
		if off.Abs() <= rtt/2+a.RTT/2+time.Second {
			return 0, false
		}
	}
	a := &anchor{Server: server.Round(0), Mono: mid, Boot: c.src.Boot(), Wall: wall.Add(mid - recv), RTT: rtt}
	if old := c.anchor; old != nil {
		moved = a.Server.Sub(old.Server.Add(mid - old.Mono))
	}
	c.anchor = a
	c.raise(reading{at: a.Server, mono: a.Mono, live: true})
	return moved, true
}

// Save keeps the anchor in Settings (after a sync), so that a restart on
// the same boot keeps the province's time.
func (c *Clock) Save() error {
	c.mu.Lock()
	a := c.anchor
	same := a == nil || (c.saved != nil && *c.saved == *a)
	c.mu.Unlock()
	if same || c.opts.Settings == nil {
		return nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("keep the clock anchor: %w", err)
	}
	if err := c.opts.Settings.SetSetting(settingAnchor, string(b)); err != nil {
		return fmt.Errorf("keep the clock anchor: %w", err)
	}
	c.mu.Lock()
	c.saved = a
	c.mu.Unlock()
	return nil
}
