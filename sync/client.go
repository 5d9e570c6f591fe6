package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	gosync "sync"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/trustclock"
	"hcscan/protocol"
	"hcscan/store"
)

// ErrNotEnrolled means the data file has no device identity yet.
var ErrNotEnrolled = errors.New("this scanner is not enrolled with a province server (run `hcscan enroll`)")

// Options tune a Client. The zero value is usable.
type Options struct {
	// Logger receives diagnostics (default: discard).
	Logger *slog.Logger
	// HTTPClient talks to the server (default: one with dial, TLS and
	// header timeouts, proxy from the environment).
	HTTPClient *http.Client
	// BatchSize is the number of records per upload (default and maximum
	// protocol.MaxBatch = 500).
	BatchSize int
	// InFlight is how many batches travel at once (default 3).
	InFlight int
	// Interval is the wait between two full syncs in Run while things
	// work (default 30 s); saved records do not wait for it (UploadDelay).
	Interval time.Duration
	// UploadDelay is how long Run waits after RecordSaved before it
	// uploads, so that records saved close together go in one batch
	// (default 200 ms).
	UploadDelay time.Duration
	// ProbeCap is the longest wait between two probes while the server
	// cannot be reached (default 5 s, and never above Backoff's cap);
	// Spread is the longest random wait between a probe that reached it
	// and the sync that follows (default 1 s), so that a province's
	// scanners coming back together do not all upload in the same second.
	ProbeCap, Spread time.Duration
	// RequestTimeout bounds one request (default 60 s).
	RequestTimeout time.Duration
	// LiveTimeout bounds LiveStatus (default 800 ms).
	LiveTimeout time.Duration
	// MaxSkew is the clock offset above which State.ClockSkewed is set
	// (default 1 min).
	MaxSkew time.Duration
	// Backoff is Run's wait after a failure (defaults: 1 s, capped at 5 min).
	Backoff Backoff
	// Clock is the scanner's trusted time, shared with the screen; nil:
	// one on the machine's clocks, kept in the data file.
	Clock Clock
}

// Client is the scanner's link to its province. Its methods are safe for
// concurrent use; syncs never overlap (a second SyncOnce waits).
type Client struct {
	outbox      Outbox
	trustCache  TrustCache
	statusCache StatusCache
	staff       StaffCache
	settings    Settings
	sealKeys    SealKeyStore
	alerts      AlertAcks
	rosterCache RosterCache
	dev         store.Device
	base        string // server URL without the trailing slash
	http        *http.Client
	log         *slog.Logger
	opts        Options

	syncMu gosync.Mutex // one sync at a time

	clock Clock

	mu      gosync.Mutex // guards what follows
	state   State
	etag    string                // of the cached trust list
	trust   *healthcode.TrustList // the cached trust list, verified
	updates chan State
	kick    chan struct{} // the operator asked for a sync (SyncNow)
	saved   chan struct{} // a record was saved (RecordSaved)
	backoff Backoff
	probe   Backoff   // waits between probes while the server cannot be reached
	fullDue time.Time // when Run's next full sync is due
}

