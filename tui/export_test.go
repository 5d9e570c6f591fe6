package tui

import tea "github.com/charmbracelet/bubbletea"

// Hooks for the screen tests. They are in package tui_test so that they
// wire the screen with the production adapters (internal/screenwire, which
// imports tui), and reach the few internals they need through these.

// SignedIn is the message the sign-in screen sends after a right PIN.
func SignedIn(operator string) tea.Msg { return signedInMsg{operator: operator} }

// Scanned is the message the camera feed sends for one scan.
func Scanned(s Scan) tea.Msg { return scanMsg{s} }

// StatsUnchanged is a status-bar refresh that found nothing new.
func StatsUnchanged() tea.Msg { return statsMsg{} }

// Text is the screen's text for key in lang; ok is false when key is not
// a text key.
func Text(lang, key string) (s string, ok bool) {
	_, ok = texts[key]
	return tr(lang, key), ok
}

// SetStats sets the counts the status bar shows, as its next refresh would.
func (m *Model) SetStats(s Stats) { m.stats = s }
