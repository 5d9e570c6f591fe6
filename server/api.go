package server

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/google/uuid"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// readBody reads at most limit bytes; false when it answered an error.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if limit <= 0 {
		limit = 1 << 10 // GETs carry no body
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= limit {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	body := buf.Bytes()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(w, http.StatusRequestEntityTooLarge, protocol.ErrTooLarge, fmt.Sprintf("request body is larger than %d bytes", limit))
			return nil, false
		}
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, "could not read the request body: "+err.Error())
		return nil, false
	}
	return body, true
}

type signedHandler func(w http.ResponseWriter, r *http.Request, dev Device, body []byte)

// signed checks a request's signature, time, nonce and device before h.
func (s *Server) signed(limit int64, h signedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.readBody(w, r, limit)
		if !ok {
			return
		}
		now := s.now()
		var dev Device
		keyOf := func(id string) (ed25519.PublicKey, error) {
			d, err := s.store.Device(r.Context(), id)
			if err != nil {
				if errors.Is(err, ErrNotFound) {
					return nil, fmt.Errorf("device %q: %w", id, protocol.ErrDeviceUnknown)
				}
				return nil, err
			}
			dev = d
			return d.PublicKey, nil
		}
		sig, err := protocol.VerifyRequest(r, body, keyOf, now)
		switch {
		case err == nil:
		case errors.Is(err, protocol.ErrRequestUnsigned):
			s.fail(w, http.StatusUnauthorized, protocol.ErrUnsigned, err.Error())
			return
		case errors.Is(err, protocol.ErrRequestStale):
			s.fail(w, http.StatusUnauthorized, protocol.ErrStaleTime, err.Error()+"; correct the clock offset from X-Server-Time and sign again")
			return
		case errors.Is(err, protocol.ErrDeviceUnknown):
			s.fail(w, http.StatusUnauthorized, protocol.ErrUnknownDevice, err.Error()+"; enrol the device again")
			return
		case errors.Is(err, protocol.ErrRequestSignature):
			s.fail(w, http.StatusUnauthorized, protocol.ErrBadSignature, "the signature does not match the request and the device key")
			return
		default:
			s.log.Error("verify request", "err", err)
			s.fail(w, http.StatusInternalServerError, protocol.ErrInternal, "could not check the request")
			return
		}
		if dev.Disabled {
			s.fail(w, http.StatusForbidden, protocol.ErrDeviceDisabled, "device "+dev.ID+" is disabled")
			return
		}
		fresh, err := s.store.CheckNonce(r.Context(), sig.DeviceID, sig.Nonce, nonceForget(sig.Time, now), now)
		if err != nil {
			w.Header().Set("Retry-After", "5")
			if errors.Is(err, ErrNonceWindowFull) {
				s.fail(w, http.StatusServiceUnavailable, protocol.ErrUnavailable, err.Error())
				return
			}
			s.log.Error("check nonce", "err", err)
			s.fail(w, http.StatusServiceUnavailable, protocol.ErrUnavailable, "could not check the request; retry")
			return
		}
		if !fresh {
			s.fail(w, http.StatusUnauthorized, protocol.ErrReplay, "this request (nonce) was already received; sign each attempt anew")
			return
		}
		h(w, r, dev, body)
	}
}

// normalizeToken forgives what people do when typing a token: dashes,
// spaces, lower case, and digits that look like letters (base32 has no 0,
// 1 or 8).
func normalizeToken(t string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-':
			return -1
		case '0':
			return 'O'
		case '1':
			return 'I'
		case '8':
			return 'B'
		}
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, t)
}

func hashToken(t string) TokenHash { return sha256.Sum256([]byte(normalizeToken(t))) }

// decodeStrict decodes exactly one JSON value with no unknown fields.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("extra data after the JSON value")
	}
	return nil
}

