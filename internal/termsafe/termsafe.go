// Package termsafe makes untrusted text (from a QR code, a server reply or
// a file) safe to show in a terminal: no escape sequences, no control
// characters, no bidirectional overrides, bounded length.
package termsafe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean replaces every control, format (bidi overrides, zero-width) and
// invalid character with a visible "�" and keeps tabs as one space.
func Clean(s string) string {
	return CleanN(s, 0)
}

// CleanN is Clean that also cuts the result to at most max runes (0: no
// limit), ending with "…" when it cut.
func CleanN(s string, max int) string {
	var b strings.Builder
	b.Grow(len(s))
	n := 0
	for i, r := range s {
		if max > 0 && n == max {
			if i < len(s) {
				return strings.TrimRightFunc(b.String(), unicode.IsSpace) + "…"
			}
			break
		}
		switch {
		case r == utf8.RuneError:
			b.WriteRune('�')
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r):
			b.WriteRune('�')
		default:
			b.WriteRune(r)
		}
		n++
	}
	return b.String()
}
