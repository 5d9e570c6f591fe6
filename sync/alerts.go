package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"hcscan/protocol"
)

// reportAcks tells the province which alerts operators acknowledged at
// the gate (POST /v1/alerts/ack), in batches; each answered one (kept, or
// unknown to the server) is marked reported and never sent again.
func (c *Client) reportAcks(ctx context.Context, rep *Report) error {
	const op = "report acknowledged alerts"
	acks, err := c.alerts.AcksToReport()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for len(acks) > 0 {
		n := min(len(acks), protocol.MaxAlertAcks)
		batch := protocol.AlertAckBatch{Acks: make([]protocol.AlertAck, n)}
		for i, a := range acks[:n] {
			batch.Acks[i] = protocol.AlertAck{RecordID: a.RecordID, Operator: a.AckedBy, At: a.Acked.UTC()}
		}
		acks = acks[n:]
		body, err := json.Marshal(batch)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		rctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
		ex, err := c.do(rctx, op, http.MethodPost, protocol.PathAlertAcks, body, nil)
		cancel()
		if err != nil {
			return err
		}
		var reply protocol.AlertAckReply
		if err := decodeJSON(ex.body, &reply); err != nil || len(reply.Results) != n {
			return transientError{fmt.Errorf("%s: the server's reply is not readable (%v)", op, err)}
		}
		done := make([]string, 0, n)
		for i, r := range reply.Results {
			if r.RecordID != batch.Acks[i].RecordID {
				return transientError{fmt.Errorf("%s: the server answered for record %s, not %s", op, r.RecordID, batch.Acks[i].RecordID)}
			}
			if r.Status == protocol.AckUnknown {
				c.log.Warn("the province has no alert on an acknowledged record", "record", r.RecordID)
			}
			done = append(done, r.RecordID)
		}
		if err := c.alerts.MarkAlertsReported(done); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		rep.AcksReported += len(done)
	}
	return nil
}
