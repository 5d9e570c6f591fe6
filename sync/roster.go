package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"hcscan/protocol"
)

// RosterCache holds the institution's roster as the province signed it
// (person keys, groups, alerts about its people; no names).
type RosterCache interface {
	// Roster returns the cached signed roster (raw nil when none yet).
	Roster() (raw []byte, etag string, fetched time.Time, err error)
	// SaveRoster caches one (raw nil: the same, fetched again).
	SaveRoster(raw []byte, etag string, fetched time.Time) error
}

// pullRoster fetches the institution's roster (If-None-Match with the
// ETag of the one held), checks it is signed by the province's key for
// this scanner's institution, keeps it, and reports the alerts about the
// institution's people that were not in the roster held before. A server
// without rosters (404) is no failure: the gate works without one.
func (c *Client) pullRoster(ctx context.Context, rep *Report) error {
	const op = "fetch the roster"
	raw, etag, _, err := c.rosterCache.Roster()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var old *protocol.Roster
	if raw != nil {
		if old, err = protocol.ParseRoster(raw, c.statusKey(), c.dev.Institution); err != nil {
			c.log.Warn("the cached roster does not verify; fetching it whole", "err", err)
			raw, old = nil, nil
		}
	}
	h := http.Header{}
	if raw != nil && etag != "" {
		h.Set("If-None-Match", etag)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	ex, err := c.do(ctx, op, http.MethodGet, protocol.PathRoster, nil, h)
	var se *ServerError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		c.log.Debug("the server keeps no rosters")
		return nil
	}
	if err != nil {
		return err
	}
	if ex.status == http.StatusNotModified {
		return c.rosterCache.SaveRoster(nil, etag, c.now())
	}
	ro, err := protocol.ParseRoster(ex.body, c.statusKey(), c.dev.Institution)
	if err != nil {
		return fmt.Errorf("%s: the roster is not signed by the province for this institution; refused: %w", op, err)
	}
	if err := c.rosterCache.SaveRoster(ex.body, ex.header.Get("ETag"), c.now()); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	seen := map[string]bool{}
	if old != nil {
		for _, a := range old.Alerts {
			seen[a.ID] = true
		}
	}
	for _, a := range ro.Alerts {
		if !seen[a.ID] {
			rep.RosterAlerts = append(rep.RosterAlerts, a)
		}
	}
	rep.RosterMembers = len(ro.Members)
	if len(rep.RosterAlerts) > 0 {
		c.log.Info("new alerts about the institution's people", "alerts", len(rep.RosterAlerts))
	}
	return nil
}
