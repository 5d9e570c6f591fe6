package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// handleRecords stores a batch (POST /v1/records) and answers per record:
// stored, duplicate or rejected with the reason.
func (s *Server) handleRecords(w http.ResponseWriter, r *http.Request, dev Device, body []byte) {
	if !s.requireJSON(w, r) {
		return
	}
	key := r.Header.Get(protocol.HeaderIdempotencyKey)
	if len(key) > protocol.MaxIdempotencyKeyLen || strings.IndexFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) >= 0 {
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, fmt.Sprintf("Idempotency-Key must be at most %d printable ASCII characters", protocol.MaxIdempotencyKeyLen))
		return
	}
	batch, status, code, msg := decodeBatch(body, dev)
	if status != 0 {
		s.fail(w, status, code, msg)
		return
	}
	idem := IdempotencyKey{Key: key}
	if key != "" {
		idem.BodyHash = sha256.Sum256(body)
	}
	now := s.now()
	results, replayed, err := s.store.Ingest(r.Context(), dev, batch, idem, now)
	if errors.Is(err, ErrIdemConflict) {
		s.fail(w, http.StatusUnprocessableEntity, protocol.ErrIdempotencyConflict, "Idempotency-Key "+strconv.Quote(key)+" was used for a different batch")
		return
	}
	if err != nil {
		s.unavailable(w, "store a batch of device "+dev.ID, err)
		return
	}
	if err := s.noteRoster(r.Context(), dev, batch, results); err != nil {
		// The records are kept; the retry finds them duplicate and the
		// roster follow-up runs again.
		s.log.Error("ingest: roster", "device", dev.ID, "err", err)
		w.Header().Set("Retry-After", "2")
		s.fail(w, http.StatusServiceUnavailable, protocol.ErrUnavailable, "could not update the roster; retry")
		return
	}
	reply := protocol.RecordsReply{Results: results, ServerTime: now.UTC()}
	for _, res := range results {
		switch res.Status {
		case protocol.Stored:
			reply.Stored++
		case protocol.Duplicate:
			reply.Duplicate++
		case protocol.Rejected:
			reply.Rejected++
		}
	}
	s.log.Debug("batch", "device", dev.ID, "stored", reply.Stored, "duplicate", reply.Duplicate, "rejected", reply.Rejected, "replayed", replayed)
	s.writeJSON(w, http.StatusOK, reply)
}

// batchEnvelope reads the batch strictly but keeps each record's bytes, so
// one bad record is rejected alone instead of blocking the whole outbox.
type batchEnvelope struct {
	Records []json.RawMessage `json:"records"`
}

// decodeBatch reads a batch body: the plain shape scanners send with
// decodeBatchFast, else with encoding/json, every record in one strict
// pass; when that fails, the batch is read record by record so
// that a bad record is rejected alone. A non-zero status refuses the batch.
func decodeBatch(body []byte, signer Device) (batch []IngestRecord, status int, code, msg string) {
	if recs, raws, ok := decodeBatchFast(body); ok {
		batch = make([]IngestRecord, len(recs))
		for i := range recs {
			batch[i] = checkDecoded(recs[i], signer)
			if batch[i].Reject == "" {
				batch[i].Raw = raws[i]
			}
		}
		return batch, 0, "", ""
	}
	// Count before decoding: a batch of a million empty records must cost
	// a scan of its bytes, not a million decoded records.
	raws, plain := splitRecords(body, protocol.MaxBatch)
	if !plain {
		n, err := countRecords(body)
		if err != nil {
			return nil, http.StatusBadRequest, protocol.ErrBadRequest, "record batch: " + err.Error()
		}
		if n > protocol.MaxBatch {
			return batchSizeError(n)
		}
	} else if len(raws) > protocol.MaxBatch {
		return batchSizeError(len(raws))
	}
	var typed protocol.RecordBatch
	if err := decodeStrict(body, &typed); err == nil {
		if n := len(typed.Records); n == 0 || n > protocol.MaxBatch {
			return batchSizeError(n)
		}
		if len(raws) != len(typed.Records) {
			raws = nil // not the plain shape: encode the decoded records
		}
		batch = make([]IngestRecord, len(typed.Records))
		for i := range typed.Records {
			batch[i] = checkDecoded(typed.Records[i], signer)
			if batch[i].Reject != "" {
				continue
			}
			if raws != nil {
				batch[i].Raw = raws[i]
				continue
			}
			raw, err := json.Marshal(&typed.Records[i])
			if err != nil {
				batch[i].Reject = "record cannot be stored: " + err.Error()
			}
			batch[i].Raw = raw
		}
		return batch, 0, "", ""
	}
	var env batchEnvelope
	if err := decodeStrict(body, &env); err != nil {
		return nil, http.StatusBadRequest, protocol.ErrBadRequest, "record batch: " + err.Error()
	}
	if n := len(env.Records); n == 0 || n > protocol.MaxBatch {
		return batchSizeError(n)
	}
	batch = make([]IngestRecord, len(env.Records))
	for i, raw := range env.Records {
		batch[i] = checkRecord(raw, signer)
	}
	return batch, 0, "", ""
}

