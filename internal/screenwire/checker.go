package screenwire

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	gosync "sync"
	"time"

	"hcscan/healthcode"
	"hcscan/store"
	hcsync "hcscan/sync"
	"hcscan/tui"
)

// LiveStatus is the province's online status check (the sync client).
type LiveStatus interface {
	State() hcsync.State
	LiveStatus(ctx context.Context, h healthcode.CodeHash) (healthcode.StatusEntry, error)
}

// Clock is the scanner's trusted time (*trustclock.Clock), for the one
// thing the checker tells it: a code signed by the province says the true
// time is not before its issue time.
type Clock interface {
	Moment() healthcode.Moment
	Saw(t time.Time)
}

// CheckerOptions say what a Checker verifies with.
type CheckerOptions struct {
	// Fixed is a trust list given with --trust (not enrolled); nil: the
	// list cached in the data file, verified with Root.
	Fixed *healthcode.TrustList
	Root  ed25519.PublicKey // the pinned province root (enrolled)
	// Live asks the province for a code's colour when it is reachable;
	// nil: offline only.
	Live   LiveStatus
	Policy healthcode.Policy // StaleAfter: when cached status data is too old
	Clock  Clock             // nil: the moment given is all there is
	Log    *slog.Logger      // nil: discard
	// Roster says which people are the institution's own (nil: no roster).
	Roster *RosterBook
}

// Checker verifies codes against the newest cached trust list (the sync
// client may replace it while the screen runs) or a fixed one, the cached
// status list, and, when the province answers in time, the live status.
type Checker struct {
	st     *store.Store
	o      CheckerOptions
	replay *healthcode.ReplayGuard

	mu       gosync.Mutex
	trust    *healthcode.TrustList
	trustSeq uint64
}

// NewChecker makes a checker on the data file st.
func NewChecker(st *store.Store, o CheckerOptions) *Checker {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Checker{st: st, o: o, replay: healthcode.NewReplayGuard(), trust: o.Fixed}
}

// trustList is the list to verify with: the fixed one, or the cached one
// parsed again only when its sequence changed (nil when there is none).
func (k *Checker) trustList() (*healthcode.TrustList, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.o.Fixed != nil {
		return k.o.Fixed, nil
	}
	raw, seq, _, err := k.st.TrustList()
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, nil
	}
	if k.trust != nil && seq == k.trustSeq {
		return k.trust, nil
	}
	tl, err := healthcode.ParseTrustList(raw, k.o.Root, 0)
	if err != nil {
		return nil, fmt.Errorf("cached trust list: %w", err)
	}
	k.trust, k.trustSeq = tl, seq
	return tl, nil
}

// CanVerify says there is a trust list to verify codes with (the screen's
// tui.Deps.CanVerify): without one, every code would be "unknown issuer".
func (k *Checker) CanVerify() bool {
	tl, err := k.trustList()
	return err == nil && tl != nil
}

// Verify is the screen's tui.VerifyFunc: offline first, at the moment at;
// then, for a valid code while the province is reachable, the live colour
// replaces the cached status (healthcode.Result.ApplyStatus), and the
// verdict is no longer provisional. A failed live check keeps the offline
// answer. A genuine code "not valid yet" by a laptop clock the province
// has not confirmed shows that clock is behind: the clock learns the
// code's issue time and the code is checked again (a provisional verdict).
func (k *Checker) Verify(ctx context.Context, payload string, at healthcode.Moment) tui.Verification {
	tl, err := k.trustList()
	if err != nil {
		k.o.Log.Error("trust list", "err", err)
	}
	fetched, _ := k.st.StatusFetched()
	v := healthcode.Verifier{Trust: tl, Status: k.st, StatusFetched: fetched, StaleAfter: k.o.Policy.StaleAfter, Replay: k.replay}
	res := v.VerifyAt(payload, at)
	if res.Reason == healthcode.ReasonNotYetValid && !at.Confirmed && k.o.Clock != nil {
		k.o.Clock.Saw(res.Claims.IssuedAt)
		at = k.o.Clock.Moment()
		k.o.Log.Warn("a genuine code was issued after this laptop's clock: the clock is behind", "issued", res.Claims.IssuedAt, "wall", at.Wall)
		res = v.VerifyAt(payload, at)
	}
	out := tui.Verification{Result: res, At: at, StatusFetched: fetched}
	if res.Valid && k.o.Roster != nil {
		out.Member, out.RosterKnown = k.o.Roster.Look(res.Claims.PersonKey)
	}
	if !res.Valid || k.o.Live == nil || !k.o.Live.State().Online {
		return out
	}
	e, err := k.o.Live.LiveStatus(ctx, res.CodeHash)
	if err != nil {
		k.o.Log.Info("live status check failed; using the cached status list", "err", err)
		return out
	}
	out.LiveStatus = true
	out.StatusStale = false
	out.ApplyStatus(e)
	return out
}

// Sealer seals manual entries to the province's key from the enrolment
// (nil when not enrolled: the screen then keeps only the masked form and
// says the identity could not be sealed).
func Sealer(dev store.Device, enrolled bool) tui.SealFunc {
	if !enrolled || len(dev.SealKey) != 32 {
		return nil
	}
	var pub [32]byte
	copy(pub[:], dev.SealKey)
	return func(id tui.Identity) ([]byte, error) {
		return store.SealIdentity(&pub, id.Name, id.ID, id.Phone)
	}
}

// StatusKey is the province's key for what it signs for scanners (status
// lists, the roster): the one the trust list vouches for, else fallback
// (the server key from enrolment).
func (k *Checker) StatusKey(fallback ed25519.PublicKey) func() ed25519.PublicKey {
	return func() ed25519.PublicKey {
		if tl, err := k.trustList(); err == nil && tl != nil && len(tl.StatusKey) > 0 {
			return tl.StatusKey
		}
		return fallback
	}
}
