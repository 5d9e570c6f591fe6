package tui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/google/uuid"

	"hcscan/healthcode"
)

// checkStep is where one person's check stands.
type checkStep int

const (
	stepVerifying   checkStep = iota // the code is being verified
	stepTemperature                  // waiting for the temperature reading
	stepFever                        // fever on the first reading: re-measure or go on
	stepDisposition                  // the operator picks what happens
	stepSaving                       // the record is being written
	stepSaved                        // the record is durable
	stepSaveFailed                   // the record could not be written
)

// manualPerson is a person without a code, as typed by the operator; only
// the masked form and the sealed box are kept.
type manualPerson struct {
	name, id string // masked
	reason   string
	sealed   []byte
	sealNote string
}

// checkModel is one person at the gate, from scan to saved record.
type checkModel struct {
	c      *common
	id     int
	ctx    context.Context
	store  RecordStore
	stamp  func(*healthcode.Record) // fills gate, operator, device, clock
	scan   Scan
	manual *manualPerson
	enrol  *RosterGroup // roster mode: the person is enrolled into this group

	v          Verification
	dec        healthcode.Decision
	temp       healthcode.Temperature
	firstTemp  healthcode.Temperature
	remeasured bool
	tempInput  string
	tempErr    string
	choices    []healthcode.Disposition
	choice     int
	rec        healthcode.Record
	saveErr    error
	notice     string
	step       checkStep
	finished   bool   // the check is over; the root returns to ready
	endNotice  string // what the ready screen says about it
	// leaving: the operator pressed Esc and is asked to confirm that the
	// person goes without a decision (a record says so).
	leaving      bool
	beforeSignIn bool          // the code was read before anyone signed in
	earlier      *earlierCheck // this code or person was checked within the repeat window
}

func newCheck(c *common, id int, ctx context.Context, store RecordStore, stamp func(*healthcode.Record)) checkModel {
	return checkModel{c: c, id: id, ctx: ctx, store: store, stamp: stamp}
}

// decide applies the gate's policy to what is known so far.
func (m *checkModel) decide() healthcode.Decision {
	p := m.c.set.Policy
	if m.manual == nil {
		d := p.Decide(m.v.Result, m.temp, m.remeasured)
		if m.unlisted() {
			d = d.NotListed()
		}
		return d
	}
	// Nobody's code was verified: the operator decides, after the
	// temperature; the record's verdict is the decision taken (manualVerdict).
	d := healthcode.Decision{Verdict: healthcode.VerdictNone, DefaultDisposition: healthcode.DispositionPass,
		Alternatives: healthcode.Dispositions}
	if !p.TakeTemperature {
		return d
	}
	if m.temp == 0 {
		d.NeedTemperature = true
		return d
	}
	feverAt := p.FeverAt
	if feverAt == 0 {
		feverAt = healthcode.FeverThreshold
	}
	if m.temp >= feverAt {
		d.Fever, d.OfferRemeasure = true, !m.remeasured
		d.DefaultDisposition = healthcode.DispositionSendToClinic
	}
	return d
}

// verified starts the check with the verification result.
func (m checkModel) verified(v Verification) (checkModel, tea.Cmd) {
	m.v = v
	m.dec = m.decide()
	var ring tea.Cmd
	if m.dec.Verdict != healthcode.VerdictPass {
		ring = m.bell()
	}
	m, cmd := m.advance()
	return m, tea.Batch(ring, cmd)
}

// startManual starts the check of a person without a code.
func (m checkModel) startManual(p manualPerson) (checkModel, tea.Cmd) {
	m.manual = &p
	m.dec = m.decide()
	return m.advance()
}

