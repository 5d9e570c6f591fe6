package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	gosync "sync"
	"time"

	"hcscan/camera"
	"hcscan/healthcode"
	"hcscan/store"
	hcsync "hcscan/sync"
	"hcscan/tui"
)

// The adapters between the parts and the screen's small interfaces.

// screenStore is the data file as the screen sees it.
type screenStore struct {
	*store.Store
	loc         *time.Location
	trustIssued time.Time // of a trust list given with --trust (not in the cache)
}

var _ tui.RecordStore = screenStore{}

func (s screenStore) Stats(now time.Time) (tui.Stats, error) {
	p, err := s.Pending()
	if err != nil {
		return tui.Stats{}, err
	}
	d, err := s.Day(now)
	if err != nil {
		return tui.Stats{}, err
	}
	_, _, tf, err := s.TrustList()
	if err != nil {
		return tui.Stats{}, err
	}
	if tf.IsZero() {
		tf = s.trustIssued
	}
	sf, err := s.StatusFetched()
	return tui.Stats{Pending: p, Passed: d.Passed, Stopped: d.Stopped, Fever: d.Fever, Invalid: d.Invalid,
		TrustFetched: tf, StatusFetched: sf}, err
}

func (s screenStore) Today(now time.Time, limit int) ([]tui.Row, error) {
	n := now.In(s.loc)
	day := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, s.loc)
	es, err := s.Recent(limit, store.Filter{From: day})
	rows := make([]tui.Row, 0, len(es))
	for _, e := range es {
		rows = append(rows, tui.Row{Record: e.Record, Uploaded: e.State == store.StateUploaded, Refused: e.State == store.StateRejected})
	}
	return rows, err
}

func (s screenStore) CheckPIN(op, pin string) error {
	ok, err := s.Store.CheckPIN(op, pin)
	if err != nil {
		return err
	}
	if !ok {
		return tui.ErrWrongPIN
	}
	return nil
}

func (s screenStore) Rejected(limit int) ([]tui.Rejected, error) {
	ds, err := s.DeadLetters()
	out := make([]tui.Rejected, 0, len(ds))
	for i, d := range ds {
		if i == limit {
			break
		}
		out = append(out, tui.Rejected{RecordID: d.ID, Time: d.At, Reason: d.Reason})
	}
	return out, err
}

func (s screenStore) Alerts() ([]tui.Alert, error) {
	as, err := s.Store.Alerts()
	out := make([]tui.Alert, 0, len(as))
	for _, a := range as {
		al := tui.Alert{RecordID: a.RecordID, Time: a.Created, Colour: a.Colour, Reason: a.Reason}
		if e, err := s.ByID(a.RecordID); err == nil {
			al.Time, al.Name = e.Record.Time, e.Record.Name
		}
		out = append(out, al)
	}
	return out, err
}

// screenSync turns the sync client's states into the screen's.
type screenSync struct {
	c  *hcsync.Client
	ch chan tui.SyncState
}

func newScreenSync(ctx context.Context, c *hcsync.Client) *screenSync {
	s := &screenSync{c: c, ch: make(chan tui.SyncState, 1)}
	go func() {
		in := c.Updates()
		s.put(syncState(c.State()))
		for {
			select {
			case <-ctx.Done():
				return
			case st := <-in:
				s.put(syncState(st))
			}
		}
	}()
	return s
}

// put keeps only the newest state for the screen.
func (s *screenSync) put(st tui.SyncState) {
	for {
		select {
		case s.ch <- st:
			return
		default:
		}
		select {
		case <-s.ch:
		default:
		}
	}
}

func (s *screenSync) States() <-chan tui.SyncState { return s.ch }
func (s *screenSync) SyncNow()                     { s.c.Kick() }

func syncState(st hcsync.State) tui.SyncState {
	return tui.SyncState{
		Server: st.Server, Online: st.Online, Syncing: st.Syncing, Sent: st.Progress.Sent, Total: st.Progress.Total,
		LastSuccess: st.LastSuccess, LastError: st.LastError, NextAttempt: st.NextAttempt,
		ClockOffset: st.ClockOffset, ClockMeasured: st.ClockMeasured, ClockSkewed: st.ClockSkewed,
		ClockJumpedBack: st.ClockJumpedBack, NewAlerts: st.NewAlerts,
	}
}

// screenCamera is a camera (or the reason there is none) for the screen.
// It may be opened later (the demo starts its video once someone signs in).
type screenCamera struct {
	ch      chan tui.Scan
	mu      gosync.Mutex
	cam     *camera.Camera // nil until opened, or when it could not be
	failed  string
	waiting bool // not opened yet
}

