package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hcscan/healthcode"
)

// Paths of the version 1 endpoints.
const (
	PathEnroll     = "/v1/enroll"
	PathRoot       = "/v1/root" // unsigned: the root key, to check a pin before spending a token
	PathTrustList  = "/v1/trust-list"
	PathStatus     = "/v1/status"  // ?since=N
	PathStatusLive = "/v1/status/" // + 32 hex digits of the code hash
	PathRecords    = "/v1/records"
)

// StatusURI is the request URI of a status delta since seq.
func StatusURI(since uint64) string {
	return PathStatus + "?since=" + strconv.FormatUint(since, 10)
}

// LiveStatusURI is the request URI of the live status of one code.
func LiveStatusURI(h healthcode.CodeHash) string { return PathStatusLive + h.String() }

// Limits both sides hold to.
const (
	MaxBatch             = 500             // records per POST /v1/records
	MaxRecordsBody       = 4 << 20         // bytes of a records batch
	MaxEnrollBody        = 16 << 10        // bytes of an enrolment request
	MaxIdempotencyKeyLen = 128             // characters of Idempotency-Key
	ClockSkew            = 5 * time.Minute // |X-Time − server clock| accepted
	NonceBytes           = 16              // random bytes in X-Nonce
)

// Headers.
const (
	HeaderDeviceID       = "X-Device-ID"
	HeaderTime           = "X-Time" // unix milliseconds
	HeaderNonce          = "X-Nonce"
	HeaderSignature      = "X-Signature"
	HeaderServerTime     = "X-Server-Time" // unix milliseconds, on every response
	HeaderStatusSeq      = "X-Status-Seq"
	HeaderIdempotencyKey = "Idempotency-Key"
	ContentTypeJSON      = "application/json"
)

// Error codes in ErrorReply.Code.
const (
	ErrBadRequest          = "bad_request"            // 400: malformed JSON, unknown field, bad parameter
	ErrUnsupportedMedia    = "unsupported_media_type" // 415
	ErrTooLarge            = "too_large"              // 413: body over the limit
	ErrTooManyRecords      = "too_many_records"       // 413: more than MaxBatch records
	ErrUnsigned            = "unsigned"               // 401: signature headers missing or malformed
	ErrUnknownDevice       = "unknown_device"         // 401
	ErrBadSignature        = "bad_signature"          // 401
	ErrStaleTime           = "stale_time"             // 401: X-Time outside ClockSkew
	ErrReplay              = "replay"                 // 401: nonce already seen
	ErrDeviceDisabled      = "device_disabled"        // 403
	ErrStaffDisabled       = "staff_disabled"         // 403: the staff member is disabled
	ErrConflict            = "conflict"               // 409: the change was already made otherwise
	ErrBadToken            = "bad_token"              // 401: no such enrolment token
	ErrTokenUsed           = "token_used"             // 403: the token enrolled a device already
	ErrTokenExpired        = "token_expired"          // 403
	ErrStatusGone          = "status_gone"            // 410: fetch since=0
	ErrNotFound            = "not_found"              // 404
	ErrMethodNotAllowed    = "method_not_allowed"     // 405
	ErrIdempotencyConflict = "idempotency_conflict"   // 422: same key, different body
	ErrInternal            = "internal"               // 500
	ErrUnavailable         = "unavailable"            // 503 (with Retry-After)
	ErrStorageFull         = "storage_full"           // 503 (with Retry-After): the province's disk is full
)

// ErrorReply is the body of every error response.
type ErrorReply struct {
	Code       string    `json:"error"`
	Message    string    `json:"message"`
	ServerTime time.Time `json:"server_time"`
}

func (e *ErrorReply) Error() string { return e.Code + ": " + e.Message }

// ParseError reads an error body; for a body that is not an ErrorReply it
// returns an ErrorReply naming the HTTP status.
func ParseError(status int, body []byte) *ErrorReply {
	var e ErrorReply
	if json.Unmarshal(body, &e) == nil && e.Code != "" {
		return &e
	}
	return &ErrorReply{Code: "http_" + strconv.Itoa(status), Message: http.StatusText(status)}
}

// SetServerTime stamps the server clock on a response header.
func SetServerTime(h http.Header, now time.Time) {
	h.Set(HeaderServerTime, strconv.FormatInt(now.UnixMilli(), 10))
}

