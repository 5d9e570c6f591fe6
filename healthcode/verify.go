package healthcode

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veraison/go-cose"
)

// Result is the outcome of verifying one code offline.
type Result struct {
	Valid           bool
	Reason          Reason
	Detail          string     // technical detail for the log; may quote untrusted input
	Claims          Claims     // set once the payload was parsed (even if invalid later)
	Issuer          *IssuerKey // set once the issuer was found
	Dynamic         bool       // a live presentation (HCP1), not a printed or static code
	PresentedAt     time.Time  // the presentation's time, for dynamic codes
	CodeHash        CodeHash   // what the record keeps instead of the code id
	ScannedColour   Colour     // the colour in the code
	EffectiveColour Colour     // after the status list override
	StatusOverride  bool       // the status list changed the colour
	StatusStale     bool       // no status data, or older than the verifier's StaleAfter, or of unknown age
	// ClockUnsure: the laptop's clock is behind a time already seen and
	// the province has not confirmed the time (Moment.Behind), so only
	// what the earliest possible time proves was checked (an expired code
	// is still refused); the verdict is provisional.
	ClockUnsure  bool
	DecoderPanic bool // a third-party decoder panicked on this payload (Detail says where)
}

// Verifier checks codes offline against a trust list and a status list.
// It is safe for concurrent use.
type Verifier struct {
	Trust         *TrustList
	Status        StatusLookup  // nil: no status data
	StatusFetched time.Time     // when the status data was last brought up to date
	StaleAfter    time.Duration // status older than this makes a verdict provisional (default 24 h)
	Tolerance     time.Duration // clock tolerance for validity windows (default 5 min)
	Replay        *ReplayGuard  // nil: no replay detection
}

func fail(r Result, reason Reason, detail string) Result {
	r.Valid = false
	r.Reason = reason
	r.Detail = detail
	return r
}

// decoderPanics counts panics caught inside third-party decoders.
var decoderPanics atomic.Uint64

// DecoderPanics is how many times a third-party decoder (CBOR, COSE)
// panicked on a payload since the program started.
func DecoderPanics() uint64 { return decoderPanics.Load() }

// errDecoderPanic marks an error made from a recovered decoder panic.
type errDecoderPanic struct{ what string }

func (e errDecoderPanic) Error() string { return "decoder panic: " + e.what }

// guarded runs one call into a third-party decoder, turning a panic into an
// error so that a hostile payload that trips a bug there cannot stop the
// gate. Only these calls are guarded: a panic in this package's own code is
// a bug and must be seen as one.
func guarded(step string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			decoderPanics.Add(1)
			err = errDecoderPanic{fmt.Sprintf("%s: %v", step, p)}
		}
	}()
	return f()
}

// failDecode is fail for an error from a guarded decoder call.
func failDecode(r Result, reason Reason, err error) Result {
	var p errDecoderPanic
	if errors.As(err, &p) {
		r.DecoderPanic = true
	}
	return fail(r, reason, err.Error())
}

// Verify checks one payload at time now, a time that is known to be
// right (see VerifyAt for the scanner's clock).
func (v *Verifier) Verify(payload string, now time.Time) Result {
	return v.VerifyAt(payload, Moment{Now: now, Wall: now, Confirmed: true})
}

