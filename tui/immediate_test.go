package tui_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"hcscan/tui"
)

// The immediate renderer writes the screen on change, only the lines that
// changed, and nothing when nothing changed.
func TestImmediateDrawsOnlyChanges(t *testing.T) {
	w := newWorld(t)
	now := func() time.Time { return testNow }
	set := testSettings("en")
	m := tui.New(context.Background(), w.openScanner(t, now, set.Policy).deps(now), set)
	var out bytes.Buffer
	r := tui.NewImmediate(m, &out)
	r.Init()
	r.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if s := out.String(); !strings.Contains(s, "\x1b[?1049h") || !strings.Contains(s, "Operator sign-in") {
		t.Fatalf("first draw lacks the alternate screen or the sign-in: %q", s)
	}
	out.Reset()
	r.Update(tui.StatsUnchanged()) // nothing visible changes
	if out.Len() != 0 {
		t.Fatalf("an unchanged screen was redrawn: %q", out.String())
	}
	r.Update(tui.SignedIn("Wang"))
	s := out.String()
	if !strings.Contains(s, "Ready: show your code") || !strings.Contains(s, "operator Wang") {
		t.Fatalf("sign-in not drawn: %q", s)
	}
	if strings.Contains(s, "today passed") { // the counters line did not change
		t.Errorf("an unchanged line was rewritten: %q", s)
	}
	out.Reset()
	r.Close()
	if !strings.Contains(out.String(), "\x1b[?1049l") {
		t.Errorf("Close does not leave the alternate screen: %q", out.String())
	}
}
