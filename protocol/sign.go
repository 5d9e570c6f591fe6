package protocol

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hcscan/healthcode"
)

// Errors of VerifyRequest; the server maps them to the Err* codes.
var (
	ErrRequestUnsigned  = errors.New("request is not signed (X-Device-ID, X-Time, X-Nonce, X-Signature)")
	ErrRequestStale     = errors.New("request time is outside the accepted clock skew")
	ErrRequestSignature = errors.New("request signature does not verify")
	// ErrDeviceUnknown is what a key lookup returns (wrapped) for a device
	// the server does not know.
	ErrDeviceUnknown = errors.New("unknown device")
)

// Signed is what a verified request says about its signer.
type Signed struct {
	DeviceID string
	Time     time.Time
	Nonce    string
}

// SigningString is the exact text a device signs for a request.
func SigningString(method, requestURI string, unixMS int64, nonce, deviceID string, body []byte) string {
	sum := sha256.Sum256(body)
	return "hcscan-request-v1\n" + method + "\n" + requestURI + "\n" +
		strconv.FormatInt(unixMS, 10) + "\n" + nonce + "\n" + deviceID + "\n" + hex.EncodeToString(sum[:])
}

// SignRequest signs req (whose body is body; nil for none) for deviceID at
// time now, setting X-Device-ID, X-Time, X-Nonce and X-Signature. The URL
// must be final: the request URI (path and query) is signed.
func SignRequest(req *http.Request, body []byte, deviceID string, key ed25519.PrivateKey, now time.Time) error {
	return SignHeaders(req.Header, req.Method, req.URL.RequestURI(), body, deviceID, key, now)
}

// SignHeaders sets the signature headers of a request with method,
// request URI (path and query, as sent) and body into h: SignRequest for
// a sender that builds its requests itself (a load generator).
func SignHeaders(h http.Header, method, requestURI string, body []byte, deviceID string, key ed25519.PrivateKey, now time.Time) error {
	if deviceID == "" || len(key) != ed25519.PrivateKeySize {
		return errors.New("sign request: no device id or key")
	}
	var n [NonceBytes]byte
	if _, err := rand.Read(n[:]); err != nil {
		return fmt.Errorf("sign request: nonce: %w", err)
	}
	nonce := base64.RawURLEncoding.EncodeToString(n[:])
	ms := now.UnixMilli()
	sig := healthcode.SignEd25519(key, []byte(SigningString(method, requestURI, ms, nonce, deviceID, body)))
	h.Set(HeaderDeviceID, deviceID)
	h.Set(HeaderTime, strconv.FormatInt(ms, 10))
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return nil
}

// RequestHeaders are the signature headers of a request a server
// received, checked for form and time: what can be known before reading
// the body, so that a request that cannot be right costs no body.
type RequestHeaders struct {
	DeviceID string
	Time     time.Time
	Nonce    string
	ms       int64
	sig      []byte
}

// ParseRequestHeaders checks the signature headers of req for form and
// its time against now (within ClockSkew). Errors wrap ErrRequestUnsigned
// or ErrRequestStale.
func ParseRequestHeaders(req *http.Request, now time.Time) (RequestHeaders, error) {
	dev := req.Header.Get(HeaderDeviceID)
	ts := req.Header.Get(HeaderTime)
	nonce := req.Header.Get(HeaderNonce)
	sigText := req.Header.Get(HeaderSignature)
	if dev == "" || ts == "" || nonce == "" || sigText == "" {
		return RequestHeaders{}, ErrRequestUnsigned
	}
	if len(dev) > 64 || strings.ContainsAny(dev, "\x00\n") {
		return RequestHeaders{}, fmt.Errorf("%w: malformed %s", ErrRequestUnsigned, HeaderDeviceID)
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return RequestHeaders{}, fmt.Errorf("%w: %s is not unix milliseconds", ErrRequestUnsigned, HeaderTime)
	}
	if nb, err := base64.RawURLEncoding.DecodeString(nonce); err != nil || len(nb) != NonceBytes {
		return RequestHeaders{}, fmt.Errorf("%w: %s is not %d base64url bytes", ErrRequestUnsigned, HeaderNonce, NonceBytes)
	}
	sig, err := base64.StdEncoding.DecodeString(sigText)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return RequestHeaders{}, fmt.Errorf("%w: %s is not a base64 Ed25519 signature", ErrRequestUnsigned, HeaderSignature)
	}
	t := time.UnixMilli(ms)
	if d := t.Sub(now); d > ClockSkew || d < -ClockSkew {
		return RequestHeaders{}, fmt.Errorf("%w: request time %s is %s from server time %s", ErrRequestStale,
			t.UTC().Format(time.RFC3339), d.Round(time.Second), now.UTC().Format(time.RFC3339))
	}
	return RequestHeaders{DeviceID: dev, Time: t, Nonce: nonce, ms: ms, sig: sig}, nil
}

// Verify checks the signature of req, whose whole body is body, with the
// device's key pub. The error wraps ErrRequestSignature.
func (h RequestHeaders) Verify(req *http.Request, body []byte, pub ed25519.PublicKey) (Signed, error) {
	if !healthcode.VerifyEd25519(pub, h.signingString(req, body), h.sig) {
		return Signed{}, ErrRequestSignature
	}
	return h.signed(), nil
}

// VerifyKey is Verify with the device's key prepared for verifying many
// signatures (a server keeps its devices' keys so).
func (h RequestHeaders) VerifyKey(req *http.Request, body []byte, key *healthcode.Ed25519Key) (Signed, error) {
	if !key.Verify(h.signingString(req, body), h.sig) {
		return Signed{}, ErrRequestSignature
	}
	return h.signed(), nil
}

func (h RequestHeaders) signingString(req *http.Request, body []byte) []byte {
	return []byte(SigningString(req.Method, req.URL.RequestURI(), h.ms, h.Nonce, h.DeviceID, body))
}

func (h RequestHeaders) signed() Signed {
	return Signed{DeviceID: h.DeviceID, Time: h.Time, Nonce: h.Nonce}
}

// VerifyRequest checks a signed request received by a server: body is the
// whole request body already read, keyOf finds a device's public key (an
// error wrapping ErrDeviceUnknown for none), now is the server clock.
// Replay (a nonce seen before) is the caller's check, on the Signed result.
// Errors wrap ErrRequestUnsigned, ErrRequestStale, ErrRequestSignature or
// keyOf's error.
func VerifyRequest(req *http.Request, body []byte, keyOf func(deviceID string) (ed25519.PublicKey, error), now time.Time) (Signed, error) {
	h, err := ParseRequestHeaders(req, now)
	if err != nil {
		return Signed{}, err
	}
	pub, err := keyOf(h.DeviceID)
	if err != nil {
		return Signed{}, err
	}
	return h.Verify(req, body, pub)
}