// New makes a client for the device enrolled in data (the scanner's
// *store.Store).
func New(data Data, opts Options) (*Client, error) {
	dev, ok, err := data.Device()
	if err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	if !ok {
		return nil, ErrNotEnrolled
	}
	if dev.ID == "" || len(dev.Key) == 0 || len(dev.RootKey) == 0 || dev.ServerURL == "" {
		return nil, errors.New("sync: the enrolment in the data file is incomplete (device id, key, root key or server URL missing); enrol again")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = defaultHTTPClient()
	}
	if opts.BatchSize <= 0 || opts.BatchSize > protocol.MaxBatch {
		opts.BatchSize = protocol.MaxBatch
	}
	if opts.InFlight <= 0 {
		opts.InFlight = 3
	}
	if opts.Interval <= 0 {
		opts.Interval = 30 * time.Second
	}
	if opts.UploadDelay <= 0 {
		opts.UploadDelay = 200 * time.Millisecond
	}
	if opts.ProbeCap <= 0 {
		opts.ProbeCap = 5 * time.Second
	}
	if opts.Spread <= 0 {
		opts.Spread = time.Second
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 60 * time.Second
	}
	if opts.LiveTimeout <= 0 {
		opts.LiveTimeout = 800 * time.Millisecond
	}
	if opts.MaxSkew <= 0 {
		opts.MaxSkew = time.Minute
	}
	if opts.Clock == nil {
		opts.Clock = trustclock.New(trustclock.System(), trustclock.Options{Settings: data, Log: opts.Logger})
	}
	c := &Client{
		outbox: data, trustCache: data, statusCache: data, settings: data, sealKeys: data, alerts: data, rosterCache: data, staff: data, dev: dev, base: strings.TrimRight(dev.ServerURL, "/"),
		http: opts.HTTPClient, log: opts.Logger.With("component", "sync"), opts: opts,
		clock: opts.Clock, updates: make(chan State, 1), kick: make(chan struct{}, 1), saved: make(chan struct{}, 1),
		backoff: opts.Backoff, probe: probeBackoff(opts),
	}
	c.state = State{Server: c.base, DeviceID: dev.ID}
	c.refreshLocal()
	c.noteClock()
	return c, nil
}

// Device is the enrolment the client signs with.
func (c *Client) Device() store.Device { return c.dev }

// noteContact records whether the last contact reached the server.
func (c *Client) noteContact(online bool) {
	c.mu.Lock()
	changed := c.state.Online != online
	c.state.Online = online
	c.mu.Unlock()
	if changed {
		c.publish()
	}
}

// Report is what one SyncOnce did.
type Report struct {
	TrustSeq       uint64 // trust list held after the sync
	TrustUpdated   bool   // a new trust list was fetched (not 304)
	StatusSeq      uint64
	StatusEntries  int  // status entries applied
	StatusSnapshot bool // the server answered 410 and a snapshot replaced the cache
	Stored         int  // records the server took as new
	Duplicates     int  // records the server already had (acknowledged too)
	Rejected       int  // records moved to dead letters
	Remaining      int  // records still waiting after the sync
	Batches        int
	Alerts         []store.Alert          // provisional passes the status pull showed were yellow/red
	RosterAlerts   []protocol.RosterAlert // alerts about the institution's people new in this sync
	RosterMembers  int                    // people in the roster held after the sync (when one came)
	AcksReported   int                    // alert acknowledgements the province now has
	Clock          healthcode.Moment      // the trusted time at the end of the sync
	Took           time.Duration
}

// Acknowledged is the number of records deleted from the outbox.
func (r Report) Acknowledged() int { return r.Stored + r.Duplicates }

// SyncOnce pulls the trust list and status changes, then uploads the
// outbox in batches. progress, when not nil, is called after each batch
// with the records handled so far (acknowledged or rejected) and the total
// (handled plus still waiting). A failure stops the sync: what was done
// before it stays done (acknowledged records are deleted batch by batch),
// and the Report says how far it got.
func (c *Client) SyncOnce(ctx context.Context, progress func(sent, total int)) (Report, error) {
	return c.syncSteps(ctx, true, progress)
}

// UploadOnce uploads the outbox without pulling the trust and status
// lists: what Run does right after records are saved, between full syncs.
// An empty outbox costs no request.
func (c *Client) UploadOnce(ctx context.Context) (Report, error) {
	if n, err := c.outbox.Pending(); err == nil && n == 0 {
		return Report{}, nil
	}
	return c.syncSteps(ctx, false, nil)
}