func (s *Server) requireJSON(w http.ResponseWriter, r *http.Request) bool {
	if !protocol.IsJSON(r.Header.Get("Content-Type")) {
		s.fail(w, http.StatusUnsupportedMediaType, protocol.ErrUnsupportedMedia, "Content-Type must be application/json, not "+strconv.Quote(r.Header.Get("Content-Type")))
		return false
	}
	return true
}

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	if !s.requireJSON(w, r) {
		return
	}
	body, ok := s.readBody(w, r, protocol.MaxEnrollBody)
	if !ok {
		return
	}
	var req protocol.EnrollRequest
	if err := decodeStrict(body, &req); err != nil {
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, "enrolment request: "+err.Error())
		return
	}
	if req.Token == "" {
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, "enrolment request: no token")
		return
	}
	if err := req.CheckProof(); err != nil {
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, "enrolment request: "+err.Error())
		return
	}
	id, err := uuid.NewV7()
	if err != nil {
		s.fail(w, http.StatusInternalServerError, protocol.ErrInternal, "device id")
		return
	}
	now := s.now()
	dev, err := s.store.Enroll(r.Context(), hashToken(req.Token), Device{ID: id.String(), PublicKey: req.PublicKey, Name: clip(req.Name, 128), Software: clip(req.Software, 128)}, now)
	switch {
	case err == nil:
	case errors.Is(err, ErrTokenUnknown):
		s.fail(w, http.StatusUnauthorized, protocol.ErrBadToken, "no such enrolment token")
		return
	case errors.Is(err, ErrTokenUsed):
		s.fail(w, http.StatusForbidden, protocol.ErrTokenUsed, "this enrolment token was already used; make a new one in the portal")
		return
	case errors.Is(err, ErrTokenExpired):
		s.fail(w, http.StatusForbidden, protocol.ErrTokenExpired, "this enrolment token has expired; make a new one in the portal")
		return
	default:
		s.log.Error("enrol", "err", err)
		s.fail(w, http.StatusInternalServerError, protocol.ErrInternal, "could not enrol the device")
		return
	}
	s.trustMu.RLock()
	doc := s.trust.Doc
	s.trustMu.RUnlock()
	reply := protocol.EnrollReply{
		DeviceID: dev.ID, Institution: dev.Institution, Gate: dev.Gate,
		ServerKey: s.serverPub(), RootKey: s.keys.Root.Public().(ed25519.PublicKey), SealKey: s.keys.SealPublic(),
		TrustList: doc, ServerTime: now.UTC(),
	}
	reply.Signature = ed25519.Sign(s.keys.Server, reply.SigningBytes(req.PublicKey))
	s.log.Info("device enrolled", "device", dev.ID, "institution", dev.Institution, "gate", dev.Gate)
	s.writeJSON(w, http.StatusOK, reply)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (s *Server) handleTrustList(w http.ResponseWriter, r *http.Request, _ Device, _ []byte) {
	s.trustMu.RLock()
	ts := s.trust
	s.trustMu.RUnlock()
	sum := sha256.Sum256(ts.Doc)
	etag := fmt.Sprintf(`"tl-%d-%s"`, ts.Seq, hex.EncodeToString(sum[:6]))
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	for _, m := range strings.Split(r.Header.Get("If-None-Match"), ",") {
		if m = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(m), "W/")); m == etag || m == "*" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(ts.Doc)
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request, _ Device, _ []byte) {
	q := r.URL.Query()
	var since uint64
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, "since must be a sequence number, not "+strconv.Quote(v))
			return
		}
		since = n
	}
	sl, err := s.store.StatusSince(r.Context(), since, s.now())
	if errors.Is(err, ErrStatusGone) {
		s.fail(w, http.StatusGone, protocol.ErrStatusGone, fmt.Sprintf("no status history since %d; fetch %s", since, protocol.StatusURI(0)))
		return
	}
	if err != nil {
		s.log.Error("status", "err", err)
		s.fail(w, http.StatusInternalServerError, protocol.ErrInternal, "could not read the status list")
		return
	}
	body, err := json.Marshal(sl)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, protocol.ErrInternal, "encode status list")
		return
	}
	w.Header().Set(protocol.HeaderStatusSeq, strconv.FormatUint(sl.Seq, 10))
	s.writeJSON(w, http.StatusOK, healthcode.SignDoc(healthcode.DocStatusList, body, s.keys.Server))
}

func (s *Server) handleLiveStatus(w http.ResponseWriter, r *http.Request, _ Device, _ []byte) {
	h, err := healthcode.ParseCodeHash(r.PathValue("hash"))
	if err != nil {
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, err.Error())
		return
	}
	e, found, err := s.store.Status(r.Context(), h)
	if err != nil {
		s.log.Error("live status", "err", err)
		s.fail(w, http.StatusInternalServerError, protocol.ErrInternal, "could not read the status")
		return
	}
	ls := protocol.LiveStatus{Hash: h, Known: found, ServerTime: s.now().UTC()}
	if found {
		ls.Colour, ls.Updated, ls.Seq = e.Colour, e.Updated, e.Seq
	}
	s.writeJSON(w, http.StatusOK, ls)
}

