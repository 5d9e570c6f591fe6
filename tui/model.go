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
	"github.com/charmbracelet/bubbles/key"
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
	pending *Scan // at most one scan waits while a check is verified or saved: never a queue
	manual  manualModel
	records recordsModel
	syncv   syncModel

	footerMemo   footerCache
	wedge        wedge
	notice       string
	lastActivity time.Time
	quitArmed    bool
}

// New builds the screen. ctx bounds the store and verification calls it makes.
func New(ctx context.Context, deps Deps, set Settings) *Model {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if set.Lang != "en" {
		set.Lang = "zh"
	}
	c := &common{styles: DefaultStyles(), keys: DefaultKeyMap(), width: 80, height: 24, lang: set.Lang,
		set: set, now: deps.Now, log: deps.Log, bell: deps.Bell, therm: deps.Therm}
	m := &Model{c: c, deps: deps, ctx: ctx, help: help.New()}
	m.signin = newSignIn(c, deps.Store, "")
	m.manual = newManual(c, deps.Seal)
	m.records = newRecords(c)
	m.syncv = newSyncView(c)
	m.lastActivity = c.now()
	if deps.Camera != nil {
		m.cam = deps.Camera.Status()
	}
	return m
}

// Init starts the clock and the feeds.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tick(m.c.now(), m.deps.Store, m.c.now), loadStats(m.deps.Store, m.c.now())}
	if m.deps.Camera != nil {
		cmds = append(cmds, waitForScan(m.deps.Camera.Scans()))
	}
	if m.deps.Sync != nil {
		cmds = append(cmds, waitForSync(m.deps.Sync.States()))
	}
	return tea.Batch(cmds...)
}

// Operator is who is signed in ("" when nobody).
func (m *Model) Operator() string { return m.operator }

