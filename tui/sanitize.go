package tui

import "hcscan/internal/termsafe"

// clean makes untrusted text (anything read from a QR code, a server
// reply or an error) safe to draw: control, format and escape characters
// become a visible mark, and the result is cut to max runes.
func clean(s string, max int) string { return termsafe.CleanN(s, max) }