// advance moves to the step the decision asks for.
func (m checkModel) advance() (checkModel, tea.Cmd) {
	switch {
	case m.repeatPass():
		// Passed within the window and passes again: a repeat, recorded
		// as one, with nothing to type (the earlier reading stands).
		m.dec.NeedTemperature = false
		return m.save(healthcode.DispositionPass)
	case m.dec.NeedTemperature:
		m.step = stepTemperature
		m.prefill()
		return m, nil
	case m.dec.Fever && m.dec.OfferRemeasure:
		m.step = stepFever
		return m, nil
	case m.manual == nil && m.dec.Verdict == healthcode.VerdictPass && !m.dec.Fever:
		return m.save(healthcode.DispositionPass)
	}
	m.step = stepDisposition
	m.choices = m.dec.Alternatives
	if len(m.choices) == 0 {
		m.choices = healthcode.Dispositions
	}
	m.choice = 0
	for i, d := range m.choices {
		if d == m.dec.DefaultDisposition {
			m.choice = i
		}
	}
	return m, nil
}

// prefill types the thermometer's reading, if there is one.
func (m *checkModel) prefill() {
	if m.c.therm == nil || m.manual != nil {
		return
	}
	if t, ok := m.c.therm(m.scan, m.remeasured); ok {
		m.tempInput = t.String()
	}
}

func (m checkModel) bell() tea.Cmd {
	if !m.c.set.Bell || m.c.bell == nil {
		return nil
	}
	ring := m.c.bell
	return func() tea.Msg { ring(); return nil }
}

func (m checkModel) record(d healthcode.Disposition) healthcode.Record {
	id, err := uuid.NewV7()
	if err != nil {
		id = uuid.New()
	}
	r := healthcode.Record{
		ID: id.String(), Verdict: m.dec.Verdict, Provisional: m.dec.Provisional, Temperature: m.temp,
		Fever: m.dec.Fever, Disposition: d,
	}
	m.c.clock().Stamp(&r)
	if p := m.manual; p != nil {
		r.Manual, r.Name, r.IDMasked, r.Sealed, r.ManualReason = true, p.name, p.id, p.sealed, p.reason
		r.Verdict = manualVerdict(d, m.dec.Fever)
	} else {
		res := m.v.Result
		r.CodeHash, r.Dynamic = res.CodeHash, res.Dynamic
		r.ScannedColour, r.EffectiveColour = res.ScannedColour, res.EffectiveColour
		if !res.Valid {
			r.Reason = res.Reason
		}
		r.Name, r.IDMasked = clean(res.Claims.Name, 32), clean(res.Claims.ID, 32)
		r.Region, r.Lang = res.Claims.Region, res.Claims.Lang
		m.rosterFields(&r)
	}
	if m.earlier != nil {
		r.RepeatOf = m.earlier.id
	}
	if m.stamp != nil {
		m.stamp(&r)
	}
	return r
}

func (m checkModel) save(d healthcode.Disposition) (checkModel, tea.Cmd) {
	m.rec = m.record(d)
	m.step = stepSaving
	return m, saveCmd(m.ctx, m.store, m.id, m.rec)
}

// saved takes the store's answer.
func (m checkModel) saved(msg savedMsg) (checkModel, tea.Cmd) {
	if msg.err != nil {
		m.step, m.saveErr = stepSaveFailed, msg.err
		m.c.log.Error("record not saved", "record", m.rec.ID, "err", msg.err)
		return m, m.bell()
	}
	m.rec, m.step, m.saveErr = msg.rec, stepSaved, nil
	if m.rec.Abandoned {
		return m.done(m.c.T("left.saved"))
	}
	if m.rec.Verdict == healthcode.VerdictPass && !m.rec.Fever && m.c.set.AutoNext > 0 {
		id := m.id
		return m, tea.Tick(m.c.set.AutoNext, func(time.Time) tea.Msg { return autoNextMsg{id} })
	}
	return m, nil
}

// done ends the check at once (not through a message, so a key typed
// right after lands on the ready screen).
func (m checkModel) done(notice string) (checkModel, tea.Cmd) {
	m.finished, m.endNotice = true, notice
	return m, nil
}

// repeatPass says the person passed within the repeat window and their
// code would pass again: no temperature is asked twice in the window.
func (m checkModel) repeatPass() bool {
	return m.earlier != nil && m.manual == nil && m.earlier.verdict == healthcode.VerdictPass && !m.earlier.fever &&
		m.dec.Verdict == healthcode.VerdictPass && !m.dec.Fever && m.temp == 0
}