func (m *Model) stamp(r *healthcode.Record) {
	r.Institution, r.Gate, r.Operator, r.DeviceID = m.c.set.Institution, m.c.set.Gate, m.operator, m.c.set.DeviceID
	if m.deps.Sync != nil && !m.sync.ClockMeasured.IsZero() {
		r.ClockOffset = m.sync.ClockOffset
		r.CorrectedTime = r.Time.Add(m.sync.ClockOffset)
	}
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
		return m, tick(now, m.deps.Store, m.c.now)
	case statsMsg:
		if msg.err != nil {
			m.c.log.Error("read counters", "err", msg.err)
			return m, nil
		}
		m.stats = msg.stats
		return m, nil
	case scanMsg:
		cmd := m.onScan(msg.scan)
		if m.deps.Camera == nil {
			return m, cmd
		}
		return m, tea.Batch(cmd, waitForScan(m.deps.Camera.Scans()))
	case scanFeedClosedMsg:
		m.scansEnd = true
		return m, nil
	case syncStateMsg:
		was := m.sync.Syncing
		m.sync = msg.state
		var cmd tea.Cmd
		if m.screen == screenSync && was && !m.sync.Syncing {
			cmd = loadSyncData(m.deps.Store)
		}
		return m, tea.Batch(cmd, waitForSync(m.deps.Sync.States()))
	case verifiedMsg:
		if !m.inCheck || msg.check != m.check.id || m.check.step != stepVerifying {
			return m, nil
		}
		var cmd tea.Cmd
		m.check, cmd = m.check.verified(msg.v)
		return m, cmd
	case savedMsg:
		if !m.inCheck || msg.check != m.check.id {
			return m, nil
		}
		var cmd tea.Cmd
		m.check, cmd = m.check.saved(msg)
		if msg.err != nil {
			return m, cmd
		}
		m.shift.add(msg.rec)
		m.c.log.Info("record saved", "record", msg.rec.ID, "seq", msg.rec.Seq, "verdict", msg.rec.Verdict, "disposition", msg.rec.Disposition)
		cmds := []tea.Cmd{cmd, loadStats(m.deps.Store, m.c.now())}
		// After a pass the next person comes at once; after a stop the
		// operator acknowledges "saved" first (Enter), so that a key meant
		// for this person never lands on the next.
		if m.pending != nil && msg.rec.Verdict == healthcode.VerdictPass && !msg.rec.Fever {
			s := *m.pending
			m.pending = nil
			cmds = append(cmds, m.startCheck(s))
		}
		return m, tea.Batch(cmds...)
	case autoNextMsg:
		if m.inCheck && msg.check == m.check.id && m.check.step == stepSaved {
			return m, m.endCheck("")
		}
		return m, nil
	case signedInMsg:
		return m, m.signedIn(msg)
	case pinResultMsg:
		var cmd tea.Cmd
		m.signin, cmd = m.signin.Update(msg)
		return m, tea.Batch(cmd, m.settle())
	case recordsLoadedMsg:
		var cmd tea.Cmd
		m.records, cmd = m.records.Update(msg)
		return m, cmd
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

func (m *Model) signedIn(msg signedInMsg) tea.Cmd {
	now := m.c.now()
	if !msg.unlock || msg.operator != m.operator {
		m.shift = shift{operator: msg.operator, start: now}
	}
	m.operator, m.screen, m.lastActivity, m.notice = msg.operator, screenReady, now, ""
	m.c.log.Info("operator signed in", "operator", msg.operator, "unlock", msg.unlock)
	if f := m.deps.OnSignIn; f != nil {
		op := msg.operator
		return func() tea.Msg { f(op); return nil }
	}
	return nil
}

// settle acts on what a screen decided in its Update (a check ended, a
// form was sent, a view was left), at once, so that the next key already
// goes to the next screen.
func (m *Model) settle() tea.Cmd {
	switch {
	case m.signin.signedIn != nil:
		msg := *m.signin.signedIn
		m.signin.signedIn = nil
		return m.signedIn(msg)
	case m.signin.handOver:
		m.signin.handOver = false
		m.signOut()
	case m.inCheck && m.check.finished:
		return m.endCheck(m.check.endNotice)
	case m.manual.submitted != nil:
		p := *m.manual.submitted
		m.manual.submitted = nil
		m.checkN++
		m.check = newCheck(m.c, m.checkN, m.ctx, m.deps.Store, m.stamp)
		m.inCheck, m.screen = true, screenCheck
		var cmd tea.Cmd
		m.check, cmd = m.check.startManual(p)
		return cmd
	case m.manual.cancelled:
		m.manual.cancelled = false
		m.screen = screenReady
	case m.records.back:
		m.records.back = false
		m.screen = screenReady
	case m.syncv.back:
		m.syncv.back = false
		m.screen = screenReady
	}
	return nil
}

func (m *Model) lockScreen() {
	m.screen = screenLocked
	m.signin = newSignIn(m.c, m.deps.Store, m.operator)
	m.c.log.Info("screen locked after idle", "operator", m.operator)
}

func (m *Model) signOut() {
	m.shiftEnd = m.c.now()
	m.c.log.Info("operator signed out", "operator", m.operator, "checks", m.shift.checks)
	m.operator, m.screen = "", screenSummary
}

// endCheck returns to ready, or goes straight to the person whose code
// was read meanwhile (if it is recent: a code held too long belongs to
// someone who has likely walked on).
func (m *Model) endCheck(notice string) tea.Cmd {
	m.inCheck = false
	m.screen, m.notice = screenReady, notice
	if p := m.pending; p != nil {
		m.pending = nil
		if m.c.now().Sub(p.At) < heldScanMaxAge {
			return m.startCheck(*p)
		}
	}
	return nil
}

// heldScanMaxAge is how long a code read while the operator was busy stays good.
const heldScanMaxAge = 30 * time.Second

// onScan takes a scan from the camera or the handheld scanner. A scan is
// taken at once when the gate is ready or the last person is saved; while
// a verdict is being computed or saved the newest scan waits (one, never a
// queue); while the operator is busy with a person it is refused.
func (m *Model) onScan(s Scan) tea.Cmd {
	m.lastActivity = m.c.now()
	switch {
	case m.operator == "" || m.screen == screenLocked || m.screen == screenSignIn || m.screen == screenSummary:
		m.c.log.Info("scan ignored: nobody signed in", "source", s.Source)
		return nil
	case m.inCheck && (m.check.step == stepVerifying || m.check.step == stepSaving):
		m.pending = &s
		return nil
	case m.inCheck && !m.check.acceptsScan():
		// The next person is here while the operator finishes this one:
		// keep the newest code (one, never a queue) and show it next.
		m.pending = &s
		m.check.notice = m.c.T("busy")
		m.c.log.Info("scan held: operator busy with a person", "step", m.check.step)
		return nil
	case m.screen == screenManual:
		m.c.log.Info("scan ignored: manual entry open")
		return nil
	}
	return m.startCheck(s)
}

func (m *Model) startCheck(s Scan) tea.Cmd {
	m.checkN++
	m.check = newCheck(m.c, m.checkN, m.ctx, m.deps.Store, m.stamp)
	m.check.scan = s
	m.inCheck, m.screen, m.notice, m.showHelp, m.quitArmed = true, screenCheck, "", false, false
	return verifyCmd(m.ctx, m.deps.Verify, m.checkN, s.Text, s.At)
}

// onKey runs the handheld-scanner detector, then hands the key on.
func (m *Model) onKey(k tea.KeyMsg) tea.Cmd {
	m.lastActivity = m.c.now()
	if key.Matches(k, m.c.keys.ForceQuit) {
		return tea.Quit
	}
	res := m.wedge.key(k)
	cmds := []tea.Cmd{res.cmd, m.replay(res.replay)}
	if res.scan != "" {
		cmds = append(cmds, m.onScan(Scan{Text: res.scan, At: m.c.now(), Source: SourceWedge}))
	}
	if !res.consumed {
		cmds = append(cmds, m.route(k))
	}
	return tea.Batch(cmds...)
}

func (m *Model) replay(keys []tea.KeyMsg) tea.Cmd {
	var cmds []tea.Cmd
	for _, k := range keys {
		cmds = append(cmds, m.route(k))
	}
	return tea.Batch(cmds...)
}

// capturesText says the screen takes letters as text, so global letter
// keys (help, language) do not apply.
func (m *Model) capturesText() bool {
	switch m.screen {
	case screenSignIn, screenLocked, screenManual:
		return true
	case screenRecords:
		return m.records.capturesText()
	}
	return false
}

// route hands a key to the screen in front. Keys typed faster than the
// terminal is read arrive as one message ("r37.9"); they are handed on one
// by one, so that each is the key it is.
func (m *Model) route(k tea.KeyMsg) tea.Cmd {
	if k.Type == tea.KeyRunes && len(k.Runes) > 1 && !k.Paste {
		var cmds []tea.Cmd
		for _, r := range k.Runes {
			cmds = append(cmds, m.route(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: k.Alt}))
		}
		return tea.Batch(cmds...)
	}
	keys := m.c.keys
	if m.showHelp {
		m.showHelp = false
		return nil
	}
	if !m.capturesText() {
		switch {
		case key.Matches(k, keys.Help):
			m.showHelp = true
			return nil
		case key.Matches(k, keys.Lang):
			if m.c.lang == "zh" {
				m.c.lang = "en"
			} else {
				m.c.lang = "zh"
			}
			return nil
		}
	}
	if m.screen != screenReady || !key.Matches(k, keys.Quit) {
		m.quitArmed = false
	}
	var cmd tea.Cmd
	switch m.screen {
	case screenSignIn, screenLocked:
		m.signin, cmd = m.signin.Update(k)
	case screenSummary:
		if key.Matches(k, keys.Confirm) {
			m.screen = screenSignIn
			m.signin = newSignIn(m.c, m.deps.Store, "")
		}
	case screenCheck:
		m.check, cmd = m.check.Update(k)
	case screenManual:
		m.manual, cmd = m.manual.Update(k)
	case screenRecords:
		m.records, cmd = m.records.Update(k)
	case screenSync:
		m.syncv, cmd = m.syncv.Update(k)
	case screenReady:
		cmd = m.readyKey(k)
	}
	return tea.Batch(cmd, m.settle())
}

func (m *Model) readyKey(k tea.KeyMsg) tea.Cmd {
	keys := m.c.keys
	m.notice = ""
	switch {
	case key.Matches(k, keys.Quit):
		if m.quitArmed {
			return tea.Quit
		}
		m.quitArmed = true
		m.notice = m.c.T("quit.confirm")
	case key.Matches(k, keys.Records):
		m.screen = screenRecords
		m.records = newRecords(m.c)
		return loadRecords(m.deps.Store, m.c)
	case key.Matches(k, keys.Sync):
		m.screen = screenSync
		return loadSyncData(m.deps.Store)
	case key.Matches(k, keys.Manual):
		m.screen = screenManual
		m.manual = newManual(m.c, m.deps.Seal)
	case key.Matches(k, keys.Preview):
		m.preview = !m.preview
		if m.preview && m.deps.Camera != nil {
			w, h := m.previewSize()
			m.previewS = m.deps.Camera.Preview(w, h)
			return previewTick()
		}
	case key.Matches(k, keys.Lock):
		m.lockScreen()
	case key.Matches(k, keys.SignOut):
		m.signOut()
	}
	return nil
}
