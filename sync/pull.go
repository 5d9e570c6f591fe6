package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// pullTrust fetches the trust list (If-None-Match with the ETag of the
// one held), verifies it with the pinned root and refuses one whose
// sequence is lower than the cached one.
func (c *Client) pullTrust(ctx context.Context, rep *Report) error {
	const op = "fetch trust list"
	raw, haveSeq, _, err := c.trustCache.TrustList()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := c.loadCachedTrust(raw); err != nil {
		c.log.Warn("the cached trust list does not verify; fetching it whole", "err", err)
		raw = nil
	}
	c.mu.Lock()
	etag := c.etag
	c.mu.Unlock()
	h := http.Header{}
	if etag != "" && raw != nil {
		h.Set("If-None-Match", etag)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	ex, err := c.do(ctx, op, http.MethodGet, protocol.PathTrustList, nil, h)
	if err != nil {
		return err
	}
	rep.TrustSeq = haveSeq
	if ex.status == http.StatusNotModified {
		return c.trustCache.SaveTrustList(nil, haveSeq, c.now())
	}
	tl, err := healthcode.ParseTrustList(ex.body, c.dev.RootKey, haveSeq)
	if err != nil {
		if errors.Is(err, healthcode.ErrTrustRollback) {
			return fmt.Errorf("%s: the server sent an older trust list than the one held; refused: %w", op, err)
		}
		if errors.Is(err, healthcode.ErrBadDocSignature) {
			return fmt.Errorf("%s: the trust list is not signed by the province root this scanner pinned; refused: %w", op, err)
		}
		return transientError{fmt.Errorf("%s: the server's trust list is not readable: %w", op, err)}
	}
	if err := c.trustCache.SaveTrustList(ex.body, tl.Seq, c.now()); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	c.mu.Lock()
	c.etag = ex.header.Get("ETag")
	c.trust = tl
	c.mu.Unlock()
	rep.TrustSeq, rep.TrustUpdated = tl.Seq, tl.Seq != haveSeq || !bytes.Equal(raw, ex.body)
	if tl.Seq != haveSeq {
		c.log.Info("new trust list", "seq", tl.Seq, "issuers", len(tl.Issuers))
	}
	if len(tl.SealKey) == 32 && !bytes.Equal(tl.SealKey, c.dev.SealKey) {
		if err := c.sealKeys.SetSealKey(tl.SealKey); err != nil {
			return fmt.Errorf("%s: keep the province's new sealing key: %w", op, err)
		}
		c.mu.Lock()
		c.dev.SealKey = append([]byte(nil), tl.SealKey...)
		c.mu.Unlock()
		c.log.Info("the province's sealing key for manual entries changed; new entries are sealed to the new key")
	}
	return nil
}

// loadCachedTrust parses the cached trust list once per client.
func (c *Client) loadCachedTrust(raw []byte) error {
	c.mu.Lock()
	have := c.trust != nil
	c.mu.Unlock()
	if have || raw == nil {
		return nil
	}
	tl, err := healthcode.ParseTrustList(raw, c.dev.RootKey, 0)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.trust = tl
	c.mu.Unlock()
	return nil
}

// statusKey is the key status lists must be signed with: the one the
// current trust list vouches for, else the one from enrolment.
func (c *Client) statusKey() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trust != nil && len(c.trust.StatusKey) > 0 {
		return c.trust.StatusKey
	}
	return c.dev.ServerKey
}

// pullStatus fetches the status changes since the cached sequence (a
// snapshot when none is cached, or when the server answers 410 Gone) and
// applies them, page after page when the server pages them; provisional
// passes that the changes show were yellow or red raise alerts. A sync
// cut off between pages goes on from the last page applied next time.
func (c *Client) pullStatus(ctx context.Context, rep *Report) error {
	const op = "fetch status changes"
	since, err := c.statusCache.StatusSeq()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for {
		sl, err := c.fetchStatus(ctx, since)
		var se *ServerError
		if errors.As(err, &se) && se.Status == http.StatusGone && since > 0 {
			c.log.Info("status history gone on the server; fetching a snapshot", "since", since)
			since = 0
			sl, err = c.fetchStatus(ctx, 0)
		}
		if err != nil {
			return err
		}
		if since > 0 && sl.Since != since {
			return fmt.Errorf("%s: asked for changes since %d, the server sent changes since %d", op, since, sl.Since)
		}
		if sl.More && sl.Seq <= since {
			return fmt.Errorf("%s: the server's page after %d ends at %d", op, since, sl.Seq)
		}
		apply := c.statusCache.ApplyStatus
		if since == 0 {
			apply = c.statusCache.ReplaceStatus
			rep.StatusSnapshot = true
		}
		alerts, err := apply(sl.Entries, sl.Seq, c.now())
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		rep.StatusSeq = sl.Seq
		rep.StatusEntries += len(sl.Entries)
		rep.Alerts = append(rep.Alerts, alerts...)
		for _, a := range alerts {
			c.log.Warn("a provisional pass was yellow/red", "record", a.RecordID, "colour", a.Colour, "reason", a.Reason)
		}
		if !sl.More {
			return nil
		}
		since = sl.Seq
	}
}

func (c *Client) fetchStatus(ctx context.Context, since uint64) (*healthcode.StatusList, error) {
	const op = "fetch status changes"
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	ex, err := c.do(ctx, op, http.MethodGet, protocol.StatusURI(since), nil, nil)
	if err != nil {
		return nil, err
	}
	sl, err := healthcode.ParseStatusList(ex.body, c.statusKey())
	if err != nil {
		if errors.Is(err, healthcode.ErrBadDocSignature) {
			return nil, fmt.Errorf("%s: the status list is not signed by the province's status key; refused: %w", op, err)
		}
		return nil, transientError{fmt.Errorf("%s: the server's status list is not readable: %w", op, err)}
	}
	return sl, nil
}

// decodeJSON reads one JSON value and nothing after it.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
