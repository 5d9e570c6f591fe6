package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"hcscan/protocol"
	"hcscan/store"
)

// StaffCache holds the institution's designated scanner staff as the
// province last sent them, and the PINs people chose here at their first
// sign-in (verifiers only) until the province takes them.
type StaffCache interface {
	StaffVersion() (string, error)
	ReplaceStaff(members []store.StaffMember, version string, fetched time.Time) error
	UnsentStaffPINs() ([]store.StaffMember, error)
	StaffPINSent(id string) error
}

// pushStaffPINs sends the verifiers of PINs chosen here at a first
// sign-in. A person who already has a PIN at the province (chosen first on
// another scanner) keeps that one: the staff list pulled next carries it.
func (c *Client) pushStaffPINs(ctx context.Context) error {
	const op = "send staff PINs"
	unsent, err := c.staff.UnsentStaffPINs()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for _, m := range unsent {
		body, err := json.Marshal(protocol.StaffPINRequest{ID: m.ID, Verifier: m.Verifier})
		if err != nil {
			return err
		}
		rctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
		_, err = c.do(rctx, op, http.MethodPost, protocol.PathStaffPIN, body, http.Header{"Content-Type": {protocol.ContentTypeJSON}})
		cancel()
		var se *ServerError
		switch {
		case err == nil:
		case errors.As(err, &se) && (se.Status == http.StatusConflict || se.Status == http.StatusNotFound || se.Status == http.StatusForbidden):
			c.log.Warn("the province kept another PIN or refused this one; the staff list decides", "staff", m.ID, "status", se.Status)
		default:
			return err
		}
		if err := c.staff.StaffPINSent(m.ID); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return nil
}

// pullStaff fetches the staff list (If-None-Match with the version held),
// checks the server's signature and that it is for this device, and keeps
// it: a person disabled in the portal is refused here from now on. A
// server that has no staff list (404) leaves the local operators alone.
func (c *Client) pullStaff(ctx context.Context) error {
	const op = "fetch staff list"
	have, err := c.staff.StaffVersion()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	h := http.Header{}
	if have != "" {
		h.Set("If-None-Match", `"`+have+`"`)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	ex, err := c.do(ctx, op, http.MethodGet, protocol.PathStaff, nil, h)
	var se *ServerError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if ex.status == http.StatusNotModified {
		return nil
	}
	var l protocol.StaffList
	if err := decodeJSON(ex.body, &l); err != nil {
		return transientError{fmt.Errorf("%s: the server's staff list is not readable: %w", op, err)}
	}
	if err := l.Verify(c.dev.ServerKey, c.dev.ID); err != nil {
		return fmt.Errorf("%s: %w; refused", op, err)
	}
	members := make([]store.StaffMember, 0, len(l.Staff))
	for _, e := range l.Staff {
		members = append(members, store.StaffMember{ID: e.ID, Name: e.Name, Role: e.Role, Verifier: e.Verifier, Setup: e.Setup, Disabled: e.Disabled})
	}
	if err := c.staff.ReplaceStaff(members, l.Version, c.now()); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	c.log.Info("staff list", "version", l.Version, "people", len(members))
	return nil
}
