// Package protocol is the wire contract between a scanner (package sync) and
// the provincial server (package server): HTTP + JSON, version 1. Both sides
// import it; it imports only healthcode and the standard library.
//
// # Transport
//
// Every response, errors included, carries the server's clock in the header
// X-Server-Time (unix milliseconds, see ServerTime) and a Date header, so the
// client can measure its clock offset from any reply. Request bodies are
// JSON with Content-Type application/json (a charset parameter is allowed);
// the server decodes strictly (unknown fields are an error) and caps body
// sizes (MaxEnrollBody, MaxRecordsBody). Errors are 4xx/5xx with an
// ErrorReply body {"error": CODE, "message": "...", "server_time": ...};
// CODE is one of the Err* constants. 429/503 may carry Retry-After (seconds).
//
// # Enrolment: POST /v1/enroll (unsigned)
//
// The portal (or `hcserver token`) makes a single-use enrolment token for one
// institution and gate. The device makes an Ed25519 key (kept in a 0600 file),
// and sends EnrollRequest (NewEnrollRequest fills it: the token, the public
// key and a proof that the device holds the private key). The reply
// (EnrollReply) names the device id, institution and gate, and carries the
// server key (signs status lists and this reply), the province root key (to
// pin), the province's X25519 sealing key (manual entries seal the typed
// name, ID number and phone to it with a NaCl anonymous box; only the
// server can open them) and the signed trust list. EnrollReply.Verify checks
// that the root signed the trust list, that the trust list vouches for the
// server key, and that the server key signed the reply, sealing key
// included; the client then compares
// Fingerprint(reply.RootKey) with a configured pinned fingerprint, if any.
// Since a token is spent by the enrolment itself, a scanner with a pinned
// fingerprint first asks GET /v1/root (unsigned; RootReply) and enrols
// only when that root matches; the root in the reply must then be the same.
// A token that was already used is refused with 403 ErrTokenUsed; an unknown
// or expired one with 401 ErrBadToken / 403 ErrTokenExpired.
//
// # Signed requests (everything after enrolment)
//
// SignRequest adds four headers: X-Device-ID, X-Time (unix ms), X-Nonce (16
// random bytes, base64url) and X-Signature (base64 of an Ed25519 signature
// over the string built by SigningString: a version tag, the method, the
// request URI as sent (path and query, URL.RequestURI), the time, the nonce,
// the device id and the hex SHA-256 of the body). The server refuses (401)
// missing headers (ErrUnsigned), unknown devices (ErrUnknownDevice), bad
// signatures (ErrBadSignature), a time more than ClockSkew away from its own
// clock (ErrStaleTime: correct the clock offset from X-Server-Time and sign
// again) and, for a request that changes something (POST), a nonce seen
// before (ErrReplay); a disabled device gets 403 ErrDeviceDisabled. Sign a
// retry again: every attempt needs a fresh nonce.
//
// Replays. The server keeps the nonce of every POST (records, alert
// acknowledgements, a staff PIN) in storage that all its processes share
// and that survives a restart, until the request's time is outside
// ClockSkew: a copy of a POST is refused, whichever process gets it and
// whenever. The nonce of a GET (trust list, status lists, live status,
// roster, staff list) is not kept: a copy of a GET sent within ClockSkew
// is answered again. That changes nothing on the server (GETs only read),
// tells whoever holds the copy no more than the answer to the original
// (the same lists, or the same code's colour minutes later), and cannot be passed off as an answer
// to the scanner: the method is signed, so the copy cannot become a POST,
// and a live answer is signed over the nonce of the request it answers,
// which the scanner refuses for any later request of its own. Keeping
// every GET's nonce would cost the province a database write per status
// check, shared by every process, for none of that.
//
// # Trust list: GET /v1/trust-list
//
// The body is the signed envelope (healthcode.SignedDoc) of the trust list,
// exactly as healthcode.ParseTrustList reads it, signed by the province root.
// The reply has an ETag; send it back as If-None-Match to get 304 Not
// Modified. The sequence number only grows (it is bumped when the keys
// change); the client refuses a lower one (ErrTrustRollback).
//
// # Status: GET /v1/status?since=N and GET /v1/status/{hash}
//
// The body of /v1/status is the signed envelope of a healthcode.StatusList
// signed by the server key (healthcode.ParseStatusList with the key from
// enrolment / the trust list's StatusKey). since=0 gives a snapshot (every
// entry up to Seq); since=N>0 gives the latest entry of every code whose
// colour changed after N. The client keeps list.Seq and asks since=Seq next
// time. When N is older than the server's retained history, or newer than
// anything it has issued (a different server database), the reply is 410
// Gone (ErrStatusGone): fetch since=0 and replace the cached status. The
// header X-Status-Seq carries the current sequence.
//
// When a code that a stored record passed provisionally (offline, stale
// status) turns red or yellow, the server flags the record (an alert in the
// portal); the scanner learns it from the status entries it pulls and
// raises the alert itself by matching code hashes against its own records.
//
// /v1/status/{hash} (32 hex digits) answers LiveStatus for an online check:
// Known=false when the province has no status entry for the code (the
// colour in the code stands).
//
// # Records: POST /v1/records
//
// Body RecordBatch with 1..MaxBatch healthcode.Records; an Idempotency-Key
// header (≤ MaxIdempotencyKeyLen printable ASCII characters, e.g. a UUID per
// batch) is recommended: a retry with the same key and the same body gets
// the first reply again; the same key with another body is 422
// ErrIdempotencyConflict. Independently of the key, the server keeps
// (device id, record id) unique, so a retried batch never duplicates.
//
// The reply RecordsReply lists one RecordResult per record, in order:
// "stored" (new), "duplicate" (already held: treat as acknowledged) or
// "rejected" with a reason (never retry it: move it to dead letters).
// A record is rejected when it is not a valid record (bad JSON types,
// unknown fields), its id is not a canonical lowercase UUID, its DeviceID
// is not the signing device (stamp records made before enrolment with the
// device id before upload), its time is zero, its verdict is missing, or a
// text field is over 128 bytes, or its gate is not the gate the device
// was enrolled for (a scanner is bound to its gate; the reason says so).
// One bad record never blocks the others.
// A batch whose envelope is not valid JSON or has unknown fields (400
// ErrBadRequest), is empty (400), has more than MaxBatch records (413
// ErrTooManyRecords), is over MaxRecordsBody (413 ErrTooLarge) or has the
// wrong content type (415) is refused as a whole with nothing stored. One
// batch is one transaction: either every stored/duplicate answer is
// durable or the request fails (503 with Retry-After) and the client
// retries.
//
// Each record carries the laptop's clock (time) and the time the verdict
// used (corrected_time: the province's time carried by the scanner's
// monotonic clock since its last sync), with time_source ("province",
// "device", "device_behind") and clock_jump_ns when the laptop's clock had
// been moved. The server, the portal and close contacts go by
// corrected_time (healthcode.Record.When).
//
// # Alert acknowledgements: POST /v1/alerts/ack
//
// Body AlertAckBatch with 1..MaxAlertAcks AlertAcks (record id, operator,
// the scanner's trusted time): an operator at the gate has seen the alert
// on one of the device's records (a provisional pass whose code is now red
// or yellow). The reply AlertAckReply answers each in order:
// "acknowledged" (kept; the first acknowledgement stays, a repeat changes
// nothing) or "unknown" (the device has no alert on that record). Either
// way the scanner need not send it again. A bad record id, an empty or
// over-long operator name or an unknown field refuses the batch (400).
//
// # Scanner staff: GET /v1/staff, POST /v1/staff/pin
//
// GET /v1/staff answers StaffList: the designated scanner staff of the
// device's institution (id, name, role, disabled, and the argon2id
// verifier of their PIN, or before their first sign-in the verifier of
// the one-time code their admin gave them; never a PIN or a phone),
// signed by the server key for this device (StaffList.Verify), with an
// ETag (304 for If-None-Match). The scanner replaces its list with it: a
// person disabled in the portal is refused from that sync on.
//
// POST /v1/staff/pin with StaffPINRequest (id, verifier) sends the
// verifier of the PIN a person chose at their first sign-in on this
// scanner. 200: taken, and the next list carries it to every scanner of
// the institution; 409 ErrConflict: the person already has a PIN (the
// first one wins); 404: no such person in the device's institution; 403
// ErrStaffDisabled; 400: not an argon2id verifier of the accepted cost.
package protocol