// ServerTime reads X-Server-Time from a response header.
func ServerTime(h http.Header) (time.Time, bool) {
	ms, err := strconv.ParseInt(h.Get(HeaderServerTime), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// IsJSON reports whether a Content-Type header names JSON.
func IsJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != ContentTypeJSON {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// Fingerprint names a public key for pinning: hex SHA-256 of its 32 bytes
// (healthcode.Fingerprint, as `hcserver keys init` prints it).
func Fingerprint(pub ed25519.PublicKey) string { return healthcode.Fingerprint(pub) }

// EnrollRequest is the body of POST /v1/enroll.
type EnrollRequest struct {
	Token     string            `json:"token"`
	PublicKey ed25519.PublicKey `json:"public_key"` // base64 in JSON
	Proof     []byte            `json:"proof"`      // Ed25519 signature of EnrollProofMessage
	Name      string            `json:"name,omitempty"`
	Software  string            `json:"software,omitempty"`
}

// EnrollProofMessage is what the device signs to show it holds its key.
func EnrollProofMessage(token string, pub ed25519.PublicKey) []byte {
	return []byte("hcscan-enroll-v1\n" + token + "\n" + hex.EncodeToString(pub))
}

// NewEnrollRequest builds an enrolment request for a device key.
func NewEnrollRequest(token string, key ed25519.PrivateKey, name string) EnrollRequest {
	pub := key.Public().(ed25519.PublicKey)
	return EnrollRequest{Token: token, PublicKey: pub, Proof: healthcode.SignEd25519(key, EnrollProofMessage(token, pub)), Name: name}
}

// CheckProof verifies the request's proof of possession.
func (r EnrollRequest) CheckProof() error {
	if len(r.PublicKey) != ed25519.PublicKeySize {
		return errors.New("public_key is not an Ed25519 public key")
	}
	if !healthcode.VerifyEd25519(r.PublicKey, EnrollProofMessage(r.Token, r.PublicKey), r.Proof) {
		return errors.New("proof is not a signature of the token by public_key")
	}
	return nil
}

// RootReply is the answer to GET /v1/root: the province root key a
// scanner about to enrol compares with its pinned fingerprint before it
// spends its single-use token.
type RootReply struct {
	RootKey ed25519.PublicKey `json:"root_key"`
}

// EnrollReply is the answer to a successful enrolment.
type EnrollReply struct {
	DeviceID    string            `json:"device_id"`
	Institution string            `json:"institution"`
	Gate        string            `json:"gate"`
	ServerKey   ed25519.PublicKey `json:"server_key"` // signs status lists and this reply
	RootKey     ed25519.PublicKey `json:"root_key"`   // signs trust lists: pin it
	SealKey     []byte            `json:"seal_key"`   // X25519: seal manual entries' identities to it (32 bytes)
	TrustList   json.RawMessage   `json:"trust_list"` // the signed envelope, as from GET /v1/trust-list
	ServerTime  time.Time         `json:"server_time"`
	Signature   []byte            `json:"signature"` // by ServerKey over SigningBytes(device key)
}

// SigningBytes is what the server signs in a reply to the device key pub.
func (r *EnrollReply) SigningBytes(pub ed25519.PublicKey) []byte {
	return []byte("hcscan-enrolled-v2\n" + r.DeviceID + "\n" + r.Institution + "\n" + r.Gate + "\n" +
		hex.EncodeToString(pub) + "\n" + hex.EncodeToString(r.ServerKey) + "\n" + hex.EncodeToString(r.RootKey) + "\n" +
		hex.EncodeToString(r.SealKey))
}

// Verify checks the reply is consistent for the device key pub: the trust
// list is signed by RootKey, vouches for ServerKey, and ServerKey signed the
// reply, SealKey included (an X25519 key, 32 bytes, not all zero). It
// returns the parsed trust list. Pinning RootKey is the caller's.
func (r *EnrollReply) Verify(pub ed25519.PublicKey) (*healthcode.TrustList, error) {
	if r.DeviceID == "" {
		return nil, errors.New("enrol reply: no device id")
	}
	if len(r.RootKey) != ed25519.PublicKeySize || len(r.ServerKey) != ed25519.PublicKeySize {
		return nil, errors.New("enrol reply: missing root or server key")
	}
	if len(r.SealKey) != 32 || bytes.Equal(r.SealKey, make([]byte, 32)) {
		return nil, errors.New("enrol reply: missing the province's sealing key for manual entries")
	}
	tl, err := healthcode.ParseTrustList(r.TrustList, r.RootKey, 0)
	if err != nil {
		return nil, fmt.Errorf("enrol reply: %w", err)
	}
	if !tl.StatusKey.Equal(r.ServerKey) {
		return nil, errors.New("enrol reply: the trust list does not vouch for the server key")
	}
	if !healthcode.VerifyEd25519(r.ServerKey, r.SigningBytes(pub), r.Signature) {
		return nil, errors.New("enrol reply: not signed by the server key")
	}
	return tl, nil
}

// RecordBatch is the body of POST /v1/records.
type RecordBatch struct {
	Records []healthcode.Record `json:"records"`
}

// RecordStatus is the server's answer for one record.
type RecordStatus string

const (
	Stored    RecordStatus = "stored"    // new: acknowledged
	Duplicate RecordStatus = "duplicate" // already held: acknowledged
	Rejected  RecordStatus = "rejected"  // will never be stored: dead letter
)

// Acknowledged reports whether the client may delete the record from its outbox.
func (s RecordStatus) Acknowledged() bool { return s == Stored || s == Duplicate }

// RecordResult is the answer for one record of a batch.
type RecordResult struct {
	ID     string       `json:"id"`
	Status RecordStatus `json:"status"`
	Reason string       `json:"reason,omitempty"`
}

// RecordsReply answers a batch: one result per record, in the batch's order.
type RecordsReply struct {
	Results    []RecordResult `json:"results"`
	Stored     int            `json:"stored"`
	Duplicate  int            `json:"duplicate"`
	Rejected   int            `json:"rejected"`
	ServerTime time.Time      `json:"server_time"`
}

// LiveStatus answers GET /v1/status/{hash}. The server signs it with its
// key (the one the scanner pinned at enrolment) together with the nonce of
// the request it answers, so an answer cannot be forged on the way nor an
// old one ("green") played back for a code that has turned red.
type LiveStatus struct {
	Hash       healthcode.CodeHash `json:"hash"`
	Known      bool                `json:"known"`
	Colour     healthcode.Colour   `json:"colour"`           // unknown when !Known
	Updated    time.Time           `json:"updated,omitzero"` // when the province set it
	Seq        uint64              `json:"seq,omitempty"`    // status sequence of the entry
	ServerTime time.Time           `json:"server_time"`
	Signature  []byte              `json:"signature"` // Ed25519 over SigningBytes(request nonce)
}

// SigningBytes is what the server signs in a live status answer to the
// request whose X-Nonce was nonce.
func (l *LiveStatus) SigningBytes(nonce string) []byte {
	return []byte("hcscan-live-status-v1\n" + nonce + "\n" + l.Hash.String() + "\n" + strconv.FormatBool(l.Known) + "\n" +
		strconv.Itoa(int(l.Colour)) + "\n" + strconv.FormatInt(l.Updated.UnixMilli(), 10) + "\n" +
		strconv.FormatUint(l.Seq, 10) + "\n" + strconv.FormatInt(l.ServerTime.UnixMilli(), 10))
}

// Sign sets the signature of the answer to the request with nonce.
func (l *LiveStatus) Sign(key ed25519.PrivateKey, nonce string) {
	l.Signature = healthcode.SignEd25519(key, l.SigningBytes(nonce))
}

// ErrLiveStatusSignature: a live status answer not signed by the server's
// key for the request it answers.
var ErrLiveStatusSignature = errors.New("the live status answer is not signed by the province server's key for this request")

// Verify checks the answer's signature with the server key pub for the
// request whose X-Nonce was nonce.
func (l *LiveStatus) Verify(pub ed25519.PublicKey, nonce string) error {
	if len(pub) != ed25519.PublicKeySize || !healthcode.VerifyEd25519(pub, l.SigningBytes(nonce), l.Signature) {
		return ErrLiveStatusSignature
	}
	return nil
}
