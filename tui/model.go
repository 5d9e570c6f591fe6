// Package tui is the scanner screen: sign-in, the verdict for each person
// at the gate (with temperature and disposition), manual entry, today's
// records, the sync view and the always-visible status bar, in Chinese or
// English. It never opens files, sockets or cameras: cmd/hcscan hands it
// the camera's scans, the store and the sync client as small interfaces
// (see Deps), and it never writes to stdout or stderr.
package tui

import (
	"context"
	"log/slog"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"

	"hcscan/healthcode"
)

// screen is what fills the space between the status bar and the footer.
type screen int

const (
	screenSignIn screen = iota
	screenLocked
	screenReady
	screenCheck
	screenManual
	screenRecords
	screenSync
	screenSummary
	screenRoster // the group picker of roster mode
)

// Model is the whole program.
type Model struct {
	c    *common
	deps Deps
	ctx  context.Context

	screen   screen
	showHelp bool
	help     help.Model
	preview  bool
	previewS string

	operator string
	shift    shift
	shiftEnd time.Time

	stats    Stats
	sync     SyncState
	cam      CameraStatus
	scansEnd bool

	signin  signInModel
	check   checkModel
	checkN  int
	inCheck bool
	manual  manualModel

	// The people waiting: codes read and not handled yet, oldest first
	// (gate.go), and when the screen may move on.
	waiting    []Scan
	overflow   int       // codes beyond maxWaiting, said on screen
	nextAt     time.Time // the finished verdict stays up until then
	holdArmed  bool      // a holdOverMsg is on its way
	guardUntil time.Time // keys before then do not reach the person on screen
	recent     recentChecks
	notReady   bool // no issuers' list: no code can be checked (lookReady)
	records    recordsModel
	syncv      syncModel
	roster     rosterMode

	footerMemo   footerCache
	wedge        wedge
	notice       string
	lastActivity time.Time
	quitArmed    bool
	// offDuty: the institution disabled the signed-in operator (learnt at
	// a sync); the screen locks when the check on screen ends.
	offDuty bool
}

// New builds the screen. ctx bounds the store and verification calls it makes.
func New(ctx context.Context, deps Deps, set Settings) *Model {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	clock := func() healthcode.Moment { t := deps.Now(); return healthcode.Moment{Now: t, Wall: t} }
	if deps.Clock != nil {
		clock = deps.Clock.Moment
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if set.Lang != "en" {
		set.Lang = "zh"
	}
	c := &common{styles: DefaultStyles(), keys: DefaultKeyMap(), width: 80, height: 24, lang: set.Lang,
		set: set, clock: clock, confirmable: deps.Sync != nil, log: deps.Log, bell: deps.Bell, therm: deps.Therm}
	m := &Model{c: c, deps: deps, ctx: ctx, help: help.New(), recent: newRecentChecks(set.RepeatWindow)}
	m.signin = newSignIn(c, deps.Store, "")
	m.manual = newManual(c, deps.Seal)
	m.records = newRecords(c)
	m.syncv = newSyncView(c)
	m.roster = rosterMode{c: c}
	m.lastActivity = c.now()
	if deps.Camera != nil {
		m.cam = deps.Camera.Status()
	}
	m.lookReady()
	return m
}

// Init starts the clock and the feeds.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tick(m.c.now(), m.deps.Store, m.c.now), loadStats(m.deps.Store, m.c.now())}
	if m.recent.window > 0 {
		cmds = append(cmds, loadRecent(m.deps.Store, m.c.now()))
	}
	if m.deps.Camera != nil {
		cmds = append(cmds, waitForScan(m.deps.Camera.Scans()))
	}
	if m.deps.Sync != nil {
		cmds = append(cmds, waitForSync(m.deps.Sync.States()))
	}
	cmds = append(cmds, waitForClock(m.deps.ClockEvents))
	return tea.Batch(cmds...)
}

// Operator is who is signed in ("" when nobody).
func (m *Model) Operator() string { return m.operator }

func (m *Model) stamp(r *healthcode.Record) {
	r.Institution, r.Gate, r.Operator, r.DeviceID = m.c.set.Institution, m.c.set.Gate, m.operator, m.c.set.DeviceID
}