func newScreenCamera(cam *camera.Camera, openErr error) *screenCamera {
	s := &screenCamera{ch: make(chan tui.Scan)}
	s.attach(cam, openErr)
	return s
}

// newDelayedCamera is a camera that open opens when start is called.
func newDelayedCamera(open func() (*camera.Camera, error)) (s *screenCamera, start func()) {
	s = &screenCamera{ch: make(chan tui.Scan), waiting: true}
	var once gosync.Once
	return s, func() { once.Do(func() { s.attach(open()) }) }
}

func (s *screenCamera) attach(cam *camera.Camera, openErr error) {
	s.mu.Lock()
	s.cam, s.waiting = cam, false
	if openErr != nil {
		s.failed = openErr.Error()
	}
	s.mu.Unlock()
	if cam == nil {
		return // Scans stays open and silent: the handheld scanner still works
	}
	go func() {
		defer close(s.ch)
		for sc := range cam.Scans() {
			// A frame with several new codes gives one scan each, in reading order.
			for _, code := range sc.Codes {
				s.ch <- tui.Scan{Text: code.Text, At: sc.FrameTime, Source: tui.SourceCamera}
			}
		}
	}()
}

func (s *screenCamera) camera() (*camera.Camera, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cam, s.waiting
}

// Close stops the camera if it was opened.
func (s *screenCamera) Close() {
	if cam, _ := s.camera(); cam != nil {
		cam.Close()
	}
}

func (s *screenCamera) Scans() <-chan tui.Scan { return s.ch }

func (s *screenCamera) Status() tui.CameraStatus {
	cam, waiting := s.camera()
	if waiting {
		return tui.CameraStatus{State: tui.CameraStarting}
	}
	if cam == nil {
		return tui.CameraStatus{State: tui.CameraFailed, Detail: s.failed}
	}
	st := cam.State()
	out := tui.CameraStatus{Detail: st.Format.String()}
	switch st.Kind {
	case camera.Running:
		out.State = tui.CameraOK
	case camera.Lost:
		out.State = tui.CameraLost
		if st.Err != nil {
			out.Detail = st.Err.Error()
		}
	case camera.Ended, camera.Stopped:
		out.State = tui.CameraEnded
	}
	return out
}

func (s *screenCamera) Preview(w, h int) string {
	if cam, _ := s.camera(); cam != nil {
		return cam.Preview(w, h)
	}
	return ""
}

// codeChecker verifies codes against the newest cached trust list (the
// sync client may replace it while the screen runs), the cached status
// list, and — when the province answers in time — the live status.
type codeChecker struct {
	st       *store.Store
	root     ed25519.PublicKey // pinned root; nil with a fixed trust list
	client   *hcsync.Client    // nil: offline only
	policy   healthcode.Policy
	replay   *healthcode.ReplayGuard
	log      *slog.Logger
	mu       gosync.Mutex
	trust    *healthcode.TrustList
	trustSeq uint64
	fixed    bool // the trust list came from --trust, not from the province
}

func (k *codeChecker) trustList() (*healthcode.TrustList, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fixed {
		return k.trust, nil
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
	tl, err := healthcode.ParseTrustList(raw, k.root, 0)
	if err != nil {
		return nil, fmt.Errorf("cached trust list: %w", err)
	}
	k.trust, k.trustSeq = tl, seq
	return tl, nil
}

func (k *codeChecker) verify(ctx context.Context, payload string, now time.Time) tui.Verification {
	tl, err := k.trustList()
	if err != nil {
		k.log.Error("trust list", "err", err)
	}
	fetched, _ := k.st.StatusFetched()
	v := healthcode.Verifier{Trust: tl, Status: k.st, StatusFetched: fetched, StaleAfter: k.policy.StaleAfter, Replay: k.replay}
	res := v.Verify(payload, now)
	out := tui.Verification{Result: res}
	if !res.Valid || k.client == nil || !k.client.State().Online {
		return out
	}
	e, err := k.client.LiveStatus(ctx, res.CodeHash)
	if err != nil {
		k.log.Info("live status check failed; using the cached status list", "err", err)
		return out
	}
	out.LiveStatus = true
	out.StatusStale = false
	out.ApplyStatus(e)
	return out
}

// sealer seals manual entries to the province key from the enrolment.
func sealer(dev store.Device, enrolled bool) tui.SealFunc {
	if !enrolled || len(dev.SealKey) != 32 {
		return nil
	}
	var pub [32]byte
	copy(pub[:], dev.SealKey)
	return func(id tui.Identity) ([]byte, error) {
		return store.SealIdentity(&pub, id.Name, id.ID, id.Phone)
	}
}

var errNoTrust = errors.New("no trust list: enrol this scanner (`hcscan enroll`) or give --trust FILE")