func (c *Client) syncSteps(ctx context.Context, pull bool, progress func(sent, total int)) (Report, error) {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	start := c.clock.Mono()
	c.mu.Lock()
	c.state.Syncing = true
	c.state.LastAttempt = c.now()
	c.mu.Unlock()
	c.publish()

	// A refused trust or status list (rollback, bad signature) does not
	// hold back the records: they still go up, and the refusal is the
	// sync's error. A network failure ends the sync at once.
	var rep Report
	var errs []error
	steps := []func() error{func() error { return c.upload(ctx, &rep, progress) }}
	if pull {
		steps = []func() error{
			func() error { return c.pullTrust(ctx, &rep) },
			func() error { return c.pullStatus(ctx, &rep) },
			func() error { return c.pushStaffPINs(ctx) },
			func() error { return c.pullStaff(ctx) },
			steps[0],
			// After the upload: alerts the records just sent raised (a
			// fever at this gate) come back in the same sync.
			func() error { return c.pullRoster(ctx, &rep) },
			func() error { return c.reportAcks(ctx, &rep) },
		}
	}
	for _, step := range steps {
		if err := step(); err != nil {
			errs = append(errs, err)
			if Retryable(err) || ctx.Err() != nil {
				break
			}
		}
	}
	var err error
	switch len(errs) {
	case 0:
	case 1:
		err = errs[0]
	default:
		err = fmt.Errorf("%w; %w", errs[0], errors.Join(errs[1:]...))
	}
	rep.Took = c.clock.Mono() - start
	if err := c.clock.Save(); err != nil {
		c.log.Error("keep the province's time", "err", err)
	}
	c.noteClock()
	rep.Clock = c.clock.Moment()
	pending, perr := c.outbox.Pending()
	if perr == nil {
		rep.Remaining = pending
	}

	c.mu.Lock()
	c.state.Syncing = false
	c.state.Progress = Progress{}
	if perr == nil {
		// With the sync's end, not a moment later: a reader that sees this
		// sync's success sees what it left waiting.
		c.state.Pending = pending
	}
	if err == nil {
		c.state.Online = true
		c.state.LastSuccess = c.now()
		c.state.LastError = ""
		c.state.Failures = 0
	} else {
		// Online stays as the last contact left it: a refusal or a damaged
		// reply still shows the server is reachable.
		c.state.LastError = err.Error()
		c.state.Failures++
	}
	c.state.NewAlerts += len(rep.Alerts) + len(rep.RosterAlerts)
	c.mu.Unlock()
	c.refreshLocal()
	c.publish()
	what := "sync"
	if !pull {
		what = "upload"
	}
	if err != nil {
		c.log.Warn(what+" failed", "err", err, "stored", rep.Stored, "duplicates", rep.Duplicates, "rejected", rep.Rejected)
	} else {
		c.log.Info(what+" done", "stored", rep.Stored, "duplicates", rep.Duplicates, "rejected", rep.Rejected,
			"status_entries", rep.StatusEntries, "trust_seq", rep.TrustSeq, "took", rep.Took)
	}
	return rep, err
}

// LiveStatus asks the server for the current colour of one code, within
// Options.LiveTimeout (and ctx). A code the province has no entry for
// returns an entry with Colour healthcode.ColourUnknown and no error: the
// colour in the code stands. On any error the caller falls back to the
// cached status list and says so on screen.
func (c *Client) LiveStatus(ctx context.Context, h healthcode.CodeHash) (healthcode.StatusEntry, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.LiveTimeout)
	defer cancel()
	ex, err := c.do(ctx, "live status check", http.MethodGet, protocol.LiveStatusURI(h), nil, nil)
	if err != nil {
		return healthcode.StatusEntry{}, err
	}
	var ls protocol.LiveStatus
	if err := decodeJSON(ex.body, &ls); err != nil {
		return healthcode.StatusEntry{}, fmt.Errorf("live status check: the server's reply is not readable: %w", err)
	}
	if err := ls.Verify(c.statusKey(), ex.nonce); err != nil {
		return healthcode.StatusEntry{}, fmt.Errorf("live status check: refused: %w", err)
	}
	if ls.Hash != h {
		return healthcode.StatusEntry{}, fmt.Errorf("live status check: the server answered for code %s, not %s", ls.Hash, h)
	}
	if !ls.Known {
		return healthcode.StatusEntry{Hash: h}, nil
	}
	if !ls.Colour.Valid() {
		return healthcode.StatusEntry{}, fmt.Errorf("live status check: the server's answer has no colour")
	}
	return healthcode.StatusEntry{Hash: h, Colour: ls.Colour, Updated: ls.Updated, Seq: ls.Seq}, nil
}