// batchEnvelope reads the batch strictly but keeps each record's bytes, so
// one bad record is rejected alone instead of blocking the whole outbox.
type batchEnvelope struct {
	Records []json.RawMessage `json:"records"`
}

// decodeBatch reads a batch body. The fast path decodes every record in
// one strict pass; when that fails, the batch is read record by record so
// that a bad record is rejected alone. A non-zero status refuses the batch.
func decodeBatch(body []byte, signer string) (batch []IngestRecord, status int, code, msg string) {
	var typed protocol.RecordBatch
	if err := decodeStrict(body, &typed); err == nil {
		if n := len(typed.Records); n == 0 || n > protocol.MaxBatch {
			return batchSizeError(n)
		}
		raws := splitRecords(body, len(typed.Records))
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

// splitRecords finds the bytes of each record in a body that already
// decoded as a valid batch of n records, so they are stored as sent
// without encoding them again. It returns nil when the body is not the
// plain shape {"records":[...]} (escaped or repeated keys), and the caller
// encodes the decoded records instead.
func splitRecords(body []byte, n int) [][]byte {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil
	}
	i = skipSpace(body, i+1)
	const key = `"records"`
	if !bytes.HasPrefix(body[i:], []byte(key)) {
		return nil
	}
	i = skipSpace(body, i+len(key))
	if i >= len(body) || body[i] != ':' {
		return nil
	}
	i = skipSpace(body, i+1)
	if i >= len(body) || body[i] != '[' {
		return nil
	}
	i++
	out := make([][]byte, 0, n)
	for {
		i = skipSpace(body, i)
		if i >= len(body) {
			return nil
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
			return nil
		}
		out = append(out, body[i:end])
		i = end
	}
	if j := skipSpace(body, i+1); j >= len(body) || body[j] != '}' || len(out) != n {
		return nil // another key follows: let encoding/json's reading stand
	}
	return out
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
	return nil, http.StatusRequestEntityTooLarge, protocol.ErrTooManyRecords, fmt.Sprintf("record batch: %d records, at most %d per batch", n, protocol.MaxBatch)
}

func (s *Server) handleRecords(w http.ResponseWriter, r *http.Request, dev Device, body []byte) {
	if !s.requireJSON(w, r) {
		return
	}
	key := r.Header.Get(protocol.HeaderIdempotencyKey)
	if len(key) > protocol.MaxIdempotencyKeyLen || strings.IndexFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) >= 0 {
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, fmt.Sprintf("Idempotency-Key must be at most %d printable ASCII characters", protocol.MaxIdempotencyKeyLen))
		return
	}
	batch, status, code, msg := decodeBatch(body, dev.ID)
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
		s.log.Error("ingest", "device", dev.ID, "err", err)
		w.Header().Set("Retry-After", "2")
		s.fail(w, http.StatusServiceUnavailable, protocol.ErrUnavailable, "could not store the batch; retry")
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

const (
	maxFieldLen  = 128
	maxSealedLen = 4 << 10
)

// checkRecord decodes one record strictly and checks it; a failure is a
// per-record rejection with its reason.
func checkRecord(raw json.RawMessage, signer string) IngestRecord {
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

// checkDecoded checks what the server relies on in a record.
func checkDecoded(rec healthcode.Record, signer string) IngestRecord {
	in := IngestRecord{ID: clip(rec.ID, 64)}
	if id, err := uuid.Parse(rec.ID); err != nil || id.String() != rec.ID {
		in.Reject = "id is not a UUID in canonical lowercase form"
		return in
	}
	switch {
	case rec.DeviceID != signer:
		in.Reject = fmt.Sprintf("device_id %q is not the signing device", clip(rec.DeviceID, 64))
	case rec.Time.IsZero():
		in.Reject = "time is missing"
	case rec.Verdict == healthcode.VerdictNone:
		in.Reject = "verdict is missing"
	case !validField(rec.Institution) || !validField(rec.Gate) || !validField(rec.Operator) ||
		!validField(rec.Name) || !validField(rec.IDMasked) || !validField(rec.Lang) || !validField(rec.ManualReason):
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
