package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// RosterAlertAge is how far back the alerts in a scanner's roster go.
const RosterAlertAge = 48 * time.Hour

// ScannerRoster is what the scanners of an institution get of its roster:
// the linked members' person keys with their groups and roles, the groups,
// and the alerts of the last RosterAlertAge (group and masked name). No
// name in clear leaves the server this way.
func (s *Server) ScannerRoster(ctx context.Context, institution string) (*protocol.Roster, error) {
	ms, err := s.store.RosterMembers(ctx, institution)
	if err != nil {
		return nil, fmt.Errorf("scanner roster: %w", err)
	}
	alerts, err := s.store.RosterAlerts(ctx, institution, s.now().Add(-RosterAlertAge))
	if err != nil {
		return nil, fmt.Errorf("scanner roster: %w", err)
	}
	ro := &protocol.Roster{Institution: institution, Groups: []protocol.RosterGroup{}, Members: []protocol.RosterEntry{}, Alerts: []protocol.RosterAlert{}}
	for _, g := range RosterGroups(ms) {
		ro.Groups = append(ro.Groups, protocol.RosterGroup{Name: g.Name, Role: g.Role, Members: g.Members})
	}
	for i := range ms {
		if ms[i].IsLinked() {
			ro.Members = append(ro.Members, protocol.RosterEntry{Person: ms[i].Person, Group: ms[i].Group, Role: ms[i].Role})
		}
	}
	// A stable order, so an unchanged roster has an unchanged ETag.
	sort.Slice(ro.Members, func(i, j int) bool {
		return strings.Compare(ro.Members[i].Person.String(), ro.Members[j].Person.String()) < 0
	})
	for _, a := range alerts {
		ro.Alerts = append(ro.Alerts, protocol.RosterAlert{ID: a.ID, Kind: a.Kind, Group: a.Group, Role: a.Role, Name: a.Name, At: a.At, Gate: a.Gate, Temperature: a.Temperature})
	}
	return ro, nil
}

// handleRoster serves the device's institution's roster (GET /v1/roster),
// signed by the server key, with an ETag.
func (s *Server) handleRoster(w http.ResponseWriter, r *http.Request, dev Device, _ []byte) {
	ro, err := s.ScannerRoster(r.Context(), dev.Institution)
	if err != nil {
		s.log.Error("roster", "device", dev.ID, "err", err)
		s.fail(w, http.StatusInternalServerError, protocol.ErrInternal, "could not read the roster")
		return
	}
	body, err := json.Marshal(ro)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, protocol.ErrInternal, "encode roster")
		return
	}
	sum := sha256.Sum256(body)
	etag := `"ro-` + hex.EncodeToString(sum[:10]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	for _, m := range strings.Split(r.Header.Get("If-None-Match"), ",") {
		if strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(m), "W/")) == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	s.writeJSON(w, http.StatusOK, healthcode.SignDoc(protocol.DocRoster, body, s.keys.Server))
}
