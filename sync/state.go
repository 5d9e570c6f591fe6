package sync

import (
	"time"

	"hcscan/healthcode"
)

// State is what the scanner screen shows about the link to the province.
// Get it with Client.State (a copy, any time) or receive it from
// Client.Updates (after every change).
type State struct {
	Server   string // server URL
	DeviceID string

	// Online is true when the last contact reached the server (a refusal
	// counts: the network works). False before the first sync.
	Online      bool
	Syncing     bool      // a sync is running now
	Progress    Progress  // of the upload running now (zero when none)
	LastAttempt time.Time // trusted time (Clock), as every time here
	LastSuccess time.Time // zero: never since start
	// LastError is the last sync's failure as one sentence for the
	// operator ("upload records: cannot reach the province server at …");
	// empty after a success.
	LastError   string
	Failures    int       // consecutive failed syncs
	NextAttempt time.Time // when Run tries again

	Pending     int // records waiting for upload
	DeadLetters int // records the server rejected (operator should look)
	NewAlerts   int // provisional passes found yellow/red since start (store.Alerts has them)

	// Clock is the trusted time at the last change: whether the province
	// confirmed it, the laptop's clock beside it, a jump of that clock.
	Clock healthcode.Moment
	// ClockSkewed: the laptop's clock is further than Options.MaxSkew from
	// the province's (Clock.Offset): show it.
	ClockSkewed bool

	TrustSeq      uint64
	TrustFetched  time.Time // zero: never
	StatusSeq     uint64
	StatusFetched time.Time // zero: never
}

// Progress is an upload under way.
type Progress struct {
	Sent  int // records handled (acknowledged or rejected)
	Total int // handled plus still waiting
}

// TrustAge is how old the cached trust list is at now (-1: none).
func (s State) TrustAge(now time.Time) time.Duration { return age(s.TrustFetched, now) }

// StatusAge is how old the cached status list is at now (-1: none). The
// verdict is provisional when it exceeds the gate's stale_after.
func (s State) StatusAge(now time.Time) time.Duration { return age(s.StatusFetched, now) }

func age(t, now time.Time) time.Duration {
	if t.IsZero() {
		return -1
	}
	return now.Sub(t)
}

// State returns the current state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Updates delivers the state after every change: sync start and end,
// each uploaded batch, a new clock measurement. The channel holds only
// the latest state (a slow reader skips to the newest, never blocks the
// client); it has one reader (the screen) and is never closed. In a
// bubbletea program, read it in a tea.Cmd that returns the State as a
// message and issue the Cmd again after each message.
func (c *Client) Updates() <-chan State { return c.updates }

func (c *Client) publish() {
	s := c.State()
	for {
		select {
		case c.updates <- s:
			return
		default:
		}
		select { // drop the stale one the reader has not taken
		case <-c.updates:
		default:
		}
	}
}

// refreshLocal reads the counts and cache ages from the store into the state.
func (c *Client) refreshLocal() {
	pending, err := c.outbox.Pending()
	if err != nil {
		c.log.Error("read pending count", "err", err)
	}
	_, tseq, tfetched, err := c.trustCache.TrustList()
	if err != nil {
		c.log.Error("read trust list cache", "err", err)
	}
	sseq, _ := c.statusCache.StatusSeq()
	sfetched, _ := c.statusCache.StatusFetched()
	dead, err := c.outbox.DeadLetters()
	if err != nil {
		c.log.Error("read dead letters", "err", err)
	}
	c.mu.Lock()
	c.state.Pending = pending
	c.state.TrustSeq, c.state.TrustFetched = tseq, tfetched
	c.state.StatusSeq, c.state.StatusFetched = sseq, sfetched
	c.state.DeadLetters = len(dead)
	c.mu.Unlock()
}
