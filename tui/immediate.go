package tui

import (
	"io"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// Immediate draws the screen itself, at once after every change, for a
// program run with tea.WithoutRenderer. Bubbletea v1's renderer draws on a
// fixed frame clock: at 120 frames a second the idle screen wakes 120 times
// a second (over 2 % of a core on a loaded laptop), at 60 a verdict can
// wait 16 ms for its frame. Drawing on change costs nothing while idle and
// shows the verdict as soon as it is decided. Only lines that changed are
// rewritten. The caller puts the terminal in raw mode and sends
// tea.WindowSizeMsg (at start and on SIGWINCH).
type Immediate struct {
	m    *Model
	out  io.Writer
	last []string
	on   bool
}

// NewImmediate wraps m to draw to out (the terminal).
func NewImmediate(m *Model, out io.Writer) *Immediate { return &Immediate{m: m, out: out} }

// Model is the wrapped screen.
func (r *Immediate) Model() *Model { return r.m }

func (r *Immediate) Init() tea.Cmd {
	_, _ = io.WriteString(r.out, "\x1b[?1049h\x1b[?25l\x1b[2J") // alternate screen, no cursor
	r.on = true
	return r.m.Init()
}

func (r *Immediate) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(tea.WindowSizeMsg); ok {
		r.last = nil // everything moves: draw it all
		_, _ = io.WriteString(r.out, "\x1b[2J")
	}
	_, cmd := r.m.Update(msg)
	r.draw()
	return r, cmd
}

// View is empty: the program has no renderer; Update draws.
func (r *Immediate) View() string { return "" }

func (r *Immediate) draw() {
	if !r.on {
		return
	}
	lines := strings.Split(r.m.View(), "\n")
	var b strings.Builder
	for i, l := range lines {
		if i < len(r.last) && r.last[i] == l {
			continue
		}
		b.WriteString("\x1b[" + strconv.Itoa(i+1) + ";1H" + l + "\x1b[0m\x1b[K")
	}
	for i := len(lines); i < len(r.last); i++ {
		b.WriteString("\x1b[" + strconv.Itoa(i+1) + ";1H\x1b[K")
	}
	r.last = lines
	if b.Len() > 0 {
		_, _ = io.WriteString(r.out, b.String())
	}
}

// Close leaves the alternate screen and shows the cursor again.
func (r *Immediate) Close() {
	if r.on {
		_, _ = io.WriteString(r.out, "\x1b[0m\x1b[?25h\x1b[?1049l")
		r.on = false
	}
}
