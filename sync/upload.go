package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// IdempotencyKey names a batch by its record ids, so that the retry of a
// batch whose reply was lost carries the same key (and the same body: the
// outbox never changes a waiting record).
func IdempotencyKey(ids []string) string {
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{'\n'})
	}
	return "rb1-" + hex.EncodeToString(h.Sum(nil))
}

// upload sends the outbox oldest first in batches, up to
// Options.InFlight batches travelling at once: while the server stores
// one, the client reads the next and settles the last (the server's store
// also commits concurrent batches together). After each reply it deletes
// from the outbox exactly the records the server acknowledged (stored or
// duplicate) and moves the rejected ones to dead letters. Records a reply
// does not mention stay, and a further pass over the outbox sends them.
func (c *Client) upload(ctx context.Context, rep *Report, progress func(sent, total int)) error {
	sent := 0
	report := func() {
		pending, err := c.outbox.Pending()
		if err != nil {
			return
		}
		p := Progress{Sent: sent, Total: sent + pending}
		c.mu.Lock()
		c.state.Progress, c.state.Pending = p, pending
		c.mu.Unlock()
		c.publish()
		if progress != nil {
			progress(p.Sent, p.Total)
		}
	}
	report()
	for {
		answered, err := c.uploadPass(ctx, rep, func(n int) { sent += n; report() })
		if err != nil {
			return err
		}
		if answered == 0 {
			return nil // the outbox was empty
		}
	}
}

// uploadPass walks the outbox once, from the oldest record to the newest,
// and returns how many records the server answered.
func (c *Client) uploadPass(ctx context.Context, rep *Report, settled func(n int)) (int, error) {
	type answer struct {
		size            int
		acked, rejected []protocol.RecordResult
		err             error
	}
	answers := make(chan answer, c.opts.InFlight)
	var after uint64 // sequence of the last record sent in this pass
	inFlight, answered := 0, 0
	var firstErr error
	readAll := false
	for {
		// After a failure nothing new is sent; what travels is awaited.
		for inFlight < c.opts.InFlight && firstErr == nil && !readAll {
			if err := ctx.Err(); err != nil {
				firstErr = err
				break
			}
			batch, err := c.outbox.PendingAfter(after, c.opts.BatchSize)
			if err != nil {
				firstErr = fmt.Errorf("upload records: %w", err)
				break
			}
			if len(batch) == 0 {
				readAll = true
				break
			}
			after = batch[len(batch)-1].Seq
			inFlight++
			go func() {
				acked, rejected, err := c.sendBatch(ctx, batch)
				answers <- answer{len(batch), acked, rejected, err}
			}()
		}
		if inFlight == 0 {
			return answered, firstErr
		}
		a := <-answers
		inFlight--
		if a.err != nil {
			if firstErr == nil {
				firstErr = a.err
			}
			continue
		}
		rep.Batches++
		if err := c.settle(rep, a.acked, a.rejected); err != nil && firstErr == nil {
			firstErr = err
		}
		n := len(a.acked) + len(a.rejected)
		answered += n
		settled(n)
		if n < a.size {
			c.log.Info("the server answered part of a batch; the rest goes again", "sent", a.size, "answered", n)
		}
	}
}

// settle applies the server's answers to the outbox.
func (c *Client) settle(rep *Report, acked, rejected []protocol.RecordResult) error {
	if len(acked) > 0 {
		if _, err := c.outbox.Ack(ackIDs(acked)); err != nil {
			return fmt.Errorf("upload records: the server took %d records but the outbox could not be updated (they will be sent again and answered as duplicates): %w", len(acked), err)
		}
	}
	for _, r := range acked {
		if r.Status == protocol.Stored {
			rep.Stored++
		} else {
			rep.Duplicates++
		}
	}
	for _, r := range rejected {
		reason := r.Reason
		if reason == "" {
			reason = "rejected by the server (no reason given)"
		}
		if err := c.outbox.DeadLetter(r.ID, reason); err != nil {
			return fmt.Errorf("upload records: %w", err)
		}
		rep.Rejected++
		c.log.Warn("record rejected by the server", "record", r.ID, "reason", reason)
	}
	return nil
}

func ackIDs(rs []protocol.RecordResult) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

// sendBatch posts one batch and sorts the answers for the records of the
// batch into acknowledged and rejected. Answers for records not in the
// batch are ignored; a reply that answers none of them is an error (it
// would otherwise loop).
func (c *Client) sendBatch(ctx context.Context, batch []healthcode.Record) (acked, rejected []protocol.RecordResult, err error) {
	const op = "upload records"
	ids := make([]string, len(batch))
	inBatch := make(map[string]bool, len(batch))
	for i := range batch {
		// Records made before enrolment carry no device id yet.
		if batch[i].DeviceID == "" {
			batch[i].DeviceID = c.dev.ID
		}
		ids[i] = batch[i].ID
		inBatch[batch[i].ID] = true
	}
	body, err := json.Marshal(protocol.RecordBatch{Records: batch})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: encode batch: %w", op, err)
	}
	h := http.Header{}
	h.Set(protocol.HeaderIdempotencyKey, IdempotencyKey(ids))
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	ex, err := c.do(ctx, op, http.MethodPost, protocol.PathRecords, body, h)
	var se *ServerError
	if errors.As(err, &se) && se.Code == protocol.ErrIdempotencyConflict {
		// The same ids went before with another body (a record changed in
		// between, e.g. its device id was stamped): the server still keeps
		// (device, id) unique, so a key for this body is safe.
		sum := sha256.Sum256(body)
		h.Set(protocol.HeaderIdempotencyKey, IdempotencyKey(append(ids, hex.EncodeToString(sum[:]))))
		c.log.Warn("idempotency key conflict; sending the batch with a key for this body")
		ex, err = c.do(ctx, op, http.MethodPost, protocol.PathRecords, body, h)
	}
	if err != nil {
		return nil, nil, err
	}
	var reply protocol.RecordsReply
	if err := decodeJSON(ex.body, &reply); err != nil {
		return nil, nil, transientError{fmt.Errorf("%s: the server's reply is not readable (nothing is deleted; the batch goes again): %w", op, err)}
	}
	seen := make(map[string]bool, len(reply.Results))
	for _, r := range reply.Results {
		if !inBatch[r.ID] || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		switch {
		case r.Status.Acknowledged():
			acked = append(acked, r)
		case r.Status == protocol.Rejected:
			rejected = append(rejected, r)
		}
	}
	if len(acked)+len(rejected) == 0 {
		return nil, nil, transientError{fmt.Errorf("%s: the server's reply answers none of the %d records sent (nothing is deleted; the batch goes again)", op, len(batch))}
	}
	return acked, rejected, nil
}