// manualVerdict is the verdict of a person without a code: what the
// operator decided. Let through with a normal temperature is a pass;
// anything else (another disposition, a fever) a stop.
func manualVerdict(d healthcode.Disposition, fever bool) healthcode.Verdict {
	if d == healthcode.DispositionPass && !fever {
		return healthcode.VerdictPass
	}
	return healthcode.VerdictStop
}

// passedOn says the person is saved and the screen may move on to the
// next by itself: a pass (no fever). A stop waits for the operator's Enter.
func (m checkModel) passedOn() bool {
	return m.step == stepSaved && m.rec.Verdict == healthcode.VerdictPass && !m.rec.Fever
}

// awaitsDecision says the person's code is checked and the operator has
// not decided yet (nothing saved, nothing being saved).
func (m checkModel) awaitsDecision() bool {
	switch m.step {
	case stepTemperature, stepFever, stepDisposition:
		return true
	}
	return false
}

// abandon saves the record of a person left without a decision: nobody
// let them through (stop, or invalid for a code that did not verify), no
// disposition, what was measured so far.
func (m checkModel) abandon() (checkModel, tea.Cmd) {
	m.leaving = false
	if e := m.earlier; e != nil {
		// A repeat: the earlier record stands for this person.
		m.c.log.Info("repeat left without a decision; the earlier record stands", "earlier", e.id)
		return m.done(m.c.T("left.repeat", m.c.local(e.at).Format("15:04")))
	}
	m.rec = m.record(healthcode.DispositionNone)
	m.rec.Abandoned = true
	if m.rec.Verdict != healthcode.VerdictInvalid {
		m.rec.Verdict = healthcode.VerdictStop
	}
	m.step = stepSaving
	m.c.log.Info("person left without a decision", "record", m.rec.ID)
	return m, saveCmd(m.ctx, m.store, m.id, m.rec)
}

// capturesText says digits typed now belong to the check.
func (m checkModel) capturesText() bool { return m.step == stepTemperature }

func (m checkModel) Update(msg tea.Msg) (checkModel, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	k := m.c.keys
	if m.leaving {
		switch {
		case key.Matches(km, k.Back):
			m.leaving = false
		case key.Matches(km, k.Confirm):
			return m.abandon()
		}
		return m, nil
	}
	if key.Matches(km, k.Back) {
		switch m.step {
		case stepVerifying, stepSaving, stepSaved:
		case stepSaveFailed:
			m.c.log.Warn("record given up after a failed save", "record", m.rec.ID)
			return m.done(m.c.T("savefail.givenup"))
		default:
			m.leaving = true
			return m, nil
		}
	}
	switch m.step {
	case stepTemperature:
		return m.typeTemperature(km)
	case stepFever:
		switch {
		case key.Matches(km, k.Remeasure):
			m.firstTemp, m.temp, m.remeasured = m.temp, 0, true
			m.tempInput, m.tempErr = "", ""
			m.step = stepTemperature
			m.prefill()
		case key.Matches(km, k.Confirm):
			m.dec.OfferRemeasure = false
			return m.advance()
		}
	case stepDisposition:
		switch {
		case key.Matches(km, k.Up):
			m.choice = (m.choice + len(m.choices) - 1) % len(m.choices)
		case key.Matches(km, k.Down), km.Type == tea.KeyTab:
			m.choice = (m.choice + 1) % len(m.choices)
		case key.Matches(km, k.Choose):
			if i := int(km.Runes[0] - '1'); i >= 0 && i < len(m.choices) {
				m.choice = i
			}
		case key.Matches(km, k.Confirm):
			return m.save(m.choices[m.choice])
		}
	case stepSaved:
		if key.Matches(km, k.Next) {
			return m.done("")
		}
	case stepSaveFailed:
		if key.Matches(km, k.Confirm) {
			m.step = stepSaving
			return m, saveCmd(m.ctx, m.store, m.id, m.rec) // same record id: a retry never duplicates
		}
	}
	return m, nil
}
