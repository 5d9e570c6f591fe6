package tui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// A lone H typed on the ready screen is not held forever.
func TestWedgeTimeoutGivesKeysBack(t *testing.T) {
	var w wedge
	res := w.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("H")})
	if !res.consumed || res.cmd == nil {
		t.Fatal("H should start a possible payload")
	}
	w.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("C")})
	keys := w.timeout(wedgeTimeoutMsg{seq: w.seq})
	if len(keys) != 1 || string(keys[0].Runes) != "HC" {
		t.Fatalf("timeout gave back %v, want HC", keys)
	}
}
