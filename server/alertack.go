package server

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"hcscan/protocol"
)

// handleAlertAcks keeps a scanner's acknowledgements of its alerts (POST
// /v1/alerts/ack): an operator at the gate has seen that a person who
// passed provisionally has a code that is now red or yellow. The portal
// shows who acknowledged it and when.
func (s *Server) handleAlertAcks(w http.ResponseWriter, r *http.Request, dev Device, body []byte) {
	if !s.requireJSON(w, r) {
		return
	}
	var b protocol.AlertAckBatch
	if err := decodeStrict(body, &b); err != nil {
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, "alert acknowledgements: "+err.Error())
		return
	}
	if n := len(b.Acks); n == 0 || n > protocol.MaxAlertAcks {
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, fmt.Sprintf("alert acknowledgements: %d in a batch, want 1 to %d", n, protocol.MaxAlertAcks))
		return
	}
	for i, a := range b.Acks {
		if why := checkAck(a); why != "" {
			s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, fmt.Sprintf("alert acknowledgement %d: %s", i, why))
			return
		}
		b.Acks[i].RecordID = strings.ToLower(a.RecordID)
	}
	now := s.now()
	results, err := s.store.AckAlerts(r.Context(), dev, b.Acks, now)
	if err != nil {
		s.unavailable(w, "keep the alert acknowledgements of device "+dev.ID, err)
		return
	}
	s.writeJSON(w, http.StatusOK, protocol.AlertAckReply{Results: results, ServerTime: now.UTC()})
}

func checkAck(a protocol.AlertAck) string {
	switch {
	case uuid.Validate(a.RecordID) != nil:
		return "record_id is not a record id"
	case a.Operator == "" || utf8.RuneCountInString(a.Operator) > protocol.MaxOperatorLen || !utf8.ValidString(a.Operator):
		return fmt.Sprintf("operator must be 1 to %d characters", protocol.MaxOperatorLen)
	case strings.IndexFunc(a.Operator, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return "operator holds control characters"
	case a.At.IsZero():
		return "at is missing"
	}
	return ""
}
