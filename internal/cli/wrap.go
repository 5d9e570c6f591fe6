package cli

import (
	"bytes"
	"io"
	"os"
	"sync"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"
)

// Terminal output: what a command prints to a terminal is wrapped at word
// boundaries to the terminal's width (an 80-column terminal must not break
// "you" into "yo" / "u"). Anything else (a file, a pipe) is left as is.

// TerminalWriter is f, wrapping complete lines at the terminal's width
// when f is a terminal; otherwise f itself.
func TerminalWriter(f *os.File) io.Writer {
	if f == nil || !term.IsTerminal(f.Fd()) {
		return f
	}
	return &wrapWriter{f: f, width: func() int {
		w, _, err := term.GetSize(f.Fd())
		if err != nil {
			return 0
		}
		return w
	}}
}

// FileOf is the file behind w (a TerminalWriter's, or w itself), or nil.
func FileOf(w io.Writer) *os.File {
	switch v := w.(type) {
	case *os.File:
		return v
	case *wrapWriter:
		return v.f
	}
	return nil
}

// wrapWriter wraps each line written whole; a line still open at the end
// of a write (a prompt, a progress bar redrawn with \r) goes out as it is.
type wrapWriter struct {
	mu    sync.Mutex
	f     *os.File
	width func() int
	open  bool // the last write left a line open
}

func (w *wrapWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out bytes.Buffer
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			out.Write(rest)
			w.open = true
			break
		}
		line := rest[:i]
		if !w.open && !bytes.ContainsRune(line, '\r') {
			if width := w.width(); width > 0 && ansi.StringWidth(string(line)) > width {
				line = []byte(ansi.Wrap(string(line), width, ""))
			}
		}
		out.Write(line)
		out.WriteByte('\n')
		w.open = false
		rest = rest[i+1:]
	}
	if _, err := w.f.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}