// splitRecords finds the bytes of each record in a body of the plain
// shape {"records":[...]}, so they are stored as sent without encoding
// them again. It stops after max+1 records (the batch is too large then).
// plain is false when the body is not of that shape (escaped or repeated
// keys, records that are not objects, invalid JSON); encoding/json's
// reading stands then. JSON validity is left to the strict decode.
func splitRecords(body []byte, max int) (raws [][]byte, plain bool) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, false
	}
	i = skipSpace(body, i+1)
	const key = `"records"`
	if !bytes.HasPrefix(body[i:], []byte(key)) {
		return nil, false
	}
	i = skipSpace(body, i+len(key))
	if i >= len(body) || body[i] != ':' {
		return nil, false
	}
	i = skipSpace(body, i+1)
	if i >= len(body) || body[i] != '[' {
		return nil, false
	}
	i++
	var out [][]byte
	for {
		i = skipSpace(body, i)
		if i >= len(body) {
			return nil, false
		}
		if body[i] == ']' {
			break
		}
		if body[i] == ',' {
			i++
			continue
		}
		end := valueEnd(body, i)
		if end < 0 {
			return nil, false
		}
		if out = append(out, body[i:end]); len(out) > max {
			return out, true
		}
		i = end
	}
	if j := skipSpace(body, i+1); j >= len(body) || body[j] != '}' {
		return nil, false // another key follows
	}
	return out, true
}

// countRecords counts the records of a batch of any shape as a stream of
// JSON tokens, and stops counting past protocol.MaxBatch.
func countRecords(body []byte) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0, errors.New("not a JSON object")
	}
	n := 0
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return 0, err
		}
		var skip json.RawMessage
		if k != "records" {
			if err := dec.Decode(&skip); err != nil {
				return 0, err
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return 0, errors.New("records is not a list")
		}
		for dec.More() {
			if n++; n > protocol.MaxBatch {
				return n, nil
			}
			if err := dec.Decode(&skip); err != nil {
				return 0, err
			}
		}
		if _, err := dec.Token(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd is the index after the object or array starting at b[i]
// (valid JSON assumed), or -1.
func valueEnd(b []byte, i int) int {
	if b[i] != '{' && b[i] != '[' {
		return -1
	}
	depth, inString := 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

func batchSizeError(n int) (batch []IngestRecord, status int, code, msg string) {
	if n == 0 {
		return nil, http.StatusBadRequest, protocol.ErrBadRequest, "record batch: no records"
	}
	return nil, http.StatusRequestEntityTooLarge, protocol.ErrTooManyRecords, fmt.Sprintf("record batch: more than %d records (%d counted before stopping), at most %d per batch", protocol.MaxBatch, n, protocol.MaxBatch)
}

const (
	maxFieldLen  = 128
	maxSealedLen = 4 << 10
)

// checkRecord decodes one record strictly and checks it; a failure is a
// per-record rejection with its reason.
func checkRecord(raw json.RawMessage, signer Device) IngestRecord {
	var rec healthcode.Record
	if err := decodeStrict(raw, &rec); err != nil {
		var idOnly struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &idOnly)
		return IngestRecord{ID: clip(idOnly.ID, 64), Reject: "malformed record: " + err.Error()}
	}
	in := checkDecoded(rec, signer)
	if in.Reject == "" {
		in.Raw = raw
	}
	return in
}

// checkDecoded checks what the server relies on in a record: among them,
// that it was made at the gate its device was enrolled for.
func checkDecoded(rec healthcode.Record, signer Device) IngestRecord {
	in := IngestRecord{ID: clip(rec.ID, 64)}
	if id, err := uuid.Parse(rec.ID); err != nil || id.String() != rec.ID {
		in.Reject = "id is not a UUID in canonical lowercase form"
		return in
	}
	switch {
	case rec.DeviceID != signer.ID:
		in.Reject = fmt.Sprintf("device_id %q is not the signing device", clip(rec.DeviceID, 64))
	case signer.Gate != "" && rec.Gate != signer.Gate:
		in.Reject = fmt.Sprintf("gate %q is not this scanner's gate %q: a scanner is bound to the gate it was enrolled for (enrol it again at the other gate)", clip(rec.Gate, 64), signer.Gate)
	case rec.Time.IsZero():
		in.Reject = "time is missing"
	case rec.Verdict == healthcode.VerdictNone:
		in.Reject = "verdict is missing"
	case !validField(rec.Institution) || !validField(rec.Gate) || !validField(rec.Operator) ||
		!validField(rec.Name) || !validField(rec.IDMasked) || !validField(rec.Lang) || !validField(rec.ManualReason) ||
		!validField(rec.EnrolGroup):
		in.Reject = fmt.Sprintf("a text field is longer than %d bytes or holds a NUL", maxFieldLen)
	case len(rec.Sealed) > maxSealedLen:
		in.Reject = fmt.Sprintf("sealed data is larger than %d bytes", maxSealedLen)
	}
	if in.Reject == "" {
		in.Record = rec
	}
	return in
}

func validField(s string) bool { return len(s) <= maxFieldLen && !strings.ContainsRune(s, 0) }