func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.width, m.c.height = msg.Width, msg.Height
		m.help.Width = msg.Width
		return m, nil
	case tickMsg:
		now := msg.at
		if msg.err != nil {
			m.c.log.Error("read counters", "err", msg.err)
		} else {
			m.stats = msg.stats
		}
		if m.deps.Camera != nil {
			m.cam = m.deps.Camera.Status()
		}
		if set := m.c.set; set.IdleLock > 0 && m.operator != "" && m.screen == screenReady && now.Sub(m.lastActivity) >= set.IdleLock {
			m.lockScreen()
		}
		return m, tea.Batch(m.lookReady(), tick(now, m.deps.Store, m.c.now))
	case statsMsg:
		if msg.err != nil {
			m.c.log.Error("read counters", "err", msg.err)
			return m, nil
		}
		m.stats = msg.stats
		return m, nil
	case scanMsg:
		// A held scan's age is judged by the screen's clock, never by
		// the laptop's clock the camera stamped it with.
		msg.scan.At = m.c.now()
		cmd := m.onScan(msg.scan)
		if m.deps.Camera == nil {
			return m, cmd
		}
		m.cam = m.deps.Camera.Status()
		return m, tea.Batch(cmd, waitForScan(m.deps.Camera.Scans()))
	case holdOverMsg:
		m.holdArmed = false
		return m, m.nextWaiting()
	case guardOverMsg:
		return m, nil // redraw: the step's prompt shows
	case camStatusMsg:
		if m.deps.Camera != nil {
			m.cam = m.deps.Camera.Status()
		}
		return m, nil
	case scanFeedClosedMsg:
		m.scansEnd = true
		return m, nil
	case clockMsg:
		// Nothing to keep: the view reads the clock; this redraws it now.
		return m, waitForClock(m.deps.ClockEvents)
	case syncStateMsg:
		was, alerts, lastOK := m.sync.Syncing, m.sync.NewAlerts, m.sync.LastSuccess
		m.sync = msg.state
		var cmd, stats tea.Cmd
		if m.screen == screenSync && was && !m.sync.Syncing {
			cmd = loadSyncData(m.deps.Store, m.deps.Roster)
		}
		if m.sync.NewAlerts != alerts || (was && !m.sync.Syncing) {
			// A new alert, or records that went up, show at once.
			stats = loadStats(m.deps.Store, m.c.now())
		}
		var duty tea.Cmd
		if !m.sync.LastSuccess.Equal(lastOK) && m.operator != "" { // a sync brought the staff list
			duty = checkOnDuty(m.deps.Store, m.operator)
		}
		return m, tea.Batch(cmd, stats, duty, m.lookReady(), waitForSync(m.deps.Sync.States()))
	case offDutyMsg:
		return m, m.takeOffDuty(msg.operator)
	case ackAlertsMsg:
		return m, m.ackAlerts(msg.ids)
	case alertsAckedMsg:
		m.syncv.notice = m.c.T("alert.acked", msg.n)
		return m, tea.Batch(loadSyncData(m.deps.Store, m.deps.Roster), loadStats(m.deps.Store, m.c.now()))
	case verifiedMsg:
		if !m.inCheck || msg.check != m.check.id || m.check.step != stepVerifying {
			return m, nil
		}
		if e, ok := m.recent.find(msg.v.Result, m.c.now()); ok {
			m.check.earlier = &e
		}
		var cmd tea.Cmd
		m.check, cmd = m.check.verified(msg.v)
		return m, cmd
	case recentLoadedMsg:
		m.recent.seed(msg.rows, m.c.now())
		return m, nil
	case savedMsg:
		if !m.inCheck || msg.check != m.check.id {
			return m, nil
		}
		var cmd tea.Cmd
		m.check, cmd = m.check.saved(msg)
		if msg.err != nil {
			return m, cmd
		}
		m.shift.tally.Add(&msg.rec)
		m.c.log.Info("record saved", "record", msg.rec.ID, "seq", msg.rec.Seq, "verdict", msg.rec.Verdict,
			"disposition", msg.rec.Disposition, "abandoned", msg.rec.Abandoned, "repeat_of", msg.rec.RepeatOf)
		m.recent.note(&msg.rec, m.c.now())
		m.finished()
		// After a pass the next person comes once the verdict has been up
		// for a moment; after a stop the operator acknowledges "saved"
		// first (Enter), so that a key meant for this person never lands
		// on the next.
		return m, tea.Batch(cmd, loadStats(m.deps.Store, m.c.now()), m.settle(), m.nextWaiting())
	case autoNextMsg:
		if m.inCheck && msg.check == m.check.id && m.check.step == stepSaved {
			return m, m.endCheck("")
		}
		return m, nil
	case signedInMsg:
		return m, m.signedIn(msg)
	case pinResultMsg, firstPINMsg:
		var cmd tea.Cmd
		m.signin, cmd = m.signin.Update(msg)
		return m, tea.Batch(cmd, m.settle())
	case recordsLoadedMsg:
		var cmd tea.Cmd
		m.records, cmd = m.records.Update(msg)
		return m, cmd
	case rosterGroupsMsg:
		m.roster = m.roster.Update(msg)
		return m, nil
	case syncDataMsg:
		var cmd tea.Cmd
		m.syncv, cmd = m.syncv.Update(msg)
		return m, cmd
	case syncNowMsg:
		if m.deps.Sync != nil {
			s := m.deps.Sync
			return m, func() tea.Msg { s.SyncNow(); return nil }
		}
		return m, nil
	case wedgeTimeoutMsg:
		return m, m.replay(m.wedge.timeout(msg))
	case previewTickMsg:
		if !m.preview || m.deps.Camera == nil {
			return m, nil
		}
		w, h := m.previewSize()
		m.previewS = m.deps.Camera.Preview(w, h)
		return m, previewTick()
	case tea.KeyMsg:
		return m, m.onKey(msg)
	}
	return m, nil
}
