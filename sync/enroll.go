package sync

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hcscan/protocol"
	"hcscan/store"
)

// EnrollOptions say where and how to enrol.
type EnrollOptions struct {
	ServerURL string // https://province.example (http:// on a private network)
	Token     string // single-use enrolment token from the portal
	// PinRoot, when set, is the hex fingerprint (protocol.Fingerprint;
	// at least its first 16 digits) the province root key must have.
	PinRoot string
	Name    string // shown in the portal's device list, e.g. the host name
	// Force enrols again over an existing enrolment.
	Force      bool
	HTTPClient *http.Client
	Now        func() time.Time
}

// ErrRootMismatch means the server's root key is not the pinned one.
var ErrRootMismatch = errors.New("the server's root key does not match the pinned fingerprint")

// NormalizeFingerprint lowercases a fingerprint and drops separators
// (colons, spaces); it checks it is 16 to 64 hex digits.
func NormalizeFingerprint(fp string) (string, error) {
	fp = strings.ToLower(strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(fp)))
	if len(fp) < 16 || len(fp) > 64 {
		return "", fmt.Errorf("root fingerprint %q: want 16 to 64 hex digits", fp)
	}
	for _, r := range fp {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return "", fmt.Errorf("root fingerprint %q: not hexadecimal", fp)
		}
	}
	return fp, nil
}

// Enroll registers this scanner with the province. With a pinned root
// fingerprint it first fetches the server's root key (GET /v1/root) and
// goes on only when it matches, so a wrong server never gets the token.
// Then it makes a new device key, spends the token, checks the reply (the
// root signed the trust list, which vouches for the server key, which
// signed the reply; the root is the one checked before), and saves the
// identity, the key (device.key, 0600) and the trust list in st.
func Enroll(ctx context.Context, st EnrolmentStore, o EnrollOptions) (store.Device, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = defaultHTTPClient()
	}
	pin := ""
	if o.PinRoot != "" {
		var err error
		if pin, err = NormalizeFingerprint(o.PinRoot); err != nil {
			return store.Device{}, err
		}
	}
	u, err := url.Parse(strings.TrimSpace(o.ServerURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return store.Device{}, fmt.Errorf("server address %q: want https://HOST[:PORT]", o.ServerURL)
	}
	base := strings.TrimRight(u.String(), "/")
	if strings.TrimSpace(o.Token) == "" {
		return store.Device{}, errors.New("no enrolment token: get one from the provincial portal (or `hcserver token`)")
	}
	if old, ok, err := st.Device(); err == nil && ok && !o.Force {
		return store.Device{}, fmt.Errorf("this scanner is already enrolled as device %s with %s; use --force to enrol it again", old.ID, old.ServerURL)
	}

	// The token is spent by the enrolment: with a pin, check the server's
	// root first, so that a wrong server (a mistyped address) never gets it.
	var pinnedRoot ed25519.PublicKey
	if pin != "" {
		if pinnedRoot, err = checkRootFirst(ctx, o.HTTPClient, base, pin); err != nil {
			return store.Device{}, err
		}
	}

	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return store.Device{}, fmt.Errorf("enrol: device key: %w", err)
	}
	body, err := json.Marshal(protocol.NewEnrollRequest(strings.TrimSpace(o.Token), key, o.Name))
	if err != nil {
		return store.Device{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+protocol.PathEnroll, bytes.NewReader(body))
	if err != nil {
		return store.Device{}, fmt.Errorf("enrol: %w", err)
	}
	req.Header.Set("Content-Type", protocol.ContentTypeJSON)
	resp, err := o.HTTPClient.Do(req)
	if err != nil {
		return store.Device{}, unreachable("enrol", base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return store.Device{}, unreachable("enrol", base, err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		e := protocol.ParseError(resp.StatusCode, data)
		switch e.Code {
		case protocol.ErrTokenUsed:
			return store.Device{}, fmt.Errorf("enrol: this token was already used to enrol a device; ask the portal for a new one")
		case protocol.ErrBadToken:
			return store.Device{}, fmt.Errorf("enrol: the server does not know this token (mistyped?)")
		case protocol.ErrTokenExpired:
			return store.Device{}, fmt.Errorf("enrol: this token has expired; ask the portal for a new one")
		}
		return store.Device{}, &ServerError{Op: "enrol", Status: resp.StatusCode, Code: e.Code, Message: e.Message,
			RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), o.Now())}
	}
	var reply protocol.EnrollReply
	if err := decodeJSON(data, &reply); err != nil {
		return store.Device{}, fmt.Errorf("enrol: the server's reply is not readable: %w", err)
	}
	tl, err := reply.Verify(key.Public().(ed25519.PublicKey))
	if err != nil {
		return store.Device{}, fmt.Errorf("enrol: refusing the server's reply: %w", err)
	}
	if fp := protocol.Fingerprint(reply.RootKey); pin != "" && (!strings.HasPrefix(fp, pin) || !reply.RootKey.Equal(pinnedRoot)) {
		return store.Device{}, fmt.Errorf("enrol: the server showed the pinned root before enrolment but signed the enrolment with root %s; refusing it (the token is spent: report this server to the provincial office): %w",
			fp, ErrRootMismatch)
	}
	dev := store.Device{
		ID: reply.DeviceID, Institution: reply.Institution, Gate: reply.Gate, ServerURL: base,
		RootKey: reply.RootKey, ServerKey: reply.ServerKey, SealKey: reply.SealKey, Key: key, Enrolled: o.Now(),
	}
	if err := st.SaveDevice(dev); err != nil {
		return store.Device{}, fmt.Errorf("enrol: %w", err)
	}
	if err := st.SaveTrustList(reply.TrustList, tl.Seq, o.Now()); err != nil && !errors.Is(err, store.ErrRollback) {
		return dev, fmt.Errorf("enrol: %w", err)
	}
	return dev, nil
}

// checkRootFirst asks the server for its root key and compares it with
// the pinned fingerprint, before any token is sent.
func checkRootFirst(ctx context.Context, hc *http.Client, base, pin string) (ed25519.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+protocol.PathRoot, nil)
	if err != nil {
		return nil, fmt.Errorf("enrol: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, unreachable("enrol: check the server's root key", base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, unreachable("enrol: check the server's root key", base, err)
	}
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("enrol: the server at %s does not show its root key before enrolment (an older server), so the pinned fingerprint cannot be checked without spending the token; nothing was sent. Update the server, or enrol without --pin-root and compare the fingerprint printed afterwards", base)
	}
	if resp.StatusCode != http.StatusOK {
		e := protocol.ParseError(resp.StatusCode, data)
		return nil, &ServerError{Op: "enrol: check the server's root key", Status: resp.StatusCode, Code: e.Code, Message: e.Message}
	}
	var rr protocol.RootReply
	if err := decodeJSON(data, &rr); err != nil || len(rr.RootKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("enrol: the server's root key is not readable (nothing was sent): %v", err)
	}
	if fp := protocol.Fingerprint(rr.RootKey); !strings.HasPrefix(fp, pin) {
		return nil, fmt.Errorf("enrol: the server at %s has root key fingerprint %s, not the pinned %s; refusing it before sending the token (it is still good: check the server address): %w",
			base, fp, pin, ErrRootMismatch)
	}
	return rr.RootKey, nil
}
