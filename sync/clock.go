package sync

import (
	"time"

	"hcscan/healthcode"
)

// Clock is the scanner's trusted time (*trustclock.Clock): the client
// signs requests and stamps fetch times with it, and gives it the server
// time of every reply, timed on the monotonic clock.
type Clock interface {
	// Now is the time decisions use: the province's time carried since the
	// last sync, or the laptop's clock when there was none.
	Now() time.Time
	// Moment is Now with the laptop's clock and how far it can be trusted.
	Moment() healthcode.Moment
	// Mono is the monotonic clock that times a round trip.
	Mono() time.Duration
	// Observe takes the server's time from a reply to a request sent at
	// monotonic time sent and answered at recv.
	Observe(server time.Time, sent, recv time.Duration) (moved time.Duration, ok bool)
	// Save keeps the province's time for a restart (after each sync).
	Save() error
}

func (c *Client) now() time.Time { return c.clock.Now() }

// observeServerTime gives the clock one reply's server time.
func (c *Client) observeServerTime(sent, recv time.Duration, server time.Time) {
	moved, ok := c.clock.Observe(server, sent, recv)
	if !ok {
		return
	}
	if moved > 5*time.Second || moved < -5*time.Second {
		c.log.Warn("the province's time moved against the monotonic clock since the last reply", "moved", moved)
	}
	c.noteClock()
}

// noteClock puts the clock's moment into the state.
func (c *Client) noteClock() {
	m := c.clock.Moment()
	c.mu.Lock()
	c.state.Clock = m
	c.state.ClockSkewed = m.Confirmed && (m.Offset() > c.opts.MaxSkew || m.Offset() < -c.opts.MaxSkew)
	c.mu.Unlock()
}