// VerifyAt checks one payload at the moment at. It returns no error:
// whatever fails is an invalid Result with its reason. When the moment is
// Behind, the true time is known only not to be before at.Floor: a code
// that had expired by then is refused, but nothing is refused for being
// too old or too new by a guess (expired, not yet valid, a live code's
// age), and the result is ClockUnsure. A panic in a third-party decoder is caught and reported as
// the payload's failure (DecoderPanic); a panic in this package's own code
// is not caught.
func (v *Verifier) VerifyAt(payload string, at Moment) (res Result) {
	now, unsure := at.Now, at.Behind()
	if unsure {
		now = at.Floor // zero when the province never vouched for a time: nothing is provably expired
	}
	tol := v.Tolerance
	if tol == 0 {
		tol = ClockTolerance
	}
	switch {
	case payload == "":
		return fail(res, ReasonEmpty, "")
	case len(payload) > MaxPayloadLen:
		return fail(res, ReasonTooLarge, fmt.Sprintf("%d characters", len(payload)))
	}
	var raw []byte
	var pres presentation
	switch {
	case strings.HasPrefix(payload, PrefixStatic):
		b, err := base45Decode(payload[len(PrefixStatic):])
		if err != nil {
			return fail(res, ReasonBadBase45, err.Error())
		}
		raw = b
	case strings.HasPrefix(payload, PrefixDynamic):
		res.Dynamic = true
		b, err := base45Decode(payload[len(PrefixDynamic):])
		if err != nil {
			return fail(res, ReasonBadBase45, err.Error())
		}
		if err := guarded("presentation", func() error { return strict.Unmarshal(b, &pres) }); err != nil {
			return failDecode(res, ReasonBadCBOR, fmt.Errorf("presentation: %w", err))
		}
		raw = pres.Credential
		res.PresentedAt = time.Unix(pres.Time, 0)
	default:
		return fail(res, ReasonBadPrefix, "")
	}

	if err := guarded("cbor", func() error { return strict.Wellformed(raw) }); err != nil {
		return failDecode(res, ReasonBadCBOR, err)
	}
	var msg cose.Sign1Message
	if err := guarded("cose", func() error { return msg.UnmarshalCBOR(raw) }); err != nil {
		return failDecode(res, ReasonBadCOSE, err)
	}
	alg, err := msg.Headers.Protected.Algorithm()
	if err != nil || alg != cose.AlgorithmEdDSA {
		return fail(res, ReasonAlgorithm, fmt.Sprintf("alg %v", alg))
	}
	kidv, _ := msg.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
	var kid KID
	if len(kidv) != len(kid) {
		return fail(res, ReasonUnknownIssuer, "kid missing from protected header")
	}
	copy(kid[:], kidv)
	if v.Trust == nil {
		return fail(res, ReasonNoTrustList, "")
	}
	issuer, ok := v.Trust.Lookup(kid)
	if !ok {
		return fail(res, ReasonUnknownIssuer, "kid "+kid.String())
	}
	res.Issuer = issuer
	if err := guarded("signature", func() error { return msg.Verify(nil, issuer.verifier) }); err != nil {
		return failDecode(res, ReasonBadSignature, err)
	}

	var w wireClaims
	if err := guarded("claims", func() error { return strict.Unmarshal(msg.Payload, &w) }); err != nil {
		return failDecode(res, ReasonBadClaims, err)
	}
	c, err := w.claims()
	if err != nil {
		return fail(res, ReasonBadClaims, err.Error())
	}
	res.Claims = c
	res.CodeHash = c.CodeID.Hash()
	res.ScannedColour = c.Colour
	res.EffectiveColour = c.Colour
	if c.Region.Province() != issuer.Region.Province() {
		return fail(res, ReasonRegionMismatch, fmt.Sprintf("issuer %s, code %s", issuer.Region, c.Region))
	}
	if !issuer.NotAfter.IsZero() && c.IssuedAt.After(issuer.NotAfter) {
		return fail(res, ReasonIssuerExpired, "issued after the key's end")
	}
	if !unsure && now.Add(tol).Before(c.IssuedAt) {
		return fail(res, ReasonNotYetValid, "issued "+c.IssuedAt.UTC().Format(time.RFC3339))
	}
	if !now.Add(-tol).Before(c.Expires) {
		return fail(res, ReasonExpired, "expired "+c.Expires.UTC().Format(time.RFC3339))
	}

	if res.Dynamic {
		if len(c.HolderKey) == 0 {
			return fail(res, ReasonNoHolderKey, "")
		}
		if !VerifyEd25519(c.HolderKey, presentationMessage(raw, pres.Time), pres.Signature) {
			return fail(res, ReasonBadHolderSignature, "")
		}
		if d := now.Sub(res.PresentedAt); d > PresentationAge || (d < -PresentationAge && !unsure) {
			return fail(res, ReasonStalePresentation, fmt.Sprintf("presented %s ago", d.Round(time.Second)))
		}
		if v.Replay != nil && !v.Replay.Note(c.CodeID, res.PresentedAt, at.Now) {
			return fail(res, ReasonReplayedPresentation, "an newer presentation of this code was already seen")
		}
	}

	// Status data fetched "in the future" means the clock went back since:
	// its age is unknown, so it counts as stale, as it does when the
	// clock itself is unsure.
	age := now.Sub(v.StatusFetched)
	res.ClockUnsure = unsure
	res.StatusStale = v.Status == nil || v.StatusFetched.IsZero() || age > v.staleAfter() || age < -tol || unsure
	if v.Status != nil {
		if e, ok := v.Status.Lookup(res.CodeHash); ok {
			res.ApplyStatus(e)
		}
	}
	res.Valid = true
	res.Reason = ReasonOK
	return res
}

func (v *Verifier) staleAfter() time.Duration {
	if v.StaleAfter > 0 {
		return v.StaleAfter
	}
	return 24 * time.Hour
}

// ReplayGuard remembers the newest presentation time seen for each code, so
// a presentation older than one already seen (a forwarded screenshot) is
// refused. Entries are forgotten once no presentation could still be valid.
type ReplayGuard struct {
	mu     sync.Mutex
	latest map[CodeID]time.Time
}

// NewReplayGuard returns an empty guard.
func NewReplayGuard() *ReplayGuard { return &ReplayGuard{latest: map[CodeID]time.Time{}} }

// Note records a presentation and reports false if a newer one of the
// same code was already seen.
func (g *ReplayGuard) Note(id CodeID, presented, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.latest) > 4096 {
		for k, t := range g.latest {
			if now.Sub(t) > 2*PresentationAge {
				delete(g.latest, k)
			}
		}
	}
	if t, ok := g.latest[id]; ok && presented.Before(t) {
		return false
	}
	g.latest[id] = presented
	return true
}
