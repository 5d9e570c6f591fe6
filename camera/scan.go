package camera

import (
	"fmt"
	"image"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Scan is what one frame showed: the codes read in it. A Camera delivers a
// Scan when a frame holds at least one code not scanned within the
// cool-down, with only those codes; a Reader's Scan holds every code read.
type Scan struct {
	// Codes in reading order: top to bottom, then left to right, by the
	// code's top-left corner. Never empty in a delivered Scan.
	Codes []Code
	// FrameTime is when the frame was captured (read from the source).
	FrameTime time.Time
	// Frame is the frame's number in its source, from 0.
	Frame int
	// DecodeTime is how long decoding that frame took.
	DecodeTime time.Duration
}

// Code is one QR code read from a frame.
type Code struct {
	// Text is the decoded content exactly as the code holds it. It is
	// untrusted data: show it through Safe, never print it raw.
	Text string
	// Raw holds the bytes the code holds (all its segments, as zxing-cpp
	// reports them) when they are not Text in UTF-8: Text is then the
	// decoder's reading of them in a guessed or declared character set
	// (Shift_JIS, GB2312, ISO-8859-1), and Raw is what the code really
	// holds. Nil when Text is the whole truth.
	Raw []byte
	// Corners are the code's outer corners in frame pixels: top-left,
	// top-right, bottom-right, bottom-left. All zero when unknown.
	Corners [4]image.Point
	// Step names the decoding step that read the code (for diagnostics).
	Step string
}

// Texts lists the codes' texts in order.
func (s Scan) Texts() []string {
	out := make([]string, len(s.Codes))
	for i, c := range s.Codes {
		out[i] = c.Text
	}
	return out
}

// Safe returns the text fit for a terminal: see SafeText.
func (c Code) Safe() string { return SafeText(c.Text) }

// SafeText makes untrusted decoded text safe to display: control characters
// (escape sequences, carriage returns, bidirectional overrides and other
// invisible format characters) become visible escapes such as \x1b or
// \u202e, tab and newline become \t and \n, and invalid UTF-8 becomes \xNN.
// Printable text, CJK included, is unchanged.
func SafeText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(hex2(byte(r)))
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}
