package sync

import (
	"context"
	"math/rand/v2"
	"net/http"
	"time"

	"hcscan/protocol"
)

// Run keeps the scanner in step with the province until ctx ends:
//   - a full sync (trust list, status changes, records) at start and every
//     Options.Interval while things work;
//   - records go up Options.UploadDelay after RecordSaved, not at the next
//     full sync (records saved meanwhile travel in the same batch);
//   - while the server cannot be reached at all, a probe (one small signed
//     request) every few seconds (full jitter, at most Options.ProbeCap);
//     when a probe is answered, a random wait of at most Options.Spread,
//     then a full sync: waiting records reach a server that came back
//     within seconds;
//   - when the server answers with a failure (busy, failing, refusing), a
//     wait from Options.Backoff (full jitter, capped, never shorter than
//     the server's Retry-After);
//   - Kick (the operator's "sync now") cuts any wait short.
//
// Run returns nil when ctx ends.
func (c *Client) Run(ctx context.Context) error {
	next := runFull
	for {
		err := c.runStep(ctx, next)
		if ctx.Err() != nil {
			return nil
		}
		wait, then, early := c.afterStep(next, err)
		var ok bool
		if next, ok = c.waitFor(ctx, wait, then, early); !ok {
			return nil
		}
	}
}

// runStep is one thing Run does.
type runStep int

const (
	runFull   runStep = iota // SyncOnce
	runUpload                // UploadOnce
	runProbe                 // probe
)

func (c *Client) runStep(ctx context.Context, s runStep) error {
	var err error
	switch s {
	case runFull:
		_, err = c.SyncOnce(ctx, nil)
	case runUpload:
		_, err = c.UploadOnce(ctx)
	case runProbe:
		err = c.probeServer(ctx)
	}
	return err
}

// probeServer asks for the trust list with the ETag held (an unchanged
// list is a bodiless 304): the cheapest signed request that shows the
// server answers and still knows this scanner.
func (c *Client) probeServer(ctx context.Context) error {
	c.mu.Lock()
	etag := c.etag
	c.mu.Unlock()
	h := http.Header{}
	if etag != "" {
		h.Set("If-None-Match", etag)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	_, err := c.do(ctx, "probe the province server", http.MethodGet, protocol.PathTrustList, nil, h)
	return err
}

// afterStep says how long to wait after step s ended with err, what to do
// then, and whether a saved record may bring an upload forward meanwhile.
func (c *Client) afterStep(s runStep, err error) (wait time.Duration, then runStep, early bool) {
	now := c.now()
	c.mu.Lock()
	switch {
	case err == nil && s == runProbe:
		// The server is back: a short random wait spreads a province's
		// scanners, then everything waiting goes up.
		c.probe.Reset()
		c.log.Info("the province server answers again")
		wait, then = time.Duration(rand.Float64()*float64(c.opts.Spread)), runFull
	case err == nil:
		c.backoff.Reset()
		c.probe.Reset()
		if s == runFull || c.fullDue.IsZero() {
			c.fullDue = now.Add(c.opts.Interval)
		}
		wait, then, early = max(0, c.fullDue.Sub(now)), runFull, true
	case Unreachable(err):
		wait, then = c.probe.Next(0), runProbe
	default:
		wait, then = c.backoff.Next(RetryAfter(err)), runFull
	}
	c.state.NextAttempt = now.Add(wait)
	c.mu.Unlock()
	c.publish()
	return wait, then, early
}

// waitFor waits d and returns then; sooner an upload when a record was
// saved (and early allows it), or a full sync when the operator asked for
// one. ok is false when ctx ended.
func (c *Client) waitFor(ctx context.Context, d time.Duration, then runStep, early bool) (next runStep, ok bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return 0, false
		case <-t.C:
			return then, true
		case <-c.kick:
			return runFull, true
		case <-c.saved:
			if early && then != runUpload && c.opts.UploadDelay < d {
				t.Reset(c.opts.UploadDelay)
				then = runUpload
			}
		}
	}
}

// Kick asks Run for a full sync now (the operator's "sync now"), cutting
// any wait short, a backoff included. It never blocks.
func (c *Client) Kick() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// RecordSaved tells Run a record was saved: it goes up within
// Options.UploadDelay while the server is reachable. While the server is
// away or asked for a pause nothing changes: the probe or the backoff
// brings the records up. It never blocks.
func (c *Client) RecordSaved() {
	select {
	case c.saved <- struct{}{}:
	default:
	}
}

// probeBackoff is the wait between probes of an unreachable server: from
// a quarter second, capped at Options.ProbeCap and never above the
// backoff's own cap.
func probeBackoff(o Options) Backoff {
	_, limit, _ := o.Backoff.defaults()
	return Backoff{Base: min(250*time.Millisecond, limit), Cap: min(o.ProbeCap, limit), MaxRetryAfter: o.Backoff.MaxRetryAfter}
}
