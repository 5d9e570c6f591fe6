package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"hcscan/healthcode"
)

// Repeats: the same code (or, when codes carry one, the same person key)
// checked again within Settings.RepeatWindow is not a silent second pass.
// The screen says "already checked at HH:MM (verdict)" and the record is
// marked a repeat of the earlier one (Record.RepeatOf).

// earlierCheck is a check a repeat refers to.
type earlierCheck struct {
	id          string
	at          time.Time // the check's time (Record.When)
	verdict     healthcode.Verdict
	disposition healthcode.Disposition
	temp        healthcode.Temperature
	fever       bool
}

// recentChecks are the checks of the last RepeatWindow, by code and by
// person. Only first checks are kept: a repeat does not restart the
// window, so someone who comes back again and again is fully checked
// once a window.
type recentChecks struct {
	window time.Duration
	by     map[string]earlierCheck
}

func newRecentChecks(window time.Duration) recentChecks {
	return recentChecks{window: window, by: map[string]earlierCheck{}}
}

// repeatKeys names a code and its holder, as recentChecks keys them.
func repeatKeys(h healthcode.CodeHash, p healthcode.PersonKey) []string {
	var ks []string
	if !h.IsZero() {
		ks = append(ks, "code:"+h.String())
	}
	if !p.IsZero() {
		ks = append(ks, "person:"+p.String())
	}
	return ks
}

// note keeps a saved record (not a repeat, not someone who left without a
// decision, not a manual entry: those are no check of a code).
func (r *recentChecks) note(rec *healthcode.Record, now time.Time) {
	if r.window <= 0 || rec.RepeatOf != "" || rec.Abandoned || rec.Manual {
		return
	}
	e := earlierCheck{id: rec.ID, at: rec.When(), verdict: rec.Verdict, disposition: rec.Disposition, temp: rec.Temperature, fever: rec.Fever}
	for _, k := range repeatKeys(rec.CodeHash, rec.PersonKey) {
		if old, ok := r.by[k]; !ok || now.Sub(old.at) >= r.window {
			r.by[k] = e
		}
	}
	for k, c := range r.by {
		if now.Sub(c.at) >= r.window {
			delete(r.by, k)
		}
	}
}

// find is the earlier check of the code or person in res within the window.
func (r *recentChecks) find(res healthcode.Result, now time.Time) (earlierCheck, bool) {
	if r.window <= 0 || !res.Valid {
		return earlierCheck{}, false
	}
	for _, k := range repeatKeys(res.CodeHash, res.Claims.PersonKey) {
		if c, ok := r.by[k]; ok && now.Sub(c.at) < r.window && !c.at.After(now.Add(time.Minute)) {
			return c, true
		}
	}
	return earlierCheck{}, false
}

// recentLoadedMsg carries today's records, to know the checks made before
// the screen was (re)started.
type recentLoadedMsg struct{ rows []Row }

func loadRecent(st RecordStore, now time.Time) tea.Cmd {
	return func() tea.Msg {
		rows, _ := st.Today(now, 2000)
		return recentLoadedMsg{rows}
	}
}

// seed keeps today's records still within the window, oldest first.
func (r *recentChecks) seed(rows []Row, now time.Time) {
	for i := len(rows) - 1; i >= 0; i-- {
		rec := rows[i].Record
		if now.Sub(rec.When()) < r.window {
			r.note(&rec, now)
		}
	}
}
