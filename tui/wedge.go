package tui

import (
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// A handheld USB QR scanner is a keyboard: it types the payload fast and
// presses Enter. wedge recognises that shape (keys starting with HCN1: or
// HCP1:, ended by Enter) on every screen, and gives keys that turn out not
// to be a payload back to the screen as if they had just been typed.

const wedgeGap = 300 * time.Millisecond // longer than any scanner's key gap

var wedgePrefixes = []string{"HCN1:", "HCP1:"}

type wedge struct {
	buf []rune
	seq int // bumps with every key, so only the last key's timeout counts
}

type wedgeTimeoutMsg struct{ seq int }

// wedgeResult says what became of a key.
type wedgeResult struct {
	consumed bool         // the key is part of a possible payload
	scan     string       // a complete payload (Enter arrived)
	replay   []tea.KeyMsg // keys that were not a payload after all, to hand on
	cmd      tea.Cmd
}

func plausiblePrefix(s string) (full, maybe bool) {
	for _, p := range wedgePrefixes {
		if len(s) >= len(p) {
			if strings.HasPrefix(s, p) {
				return true, true
			}
			continue
		}
		if strings.HasPrefix(p, s) {
			maybe = true
		}
	}
	return false, maybe
}

func (w *wedge) flush() []tea.KeyMsg {
	if len(w.buf) == 0 {
		return nil
	}
	k := tea.KeyMsg{Type: tea.KeyRunes, Runes: w.buf}
	w.buf = nil
	return []tea.KeyMsg{k}
}

func (w *wedge) key(k tea.KeyMsg) wedgeResult {
	var runes []rune
	switch k.Type {
	case tea.KeyRunes:
		runes = k.Runes
	case tea.KeySpace:
		runes = []rune{' '}
	case tea.KeyEnter:
		if full, _ := plausiblePrefix(string(w.buf)); full {
			s := string(w.buf)
			w.buf = nil
			return wedgeResult{consumed: true, scan: s}
		}
		return wedgeResult{replay: w.flush()}
	default:
		return wedgeResult{replay: w.flush()}
	}
	if len(w.buf) == 0 && (len(runes) == 0 || runes[0] != 'H') {
		return wedgeResult{}
	}
	w.buf = append(w.buf, runes...)
	if full, maybe := plausiblePrefix(string(w.buf)); !full && !maybe {
		return wedgeResult{consumed: true, replay: w.flush()}
	}
	if len(w.buf) > 4096 { // no payload is this long: it is someone typing
		return wedgeResult{consumed: true, replay: w.flush()}
	}
	w.seq++
	seq := w.seq
	return wedgeResult{consumed: true, cmd: tea.Tick(wedgeGap, func(time.Time) tea.Msg { return wedgeTimeoutMsg{seq} })}
}

// timeout hands back keys that stopped before an Enter.
func (w *wedge) timeout(m wedgeTimeoutMsg) []tea.KeyMsg {
	if m.seq != w.seq {
		return nil
	}
	return w.flush()
}
